"""`markbook restore`: a backup back into an empty database (SEC-5, RET-5).

Rows whose every owner's key is gone (a deleted school) cannot be opened and are
counted, not restored; links from restored rows to them are then cleared (a
nullable link) or the linking row goes too (a required one), so what is restored
is consistent. Everything happens in one transaction: a restore is whole or absent.
"""

import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zipfile import BadZipFile, ZipFile

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from markbook.core import keys
from markbook.core.backup.media import media_restore
from markbook.core.backup.tables import (
    FORMAT,
    PLATFORM,
    REPLACED,
    SCHOOL_LABEL,
    WrongKey,
    column,
    decode,
    open_chunk,
    owner_key,
    related_table,
    school_owner,
    tables,
)
from markbook.core.models import PlatformKey, SchoolKey
from markbook.core.tenancy import all_schools

KEYS_FORMAT = "markbook-keys/1"


class RestoreRefused(Exception):
    """The restore cannot start; the message says why and what to do."""


@dataclass
class RestoreResult:
    restored: Counter[str] = field(default_factory=Counter)  # rows by table
    unreadable: Counter[str] = field(default_factory=Counter)  # rows by table
    unreadable_schools: set[int] = field(default_factory=set)
    unlinked: Counter[str] = field(default_factory=Counter)  # "table.column" cleared
    dropped: Counter[str] = field(default_factory=Counter)  # rows by table, link gone
    files: int = 0  # stored files written back (practice images and sound)
    files_unreadable: int = 0  # files of schools whose key is destroyed
    # The bound secrets it was restored under that differ from the backup's (only
    # with `secrets_lost`): core.keys.BOUND_SECRETS.
    secrets_differ: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.restored.values())


