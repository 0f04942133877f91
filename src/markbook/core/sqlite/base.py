"""Django's SQLite backend for Markbook's embedded default (settings.DATABASES).

Settings run SQLite in WAL mode with a busy timeout and `BEGIN IMMEDIATE` transactions,
so readers never wait for a writer and a second writer waits its turn. One Django probe
does not survive that: `supports_json_field` runs `SELECT JSON(...)` inside a
transaction, which under IMMEDIATE takes the write lock; while a long import holds it,
the probe times out with "database is locked", takes that for "no JSON support" and the
system check reports "SQLite does not support JSONFields". Here the probe runs outside a
transaction (a WAL reader never waits) and a lock error is raised as what it is.
"""

from django.db import OperationalError
from django.db.backends.sqlite3 import base, features
from django.utils.functional import cached_property

from markbook.core.busy import is_database_busy


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def supports_json_field(self) -> bool:  # type: ignore[override]
        with self.connection.cursor() as cursor:
            try:
                cursor.execute('SELECT JSON(\'{"a": "b"}\')')
            except OperationalError as error:
                if is_database_busy(error):
                    raise
                return False
        return True


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
