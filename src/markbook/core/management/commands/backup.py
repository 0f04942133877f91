"""`markbook backup [--output FILE]`: an encrypted, consistent backup (SEC-5, RET-5)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from markbook.core.backup import backup_write, backup_written


class Command(BaseCommand):
    help = (
        "Write an encrypted backup of the whole database while the site keeps serving; "
        "each school's rows open only with that school's key (see docs/backups.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            metavar="FILE",
            help="where to write it (default: backups/markbook-<time>.mbk in the data directory)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["output"]:
            path = Path(options["output"])
        else:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            path = Path(settings.DATA_DIR) / "backups" / f"markbook-{stamp}.mbk"
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.parent.is_dir():
            raise CommandError(f"--output: the directory {path.parent} does not exist")
        manifest = backup_write(path)
        rows = sum(t["rows"] for t in manifest["tables"])
        left_out = sum(t["left_out"] for t in manifest["tables"])
        backup_written.send(sender=self.__class__, manifest=manifest)
        media = manifest["media"]
        self.stdout.write(
            f"backed up {rows} rows of {len(manifest['tables'])} tables and "
            f"{media['files']} stored files ({media['bytes']} bytes) to {path}"
            + (f" ({left_out} rows of schools whose key is destroyed left out)" if left_out else "")
        )
        if media["missing"]:
            self.stdout.write(
                f"warning: {media['missing']} stored files named by the database were not "
                "on the disk (see docs/backups.md, 'Stored files')"
            )
        self.stdout.write(
            "The keys are not in it: keep a copy of the key store (markbook keys_backup) "
            "and the master key, each apart from the backups."
        )
