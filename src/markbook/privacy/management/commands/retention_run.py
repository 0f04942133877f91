"""Run the retention rules, school by school (RET-1, RET-3, RET-4).

Run it from cron (the hourly sweep runs it too: markbook_import_jobs_sweep). Idempotent:
a second run deletes nothing more. --dry-run lists what would go and changes nothing.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.core.tenancy import school_scope
from markbook.privacy.models import RetentionRun
from markbook.privacy.retention.engine import RetentionBusy, retention_plan, retention_run
from markbook.privacy.retention.rules import RULES
from markbook.rosters.models import Pupil
from markbook.schools.models import School


def retention_run_all(
    *, write: Any, dry_run: bool = False, school_id: int | None = None
) -> dict[str, int]:
    """Run (or dry-run) every school, or one, each in its own scope (TEN-4), writing
    progress lines with `write`; the totals per category."""
    # Deleted schools too: their contract records stay until their own end (RET-1).
    schools = School.records.order_by("pk")
    if school_id is not None:
        schools = schools.filter(pk=school_id)
        if not schools.exists():
            raise CommandError(f"--school: no school with id {school_id}")
    totals = dict.fromkeys(RULES, 0)

    def progress(run: RetentionRun) -> None:
        # A long run shows progress: about every tenth of the people it deletes.
        people = run.progress_total - 2
        step = max(1, people // 10)
        if people > 0 and run.state == RetentionRun.State.RUNNING and run.progress_done % step == 0:
            write(f"  school {run.school_id}: {run.progress_done} of {run.progress_total} done")

    for school in schools:
        with school_scope(school):
            if dry_run:
                plan = retention_plan(school=school)
                for key, due in plan.categories.items():
                    for subject in due.people:
                        kind = "pupil" if isinstance(subject, Pupil) else "account"
                        write(f"  due ({key}): {kind} {subject.pk}")
            try:
                run = retention_run(school=school, dry_run=dry_run, progress=progress)
            except RetentionBusy as busy:
                write(f"school {school.pk} ({school.name}): skipped: {busy}")
                continue
        counts = {k: int(v) for k, v in run.counts.items() if k in RULES}
        for key, value in counts.items():
            totals[key] += value
        said = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items() if v)
        held = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in run.held.items())
        write(
            f"school {school.pk} ({school.name}) retention: "
            + (f"due {said}" if dry_run and said else f"deleted {said}" if said else "")
            + ("nothing due" if not said else "")
            + (f"; held back by legal holds: {held}" if held else "")
        )
    return totals


class Command(BaseCommand):
    help = (
        "Apply the retention rules: delete what is due at each school (through the "
        "erasure engine), except what a legal hold keeps; counts go to each school's "
        "access log. --dry-run lists what would go and changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would go; change nothing"
        )
        parser.add_argument("--school", metavar="ID", type=int, help="only this school")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        totals = retention_run_all(
            write=self.stdout.write, dry_run=dry_run, school_id=options["school"]
        )
        summary = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in totals.items())
        self.stdout.write(("dry run, nothing changed: " if dry_run else "done: ") + summary)
