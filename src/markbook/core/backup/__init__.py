"""Encrypted logical backups that forget a deleted school (SEC-5, RET-5).

`markbook backup` writes a zip of per-table JSON lines; every line is a chunk of
rows sealed with AES-GCM under a random chunk key, and the chunk key is wrapped
under the backup key of each owner of those rows: a school (its key derived from
the school's data key in `core.keys`) or the platform (the platform key). The keys
themselves are never in the backup: they stay in the key store (the `SchoolKey`
and `PlatformKey` tables, wrapped by the master key), which `markbook keys_backup`
copies separately. Destroying a school's key therefore makes every old backup's
rows of that school unreadable, while the other schools restore whole.

See docs/backups.md for the format, the key store, rotation and restore steps.
"""

from django.dispatch import Signal

from markbook.core.backup.dump import backup_write
from markbook.core.backup.load import RestoreRefused, RestoreResult, restore_read

# Sent by `markbook backup` once a backup is written, with its `manifest`: the access
# log records it (audit/apps.py; core imports nothing above it).
backup_written = Signal()
# Sent by `markbook restore` once a backup is restored, with its `result`.
backup_restored = Signal()

__all__ = [
    "RestoreRefused",
    "RestoreResult",
    "backup_restored",
    "backup_write",
    "backup_written",
    "restore_read",
]
