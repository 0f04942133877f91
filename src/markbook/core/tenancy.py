"""Tenant scoping (TEN-4): the one mechanism that scopes every query on school data.

Every model holding school data carries a `school` foreign key and django-scopes'
`ScopedManager(school="school")`. `school_scope()` activates the django-scopes scope
and, on PostgreSQL, the row-level security setting together, so the ORM filter and
the database policy always agree. Which school a request may enter is decided above
core, in `markbook.admission` (`SchoolScopeMiddleware`).

`all_schools()` (django-scopes' `scopes_disabled`) is allowed only in the modules
listed in `UNSCOPED_ALLOW_LIST`; tests/core/test_scoping.py greps for it.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from django.db import models
from django_scopes import ScopedManager, scope, scopes_disabled

from markbook.core import rls

# Modules that may see every school at once, and why.
UNSCOPED_ALLOW_LIST = {
    "src/markbook/core/tenancy.py": "defines the mechanism",
    "src/markbook/core/keys.py": "reads the key of the school being scoped; the key store",
    "src/markbook/core/backup/dump.py": "a backup reads every school's rows",
    "src/markbook/core/backup/load.py": "a restore writes every school's rows",
    "src/markbook/admission.py": "finds the schools a user belongs to, before any scope",
    "src/markbook/audit/services.py": "verifies hash chains across every school",
    "src/markbook/rosters/management/commands/markbook_demo.py": "seeds several schools",
    "src/markbook/schools/services.py": "platform administration: creates schools",
    "src/markbook/schools/deletion.py": "deleting a school: which of its accounts serve elsewhere",
    "src/markbook/schools/suspension.py": "revokes the API tokens of users of no other school",
    "src/markbook/privacy/erasure/person.py": "whether an erased person's account serves another school",
    "src/markbook/privacy/erasure/logs.py": "redacts an erased person's events in the platform's chain",
    "src/markbook/privacy/erasure/scan.py": "scans every table for an erased person",
    "src/markbook/privacy/erasure/plan.py": "finds others' records naming an account that goes",
    "src/markbook/privacy/erasure/execute.py": "blanks others' records naming an account that goes",
    "src/markbook/support/selectors.py": "a platform staff member's own support grants, in every school",
    "src/markbook/support/staff.py": "ending a platform staff account ends its grants in every school",
    "src/markbook/breaches/selectors.py": "the platform's breach register lists the schools each breach affects",
    # ASM-6, SEC-6: the one cross-school read of pupils' data, a declared projection.
    "src/markbook/practice/board_reads.py": (
        "the trust and global leaderboards: reads only the declared projection BoardEntry, "
        "whose rows were reduced to first name and initial, with consent"
    ),
}


def _ids(schools: object) -> list[int]:
    if isinstance(schools, int):
        return [schools]
    if hasattr(schools, "pk"):
        return [schools.pk]
    assert isinstance(schools, Iterable)
    return [s if isinstance(s, int) else s.pk for s in schools]


_M = TypeVar("_M", bound=models.Model)

if TYPE_CHECKING:
    _SchoolScoped = models.Manager
else:
    _SchoolScoped = type(ScopedManager(school="school"))


class SchoolScopedManager(_SchoolScoped[_M]):
    """django-scopes' `ScopedManager(school="school")`, the manager of every tenant model,
    as a class with a name: queries need an active school scope (TEN-4). django-scopes
    builds its manager class inside a function, which type checkers cannot follow."""


@contextmanager
def school_scope(schools: object) -> Iterator[None]:
    """Scope queries (ORM and, on PostgreSQL, row-level security) to these schools."""
    ids = _ids(schools)
    with scope(school=ids), rls.schools(ids):
        yield


@contextmanager
def all_schools() -> Iterator[None]:
    """See every school's rows. Only for the modules in UNSCOPED_ALLOW_LIST."""
    with scopes_disabled(), rls.schools(None):
        yield
