"""Verify the access log's hash chains (SEC-1); exit status 1 when any chain is broken."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.audit.services import chains_verify
from markbook.schools.models import School


class Command(BaseCommand):
    help = (
        "Verify every access-log chain (or one school's) and report the first broken link "
        "of each broken chain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--school",
            metavar="ID",
            help="verify only this school's chain ('platform' for the platform's own chain)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        school = options["school"]
        if school is None:
            result = chains_verify()
        elif school == "platform":
            result = chains_verify(platform=True)
        else:
            if not school.isdigit() or not School.objects.filter(pk=int(school)).exists():
                raise CommandError(f"--school: no school with id {school!r}")
            result = chains_verify(school_id=int(school))
        if not result.breaks:
            self.stdout.write(f"ok: {result.chains} chains, {result.events} events")
            return
        for b in result.breaks:
            chain = "platform" if b.school_id is None else f"school {b.school_id}"
            self.stderr.write(
                f"broken: {chain}, first broken link at seq {b.seq} (event id {b.event_id}): "
                f"{b.reason}"
            )
        raise CommandError(
            f"{len(result.breaks)} of {result.chains} chains broken ({result.events} events)"
        )
