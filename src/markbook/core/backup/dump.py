"""`markbook backup`: one consistent snapshot, sealed per owner (SEC-5, RET-5).

The snapshot, while the site keeps serving:
- SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database
  into memory in one step, inside one read transaction of the source, so writers
  in WAL mode are not blocked and the copy is one point in time; the plaintext copy
  never touches the disk. (Markbook's transactions begin IMMEDIATE, which takes the
  write lock, so a long read transaction through Django would hold up every writer.)
- PostgreSQL: one `SERIALIZABLE READ ONLY DEFERRABLE` transaction reads every table.
  DEFERRABLE waits for a snapshot that cannot see a serialization anomaly, then runs
  without taking locks writers wait for and without any risk of being cancelled.
  pg_dump would need the server's binaries, a role that bypasses row-level security,
  and gives one SQL file that cannot be sealed school by school.
"""

import json
import os
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from markbook.core import keys
from markbook.core.backup.media import Found, file_columns, media_write
from markbook.core.backup.tables import (
    FORMAT,
    OUTLIVE_THE_SCHOOL,
    PLATFORM,
    SCHOOL_LABEL,
    Table,
    column,
    encode,
    owner_key,
    related_table,
    school_owner,
    seal,
    tables,
)
from markbook.core.tenancy import all_schools

CHUNK_ROWS = 1000
Reader = Callable[[str], Iterator[tuple[Any, ...]]]


