"""Verify the access log's hash chains (SEC-1); exit status 1 when any chain is broken.

Each chain is recomputed from its latest checkpoint with the audit key, and compared
with the heads `audit_heads_write` recorded outside the database (audit/heads.py):
a chain rewritten consistently is reported as tampered there, naming school and seq.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.audit.chain import CHANGED
from markbook.audit.heads import head_file, heads_check
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
        heads = heads_check()
        broken = {b.school_id for b in result.breaks}  # reported once, at the first break
        chains: list[int | None] | None = None  # None: every chain
        if school is not None:
            chains = [None] if school == "platform" else [int(school)]
        tampered = [
            b
            for b in heads.breaks
            if b.school_id not in broken and (chains is None or b.school_id in chains)
        ]
        if not result.breaks and not tampered and not heads.unreadable:
            self.stdout.write(f"ok: {result.chains} chains, {result.events} events")
            return
        for b in result.breaks:
            self.stderr.write(
                f"broken: {_chain(b.school_id)}, first broken link at seq {b.seq} "
                f"(event id {b.event_id}): {b.reason}"
            )
        for b in tampered:
            self.stderr.write(
                f"tampered: {_chain(b.school_id)}, seq {b.seq} (event id {b.event_id}): {b.reason}"
            )
        if heads.unreadable:
            lines = ", ".join(str(n) for n in heads.unreadable)
            self.stderr.write(f"unreadable: {head_file()} lines {lines} are not chain heads")
        every = result.chains > 1 and len(broken) == result.chains
        if every and all(b.reason == CHANGED for b in result.breaks):
            self.stderr.write(
                "every chain is broken the same way, an event hash that does not match: "
                "unless every chain was altered, the log was written under another audit "
                "key (MARKBOOK_AUDIT_KEY, or MARKBOOK_HASH_KEY it is derived from when "
                "unset), as after a restore on another installation. Set the key of the "
                "installation that wrote it."
            )
        raise CommandError(
            f"{len(result.breaks) + len(tampered)} of {result.chains} chains broken "
            f"({result.events} events)"
            + ("; the head file has unreadable lines" * bool(heads.unreadable))
        )


def _chain(school_id: int | None) -> str:
    return "platform" if school_id is None else f"school {school_id}"
