"""Scan every table of the database for a person (DSR-4): after an erasure it should
find nothing but the anonymised references. Exit status 1 when it finds something."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.accounts.models import User
from markbook.core.tenancy import school_scope
from markbook.privacy.erasure import database_scan, person_of
from markbook.privacy.erasure.person import person_described
from markbook.rosters.models import Pupil
from markbook.schools.models import School


class Command(BaseCommand):
    help = (
        "Look through every table of the database for a person's names, usernames, email "
        "addresses, UPN and ids: a pupil or account that still exists by --pupil or --user, "
        "or one already erased by what is known of them (--name, --email, ...)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, metavar="ID", help="the school's id")
        parser.add_argument("--pupil", type=int, metavar="ID", help="the pupil's (former) id")
        parser.add_argument("--user", type=int, metavar="ID", help="the account's (former) id")
        parser.add_argument("--name", default="", help='the full name, "First Last"')
        parser.add_argument("--username", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--upn", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        key = options["school"]
        school = School.objects.filter(pk=int(key)).first() if str(key).isdigit() else None
        if school is None:
            raise CommandError(f"--school: no school with id {key!r}")
        with school_scope(school):
            person = self._person(school, options)
            hits = database_scan(person)
        if not hits:
            self.stdout.write(f"nothing found: {len(person.identifiers())} identifiers looked for")
            return
        for hit in hits:
            self.stdout.write(f"found: {hit}")
        raise CommandError(f"{len(hits)} place(s) still hold this person's data")

    def _person(self, school: School, options: dict[str, Any]) -> Any:
        pupil = Pupil.objects.filter(pk=options["pupil"]).first() if options["pupil"] else None
        user = User.objects.filter(pk=options["user"]).first() if options["user"] else None
        if pupil is not None or user is not None:
            return person_of(school=school, subject=pupil or user)  # type: ignore[arg-type]
        first, _, last = options["name"].strip().partition(" ")
        if not any(options[k] for k in ("pupil", "user", "name", "username", "email", "upn")):
            raise CommandError("say who: --pupil, --user, or --name, --email, --username, --upn")
        return person_described(
            school=school,
            pupil_id=options["pupil"],
            user_id=options["user"],
            first_name=first,
            last_name=last.strip(),
            username=options["username"],
            email=options["email"],
            upn=options["upn"],
        )