def keys_file_read(path: Path) -> tuple[bytes, dict[int, bytes]]:
    """The wrapped platform key and school keys of a key-store copy (`keys_backup`)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise RestoreRefused(f"cannot read the key store copy {path}: {e}") from e
    if not isinstance(data, dict) or data.get("format") != KEYS_FORMAT:
        raise RestoreRefused(f"{path} is not a Markbook key store copy ({KEYS_FORMAT})")
    schools = {int(s["school"]): base64.b64decode(s["wrapped_key"] or "") for s in data["schools"]}
    return base64.b64decode(data["platform"]), schools


def keys_file_data() -> dict[str, Any]:
    """A copy of the key store: wrapped keys only, readable only with the master key."""
    platform, schools = keys.key_store()
    return {
        "format": KEYS_FORMAT,
        "platform": base64.b64encode(platform).decode(),
        "schools": [
            {"school": sid, "wrapped_key": base64.b64encode(w).decode() if w else None}
            for sid, w in sorted(schools.items())
        ],
    }


def _manifest(archive: ZipFile) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as e:
        raise RestoreRefused("the file has no readable manifest: not a Markbook backup") from e
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(f"not a Markbook backup of format {FORMAT}")
    return manifest


def _check_compatible(manifest: dict[str, Any]) -> None:
    if manifest["vendor"] != connection.vendor:
        raise RestoreRefused(
            f"the backup was made on {manifest['vendor']}; this database is "
            f"{connection.vendor}. Restore it into a {manifest['vendor']} database."
        )
    applied = sorted(
        f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
    )
    if applied != manifest["migrations"]:
        missing = sorted(set(manifest["migrations"]) - set(applied))
        extra = sorted(set(applied) - set(manifest["migrations"]))
        raise RestoreRefused(
            "the database's migrations differ from the backup's: "
            f"missing {missing[:5] or 'none'}, not in the backup {extra[:5] or 'none'}. "
            "Run the Markbook version that made the backup, migrated to the same state."
        )
    current = {t.name: t.columns for t in tables()}
    for entry in manifest["tables"]:
        if current.get(entry["name"]) != entry["columns"]:
            raise RestoreRefused(f"table {entry['name']} differs from the backup's")


def _check_secrets(manifest: dict[str, Any]) -> list[str]:
    """The bound secrets (core.keys.BOUND_SECRETS) that differ from the ones the backup
    was made under; a backup of before the fingerprints were kept has none to compare."""
    made_under = manifest.get("secrets") or {}
    here = keys.secret_fingerprints()
    return [name for name in here if name in made_under and made_under[name] != here[name]]


def secrets_refusal(names: list[str]) -> str:
    """Why a restore under other secrets is refused, and what to do."""
    said = "; ".join(f"with another {name}, {keys.BOUND_SECRETS[name]}" for name in names)
    both, values = " and ".join(names), "values" if len(names) > 1 else "value"
    return (
        f"this backup was made under another {both} than this installation's: {said}. "
        f"Set {both} to the {values} of the installation that made the backup (its "
        "environment, or its var/secrets.json) and restore again. Only if lost for good, "
        "restore with --secrets-lost."
    )


def _check_empty(with_keys_file: bool) -> None:
    quote = connection.ops.quote_name
    held = []
    checked = [t.name for t in tables() if t.name not in REPLACED]
    if with_keys_file:
        checked += [SchoolKey._meta.db_table, PlatformKey._meta.db_table]
    with connection.cursor() as cursor:
        for name in checked:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")  # noqa: S608 - model tables
            (n,) = cursor.fetchone()
            if n:
                held.append(f"{name}: {n}")
    if held:
        raise RestoreRefused(
            "a restore needs an empty database, and this one holds data "
            f"({len(held)} tables: {', '.join(held[:8])}{', ...' if len(held) > 8 else ''}). "
            "Restore into a new database, migrated and otherwise untouched."
        )


def _owner_keys(
    platform: bytes, schools: dict[int, bytes]
) -> tuple[dict[str, AESGCM], dict[int, bytes]]:
    try:
        raw = keys.platform_key_unwrap(platform)
    except (InvalidTag, ValueError) as e:
        raise RestoreRefused(
            "the master key does not open this key store: set MARKBOOK_MASTER_KEY to the "
            "master key the key store copy was made under"
        ) from e
    out = {PLATFORM: owner_key(raw, PLATFORM)}
    live = {}
    for school_id, wrapped in schools.items():
        if not wrapped:
            continue
        owner = school_owner(school_id)
        out[owner] = owner_key(keys.unwrap_school_key(school_id, wrapped), owner)
        live[school_id] = wrapped
    return out, live


def restore_read(
    path: Path, *, keys_path: Path | None = None, secrets_lost: bool = False
) -> RestoreResult:
    """Restore the backup at `path` into this empty database (SEC-5), with the key store
    copy at `keys_path` or, without one, the key store already in the database.

    Refused when the backup was made under another MARKBOOK_HASH_KEY or
    MARKBOOK_AUDIT_KEY, unless `secrets_lost` (the old ones are gone for good): the
    result then names them in `secrets_differ`."""
    try:
        archive = ZipFile(path)
    except (OSError, BadZipFile) as e:
        raise RestoreRefused(f"cannot open {path} as a Markbook backup: {e}") from e
    with archive, all_schools():
        manifest = _manifest(archive)
        _check_compatible(manifest)
        differ = _check_secrets(manifest)
        if differ and not secrets_lost:
            raise RestoreRefused(secrets_refusal(differ))
        _check_empty(with_keys_file=keys_path is not None)
        if keys_path is not None:
            platform, schools = keys_file_read(keys_path)
        elif not PlatformKey.objects.exists():
            raise RestoreRefused(
                "this database has no key store: give the key store copy with --keys"
            )
        else:
            platform, schools = keys.key_store()
        owner_keys, live_schools = _owner_keys(platform, schools)
        written: list[Path] = []
        try:
            with transaction.atomic():
                result = _load(archive, manifest, owner_keys)
                result.secrets_differ = differ
                if keys_path is not None:
                    _keys_insert(platform, live_schools)
                else:
                    _keys_prune()
                connection.check_constraints()
                # Last, so that a restore that fails leaves no file behind either.
                result.files, result.files_unreadable = media_restore(
                    archive, owner_keys, manifest["backup_id"], written
                )
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    keys.forget_cached_keys()
    return result


def _load(
    archive: ZipFile, manifest: dict[str, Any], owner_keys: dict[str, AESGCM]
) -> RestoreResult:
    quote = connection.ops.quote_name
    result = RestoreResult()
    backup_id = manifest["backup_id"]
    bound = None
    if connection.vendor == "postgresql":
        # Server-side binding: the statement is parsed once and the rows stream in a
        # pipeline. (Django's client-side binding re-splits a long statement each time,
        # and COPY FROM does not work on tables under row-level security.)
        import psycopg

        bound = psycopg.Cursor(connection.connection)
    with connection.cursor() as cursor:
        for name in REPLACED:
            cursor.execute(f"DELETE FROM {quote(name)}")  # noqa: S608 - model tables
        for entry in manifest["tables"]:
            name, columns = entry["name"], entry["columns"]
            head = f"INSERT INTO {quote(name)} ({', '.join(quote(c) for c in columns)}) VALUES "  # noqa: S608 - tables checked against the models
            one = f"({', '.join(['%s'] * len(columns))})"
            # Many rows a statement (one round trip each), within the driver's limit.
            per = max(1, min(500, (connection.features.max_query_params or 65535) // len(columns)))
            with archive.open(f"tables/{name}.jsonl") as lines:
                for line in lines:
                    chunk = json.loads(line)
                    try:
                        rows = open_chunk(chunk, owner_keys, backup_id, name)
                    except WrongKey as e:
                        raise RestoreRefused(
                            f"the key store does not hold the key this backup was made with "
                            f"(for {e.owner}): restore with --keys and the key store copy "
                            "of the deployment that made the backup"
                        ) from e
                    except InvalidTag as e:
                        raise RestoreRefused(
                            f"a chunk of {name} fails its integrity check: the backup is "
                            "damaged or was altered"
                        ) from e
                    if rows is None:
                        result.unreadable[name] += chunk["r"]
                        result.unreadable_schools |= {
                            int(o.split(":")[1]) for o in chunk["k"] if o != PLATFORM
                        }
                        continue
                    if bound is not None:
                        bound.executemany(head + one, [[decode(v) for v in row] for row in rows])
                    else:
                        for at in range(0, len(rows), per):
                            batch = rows[at : at + per]
                            cursor.execute(
                                head + ", ".join([one] * len(batch)),
                                [decode(v) for row in batch for v in row],
                            )
                    result.restored[name] += len(rows)
        if result.unreadable:
            _unlink_dangling(cursor, result)
        models = [
            m
            for m in apps.get_models(include_auto_created=True)
            if m._meta.db_table in result.restored
        ]
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
    return result


def _unlink_dangling(cursor: Any, result: RestoreResult) -> None:
    """Clear links to rows that could not be restored, until none is left."""
    quote = connection.ops.quote_name
    links = []
    for m in apps.get_models(include_auto_created=True):
        if m._meta.db_table not in result.restored:
            continue
        for f in m._meta.concrete_fields:
            target = related_table(f)
            if target is not None:
                target_column = column(f.target_field)  # type: ignore[attr-defined]
                links.append((m._meta.db_table, column(f), f.null, target, target_column))
    changed = True
    while changed:
        changed = False
        for table, col, nullable, target, target_column in links:
            where = (
                f"{quote(col)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {quote(target)} t "  # noqa: S608 - model tables
                f"WHERE t.{quote(target_column)} = {quote(table)}.{quote(col)})"
            )
            if nullable:
                cursor.execute(f"UPDATE {quote(table)} SET {quote(col)} = NULL WHERE {where}")  # noqa: S608
                if cursor.rowcount:
                    result.unlinked[f"{table}.{col}"] += cursor.rowcount
            else:
                cursor.execute(f"DELETE FROM {quote(table)} WHERE {where}")  # noqa: S608
                if cursor.rowcount:
                    result.dropped[table] += cursor.rowcount
                    result.restored[table] -= cursor.rowcount
                    changed = True


def _keys_prune() -> None:
    """Keys (or destroyed keys' records) of schools the restore did not bring back go:
    they would point at no school."""
    school_model = apps.get_model(SCHOOL_LABEL)
    restored = set(school_model._default_manager.values_list("pk", flat=True))
    SchoolKey.objects.exclude(school_id__in=restored).delete()


def _keys_insert(platform: bytes, schools: dict[int, bytes]) -> None:
    """The key store of the restored schools (a school not restored keeps no key)."""
    school_model = apps.get_model(SCHOOL_LABEL)
    restored = set(school_model._default_manager.values_list("pk", flat=True))
    PlatformKey.objects.create(wrapped_key=platform)
    SchoolKey.objects.bulk_create(
        SchoolKey(school_id=sid, wrapped_key=w) for sid, w in schools.items() if sid in restored
    )
