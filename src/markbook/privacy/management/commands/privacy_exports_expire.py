"""Delete subject access exports past their download window, school by school (DSR-9).

Run it hourly from cron (the import sweep, markbook_import_jobs_sweep, runs it too).
Idempotent: a second run finds nothing to do.
"""

from typing import Any

from django.core.management.base import BaseCommand

from markbook.privacy.export.services import DOWNLOAD_DAYS, exports_expire_all


class Command(BaseCommand):
    help = (
        f"Delete the files of subject access exports whose {DOWNLOAD_DAYS}-day download "
        "window has ended; counts go to each school's access log."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = exports_expire_all()
        for school_id, count in sorted(deleted.items()):
            self.stdout.write(f"school {school_id}: {count} expired exports deleted")
        self.stdout.write(f"done: {sum(deleted.values())} expired exports deleted")
