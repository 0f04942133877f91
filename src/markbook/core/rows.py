"""Writing many rows of one model at once, for the imports (ROS-2, SEC-2).

`insert_rows` writes what `bulk_create` would write for the same values (the
fields' defaults, `auto_now`/`auto_now_add` times, encrypted fields encrypted with
the row's school key) without building a model instance per row or compiling each
value through the ORM: a school's whole MIS export is thousands of rows of tens of
columns, and the ORM's per-value work was most of the import's time.

`update_rows` writes changed fields of many instances, as `bulk_update` would,
with one prepared UPDATE run for every instance instead of one CASE per row.

Every row reaches its table through INSERT or UPDATE (on PostgreSQL, after a COPY
into a private temporary table: COPY itself is refused under row-level security),
so every row still passes the tenant policy (TEN-4).
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from itertools import chain
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from markbook.core import keys
from markbook.core.fields import Ciphertext, EncryptedTextField

_MISSING = object()
# Fields whose Python values are already what the database driver takes.
_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)

Convert = Callable[[Any, dict[str, Any]], Any]


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _column_name(f: models.Field) -> str:
    """A concrete field's column (only fields with no column of their own lack one)."""
    assert f.column is not None, f
    return f.column


def _field(model: type[models.Model], name: str) -> models.Field:
    """The field `name` of `model` (a field, never a reverse relation)."""
    f = model._meta.get_field(name)
    assert isinstance(f, models.Field), f
    return f


# Rows written between two calls of a writer's `progress` (a long import reports as it
# writes, so its progress and heartbeat do not stand still, ROS-2, ROS-4).
PROGRESS_BATCH = 1000

Progress = Callable[[int], None]  # told the number of rows written so far


def _batches(count: int, progress: Progress | None) -> list[tuple[int, int]]:
    """(start, end) of the batches of `count` rows: one batch without `progress`."""
    step = PROGRESS_BATCH if progress is not None else max(count, 1)
    return [(start, min(start + step, count)) for start in range(0, count, step)]


def insert_rows(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> list[int]:
    """Insert `rows` (attname -> value; missing fields take their defaults) and return
    the new primary keys, in the order of `rows`. Encrypted fields take plaintext
    and are encrypted here, with the key of the row's `school_id` (SEC-2).

    `auto_now`/`auto_now_add` fields get `now`; a callable default is called once
    for the whole call (every row of one import gets the same `date_joined`). With
    `progress`, the rows go in batches of PROGRESS_BATCH, `progress(rows written)`
    called after each."""
    if not rows:
        return []
    now = now or timezone.now()
    fields = _columns(model)
    unknown = set().union(*(r.keys() for r in rows)) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model._meta.label} has no fields {sorted(unknown)}")
    columns = [_column(rows, f.attname, *_column_plan(f, now)) for f in fields]
    ids: list[int] = []
    for start, end in _batches(len(rows), progress):
        ids += _insert(model, fields, [c[start:end] for c in columns])
        if progress is not None:
            progress(end)
    return ids


def _column(
    rows: Sequence[dict[str, Any]], name: str, default: Any, convert: Convert | None
) -> list[Any]:
    """One column's database values, a list comprehension at a time (thousands of rows)."""
    try:
        values = [row[name] for row in rows]
    except KeyError:
        values = [row.get(name, _MISSING) for row in rows]
        if convert is None:
            return [default if v is _MISSING else v for v in values]
        return [
            default if v is _MISSING else v if v is None else convert(v, row)
            for v, row in zip(values, rows, strict=True)
        ]
    if convert is None:
        return values
    return [v if v is None else convert(v, row) for v, row in zip(values, rows, strict=True)]


def _column_plan(f: models.Field, now: datetime) -> tuple[Any, Convert | None]:
    """A column's database value when a row has none, and how a row's value is converted."""
    if isinstance(f, EncryptedTextField):
        return None, _encrypter(f)
    convert: Convert | None = None
    if not isinstance(f, _AS_IS):

        def convert(value: Any, row: dict[str, Any]) -> Any:
            return f.get_db_prep_save(value, connection)

    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        default = now
    else:
        default = f.get_default()  # a callable default is called here, once
    if convert is not None and default is not None:
        default = convert(default, {})
    return default, convert


def _encrypter(f: EncryptedTextField) -> Convert:
    encrypters: dict[int, Callable[[str], str]] = {}

    def encrypt(value: Any, row: dict[str, Any]) -> Any:
        if value == "":
            return None
        if isinstance(value, Ciphertext):
            return value
        school_id = row["school_id"]
        encrypt_one = encrypters.get(school_id)
        if encrypt_one is None:
            encrypt_one = encrypters[school_id] = keys.encrypter(school_id, f.context)
        return encrypt_one(f.encode(value))

    return encrypt


