"""Change a school's subscription state, for a recorded reason: platform staff (TEN-1).

markbook school_status --school 12 --status ended --reason "Not renewed" --by support@markbook.example
"""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.accounts.models import User
from markbook.schools.lifecycle import deletion_due_on, school_status_change
from markbook.schools.models import School


def _date(value: str) -> date | None:
    if value in ("", "none"):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date like 2027-08-31 (or 'none')") from None


class Command(BaseCommand):
    help = "Move a school to trial, active, suspended or ended, with a reason."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", type=int, required=True, metavar="ID")
        parser.add_argument("--status", required=True, choices=School.Status.values)
        parser.add_argument("--reason", required=True)
        parser.add_argument("--by", required=True, metavar="EMAIL", help="the platform staff")
        parser.add_argument("--trial-ends", metavar="YYYY-MM-DD|none")
        parser.add_argument("--subscription-ends", metavar="YYYY-MM-DD|none")
        parser.add_argument("--ended-on", metavar="YYYY-MM-DD", help="default: today")

    def handle(self, *args: Any, **opts: Any) -> None:
        school = School.objects.filter(pk=opts["school"]).first()
        if school is None:
            raise CommandError(f"No school with id {opts['school']}.")
        actor = User.objects.filter(email__iexact=opts["by"], is_platform_staff=True).first()
        if actor is None:
            raise CommandError(f"{opts['by']} is not a platform staff account.")
        dates: dict[str, Any] = {}
        if opts["trial_ends"] is not None:
            dates["trial_ends"] = _date(opts["trial_ends"])
        if opts["subscription_ends"] is not None:
            dates["subscription_ends"] = _date(opts["subscription_ends"])
        if opts["ended_on"]:
            dates["ended_on"] = _date(opts["ended_on"])
        try:
            school = school_status_change(
                actor=actor, school=school, status=opts["status"], reason=opts["reason"], **dates
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{name}: {' '.join(msgs)}" for name, msgs in error.message_dict.items()
            )
            raise CommandError(f"Not changed. {problems}") from error
        self.stdout.write(f"{school.name} (id {school.pk}) is now {school.status}.")
        if due := deletion_due_on(school):
            self.stdout.write(f"Its data is due to be deleted on {due}.")
