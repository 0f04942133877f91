"""The access log's hash chain and its verifier (SEC-1): every kind of tampering is
reported at the first broken link, redaction is not tampering, and the ORM refuses
to change or delete an event."""

import json
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from markbook.audit import services as audit
from markbook.audit.models import AppendOnlyError, AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from tests.conftest import World

TABLE = AuditEvent._meta.db_table


@pytest.fixture
def chain(world: World) -> list[AuditEvent]:
    """Five events in School A's chain (seq 1..5) and two in School B's."""
    events = [
        audit.record(
            actor=world.admin,
            school=world.a,
            action=f"rosters.pupil.step{n}",
            target=world.amy,
            data={"n": n, "name": "Amy Adams"},
        )
        for n in range(1, 6)
    ]
    for _ in range(2):
        audit.record(actor=world.other_admin, school=world.b, action="rosters.pupil.viewed")
    return events


def sql(statement: str, params: list) -> None:  # type: ignore[type-arg]
    """Tamper as an attacker with database access would: below the ORM, every school
    visible (on PostgreSQL row-level security would hide the rows otherwise), the
    append-only trigger disabled as the table's owner can (migration 0006)."""
    with all_schools(), connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(statement, params)
            return
        with trigger_off(cursor, TABLE, "markbook_audit_append_only"):
            cursor.execute(statement, params)


@contextmanager
def trigger_off(cursor, table: str, trigger: str):  # type: ignore[no-untyped-def]
    """As the table's owner, the trigger off for the block (PostgreSQL refuses to alter
    a table with pending deferred foreign-key checks: they run first)."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    yield
    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def verify(*args: str) -> tuple[str, str, bool]:
    """Run audit_verify; (stdout, stderr, whether it failed)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except CommandError as e:
        return out.getvalue(), err.getvalue() + str(e), True
    return out.getvalue(), err.getvalue(), False


def test_intact_chains_verify(world: World, chain):
    out, _, failed = verify()
    assert not failed
    assert out.strip() == "ok: 2 chains, 7 events"
    assert audit.verify_chain(world.a.pk) is None


def test_one_schools_chain_can_be_verified_alone(world: World, chain):
    out, _, failed = verify("--school", str(world.b.pk))
    assert not failed and out.strip() == "ok: 1 chains, 2 events"


def test_unknown_school_is_a_clear_error(world: World, chain):
    _, err, failed = verify("--school", "999999")
    assert failed and "no school with id '999999'" in err


def test_changed_data_breaks_the_chain_at_that_event(world: World, chain):
    sql(f"UPDATE {TABLE} SET data = %s WHERE id = %s", [json.dumps({"n": 99}), chain[2].pk])
    _, err, failed = verify()
    assert failed
    assert f"school {world.a.pk}, first broken link at seq 3 (event id {chain[2].pk})" in err
    assert "data does not match its digest" in err
    assert f"school {world.b.pk}" not in err  # the other chain is intact


@pytest.mark.parametrize(
    ("column", "value"),
    [("action", "rosters.pupil.nothing_to_see"), ("actor_label", "someone@else.org")],
)
def test_changed_action_or_actor_breaks_the_chain_at_that_event(
    world: World, chain, column: str, value: str
):
    sql(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, chain[1].pk])
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None
    assert (broken.seq, broken.event_id) == (2, chain[1].pk)
    assert broken.reason == "event hash does not match its content"
    _, err, failed = verify()
    assert failed and "first broken link at seq 2" in err


def test_changed_actor_id_breaks_the_chain(world: World, chain):
    sql(f"UPDATE {TABLE} SET actor_id = %s WHERE id = %s", [world.teacher.pk, chain[3].pk])
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None and broken.seq == 4


def test_rewritten_event_with_recomputed_hash_breaks_the_next_link(world: World, chain):
    with all_schools():
        event = AuditEvent.objects.get(pk=chain[1].pk)
    event.action = "rosters.pupil.innocent"
    new_hash = audit._link_hash(event)
    sql(
        f"UPDATE {TABLE} SET action = %s, hash = %s WHERE id = %s",
        [event.action, new_hash, event.pk],
    )
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None
    assert broken.seq == 3 and broken.reason == "previous-hash link does not match"


def test_deleted_middle_event_is_reported_at_the_gap(world: World, chain):
    sql(f"DELETE FROM {TABLE} WHERE id = %s", [chain[2].pk])
    _, err, failed = verify()
    assert failed
    assert f"first broken link at seq 4 (event id {chain[3].pk}): expected sequence 3" in err


def test_reordered_events_are_reported_at_the_first_swapped_position(world: World, chain):
    # Swap seq 2 and 3 (through a temporary value: (school, seq) is unique).
    sql(f"UPDATE {TABLE} SET seq = 1000 WHERE id = %s", [chain[1].pk])
    sql(f"UPDATE {TABLE} SET seq = 2 WHERE id = %s", [chain[2].pk])
    sql(f"UPDATE {TABLE} SET seq = 3 WHERE id = %s", [chain[1].pk])
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None
    assert (broken.seq, broken.event_id) == (2, chain[2].pk)
    _, err, failed = verify("--school", str(world.a.pk))
    assert failed and "first broken link at seq 2" in err


