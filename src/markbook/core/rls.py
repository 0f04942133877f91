"""PostgreSQL row-level security (TEN-4, defence in depth).

Every tenant table gets a policy comparing its `school_id` with the setting
`markbook.school_ids`, which `tenancy.school_scope()` sets for the connection
('*' means every school, for the allow-listed unscoped modules; empty means none).
The policies are FORCEd so they bind the table owner too; the application must
connect as a role without SUPERUSER or BYPASSRLS (see README, .ci/run).
On SQLite this module does nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

SETTING = "markbook.school_ids"
_current: ContextVar[str] = ContextVar("markbook_rls", default="")


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _apply(value: str) -> None:
    # The driver's own cursor: this is connection bookkeeping (like Django's time zone
    # set-up), so it stays out of the query log that list pages' query counts read.
    # A closed connection is set up afresh by _on_connect when Django reopens it.
    if _is_postgres() and connection.connection is not None and not connection.connection.closed:
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, false)", [SETTING, value])


@contextmanager
def schools(ids: list[int] | None) -> Iterator[None]:
    """Set the row-level security school list for queries in this block."""
    value = "*" if ids is None else ",".join(str(i) for i in ids)
    if value == _current.get():
        # The enclosing block set this very list (a school's check inside its own
        # request scope): the connection has it already, and keeps it after this block.
        # Two round trips saved per nesting (the answer request, bench/answers.py).
        yield
        return
    token = _current.set(value)
    _apply(value)
    try:
        yield
    finally:
        _current.reset(token)
        _apply(_current.get())


def _on_connect(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """A new connection starts with the current scope's setting, never a stale one."""
    if connection.vendor == "postgresql":
        with connection.connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, false)", [SETTING, _current.get()])


def tenant_tables() -> list[str]:
    """Every table of a model with a `school` foreign key."""
    tables = []
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "school"), None)
        related = field.related_model if field is not None else None  # None: not a relation
        if related is not None and related._meta.label == "schools.School":
            tables.append(model._meta.db_table)
    return sorted(tables)


POLICY = """
ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {t} FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS markbook_tenant ON {t};
CREATE POLICY markbook_tenant ON {t}
  USING (
    CASE current_setting('markbook.school_ids', true)
      WHEN '*' THEN true
      ELSE school_id = ANY (
        string_to_array(NULLIF(current_setting('markbook.school_ids', true), ''), ',')::bigint[]
      )
    END
  );
"""


def install_policies(using: str = "default", **kwargs: object) -> None:
    """Create or refresh the tenant policy on every tenant table (idempotent)."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        for table in tenant_tables():
            cursor.execute(POLICY.format(t=conn.ops.quote_name(table)))


def connect_signals() -> None:
    connection_created.connect(_on_connect, dispatch_uid="markbook_rls_connect")
    # post_migrate fires once per app after every migration has run; core's turn is
    # enough, and install_policies covers every app's tenant tables, new ones included.
    post_migrate.connect(
        lambda sender, using="default", **kw: (
            install_policies(using) if sender.label == "core" else None
        ),
        dispatch_uid="markbook_rls_policies",
        weak=False,
    )
