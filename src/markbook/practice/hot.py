"""The answer's SQL, written once per process (ASM-2: the hot path stays lean).

Answering is the busiest request Markbook has (a class answering every couple of
seconds, a school's worth at once). Compiling the ORM's queries was most of an
answer's own time, so its statements are built here once from the models' metadata
and then only run:

- `lock`: the attempt with its pupil's `Standing`, its set, the current item and its
  teacher's question, in one SELECT, locking the attempt and the standing on
  PostgreSQL (`FOR UPDATE OF`); values go through the same converters the ORM uses.
- `update`: one UPDATE of some fields of one row (core.rows.update_rows).
- `insert`: one INSERT ... RETURNING id of one row.

Scoping (TEN-4) holds: `lock` filters by the active school scope as the scoped
managers do (and refuses to run outside one), and on PostgreSQL row-level security
checks every statement as it checks the ORM's.
"""

from functools import cache
from typing import Any

from django.db import connection, models
from django.db.models.expressions import Col
from django.utils import timezone
from django_scopes import ScopeError, get_scope

from markbook.core.rows import update_rows
from markbook.practice.models import Attempt, Item, Question, QuestionSet, Standing

# The tables of the locking SELECT, in their order in it, with their aliases.
_PARTS: tuple[tuple[type[models.Model], str], ...] = (
    (Attempt, "a"),
    (Standing, "s"),
    (QuestionSet, "qs"),
    (Item, "i"),
    (Question, "q"),
)


def _fields(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


@cache
def _converters(vendor: str) -> list[list[tuple[tuple[Any, Col], ...]]]:
    """Per table, per column, the database converters the ORM would apply."""
    plans = []
    for model, alias in _PARTS:
        columns = []
        for f in _fields(model):
            col = Col(alias, f)
            found = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
            columns.append(tuple((convert, col) for convert in found))
        plans.append(columns)
    return plans


@cache
def _lock_sql(vendor: str, with_user: bool) -> str:
    quote = connection.ops.quote_name
    select = ", ".join(
        f"{alias}.{quote(str(f.column))}" for model, alias in _PARTS for f in _fields(model)
    )
    table = {model: quote(model._meta.db_table) for model, _ in _PARTS}
    user_join = (
        f" JOIN {quote('rosters_pupil')} p ON p.id = a.pupil_id AND p.user_id = %s"
        if with_user
        else ""
    )
    lock = " FOR UPDATE OF a, s" if vendor == "postgresql" else ""
    # Names come from the models; every value is a parameter.
    return (
        f"SELECT {select} FROM {table[Attempt]} a"  # noqa: S608
        f" JOIN {table[Standing]} s ON s.id = a.standing_id"
        f" JOIN {table[QuestionSet]} qs ON qs.id = a.question_set_id"
        f"{user_join}"
        f" LEFT JOIN {table[Item]} i ON i.id = a.current_id"
        f" LEFT JOIN {table[Question]} q ON q.id = i.question_id"
        " WHERE a.id = %s{schools}"
        f"{lock}"
    )


def _school_filter() -> tuple[str, list[int]]:
    """The active scope's schools, as the scoped managers filter them (TEN-4)."""
    current = get_scope()
    if not current:
        raise ScopeError("A scope on dimension(s) school needs to be active for this query.")
    if not current.get("_enabled", True):
        return "", []
    ids = [s if isinstance(s, int) else s.pk for s in current.get("school", [])]
    marks = ", ".join(["%s"] * len(ids)) or "NULL"
    return f" AND a.school_id IN ({marks})", ids


def lock(attempt_id: int, user_id: int | None) -> Attempt | None:
    """The attempt, locked with its standing, its set, current item and question loaded;
    None if there is none (or it is not the pupil's of `user_id`)."""
    schools, school_ids = _school_filter()
    sql = _lock_sql(connection.vendor, user_id is not None).replace("{schools}", schools)
    params: list[Any] = [user_id] if user_id is not None else []
    params += [attempt_id, *school_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    made: list[models.Model | None] = []
    start = 0
    for (model, _), plan in zip(_PARTS, _converters(connection.vendor), strict=True):
        values = list(row[start : start + len(plan)])
        start += len(plan)
        if values[0] is None:  # the outer-joined item or question is not there
            made.append(None)
            continue
        for n, converters in enumerate(plan):
            for convert, col in converters:
                values[n] = convert(values[n], col, connection)
        made.append(model.from_db(connection.alias, [f.attname for f in _fields(model)], values))
    attempt, standing, question_set, item, question = made
    assert isinstance(attempt, Attempt) and isinstance(question_set, QuestionSet)
    assert isinstance(standing, Standing)
    attempt.standing = standing
    attempt.question_set = question_set
    attempt.current = item if isinstance(item, Item) else None
    if isinstance(item, Item):
        item.question = question if isinstance(question, Question) else None
    return attempt


def update(instance: models.Model, names: list[str]) -> None:
    """Write these fields of this one row (auto_now fields are set here first)."""
    for name in names:
        f = instance._meta.get_field(name)
        if getattr(f, "auto_now", False):
            setattr(instance, f.attname, timezone.now())  # type: ignore[union-attr]
    update_rows(type(instance), [instance], names)


@cache
def _insert_sql(model: type[models.Model], vendor: str) -> tuple[str, tuple[models.Field, ...]]:
    quote = connection.ops.quote_name
    fields = tuple(f for f in _fields(model) if not f.primary_key)
    names = ", ".join(quote(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Names come from the model; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks}) "  # noqa: S608
        f"RETURNING {quote(str(model._meta.pk.column))}"
    )
    return sql, fields


def insert(instance: models.Model) -> None:
    """Insert this one new row and give the instance its id."""
    sql, fields = _insert_sql(type(instance), connection.vendor)
    params = [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