def test_only_the_first_broken_link_of_each_chain_is_reported(world: World, chain):
    sql(f"UPDATE {TABLE} SET action = 'x' WHERE id IN (%s, %s)", [chain[1].pk, chain[3].pk])
    _, err, failed = verify()
    assert failed
    assert "seq 2" in err and "seq 4" not in err


def test_redaction_keeps_the_chain_valid(world: World, chain):
    audit.audit_event_redact(actor=None, event=chain[2], reason="erasure request 12 (DSR-4)")
    with all_schools():
        event = AuditEvent.objects.get(pk=chain[2].pk)
        redaction = AuditEvent.objects.filter(school=world.a).order_by("-seq").first()
    assert event.data == {"redacted": True} and event.redacted_at is not None
    assert "Amy" not in json.dumps(event.data)
    assert redaction is not None and redaction.action == "audit.event.redacted"
    assert redaction.data == {"seq": 3, "reason": "erasure request 12 (DSR-4)"}
    out, _, failed = verify()
    assert not failed and out.strip() == "ok: 2 chains, 8 events"


def test_redaction_needs_a_reason(world: World, chain):
    with pytest.raises(ValueError, match="needs a reason"):
        audit.audit_event_redact(actor=None, event=chain[0], reason=" ")


# --- append-only at the ORM level -------------------------------------------------


def test_saving_a_changed_event_is_refused(world: World, chain):
    event = chain[0]
    event.action = "rosters.pupil.forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["action"])
    # A redaction-shaped save without a redaction date is not a redaction either.
    with pytest.raises(AppendOnlyError):
        event.save(update_fields=["data", "redacted_at"])
    assert audit.verify_chain(world.a.pk) is None


def test_an_existing_event_cannot_be_overwritten_as_a_new_one(world: World, chain):
    from django.db import IntegrityError, transaction

    forged = AuditEvent(
        pk=chain[0].pk, school_id=world.a.pk, seq=1, at=chain[0].at, action="forged"
    )
    with school_scope(world.a), pytest.raises(IntegrityError), transaction.atomic():
        forged.save()
    assert audit.verify_chain(world.a.pk) is None


def test_deleting_an_event_is_refused(world: World, chain):
    with pytest.raises(AppendOnlyError):
        chain[0].delete()
    with school_scope(world.a), pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=1).delete()
    with school_scope(world.a):
        assert AuditEvent.objects.count() == 5


def test_bulk_update_is_refused(world: World, chain):
    with school_scope(world.a):
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.filter(seq=2).update(action="rosters.pupil.forged")
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.all().update(data={})
    assert audit.verify_chain(world.a.pk) is None


def test_a_deleted_schools_whole_chain_goes_and_the_others_still_verify(world: World, chain):
    with all_schools():
        before_b = AuditEvent.objects.filter(school_id=world.b.pk).count()
        assert AuditEvent.objects.filter(school_id=world.a.pk).exists()
    deleted = audit.school_chain_delete(school_id=world.a.pk)
    with all_schools():
        assert deleted > 0
        assert not AuditEvent.objects.filter(school_id=world.a.pk).exists()
        assert AuditEvent.objects.filter(school_id=world.b.pk).count() == before_b
        with pytest.raises(AppendOnlyError):
            AuditEvent.objects.filter(school_id=world.b.pk).delete()
    assert audit.verify_all() == []


def test_events_recorded_together_continue_the_chain_in_order(world: World):
    from markbook.audit.context import Origin, current

    first = audit.record(actor=world.admin, school=world.a, action="rosters.pupil.viewed")
    token = current.set(Origin(ip="203.0.113.9"))
    try:
        made = audit.record_many(
            actor=world.admin,
            school=world.a,
            events=[
                ("rosters.pupil.changed", world.amy, {"year_group": {"old": "7", "new": "8"}}),
                ("rosters.pupil.changed", world.ben, None),
            ],
        )
    finally:
        current.reset(token)
    last = audit.record(actor=world.admin, school=world.a, action="rosters.pupil.viewed")
    with all_schools():
        made = [AuditEvent.objects.get(pk=pk) for pk in made]
    assert [e.seq for e in made] == [first.seq + 1, first.seq + 2]
    assert made[0].prev_hash == first.hash and made[1].prev_hash == made[0].hash
    assert last.prev_hash == made[1].hash
    stored = made[0]
    assert (stored.seq, stored.target_id, stored.actor_id, stored.ip, stored.data) == (
        first.seq + 1,
        str(world.amy.pk),
        world.admin.pk,
        "203.0.113.9",
        {"year_group": {"old": "7", "new": "8"}},
    )
    assert audit.verify_chain(world.a.pk) is None
    assert audit.record_many(actor=world.admin, school=world.a, events=[]) == []
