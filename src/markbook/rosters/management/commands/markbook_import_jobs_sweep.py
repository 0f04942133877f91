"""Tidy background roster imports, school by school (ROS-2, ROS-4, RET-1, RET-4, SEC-2).

Run it hourly from cron (a previewed upload expires after an hour). Idempotent: a
second run finds nothing to do. It also applies the retention rules, and (a whole run)
deletes expired subject access exports and queues again those whose worker died while
building them (DSR-2, DSR-9). A whole run records the scheduler's heartbeat and
enqueues the worker's (markbook.core.heartbeat, read by /health).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from markbook.core.tenancy import school_scope
from markbook.rosters.imports.stalled import JOB_RETENTION_DAYS, import_jobs_sweep
from markbook.schools.lifecycle import is_paused
from markbook.schools.models import School


class Command(BaseCommand):
    help = (
        "Fail stalled roster imports and delete their files, delete the files finished "
        "imports still hold and previewed files nobody imported within the hour, and "
        f"delete import records older than {JOB_RETENTION_DAYS} "
        "days; counts go to each school's access log. --dry-run lists and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be done; change nothing"
        )
        parser.add_argument("--school", metavar="ID", type=int, help="only this school")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        schools = School.objects.order_by("pk")
        if options["school"] is not None:
            schools = schools.filter(pk=options["school"])
            if not schools.exists():
                raise CommandError(f"--school: no school with id {options['school']}")
        # The same hourly sweep applies the retention rules (RET-1, RET-4): idempotent,
        # so running it every hour deletes each thing once, as soon as it is due.
        from markbook.privacy.management.commands.retention_run import retention_run_all

        retention_run_all(write=self.stdout.write, dry_run=dry_run, school_id=options["school"])
        now = timezone.now()
        totals = [0, 0, 0, 0]
        verb = (
            ("would fail", "would delete the file of", "would delete", "would delete preview")
            if dry_run
            else ("failed", "deleted the file of", "deleted", "deleted preview")
        )
        for school in schools:
            if is_paused(school.pk):
                # Suspended by its administrators: its background work waits (ACC-6).
                self.stdout.write(f"school {school.pk} ({school.name}): suspended, skipped")
                continue
            # Each school in its own scope (TEN-4): ORM scope and row-level security.
            with school_scope(school):
                sweep = import_jobs_sweep(school=school, dry_run=dry_run, now=now)
            found = (sweep.stalled, sweep.uploads, sweep.expired, sweep.previews)
            counts = (
                [len(lines) for lines in found]
                if dry_run
                else [
                    sweep.failed,
                    sweep.blanked,
                    sweep.deleted,
                    sweep.previews_deleted,
                ]
            )
            totals = [t + c for t, c in zip(totals, counts, strict=True)]
            self.stdout.write(
                f"school {school.pk} ({school.name}): {counts[0]} stalled, "
                f"{counts[1]} files of finished imports, {counts[2]} expired records, "
                f"{counts[3]} expired previews"
            )
            for what, lines in zip(verb, found, strict=True):
                for line in lines:
                    self.stdout.write(f"  {what} {line}")
        summary = (
            f"{totals[0]} stalled imports, {totals[1]} files of finished imports, "
            f"{totals[2]} expired import records, {totals[3]} expired previews"
        )
        if not dry_run and options["school"] is None:
            # The same hourly sweep deletes expired subject access exports (DSR-9).
            from markbook.privacy.export.services import exports_expire_all

            expired = sum(exports_expire_all(now=now).values())
            self.stdout.write(f"expired subject access exports deleted: {expired}")
            # And queues again the exports whose worker died while building them (DSR-2).
            from markbook.privacy.export.services import exports_requeue_stalled_all

            requeued = sum(exports_requeue_stalled_all(now=now).values())
            self.stdout.write(f"stalled subject access exports queued again: {requeued}")
            # The scheduler has run; the worker shows it runs by taking this task (/health).
            from markbook.core.heartbeat import SCHEDULER, heartbeat_record
            from markbook.core.tasks import worker_heartbeat

            heartbeat_record(component=SCHEDULER)
            worker_heartbeat.enqueue()
        self.stdout.write(("dry run, nothing changed: " if dry_run else "done: ") + summary)
