"""Deleting an ended school's data and its key (TEN-1, RET-1, RET-3, RET-5).

Every row of the school goes, with the accounts of nobody else, its access log and its
key; the other school is untouched row for row, the chains still verify, and a backup
taken before can no longer reveal the school's pupils while the other school restores
whole.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit.models import AuditEvent
from markbook.core import keys
from markbook.core.backup import restore_read
from markbook.core.backup.tables import OUTLIVE_THE_SCHOOL
from markbook.core.models import SchoolKey
from markbook.core.tenancy import all_schools, school_scope
from markbook.privacy.models import RetentionRun
from markbook.privacy.retention import rules as R
from markbook.privacy.retention.engine import retention_run
from markbook.privacy.services import legal_hold_lift, legal_hold_place
from markbook.schools.deletion import (
    KEPT,
    DeletionRefused,
    school_delete,
    school_deletion_plan,
    tenant_models,
)
from markbook.schools.lifecycle import school_status_change
from markbook.schools.models import School, TermsAcceptance
from tests.core.test_backup import (
    _backup,
    _empty_database,
    _personal_data,
    _populate,
    _rows,
    _school_rows,
)


def _end(world, days_ago: int = 10) -> School:
    return school_status_change(
        actor=world.platform_staff,
        school=world.a,
        status=School.Status.ENDED,
        reason="Not renewed",
        ended_on=timezone.localdate() - timedelta(days=days_ago),
    )


def _delete(world, school: School) -> None:
    plan = school_deletion_plan(school)
    assert plan.refusals == []
    school_delete(
        school=school,
        fingerprint=plan.fingerprint,
        actor=world.platform_staff,
        reason="The school asked for its data to go",
    )


@pytest.fixture
def populated(world):
    _populate(world)
    with school_scope(world.a):
        TermsAcceptance.objects.update_or_create(
            school=world.a,
            version="2026-09",
            defaults={"accepted_by": world.admin, "accepted_by_name": "Ann Admin"},
        )
        TermsAcceptance.objects.exclude(version="2026-09").delete()
    return world


def test_only_an_ended_school_can_be_deleted(populated):
    plan = school_deletion_plan(populated.a)
    assert plan.refusals == [
        "Its subscription has not ended: only an ended school's data can be deleted."
    ]
    with pytest.raises(DeletionRefused, match="has not ended"):
        school_delete(school=populated.a, fingerprint=plan.fingerprint, actor=None, reason="asked")
    assert School.objects.filter(pk=populated.a.pk).exists()


def test_the_plan_says_what_and_how_much_goes(populated):
    school = _end(populated)
    plan = school_deletion_plan(school)
    counts = {t.label: t.rows for t in plan.tables}
    assert counts["rosters.Pupil"] == 3
    assert counts["assessment.Mark"] == 2
    # Admin, two teachers, the parent, the supply teacher: members; three pupils' accounts.
    assert counts["accounts.Membership"] == 5 + 3
    # Everyone of A but the supply teacher (of B too) and the trust's administrator.
    assert plan.accounts == 7
    assert plan.accounts_kept == 1
    with school_scope(school):
        assert plan.log_events == AuditEvent.objects.filter(school_id=school.pk).count() > 0
    assert plan.kept == {"schools.TermsAcceptance": 1, "core.SchoolKey": 1}
    assert plan.rows == sum(counts.values())


def test_deleting_takes_every_row_of_the_school_and_nothing_of_the_other(populated, capsys):
    world = populated
    before = _rows()
    school = _end(world)
    before_b = _school_rows(_rows(), world.b.pk)
    users_before = set(User.objects.values_list("pk", flat=True))

    _delete(world, school)

    after = _rows()
    # Every tenant table of A is empty but the kept ones; B's rows are all as they were.
    kept_tables = {m._meta.db_table for m in tenant_models() if m._meta.label in KEPT}
    for table, rows in _school_rows(after, world.a.pk).items():
        if table not in kept_tables:
            assert rows == [], table
    assert _school_rows(after, world.b.pk) == before_b
    # A's accounts are gone; the supply teacher stays, only in B; the trust's and the
    # platform's accounts stay.
    supply = User.objects.get(email="supply@agency.example")
    gone = users_before - set(User.objects.values_list("pk", flat=True))
    assert {world.admin.pk, world.teacher.pk, world.parent.pk, world.amy.user_id} <= gone
    assert supply.pk not in gone and world.trust_admin.pk not in gone
    with all_schools():
        assert list(Membership.objects.filter(user=supply).values_list("school_id", flat=True)) == [
            world.b.pk
        ]
    # Nothing of Amy is anywhere in the database, the contract record's signatory
    # is the only name left of A (kept 7 years).
    everything = repr(after).encode()
    for value in _personal_data(world):
        assert value not in everything, value
    assert before != after
    # The school's log went with it; the platform's log records the deletion.
    with all_schools():
        assert not AuditEvent.objects.filter(school_id=school.pk).exists()
        event = AuditEvent.objects.get(action="schools.school.deleted")
    assert event.school_id is None and event.actor_id == world.platform_staff.pk
    assert event.data["tables"]["rosters.Pupil"] == 3 and event.data["accounts"] == 7
    call_command("audit_verify")
    # The key is destroyed; the school's row stays as the record, hidden from lists.
    with school_scope(school):
        key = SchoolKey.objects.get(school_id=school.pk)
    assert bytes(key.wrapped_key) == b"" and key.destroyed_at is not None
    assert not School.objects.filter(pk=school.pk).exists()
    assert School.records.get(pk=school.pk).deleted_at is not None
    with school_scope(school):
        terms = TermsAcceptance.objects.get()
    assert terms.accepted_by is None and terms.accepted_by_name == "Ann Admin"


def test_a_changed_school_is_not_deleted_on_an_old_plan(populated):
    world = populated
    school = _end(world)
    plan = school_deletion_plan(school)
    with school_scope(school):
        from tests import factories as f

        f.pupil_with_account(school, first_name="Eve", last_name="Evans", username="eve.evans")
    with pytest.raises(DeletionRefused, match="changed since"):
        school_delete(
            school=school, fingerprint=plan.fingerprint, actor=world.platform_staff, reason="asked"
        )
    assert School.objects.filter(pk=school.pk).exists()
    with school_scope(school):
        assert SchoolKey.objects.get(school_id=school.pk).destroyed_at is None


def test_only_platform_staff_and_a_reason(populated):
    world = populated
    school = _end(world)
    plan = school_deletion_plan(school)
    with pytest.raises(ValidationError, match="platform staff"):
        school_delete(school=school, fingerprint=plan.fingerprint, actor=world.admin, reason="x")
    with pytest.raises(ValidationError, match="reason"):
        school_delete(
            school=school, fingerprint=plan.fingerprint, actor=world.platform_staff, reason=" "
        )
    assert School.objects.filter(pk=school.pk).exists()


@pytest.mark.parametrize("held", ["pupil", "class", "whole school"])
def test_a_legal_hold_stops_the_deletion_until_lifted(populated, held):
    world = populated
    school = _end(world)
    with school_scope(school):
        hold = legal_hold_place(
            actor=world.admin,
            school=school,
            subject=world.amy if held == "pupil" else None,
            teaching_class=world.class_7a if held == "class" else None,
            whole_school=held == "whole school",
            reason="A claim about 7A",
        )
    plan = school_deletion_plan(school)
    assert len(plan.refusals) == 1 and "1 legal hold keeps data there" in plan.refusals[0]
    with pytest.raises(DeletionRefused, match="legal hold"):
        school_delete(
            school=school, fingerprint=plan.fingerprint, actor=world.platform_staff, reason="x"
        )
    with school_scope(school):
        legal_hold_lift(actor=world.admin, hold=hold, reason="Settled")
    _delete(world, school)
    assert not School.objects.filter(pk=school.pk).exists()


def test_the_retention_engine_deletes_the_school_a_year_after_its_end(populated):
    world = populated
    school = _end(world, days_ago=400)
    with school_scope(school):
        run = retention_run(school=school)
    assert run.state == RetentionRun.State.DONE
    assert run.counts["school_deleted"] == 1
    assert run.counts[R.SUBSCRIPTION_ENDED] >= 3 and run.counts["rows_deleted"] > 0
    assert not School.objects.filter(pk=school.pk).exists()
    with all_schools():
        event = AuditEvent.objects.get(action="schools.school.deleted")
    assert event.actor_id is None and "more than a year ago" in event.data["reason"]
    # Idempotent: the command's next sweep finds nothing more to delete.
    out = StringIO()
    call_command("retention_run", stdout=out)
    assert f"school {school.pk} " in out.getvalue()
    with all_schools():
        assert AuditEvent.objects.filter(action="schools.school.deleted").count() == 1
    call_command("audit_verify")


def test_not_before_its_time_and_not_while_held(populated):
    world = populated
    school = _end(world, days_ago=100)
    with school_scope(school):
        run = retention_run(school=school)
    assert "school_deleted" not in run.counts
    assert School.objects.filter(pk=school.pk).exists()
    School.objects.filter(pk=school.pk).update(ended_on=timezone.localdate() - timedelta(days=400))
    school.refresh_from_db()
    with school_scope(school):
        legal_hold_place(actor=world.admin, school=school, subject=world.amy, reason="A claim")
        run = retention_run(school=school)
        # The school stays for the hold; everyone the hold does not keep is erased.
        assert "school_deleted" not in run.counts
        from markbook.rosters.models import Pupil

        assert list(Pupil.objects.values_list("pk", flat=True)) == [world.amy.pk]
    assert School.objects.filter(pk=school.pk).exists()


def test_a_backup_from_before_reveals_nothing_of_the_deleted_school(populated, tmp_path):
    world = populated
    school = _end(world)
    before_b = _school_rows(_rows(), world.b.pk)
    backup, _ = _backup(tmp_path)
    _delete(world, school)
    key_copy = tmp_path / "keys-after.json"
    call_command("keys_backup", output=str(key_copy))
    _empty_database()
    result = restore_read(backup, keys_path=key_copy)
    assert result.unreadable_schools == {school.pk}
    assert result.unreadable["rosters_pupil"] == 3
    after = _rows()
    assert _school_rows(after, world.b.pk) == before_b
    restored = repr(after).encode()
    for value in _personal_data(world):
        assert value not in restored, value
    keys.forget_cached_keys()


def test_the_command_shows_then_deletes_with_the_code(populated):
    world = populated
    school = _end(world)
    out = StringIO()
    call_command("school_delete", school=school.pk, stdout=out)
    shown = out.getvalue()
    assert "pupils (rosters.Pupil)" in shown and "accounts of nobody else" in shown
    # What outlives it, in words (a key record is kept, its key destroyed).
    assert "Kept: 1 contract record (terms accepted): kept 7 years after the end." in shown
    assert "Kept: 1 key record: the key itself is destroyed" in shown
    assert School.objects.filter(pk=school.pk).exists()
    code = school_deletion_plan(school).fingerprint
    assert f"--confirm {code}" in shown
    with pytest.raises(CommandError, match="changed since"):
        call_command(
            "school_delete",
            school=school.pk,
            by=world.platform_staff.email,
            reason="Asked",
            confirm="0" * 16,
            stdout=StringIO(),
        )
    out = StringIO()
    call_command(
        "school_delete",
        school=school.pk,
        by=world.platform_staff.email,
        reason="Asked by the head",
        confirm=code,
        stdout=out,
    )
    assert "its key is destroyed" in out.getvalue()
    with pytest.raises(CommandError, match="was deleted on"):
        call_command("school_delete", school=school.pk, stdout=StringIO())


def test_a_deleted_school_is_gone_from_every_page(populated, client):
    world = populated
    school = _end(world)
    _delete(world, school)
    client.force_login(world.trust_admin)
    assert client.get(f"/s/{school.pk}/").status_code == 404
    response = client.get("/")
    assert school.name not in response.content.decode()
    client.force_login(world.other_admin)
    assert client.get(f"/s/{school.pk}/").status_code in (403, 404)


def test_a_backup_after_keeps_only_what_outlives_the_school(populated, tmp_path):
    """RET-5: a backup taken after the deletion holds the school's row and contract
    records (sealed for the platform, its own key being gone) and nothing else of it."""
    world = populated
    school = _end(world)
    _delete(world, school)
    backup, key_copy = _backup(tmp_path)
    _empty_database()
    result = restore_read(backup, keys_path=key_copy)
    assert result.unreadable == {}
    assert School.records.get(pk=school.pk).deleted_at is not None
    with school_scope(school):
        assert list(TermsAcceptance.objects.values_list("accepted_by_name", flat=True)) == [
            "Ann Admin"
        ]
    assert {label for label in KEPT} - {"core.SchoolKey"} <= OUTLIVE_THE_SCHOOL
    restored = repr(_rows()).encode()
    for value in _personal_data(world):
        assert value not in restored, value
    keys.forget_cached_keys()