def _insert(
    model: type[models.Model], fields: list[models.Field], columns: list[list[Any]]
) -> list[int]:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(_column_name(model._meta.pk))
    names = ", ".join(quote(_column_name(f)) for f in fields)
    if connection.vendor == "postgresql":
        return _insert_postgresql(model, names, columns)
    if connection.vendor == "sqlite":
        return _insert_sqlite(model, names, columns)
    ids: list[int] = []
    count = len(columns[0])
    batch = max(1, connection.ops.bulk_batch_size(fields, range(count)))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, count, batch):
            chunk = [c[start : start + batch] for c in columns]
            size = len(chunk[0])
            # Table and column names come from the model; every value is a parameter.
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * size)} RETURNING {pk}"  # noqa: S608
            cursor.execute(sql, list(chain.from_iterable(zip(*chunk, strict=True))))
            ids.extend(r[0] for r in cursor.fetchall())
    return ids


def _insert_sqlite(model: type[models.Model], names: str, columns: list[list[Any]]) -> list[int]:
    """One prepared INSERT run for every row (executemany), the ids chosen first.

    The ids follow both the highest id and AUTOINCREMENT's counter, so none is reused.
    Markbook's SQLite transactions begin IMMEDIATE, holding the write lock from the
    start, so no other writer takes an id in between; were one to, the insert would
    fail on the primary key and the whole transaction roll back, never mix rows."""
    quote = connection.ops.quote_name
    table, pk = model._meta.db_table, _column_name(model._meta.pk)
    count = len(columns[0])
    marks = ", ".join(["%s"] * (len(columns) + 1))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608
            f"COALESCE(MAX({quote(pk)}), 0)) FROM {quote(table)}",
            [table],
        )
        first = cursor.fetchone()[0] + 1
        ids = list(range(first, first + count))
        # Table and column names come from the model; every value is a parameter.
        cursor.executemany(
            f"INSERT INTO {quote(table)} ({quote(pk)}, {names}) VALUES ({marks})",  # noqa: S608
            list(zip(ids, *columns, strict=True)),
        )
    return ids


def _insert_postgresql(
    model: type[models.Model], names: str, columns: list[list[Any]]
) -> list[int]:
    """COPY into a temporary table, then one INSERT ... SELECT into the real one.

    COPY is the fastest way in, but PostgreSQL refuses COPY FROM into a table with
    row-level security, so the rows are copied into a private temporary table and
    moved with one INSERT, which the tenant policy checks row by row (TEN-4). The
    ids are taken from the table's sequence first, so each row's id is known."""
    quote = connection.ops.quote_name
    table, pk = model._meta.db_table, _column_name(model._meta.pk)
    stage = quote(f"markbook_stage_{table}")
    every = f"{quote(pk)}, {names}"
    # A savepoint at least: if a row is refused, the temporary table goes with it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk, len(columns[0])],
        )
        ids = [r[0] for r in cursor.fetchall()]
        # Names come from the model; the values go through COPY.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} AS SELECT {every} FROM {quote(table)} WITH NO DATA"  # noqa: S608
        )
        with cursor.cursor.copy(f"COPY {stage} ({every}) FROM STDIN") as copy:
            for row in zip(ids, *columns, strict=True):
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {quote(table)} ({every}) SELECT {every} FROM {stage}")  # noqa: S608
        cursor.execute(f"DROP TABLE {stage}")
    return ids


def update_rows(
    model: type[models.Model],
    instances: Sequence[models.Model],
    names: list[str],
    *,
    progress: Progress | None = None,
) -> None:
    """Write the fields `names` of `instances` (as `bulk_update` would; encrypted
    fields are encrypted with each instance's school key, SEC-2); with `progress`, in
    batches, as insert_rows."""
    if not instances or not names:
        return
    quote = connection.ops.quote_name
    fields = [_field(model, name) for name in names]
    makers = [_db_value(f) for f in fields]
    params = [[make(obj) for make in makers] + [obj.pk] for obj in instances]
    assignments = ", ".join(f"{quote(_column_name(f))} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(_column_name(model._meta.pk))} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        if len(params) == 1 and progress is None:
            # One row (the practice answer's updates, several per request): a plain
            # execute, the same statement without the driver's pipeline set-up for
            # executemany, which cost more than the UPDATE itself (bench/answers.py).
            cursor.execute(sql, params[0])
            return
        for start, end in _batches(len(params), progress):
            cursor.executemany(sql, params[start:end])
            if progress is not None:
                progress(end)


def _db_value(f: models.Field) -> Callable[[Any], Any]:
    """An instance's database value of `f` (encrypted with the instance's school key)."""
    if isinstance(f, EncryptedTextField):
        encrypt = _encrypter(f)

        def encrypted(obj: Any) -> Any:
            v = getattr(obj, f.attname)
            return None if v is None else encrypt(v, {"school_id": obj.school_id})

        return encrypted

    def prepared(obj: Any) -> Any:
        return f.get_db_prep_save(getattr(obj, f.attname), connection)

    return prepared


def unusable_passwords(count: int) -> Iterable[str]:
    """What `set_unusable_password` stores (ACC-2: no hash computed), `count` times."""
    import secrets

    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    return [UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20) for _ in range(count)]
