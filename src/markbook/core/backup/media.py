"""The stored files of a backup (SEC-5, RET-5): every file a row's `FileField` names
(teachers' prompt images and sound), sealed like that row, under its school's key.

A file is one line of `media.jsonl`: a chunk of one row `[name, base64 content]`,
sealed for the same owners as the row that names it, so a deleted school's files
cannot be opened from an old backup either. Files are written once under a random
name and never changed, so reading them just after the database's snapshot gives the
snapshot's files; a file already gone from the disk is counted as missing.
"""

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from zipfile import ZipFile

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models

from markbook.core.backup.tables import Table, column, open_chunk, seal

ENTRY = "media.jsonl"
TABLE = "media"  # the name files are sealed under (in each chunk's associated data)

Found = list[tuple[frozenset[str], str]]  # (owners, stored name) of each file


def file_columns(table: Table) -> list[int]:
    """Where in a table's rows the names of stored files are."""
    return [
        table.columns.index(column(f))
        for f in table.model._meta.concrete_fields
        if isinstance(f, models.FileField)
    ]


def media_write(
    archive: ZipFile, found: Found, owner_keys: dict[str, AESGCM], backup_id: str
) -> dict[str, int]:
    """Seal each file named by a backed-up row into the archive; return the counts."""
    written = size = missing = 0
    with archive.open(ENTRY, "w") as out:
        for owners, name in found:
            try:
                with default_storage.open(name, "rb") as stored:
                    content = stored.read()
            except FileNotFoundError:
                missing += 1
                continue
            row = [name, base64.b64encode(content).decode(), hashlib.sha256(content).hexdigest()]
            line = seal([row], owners, owner_keys, backup_id, TABLE, written)
            out.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
            written += 1
            size += len(content)
    return {"files": written, "bytes": size, "missing": missing}


def _stored_names() -> set[str]:
    """The file names the restored rows point at."""
    names: set[str] = set()
    for model in apps.get_models():
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        for name in fields:
            names |= set(model._base_manager.exclude(**{name: ""}).values_list(name, flat=True))
    return names


def _target(name: str) -> Path:
    """The file's place under the media folder; a name leaving it is refused."""
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ValueError(f"a stored file's name leaves the media folder: {name!r}")
    return Path(default_storage.path(str(relative)))


def media_read(
    archive: ZipFile, owner_keys: dict[str, AESGCM], backup_id: str
) -> Iterator[tuple[str, bytes] | None]:
    """Each file of the backup as (name, content), or None for one no key opens."""
    if ENTRY not in archive.namelist():
        return
    with archive.open(ENTRY) as lines:
        for line in lines:
            rows = open_chunk(json.loads(line), owner_keys, backup_id, TABLE)
            if rows is None:
                yield None
                continue
            name, encoded, digest = rows[0]
            content = base64.b64decode(encoded)
            if hashlib.sha256(content).hexdigest() != digest:
                raise ValueError(f"the stored file {name} fails its checksum")
            yield name, content


def media_restore(
    archive: ZipFile, owner_keys: dict[str, AESGCM], backup_id: str, paths: list[Path]
) -> tuple[int, int]:
    """Write back the files the restored rows name; return (written, unreadable). Called
    inside the restore's transaction, each file's place added to `paths` once written,
    so that a restore that fails afterwards removes them again."""
    wanted = _stored_names()
    written, unreadable = 0, 0
    for item in media_read(archive, owner_keys, backup_id):
        if item is None:
            unreadable += 1
            continue
        name, content = item
        if name not in wanted:  # its row was left out (a link to an unreadable row)
            continue
        target = _target(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        part.write_bytes(content)
        part.replace(target)
        paths.append(target)
        written += 1
    return written, unreadable
