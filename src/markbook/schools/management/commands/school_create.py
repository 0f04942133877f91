"""Create a school and its first administrator, printing the one-time temporary password."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.schools.models import Trust
from markbook.schools.services import school_create


class Command(BaseCommand):
    help = "Create a school with its data key and first administrator."  # TEN-1, ACC-2

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--urn", default=None, help="DfE URN, 6 digits")
        parser.add_argument("--domain", action="append", default=[], help="repeatable")
        parser.add_argument("--trust-id", type=int, default=None)

    def handle(self, *args: object, **opts: Any) -> None:
        trust = None
        if opts["trust_id"] is not None:
            trust = Trust.objects.filter(pk=opts["trust_id"]).first()
            if trust is None:
                raise CommandError(f"No trust with id {opts['trust_id']}.")
        try:
            created = school_create(
                name=opts["name"],
                admin_email=opts["admin_email"],
                urn=opts["urn"],
                trust=trust,
                email_domains=opts["domain"],
            )
        except ValidationError as error:
            problems = "; ".join(
                f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items()
            )
            raise CommandError(f"School not created. {problems}") from error
        self.stdout.write(f"Created {created.school.name} (id {created.school.pk}).")
        self.stdout.write(f"Administrator: {created.admin.email}")
        self.stdout.write(
            f"Temporary password (shown once; must be changed at first sign-in): {created.temporary_password}"
        )
