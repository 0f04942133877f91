"""Markbook's platform staff, on the server only (TEN-6, SEC-3): list, add, end.

markbook platform_staff list
markbook platform_staff add support@markbook.example --first-name Sam --last-name Patel
markbook platform_staff end support@markbook.example
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.accounts.models import User
from markbook.support.staff import platform_staff, platform_staff_add, platform_staff_end


def _problems(error: ValidationError) -> str:
    return "; ".join(" ".join(messages) for messages in error.message_dict.values())


class Command(BaseCommand):
    help = "List, add or end Markbook's platform staff accounts (recorded in the platform's log)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="the platform staff who can sign in")
        add = actions.add_parser("add", help="a new account, with a one-time password")
        add.add_argument("email")
        add.add_argument("--first-name", required=True)
        add.add_argument("--last-name", required=True)
        end = actions.add_parser(
            "end", help="stop an account at once and end its live support grants"
        )
        end.add_argument("email")

    def handle(self, *args: Any, **opts: Any) -> None:
        write = self.stdout.write
        if opts["action"] == "list":
            staff = platform_staff()
            for user in staff:
                write(f"{user.email}  {user.get_full_name()}")
            write(f"{len(staff)} platform staff account{'' if len(staff) == 1 else 's'}.")
            return
        if opts["action"] == "add":
            try:
                user, password = platform_staff_add(
                    email=opts["email"], first_name=opts["first_name"], last_name=opts["last_name"]
                )
            except ValidationError as error:
                raise CommandError(f"Not added. {_problems(error)}") from error
            write(f"Added {user.get_full_name()} <{user.email}> as platform staff.")
            write(f"One-time password (to be changed at first sign-in): {password}")
            return
        found = User.objects.filter(email__iexact=opts["email"].strip()).first()
        if found is None:
            raise CommandError(f"No account has the address {opts['email']}.")
        try:
            grants = platform_staff_end(user=found)
        except ValidationError as error:
            raise CommandError(f"Nothing changed. {_problems(error)}") from error
        write(
            f"Ended {found.email}: it can no longer sign in; {grants} live support "
            f"grant{'' if grants == 1 else 's'} ended (each in its school's log)."
        )
