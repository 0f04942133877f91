"""Append each access-log chain's head to the head file (SEC-1); run it from cron."""

from typing import Any

from django.core.management.base import BaseCommand

from markbook.audit.heads import head_file, heads_write


class Command(BaseCommand):
    help = (
        "Append the head (last seq and hash) of every access-log chain that moved to the "
        "append-only head file (MARKBOOK_AUDIT_HEAD_FILE), for audit_verify to compare."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        written = heads_write()
        self.stdout.write(f"{written} chain heads written to {head_file()}")
