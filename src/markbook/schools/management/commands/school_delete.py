"""Delete an ended school's data and its key, at the school's request: platform staff
(TEN-1, RET-5). Without --confirm it only shows what would go; the deletion needs the
code that showing it printed, so it deletes exactly what was shown.

markbook school_delete --school 12
markbook school_delete --school 12 --by support@markbook.example --reason "Asked by the head" --confirm 3f2a...
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.accounts.models import User
from markbook.schools.deletion import (
    DeletionRefused,
    kept_described,
    school_delete,
    school_deletion_plan,
)
from markbook.schools.models import School


class Command(BaseCommand):
    help = (
        "Show what deleting an ended school's data would delete; with --confirm CODE "
        "(the code shown), delete it and destroy the school's key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", type=int, required=True, metavar="ID")
        parser.add_argument("--by", metavar="EMAIL", help="the platform staff deleting it")
        parser.add_argument("--reason", help="why, for the platform's log")
        parser.add_argument("--confirm", metavar="CODE", help="the code the plan showed")

    def handle(self, *args: Any, **opts: Any) -> None:
        school = School.objects.filter(pk=opts["school"]).first()
        if school is None:
            deleted = School.records.filter(pk=opts["school"], deleted_at__isnull=False).first()
            if deleted is not None:
                raise CommandError(
                    f"The data of {deleted.name} was deleted on {deleted.deleted_at:%-d %B %Y}."
                )
            raise CommandError(f"No school with id {opts['school']}.")
        plan = school_deletion_plan(school)
        write = self.stdout.write
        write(f"Deleting the data of {school.name} (id {school.pk}) would delete:")
        for table in plan.tables:
            write(f"  {table.rows:>8}  {table.name} ({table.label})")
        write(f"  {plan.accounts:>8}  accounts of nobody else")
        write(f"  {plan.log_events:>8}  entries of its access log")
        write(f"  {plan.rows:>8}  rows of the school's tables in all, and the school's key")
        if plan.accounts_kept:
            write(f"Kept: {plan.accounts_kept} accounts of other schools, without this school.")
        for line in kept_described(plan):
            write(f"Kept: {line}.")
        if plan.refusals:
            raise CommandError("It cannot be deleted now. " + " ".join(plan.refusals))
        if not opts["confirm"]:
            write(f"To delete it: --by EMAIL --reason TEXT --confirm {plan.fingerprint}")
            return
        actor = User.objects.filter(email__iexact=opts["by"] or "", is_platform_staff=True).first()
        if actor is None:
            raise CommandError("--by: give the email of a platform staff account.")
        try:
            outcome = school_delete(
                school=school,
                fingerprint=opts["confirm"],
                actor=actor,
                reason=opts["reason"] or "",
            )
        except ValidationError as error:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            raise CommandError(f"Not deleted. {problems}") from error
        except DeletionRefused as error:
            raise CommandError(f"Not deleted. {error}") from error
        write(
            f"Deleted {outcome.rows} rows of {school.name} (its {outcome.accounts} accounts "
            f"of nobody else among them) and {outcome.log_events} entries of its access "
            "log; its key is destroyed. "
            "Rotate the master key and replace the key store copy next (docs/backups.md)."
        )
