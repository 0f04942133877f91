"""What a backup holds, who owns each row, and how values and chunks are sealed (SEC-5).

Ownership decides which key can open a row (RET-5):
- a row of a tenant table (one with `school`) belongs to its school (a null school,
  the platform's own audit chain, to the platform); a school's own row to itself;
- a user belongs to every school whose rows point at them (memberships, pupil
  records, guardian links, class teachers, ...): the row is sealed once and its
  chunk key wrapped for each of those schools, so it restores while any of them is
  alive; a user no school points at (platform staff, a trust administrator)
  belongs to the platform;
- a row of another table that points at a user (e-mail addresses, two-factor
  devices, API tokens, social accounts) or at such a row belongs to that user's
  owners;
- every other row (trusts, published notices, permissions) belongs to the platform.
"""

import base64
import datetime
import decimal
import json
import os
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.db import models

FORMAT = "markbook-backup/1"
PLATFORM = "platform"
SCHOOL_LABEL = "schools.School"
# The rows of a deleted school that outlive it (schools.deletion.KEPT: its row as the
# record that it existed, its contract records, the breach register's mention, its
# retention runs' counts): with its key destroyed, they are sealed for the platform.
OUTLIVE_THE_SCHOOL = frozenset(
    {SCHOOL_LABEL, "schools.TermsAcceptance", "breaches.BreachSchool", "privacy.RetentionRun"}
)

# Never in a backup: the keys that would unlock it (kept in the key store, backed up
# by `markbook keys_backup`), sign-in sessions (restoring them would sign people back
# in) and queued background work (re-queued by whoever asked for it).
EXCLUDED = {"core_schoolkey", "core_platformkey", "django_session"}
EXCLUDED_APPS = {"django_tasks_database"}
# Filled by `migrate` itself (content types, permissions, the published notice): a
# restore replaces their rows with the backup's instead of refusing the database.
REPLACED = ("auth_permission", "django_content_type", "privacy_noticeversion")


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    name: str
    columns: list[str]
    pk: str
    school_column: str | None  # a tenant table's school column
    person_fks: list[tuple[str, str]]  # (column, table) of links to person-owned rows


def column(field: Any) -> str:
    """A concrete field's column (the stubs allow None, which a concrete field never is)."""
    return str(field.column)


def related_table(field: Any) -> str | None:
    """The table a relation points at, or None for a plain field."""
    if not field.is_relation or field.related_model is None:
        return None
    return str(field.related_model._meta.db_table)


def _school_fk(model: type[models.Model]) -> Any:
    for field in model._meta.concrete_fields:
        related = field.related_model if field.is_relation else None
        label = getattr(getattr(related, "_meta", None), "label", None)
        if field.name == "school" and label == SCHOOL_LABEL:
            return field
    return None


def tables() -> list[Table]:
    """Every backed-up table, in the order a backup reads them: tenant tables, schools,
    users, rows owned through users, then the platform's."""
    user_label = settings.AUTH_USER_MODEL
    found: list[Table] = []
    person_tables = {apps.get_model(user_label)._meta.db_table}
    candidates = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.db_table not in EXCLUDED
        and m._meta.app_label not in EXCLUDED_APPS
        and not m._meta.proxy
        and m._meta.managed
    ]
    # Rows owned through a user: a non-null link to the user table or to such a table.
    changed = True
    while changed:
        changed = False
        for m in candidates:
            if m._meta.db_table in person_tables or _school_fk(m) is not None:
                continue
            if any(
                not f.null and related_table(f) in person_tables for f in m._meta.concrete_fields
            ):
                person_tables.add(m._meta.db_table)
                changed = True
    for m in candidates:
        school = _school_fk(m)
        person_fks = [
            (column(f), str(related_table(f)))
            for f in m._meta.concrete_fields
            if not f.null and related_table(f) in person_tables
        ]
        found.append(
            Table(
                model=m,
                name=m._meta.db_table,
                columns=[column(f) for f in m._meta.concrete_fields],
                pk=column(m._meta.pk),
                school_column=column(school) if school is not None else None,
                person_fks=person_fks if m._meta.db_table in person_tables else [],
            )
        )

    def rank(t: Table) -> tuple[int, str]:
        if t.school_column is not None:
            return (0, t.name)
        if t.model._meta.label == SCHOOL_LABEL:
            return (1, t.name)
        if t.model._meta.label == user_label:
            return (2, t.name)
        if t.person_fks:
            return (3 + _depth(t, found), t.name)
        return (9, t.name)

    return sorted(found, key=rank)


