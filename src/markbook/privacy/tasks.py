"""Background tasks of the privacy app, run by the django-tasks-db worker (`db_worker`).

A task is given ids only, and opens its school's scope itself (TEN-4).
"""

from django.tasks import task

from markbook.core.tenancy import school_scope
from markbook.privacy.export.services import export_run
from markbook.privacy.models import ExportArchive
from markbook.schools.lifecycle import is_paused


@task()
def run_export(school_id: int, archive_id: int) -> str:
    """Build one subject access export (DSR-2) in its school's scope; its state. A task
    delivered twice, or after the export was built, changes nothing (export_run)."""
    if is_paused(school_id):
        return "paused"  # the school is suspended: queued again when it is lifted (ACC-6)
    with school_scope(school_id):
        if not ExportArchive.objects.filter(pk=archive_id).exists():
            return "missing"
        return export_run(archive_id).state
