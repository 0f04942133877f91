"""Remind the administrators of ended schools before their data is deleted (TEN-1).

Run it hourly from cron, beside markbook_import_jobs_sweep. Idempotent: each reminder
(90, 30 and 7 days before) goes once, however often it runs. It deletes nothing: the
retention engine deletes a school's data on `schools.lifecycle.deletion_due_on`.
"""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.schools.lifecycle import REMINDER_DAYS, deletion_reminders_send


class Command(BaseCommand):
    help = (
        "Email the administrators of each ended school "
        + ", ".join(str(d) for d in REMINDER_DAYS)
        + " days before its data is deleted, each reminder once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", metavar="YYYY-MM-DD", help="take this as today's date (a late run)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(
                    f"--today: {options['today']!r} is not a date like 2027-01-31"
                ) from None
        sent = deletion_reminders_send(today=today)
        for reminder in sent:
            self.stdout.write(
                f"school {reminder.school_id}: {reminder.days_before}-day reminder sent to "
                f"{reminder.recipients} administrator{'' if reminder.recipients == 1 else 's'} "
                f"(data deleted on {reminder.deletion_on})"
            )
        self.stdout.write(f"done: {len(sent)} reminders sent")
