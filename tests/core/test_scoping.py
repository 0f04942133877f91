"""TEN-4: one mechanism scopes every query on school data."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django_scopes.exceptions import ScopeError

from markbook.core.rls import tenant_tables
from markbook.core.tenancy import UNSCOPED_ALLOW_LIST, all_schools, school_scope
from markbook.rosters.models import Pupil

ROOT = Path(__file__).resolve().parents[2]


def test_unscoped_access_appears_only_in_the_allow_list():
    pattern = re.compile(r"\b(scopes_disabled|all_schools|with_scopes_disabled)\b")
    offenders = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/migrations/" in rel:
            continue
        if pattern.search(path.read_text()) and rel not in UNSCOPED_ALLOW_LIST:
            offenders.append(rel)
    assert offenders == [], f"unscoped access outside the allow-list: {offenders}"


def test_no_code_scopes_queries_around_school_scope():
    """django-scopes' `with_scope` sets the ORM filter but not PostgreSQL's row-level
    security setting; `school_scope()` sets both, so it is the only way in."""
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "src").rglob("*.py"))
        if re.search(r"\bwith_scope\(|\bdjango_scopes import .*\bscope\b", path.read_text())
        and path.relative_to(ROOT).as_posix() != "src/markbook/core/tenancy.py"
    ]
    assert offenders == []


def test_every_model_with_school_data_is_scoped():
    unscoped = []
    for model in apps.get_models():
        if model._meta.db_table in tenant_tables():
            bases = type(model._default_manager).__mro__
            if not any(c.__qualname__ == "ScopedManager.<locals>.Manager" for c in bases):
                unscoped.append(model._meta.label)
    assert unscoped == []


def test_query_outside_a_scope_raises(world):
    with pytest.raises(ScopeError):
        list(Pupil.objects.all())


def test_scope_shows_only_that_schools_rows(world):
    with school_scope(world.b):
        assert set(Pupil.objects.values_list("username", flat=True)) == {"dee.davies"}
    with school_scope(world.a):
        assert Pupil.objects.filter(pk=world.dee.pk).count() == 0
    with all_schools():
        assert Pupil.objects.count() == 4
