"""`markbook keys_backup --output FILE`: a copy of the key store, wrapped keys only (SEC-5)."""

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.core.backup.load import keys_file_data


class Command(BaseCommand):
    help = (
        "Write a copy of the key store (every school's data key and the platform key, "
        "wrapped by the master key; a destroyed key appears only as destroyed). Keep it "
        "apart from the backups, and replace it after every school deletion."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", metavar="FILE", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["output"])
        if not path.parent.is_dir():
            raise CommandError(f"--output: the directory {path.parent} does not exist")
        data = keys_file_data()
        tmp = path.with_name(path.name + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, path)
        live = sum(1 for s in data["schools"] if s["wrapped_key"])
        self.stdout.write(
            f"wrote the key store to {path}: {live} school keys, "
            f"{len(data['schools']) - live} destroyed, and the platform key"
        )
