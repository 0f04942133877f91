"""The whole-database scan (DSR-4): every table of the database, declared in the
inventory or not, searched for a person's names, usernames, email addresses, UPN and
other school ids (in text and JSON columns), for their ids under keys naming a pupil
or an account, and for references to their rows (foreign keys, the log's actor and
target). Run after an erasure, it should find nothing but the anonymised references.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection

from markbook.core.tenancy import all_schools
from markbook.privacy.erasure.logs import PUPIL_KEYS, USER_KEYS, id_regex, names_regex
from markbook.privacy.erasure.person import Person

TEXT_TYPES = ("Char", "Text", "JSON", "Email", "Slug", "URL", "UUID")
SKIP_TABLES = {"django_migrations"}


@dataclass(frozen=True)
class Hit:
    table: str
    column: str
    row: str  # the row's primary key (or "?")
    found: str  # what matched: "a name or identifier", "pupil id", "account id"

    def __str__(self) -> str:
        return f"{self.table}.{self.column} (row {self.row}): {self.found}"


def _columns(cursor: Any, table: str) -> tuple[list[str], list[str], dict[str, str]]:
    """The table's text columns, all its columns, and its foreign keys (column -> table)."""
    introspection = connection.introspection
    description = introspection.get_table_description(cursor, table)
    text, every = [], []
    for column in description:
        every.append(column.name)
        try:
            kind = introspection.get_field_type(column.type_code, column)
        except KeyError:
            kind = str(column.type_code)
        if any(t in kind for t in TEXT_TYPES) or kind in ("text", "varchar", "jsonb", "json"):
            text.append(column.name)
    relations = introspection.get_relations(cursor, table)
    return text, every, {col: ref[1] for col, ref in relations.items()}


def database_scan(person: Person, *, allowed: set[str] = frozenset()) -> list[Hit]:  # type: ignore[assignment]
    """Every place in the database still naming `person` or pointing at their rows,
    outside `allowed` ("table.column" kept on purpose, with a reason in the plan).
    Reads every row of every table: a job for the command or a test, not a page."""
    from markbook.accounts.models import User
    from markbook.rosters.models import Pupil

    names = names_regex(person)
    terms = person.identifiers()
    refs = person.refs
    pupil_id, user_id = refs["rosters.Pupil"], refs["accounts.User"]
    ids: list[tuple[str, re.Pattern[str]]] = []
    if pupil_id is not None:
        ids.append(("pupil id", id_regex(PUPIL_KEYS, pupil_id)))
    if user_id is not None:
        ids.append(("account id", id_regex(USER_KEYS, user_id)))
    own = {Pupil._meta.db_table: pupil_id, User._meta.db_table: user_id}
    hits: list[Hit] = []
    qn = connection.ops.quote_name
    with all_schools(), connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if t not in SKIP_TABLES]
        for table in sorted(tables):
            text, every, relations = _columns(cursor, table)
            pk = "id" if "id" in every else every[0]
            # Rows of the person themselves, and rows pointing at them.
            if own.get(table) is not None:
                cursor.execute(
                    f"SELECT {qn(pk)} FROM {qn(table)} WHERE {qn(pk)} = %s",  # noqa: S608 - names from introspection, quoted
                    [own[table]],
                )
                hits += [Hit(table, pk, str(r[0]), "their own row") for r in cursor.fetchall()]
            refs_here = [
                (column, own[target]) for column, target in relations.items() if own.get(target)
            ]
            # Ids kept without a foreign key: the log's actor and its person references.
            for column, value in (
                ("actor_id", user_id),
                ("user_ref", user_id),
                ("pupil_ref", pupil_id),
            ):
                if column in every and value is not None and column not in relations:
                    refs_here.append((column, value))
            for column, value in refs_here:
                cursor.execute(
                    f"SELECT {qn(pk)} FROM {qn(table)} WHERE {qn(column)} = %s",  # noqa: S608 - quoted names
                    [value],
                )
                hits += [
                    Hit(table, column, str(r[0]), "a reference to them") for r in cursor.fetchall()
                ]
            if {"target_type", "target_id"} <= set(every):
                for kind, value in (("rosters.pupil", pupil_id), ("accounts.user", user_id)):
                    if value is None:
                        continue
                    cursor.execute(
                        f"SELECT {qn(pk)} FROM {qn(table)} "  # noqa: S608 - quoted names
                        "WHERE target_type = %s AND target_id = %s",
                        [kind, str(value)],
                    )
                    hits += [
                        Hit(table, "target_id", str(r[0]), "a reference to them")
                        for r in cursor.fetchall()
                    ]
            if not text:
                continue
            hits += _text_hits(cursor, table, pk, text, terms, names, ids, allowed)
    return [h for h in hits if f"{h.table}.{h.column}" not in allowed]


def _text_hits(
    cursor: object,
    table: str,
    pk: str,
    columns: list[str],
    terms: list[str],
    names: re.Pattern[str] | None,
    ids: list[tuple[str, re.Pattern[str]]],
    allowed: set[str],
) -> list[Hit]:
    qn = connection.ops.quote_name
    digits = [p.pattern for _, p in ids]
    likes, params = [], []
    for column in columns:
        if f"{table}.{column}" in allowed:
            continue
        text = f"LOWER(CAST({qn(column)} AS TEXT))"
        for term in terms:
            likes.append(f"{text} LIKE %s")
            params.append(f"%{term}%")
        if digits:
            likes.append(f"{text} LIKE %s")
            params.append('%"%')  # JSON-looking text: the id patterns decide
    if not likes:
        return []
    selected = ", ".join(qn(c) for c in [pk, *columns])
    cursor.execute(  # type: ignore[attr-defined]
        f"SELECT {selected} FROM {qn(table)} WHERE {' OR '.join(likes)}",  # noqa: S608 - quoted names
        params,
    )
    hits = []
    for row in cursor.fetchall():  # type: ignore[attr-defined]
        for column, value in zip(columns, row[1:], strict=True):
            if value is None:
                continue
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            if names is not None and names.search(text):
                hits.append(Hit(table, column, str(row[0]), "a name or identifier"))
            for found, pattern in ids:
                if pattern.search(text):
                    hits.append(Hit(table, column, str(row[0]), found))
    return hits
