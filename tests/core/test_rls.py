"""TEN-4 defence in depth: on PostgreSQL, row-level security hides other schools' rows
even from a deliberately unscoped raw query. These tests mean something only on
PostgreSQL (.ci/run runs the suite there as a role without SUPERUSER or BYPASSRLS)."""

import pytest
from django.db import connection

from markbook.core.rls import tenant_tables
from markbook.core.tenancy import school_scope

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
    ),
]


def raw(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_the_application_role_cannot_bypass_row_level_security(db):
    [(superuser, bypass)] = raw(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert (superuser, bypass) == (False, False), "run the suite as a role bound by RLS"


def test_every_tenant_table_has_a_forced_policy(db):
    rows = dict(
        raw(
            "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
        )
    )
    policies = {
        t for (t,) in raw("SELECT tablename FROM pg_policies WHERE policyname = 'markbook_tenant'")
    }
    tables = tenant_tables()
    assert "rosters_pupil" in tables
    assert [t for t in tables if not rows.get(t) or t not in policies] == []


def test_unscoped_raw_query_sees_only_the_scoped_school(world):
    with school_scope(world.a):
        names = {n for (n,) in raw("SELECT username FROM rosters_pupil")}
        schools = {s for (s,) in raw("SELECT DISTINCT school_id FROM accounts_membership")}
    assert names == {"amy.adams", "ben.brown", "cal.clark"}
    assert schools == {world.a.pk}


def test_raw_query_outside_any_scope_sees_no_school_rows(world):
    with school_scope([]):
        assert raw("SELECT count(*) FROM rosters_pupil") == [(0,)]
        assert raw("SELECT count(*) FROM audit_auditevent WHERE school_id IS NOT NULL") == [(0,)]


def test_updating_another_schools_rows_touches_nothing(world):
    with school_scope(world.a), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE rosters_pupil SET first_name = 'X' WHERE school_id = %s", [world.b.pk]
        )
        assert cursor.rowcount == 0


def test_inserting_into_another_school_is_refused(world):
    from django.db import ProgrammingError, transaction

    with (
        school_scope(world.a),
        pytest.raises(ProgrammingError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO rosters_guardianlink (school_id, parent_id, pupil_id, relationship,"
            " created_at) VALUES (%s, %s, %s, '', now())",
            [world.b.pk, world.other_parent.pk, world.dee.pk],
        )