def _depth(table: Table, every: list[Table]) -> int:
    """How many links separate a person-owned table from the user table (at most 5)."""
    by_name = {t.name: t for t in every}
    depth, current = 0, table
    while current.person_fks and depth < 5:
        target = by_name.get(current.person_fks[0][1])
        if target is None or not target.person_fks:
            break
        depth, current = depth + 1, target
    return depth


# Values: JSON natives pass; the rest are tagged objects (a column never holds a dict,
# JSON columns come back from the database as text).
def encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, datetime.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$d": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"$t": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"$td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, decimal.Decimal):
        return {"$n": str(value)}
    if isinstance(value, uuid.UUID):
        return {"$u": str(value)}
    if isinstance(value, (dict, list)):
        return {"$j": value}
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    ((tag, raw),) = value.items()
    match tag:
        case "$b":
            return base64.b64decode(raw)
        case "$dt":
            return datetime.datetime.fromisoformat(raw)
        case "$d":
            return datetime.date.fromisoformat(raw)
        case "$t":
            return datetime.time.fromisoformat(raw)
        case "$td":
            return datetime.timedelta(days=raw[0], seconds=raw[1], microseconds=raw[2])
        case "$n":
            return decimal.Decimal(raw)
        case "$u":
            return uuid.UUID(raw)
        case "$j":
            return json.dumps(raw)
    raise ValueError(f"unknown value tag {tag!r} in the backup")


def owner_key(raw_key: bytes, owner: str) -> AESGCM:
    """The backup key of one owner: HKDF of its data key, so a backup never uses the
    key that encrypts fields in the live database directly."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"markbook backup/{owner}".encode()
    ).derive(raw_key)
    return AESGCM(derived)


def _aad(backup_id: str, *parts: object) -> bytes:
    # The rows are bound to their backup, table, position and owners; a wrapped chunk
    # key to its backup and owner only, so a wrong key tells apart from a moved chunk.
    return "|".join([backup_id, *map(str, parts)]).encode()


def seal(
    rows: list[list[Any]],
    owners: Iterable[str],
    keys: dict[str, AESGCM],
    backup_id: str,
    table: str,
    index: int,
) -> dict[str, Any]:
    """One chunk: rows compressed and sealed under a fresh key wrapped for each owner."""
    chunk_key = AESGCM.generate_key(256)
    nonce = os.urandom(12)
    ordered = sorted(owners)
    payload = zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 6)
    sealed = AESGCM(chunk_key).encrypt(nonce, payload, _aad(backup_id, table, index, *ordered))
    wrapped = {}
    for owner in ordered:
        n = os.urandom(12)
        wrapped[owner] = base64.b64encode(
            n + keys[owner].encrypt(n, chunk_key, _aad(backup_id, owner))
        ).decode()
    return {
        "i": index,
        "r": len(rows),
        "k": wrapped,
        "c": base64.b64encode(nonce + sealed).decode(),
    }


class WrongKey(Exception):
    """An owner's key is present but is not the one the backup was sealed for."""

    def __init__(self, owner: str) -> None:
        super().__init__(owner)
        self.owner = owner


def open_chunk(
    chunk: dict[str, Any], keys: dict[str, AESGCM], backup_id: str, table: str
) -> list[list[Any]] | None:
    """The rows of a chunk, or None when no owner's key is available (destroyed)."""
    index = chunk["i"]
    for owner, wrapped_b64 in chunk["k"].items():
        key = keys.get(owner)
        if key is None:
            continue
        wrapped = base64.b64decode(wrapped_b64)
        try:
            chunk_key = key.decrypt(wrapped[:12], wrapped[12:], _aad(backup_id, owner))
        except InvalidTag as e:
            raise WrongKey(owner) from e
        sealed = base64.b64decode(chunk["c"])
        payload = AESGCM(chunk_key).decrypt(
            sealed[:12], sealed[12:], _aad(backup_id, table, index, *sorted(chunk["k"]))
        )
        rows: list[list[Any]] = json.loads(zlib.decompress(payload))
        return rows
    return None


def school_owner(school_id: int) -> str:
    return f"school:{school_id}"
