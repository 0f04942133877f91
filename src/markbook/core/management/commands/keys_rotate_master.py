"""`markbook keys_rotate_master`: re-wrap every key under a new master key (SEC-5, RET-5)."""

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from markbook.core import keys


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


class Command(BaseCommand):
    help = (
        "Generate a new master key and re-wrap every school key and the platform key "
        "under it, in one transaction. The data keys do not change: the database's "
        "encrypted fields and every backup stay readable; key store copies made before "
        "are readable only with the old master key, so destroy it afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--new-key-file",
            metavar="FILE",
            help="where the new master key is written first (default: master-key.new in "
            "the data directory)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = Path(settings.DATA_DIR)
        new_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        # Written before anything is re-wrapped, so that a crash between the commit and
        # the secrets file's update cannot lose the key the store is now wrapped by.
        key_file = Path(options["new_key_file"] or data_dir / "master-key.new")
        _write_private(key_file, new_key + "\n")
        count = keys.master_rotate(new_master_key=new_key)
        settings.MARKBOOK_MASTER_KEY = new_key
        secrets_file = data_dir / "secrets.json"
        if "MARKBOOK_MASTER_KEY" not in os.environ and secrets_file.exists():
            stored = json.loads(secrets_file.read_text())
            stored["MARKBOOK_MASTER_KEY"] = new_key
            _write_private(secrets_file, json.dumps(stored, indent=2))
            key_file.unlink()
            self.stdout.write(
                f"re-wrapped {count} keys under a new master key, stored in {secrets_file}. "
                "Restart Markbook, then make a new key store copy (markbook keys_backup) "
                "and destroy the copies made before."
            )
            return
        self.stdout.write(
            f"re-wrapped {count} keys under a new master key, written to {key_file}. Set "
            "MARKBOOK_MASTER_KEY to it in the deployment's secrets and restart now (the old "
            "key no longer opens the key store), delete that file, make a new key store "
            "copy (markbook keys_backup) and destroy the copies made before."
        )
