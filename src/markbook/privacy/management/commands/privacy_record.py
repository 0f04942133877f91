"""Print the record of processing, generated from the data inventory (DSR-1)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from markbook.privacy.record import processing_rows, record_csv, record_markdown


class Command(BaseCommand):
    help = "Print the record of processing: one row per personal field of every model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format", choices=("markdown", "csv"), default="markdown", help="default: markdown"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = processing_rows()
        render = record_csv if options["format"] == "csv" else record_markdown
        self.stdout.write(render(rows), ending="")