@contextmanager
def _snapshot() -> Iterator[Reader]:
    """A function running one SELECT on a single consistent snapshot of the database."""
    connection.ensure_connection()

    def read(sql: str) -> Iterator[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            while batch := cursor.fetchmany(CHUNK_ROWS):
                yield from batch

    if connection.in_atomic_block:
        # Called inside a transaction (a test, a caller's own): it is the snapshot.
        with all_schools():
            yield read
        return
    if connection.vendor == "sqlite":
        copy = sqlite3.connect(":memory:")
        try:
            connection.connection.backup(copy)

            def read_copy(sql: str) -> Iterator[tuple[Any, ...]]:
                yield from copy.execute(sql)

            yield read_copy
        finally:
            copy.close()
        return
    with all_schools(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE")
        yield read


def _owner_keys() -> dict[str, AESGCM]:
    """Every live owner's backup key (a school without a key yet is given one)."""
    with all_schools():
        school_ids = list(
            apps.get_model(SCHOOL_LABEL)._default_manager.values_list("pk", flat=True)
        )
    platform, schools = keys.key_store(ensure_for=school_ids)
    out = {PLATFORM: owner_key(keys.platform_key_unwrap(platform), PLATFORM)}
    for school_id, wrapped in schools.items():
        if wrapped:
            owner = school_owner(school_id)
            out[owner] = owner_key(keys.unwrap_school_key(school_id, wrapped), owner)
    return out


def backup_write(path: Path) -> dict[str, Any]:
    """Write an encrypted backup of the whole database to `path` (SEC-5); return its
    manifest (tables, row counts, chunks)."""
    every = tables()
    quote = connection.ops.quote_name
    backup_id = uuid.uuid4().hex
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "backup_id": backup_id,
        "created_at": timezone.now().isoformat(),
        "vendor": connection.vendor,
        "migrations": sorted(
            f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
        ),
        "secrets": keys.secret_fingerprints(),
        "tables": [],
    }
    user_table = apps.get_model(settings.AUTH_USER_MODEL)._meta.db_table
    # Owners of person-owned rows, by table and primary key (user first).
    person_owners: dict[str, dict[Any, frozenset[str]]] = defaultdict(dict)
    user_refs: dict[Any, set[str]] = defaultdict(set)
    user_fks = {
        t.name: [column(f) for f in t.model._meta.concrete_fields if related_table(f) == user_table]
        for t in every
    }
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        # Keys first: a school's missing key is created, which the read-only snapshot
        # could not do.
        owner_keys = _owner_keys()
        files: Found = []
        with _snapshot() as read, ZipFile(tmp, "w", ZIP_STORED) as archive:
            for table in every:
                entry = _write_table(
                    table=table,
                    read=read,
                    quote=quote,
                    archive=archive,
                    owner_keys=owner_keys,
                    backup_id=backup_id,
                    user_table=user_table,
                    user_fks=user_fks[table.name],
                    user_refs=user_refs,
                    person_owners=person_owners,
                    files=files,
                )
                manifest["tables"].append(entry)
            manifest["media"] = media_write(archive, files, owner_keys, backup_id)
            archive.writestr("manifest.json", json.dumps(manifest, indent=1), ZIP_DEFLATED)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return manifest


def _write_table(
    *,
    table: Table,
    read: Reader,
    quote: Callable[[str], str],
    archive: ZipFile,
    owner_keys: dict[str, AESGCM],
    backup_id: str,
    user_table: str,
    user_fks: list[str],
    user_refs: dict[Any, set[str]],
    person_owners: dict[str, dict[Any, frozenset[str]]],
    files: Found,
) -> dict[str, Any]:
    """One table's rows, sealed by owner; the stored files its rows name go in `files`,
    with the owners of their row."""
    columns = table.columns
    file_at = file_columns(table)
    pk_at = columns.index(table.pk)
    school_at = columns.index(table.school_column) if table.school_column else None
    user_at = [columns.index(c) for c in user_fks]
    person_at = [(columns.index(c), target) for c, target in table.person_fks]
    is_school = table.model._meta.label == SCHOOL_LABEL
    outlives = table.model._meta.label in OUTLIVE_THE_SCHOOL
    is_user = table.name == user_table
    keep_owners = is_user or bool(table.person_fks)
    sql = (
        f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)} "  # noqa: S608 - model tables, quoted
        f"ORDER BY {quote(table.pk)}"
    )
    buffers: dict[frozenset[str], list[list[Any]]] = defaultdict(list)
    count, chunks, skipped = 0, 0, 0

    with archive.open(f"tables/{table.name}.jsonl", "w") as out:

        def flush(owners: frozenset[str]) -> None:
            nonlocal chunks
            line = seal(buffers.pop(owners), owners, owner_keys, backup_id, table.name, chunks)
            out.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
            chunks += 1

        for row in read(sql):
            owners: frozenset[str]
            if school_at is not None:
                school_id = row[school_at]
                owners = frozenset([PLATFORM if school_id is None else school_owner(school_id)])
                if school_id is not None:
                    for at in user_at:
                        if row[at] is not None:
                            user_refs[row[at]].add(school_owner(school_id))
            elif is_school:
                owners = frozenset([school_owner(row[pk_at])])
            elif is_user:
                owners = frozenset(user_refs.get(row[pk_at]) or [PLATFORM])
            elif person_at:
                found: set[str] = set()
                for at, target in person_at:
                    found |= person_owners[target].get(row[at], frozenset())
                # A row of a person who was left out is left out too, never sealed for
                # the platform instead.
                left_out = any(
                    person_owners[target].get(row[at]) == frozenset() for at, target in person_at
                )
                owners = frozenset(found or ([] if left_out else [PLATFORM]))
            else:
                owners = frozenset([PLATFORM])
            # A school whose key is gone is already forgotten: its rows are left out,
            # but for the records that outlive it, which no key of its own opens now.
            live = frozenset(o for o in owners if o in owner_keys)
            if not live and outlives:
                live = frozenset([PLATFORM])
            if not live:
                if keep_owners:
                    person_owners[table.name][row[pk_at]] = frozenset()
                skipped += 1
                continue
            if keep_owners:
                person_owners[table.name][row[pk_at]] = live
            buffers[live].append([encode(v) for v in row])
            files.extend((live, row[at]) for at in file_at if row[at])
            count += 1
            if len(buffers[live]) >= CHUNK_ROWS:
                flush(live)
        for owners in list(buffers):
            flush(owners)
    return {
        "name": table.name,
        "columns": columns,
        "rows": count,
        "chunks": chunks,
        "left_out": skipped,
    }
