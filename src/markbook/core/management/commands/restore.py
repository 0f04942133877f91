"""`markbook restore FILE [--keys KEYFILE]`: a backup into an empty database (SEC-5, RET-5)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from markbook.core.backup import RestoreRefused, backup_restored, restore_read


class Command(BaseCommand):
    help = (
        "Restore a backup made by `markbook backup` into an empty, migrated database. "
        "Rows of a school whose key is destroyed cannot be opened: they are counted and "
        "left out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--keys",
            metavar="KEYFILE",
            help="a copy of the key store made by `markbook keys_backup` (without it, the "
            "key store already in this database is used)",
        )
        parser.add_argument(
            "--secrets-lost",
            action="store_true",
            help="restore although the backup was made under another MARKBOOK_HASH_KEY or "
            "MARKBOOK_AUDIT_KEY, because those are lost for good: the access log up to the "
            "restore will not verify, and erased people are no longer kept out of imports",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no backup file at {path}")
        keys_path = Path(options["keys"]) if options["keys"] else None
        if keys_path is not None and not keys_path.is_file():
            raise CommandError(f"--keys: no key store copy at {keys_path}")
        try:
            result = restore_read(path, keys_path=keys_path, secrets_lost=options["secrets_lost"])
        except RestoreRefused as e:
            raise CommandError(str(e)) from e
        backup_restored.send(sender=self.__class__, result=result)
        self.stdout.write(
            f"restored {result.total} rows of {len(result.restored)} tables and "
            f"{result.files} stored files"
        )
        if result.files_unreadable:
            self.stdout.write(
                f"left out {result.files_unreadable} stored files that no key can open"
            )
        if result.unreadable:
            schools = ", ".join(str(s) for s in sorted(result.unreadable_schools))
            self.stdout.write(
                f"left out {sum(result.unreadable.values())} rows that no key can open "
                f"(schools whose key is destroyed: {schools or 'none'}):"
            )
            for table, n in sorted(result.unreadable.items()):
                self.stdout.write(f"  {table}: {n}")
        for table, n in sorted(result.dropped.items()):
            self.stdout.write(f"  left out {n} rows of {table} that belonged to those rows")
        for column, n in sorted(result.unlinked.items()):
            self.stdout.write(f"  cleared {n} links in {column} to rows left out")
        if result.secrets_differ:
            self.stdout.write(
                f"restored under another {' and '.join(result.secrets_differ)} than the "
                "backup's (--secrets-lost):"
            )
            if "MARKBOOK_HASH_KEY" in result.secrets_differ:
                self.stdout.write(
                    "  the pupils' UPN hashes were made again with the new key; erased "
                    "people's hashes cannot be, so imports no longer keep them out: check "
                    "each import's new pupils against the schools' erasure records"
                )
            self.stdout.write(
                "  the access log up to this restore will not verify under the new key "
                "(audit_verify reports it); keep this output with the incident record"
            )
            return
        self.stdout.write("Next: markbook audit_verify")
