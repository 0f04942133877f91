"""The keyed access-log chain (SEC-1) and the log rule of RET-1: addresses and user ids
are removed and the chain still verifies; any changed value, a missing event, a
chain rewritten without the key or resealed behind the head file's back is reported;
old events are pruned behind a verified checkpoint; on PostgreSQL a trigger refuses
plain UPDATE and DELETE."""

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from markbook.audit import chain as rule
from markbook.audit import heads
from markbook.audit import services as audit
from markbook.audit.context import Origin, current
from markbook.audit.models import AuditCheckpoint, AuditEvent
from markbook.core.tenancy import all_schools
from tests.audit.test_chain import TABLE, sql, trigger_off, verify
from tests.conftest import World

ADDRESS = "198.51.100.23"


@pytest.fixture
def log(world: World) -> list[AuditEvent]:
    """Six events in School A's chain from an address: reads of a pupil, a change to an
    account, a sign-in; and two in School B's."""
    token = current.set(Origin(ip=ADDRESS))
    try:
        events = [
            audit.record(
                actor=world.teacher,
                school=world.a,
                action="rosters.pupil.viewed",
                target=world.amy,
                data={"page": "record", "n": n},
            )
            for n in range(3)
        ]
        events.append(
            audit.record(
                actor=world.admin,
                school=world.a,
                action="accounts.user.changed",
                target=world.teacher,
                data={"user": world.teacher.pk, "field": "email"},
            )
        )
        events += [
            audit.record(actor=world.admin, school=world.a, action="rosters.pupil.viewed")
            for _ in range(2)
        ]
        for _ in range(2):
            audit.record(actor=world.other_admin, school=world.b, action="rosters.pupil.viewed")
    finally:
        current.reset(token)
    return events


def stored(pk: int) -> AuditEvent:
    with all_schools():
        return AuditEvent.objects.get(pk=pk)


def backdate(events: list[AuditEvent], days: int) -> None:
    """Move events into the past, resealing them as the log would have written them
    then (a test's way of getting old events; the chain stays intact)."""
    for e in events:
        e.at -= timedelta(days=days)
    reseal_chain(events[0].school_id, key=rule.audit_key(), when={e.pk: e.at for e in events})


def reseal_chain(school_id, *, key: bytes, when=None, action=None) -> None:  # type: ignore[no-untyped-def]
    """Rewrite a chain consistently from its first event, below the ORM, with `key`:
    what someone who can write the database would do to hide a change."""
    with all_schools():
        events = list(AuditEvent.objects.filter(school_id=school_id).order_by("seq"))
    prev = rule.GENESIS
    for e in events:
        e.at = (when or {}).get(e.pk, e.at)
        e.action = (action or {}).get(e.pk, e.action)
        values = audit._values(e)
        values["prev_hash"] = prev
        e.hash = prev = rule.link_hash(values, key)
        sql(
            f"UPDATE {TABLE} SET at = %s, action = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [e.at, e.action, values["prev_hash"], e.hash, e.pk],
        )


# --- RET-1: addresses and user ids removed, the chain still verifies ---------------


def test_removing_addresses_and_user_ids_keeps_the_chain_verifiable(world: World, log):
    backdate(log[:4], days=400)
    before = timezone.now() - timedelta(days=365)
    removed = audit.events_redact_addresses(school_id=world.a.pk, before=before)
    assert removed == 4
    for e in log[:4]:
        e = stored(e.pk)
        assert (e.ip, e.actor_id, e.actor_label, e.user_ref) == (None, None, "", None)
        assert e.redacted_at is not None
        assert not set(rule.ADDRESS_FIELDS) & set(e.salts)  # the digests reveal nothing
        assert set(e.digests) == set(rule.REMOVABLE)  # and still hold their place
    # What was done, when and to which pupil stays; an account as the target goes.
    first, account = stored(log[0].pk), stored(log[3].pk)
    assert (first.action, first.target_id, first.pupil_ref) == (
        "rosters.pupil.viewed",
        str(world.amy.pk),
        world.amy.pk,
    )
    assert first.data == {"page": "record", "n": 0}
    assert account.target_id == "" and "target_id" not in account.salts
    # Newer events keep theirs.
    assert stored(log[4].pk).ip == ADDRESS and stored(log[4].pk).actor_id == world.admin.pk
    with all_schools():
        note = AuditEvent.objects.filter(school=world.a).order_by("-seq").first()
    assert note is not None and note.action == "audit.addresses.removed"
    assert note.data["events"] == 4
    out, err, failed = verify()
    assert not failed, err
    assert out.strip() == "ok: 2 chains, 9 events"
    # Idempotent: nothing left to remove, nothing recorded.
    assert audit.events_redact_addresses(school_id=world.a.pk, before=before) == 0
    assert audit.verify_chain(world.a.pk) is None


def test_the_platform_chain_is_school_id_none(world: World):
    token = current.set(Origin(ip=ADDRESS))
    try:
        signin = audit.record(actor=world.teacher, school=None, action="accounts.signin")
    finally:
        current.reset(token)
    assert audit.events_redact_addresses(school_id=None, before=timezone.now()) >= 1
    assert stored(signin.pk).ip is None
    assert audit.verify_chain(None) is None


def test_erasure_blanks_identities_of_any_event_and_the_chain_verifies(world: World, log):
    audit.audit_events_redact(
        data_ids=[log[0].pk],
        actor_ids=[log[1].pk],
        target_ids=[log[2].pk],
        replacement={"redacted": True, "erased": "pupil-1"},
    )
    assert stored(log[0].pk).data == {"redacted": True, "erased": "pupil-1"}
    assert stored(log[1].pk).actor_id is None and stored(log[2].pk).target_id == ""
    assert audit.verify_chain(world.a.pk) is None


# --- tampering: every field, a missing event, a rewritten chain ----------------------


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("actor_id", 999, rule.CHANGED),
        ("actor_label", "someone@else.org", rule.CHANGED),
        ("ip", "192.0.2.1", rule.CHANGED),
        ("target_id", "999", rule.CHANGED),
        ("pupil_ref", 999, rule.CHANGED),
        ("user_ref", 999, rule.CHANGED),
        ("data", json.dumps({"page": "nothing"}), rule.DATA_CHANGED),
        ("action", "rosters.pupil.innocent", rule.CHANGED),
        ("target_type", "rosters.guardian", rule.CHANGED),
        ("data_digest", "0" * 64, rule.DATA_CHANGED),
        ("digests", json.dumps({n: "0" * 64 for n in rule.REMOVABLE}), rule.CHANGED),
        ("hash", "f" * 64, rule.CHANGED),
    ],
)
def test_changing_any_field_is_reported_at_that_event(
    world: World, log, column: str, value: object, reason: str
):
    sql(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, log[1].pk])
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None
    assert (broken.seq, broken.event_id, broken.reason) == (2, log[1].pk, reason)


def test_changing_the_time_is_reported(world: World, log):
    sql(
        f"UPDATE {TABLE} SET at = %s WHERE id = %s",
        [log[2].at - timedelta(hours=3), log[2].pk],
    )
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None and broken.seq == 3


def test_removing_a_value_outside_a_redaction_is_reported(world: World, log):
    # Blanked without marking the event redacted, its salt taken too.
    salts = {k: v for k, v in log[1].salts.items() if k != "ip"}
    sql(f"UPDATE {TABLE} SET ip = NULL, salts = %s WHERE id = %s", [json.dumps(salts), log[1].pk])
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None and broken.seq == 2 and broken.reason == "ip removed unredacted"
    # Marked redacted but with its salt left: a blank value does not match the digest.
    sql(
        f"UPDATE {TABLE} SET actor_id = NULL, redacted_at = %s WHERE id = %s",
        [timezone.now(), log[2].pk],
    )
    sql(
        f"UPDATE {TABLE} SET ip = %s, salts = %s WHERE id = %s",
        [ADDRESS, json.dumps(log[1].salts), log[1].pk],
    )
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None and broken.seq == 3 and broken.reason == rule.CHANGED


def test_a_deleted_middle_event_is_reported(world: World, log):
    sql(f"DELETE FROM {TABLE} WHERE id = %s", [log[2].pk])
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None
    assert (broken.seq, broken.reason) == (4, "expected sequence 3")


def test_a_chain_rewritten_without_the_key_is_reported(world: World, log):
    """An attacker who can write the database but has no key reseals every link with
    another key (or a plain SHA-256): the first event no longer verifies."""
    reseal_chain(world.a.pk, key=b"a guess", action={log[1].pk: "rosters.pupil.innocent"})
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None and (broken.seq, broken.reason) == (1, rule.CHANGED)
    _, err, failed = verify()
    assert failed and f"school {world.a.pk}, first broken link at seq 1" in err


def test_a_resealed_chain_differs_from_the_heads_written_outside(world: World, log, head_file):
    """Even with the key, a rewritten chain no longer matches the heads in the file."""
    call_command("audit_heads_write", stdout=StringIO())
    reseal_chain(world.a.pk, key=rule.audit_key(), action={log[1].pk: "rosters.pupil.innocent"})
    assert audit.verify_chain(world.a.pk) is None  # the chain itself is consistent
    _, err, failed = verify()
    assert failed
    assert f"tampered: school {world.a.pk}, seq 6 (event id {log[5].pk}): event hash differs" in err
    assert f"school {world.b.pk}" not in err
    # One school's check names that school only.
    _, err, failed = verify("--school", str(world.b.pk))
    assert not failed


def test_events_deleted_from_the_end_are_reported_by_the_heads(world: World, log):
    call_command("audit_heads_write", stdout=StringIO())
    sql(f"DELETE FROM {TABLE} WHERE id IN (%s, %s)", [log[4].pk, log[5].pk])
    assert audit.verify_chain(world.a.pk) is None  # what is left still links up
    _, err, failed = verify()
    assert failed
    assert f"tampered: school {world.a.pk}, seq 6" in err
    assert "event missing: the chain ends at seq 4" in err


def test_heads_are_appended_when_chains_move(world: World, log, head_file: Path):
    out = StringIO()
    call_command("audit_heads_write", stdout=out)
    assert out.getvalue().startswith("2 chain heads written to ")
    lines = [json.loads(line) for line in head_file.read_text().splitlines()]
    assert {(line["school"], line["seq"], line["hash"]) for line in lines} == {
        (world.a.pk, 6, log[5].hash),
        (world.b.pk, 2, audit.chain_heads()[1][2]),
    }
    assert heads.heads_write() == 0  # nothing moved: nothing appended
    audit.record(actor=world.admin, school=world.a, action="rosters.pupil.viewed")
    assert heads.heads_write() == 1
    assert len(head_file.read_text().splitlines()) == 3
    _, err, failed = verify()
    assert not failed, err


def test_an_unreadable_head_file_line_is_reported(world: World, log, head_file: Path):
    heads.heads_write()
    with head_file.open("a") as f:
        f.write("not json\n")
    _, err, failed = verify()
    assert failed and "lines 3 are not chain heads" in err


def test_a_deleted_schools_heads_no_longer_count(world: World, log, head_file: Path):
    heads.heads_write()
    audit.school_chain_delete(school_id=world.a.pk)
    assert json.loads(head_file.read_text().splitlines()[-1])["deleted"] is True
    _, err, failed = verify()
    assert not failed, err
    # The chain starts again for the school (the demo re-seeds so): no old head holds it.
    audit.record(actor=world.admin, school=world.a, action="rosters.pupil.viewed")
    heads.heads_write()
    _, err, failed = verify()
    assert not failed, err


# --- pruning behind a checkpoint ---------------------------------------------------------


def test_pruning_behind_a_checkpoint_verifies(world: World, log, head_file: Path):
    backdate(log[:4], days=800)
    heads.heads_write()
    before = timezone.now() - timedelta(days=730)
    assert audit.events_prune(school_id=world.a.pk, before=before) == 4
    with all_schools():
        left = list(AuditEvent.objects.filter(school=world.a).values_list("seq", flat=True))
        checkpoint = AuditCheckpoint.objects.get(school=world.a)
    assert left == [5, 6, 7]  # 7: the prune, recorded
    assert (checkpoint.last_seq, checkpoint.last_hash, checkpoint.count) == (
        4,
        stored(log[4].pk).prev_hash,
        4,
    )
    assert checkpoint.verified
    with all_schools():
        note = AuditEvent.objects.get(school=world.a, seq=7)
    assert note.action == "audit.events.pruned" and note.data["events"] == 4
    out, err, failed = verify()
    assert not failed, err
    assert out.strip() == "ok: 2 chains, 5 events"
    # The chain goes on; pruning again finds nothing before the date.
    audit.record(actor=world.admin, school=world.a, action="rosters.pupil.viewed")
    assert audit.events_prune(school_id=world.a.pk, before=before) == 0
    assert audit.verify_chain(world.a.pk) is None


def test_the_last_event_is_never_pruned(world: World, log):
    later = timezone.now() + timedelta(days=1)
    assert audit.events_prune(school_id=world.b.pk, before=later) == 1
    with all_schools():
        assert list(AuditEvent.objects.filter(school=world.b).values_list("seq", flat=True)) == [
            2,
            3,
        ]
    audit.record(actor=world.other_admin, school=world.b, action="rosters.pupil.viewed")
    assert audit.verify_chain(world.b.pk) is None


def test_a_broken_chain_is_not_pruned(world: World, log):
    sql(f"UPDATE {TABLE} SET action = 'x' WHERE id = %s", [log[1].pk])
    with pytest.raises(audit.PruneRefused, match="does not verify at seq 2"):
        audit.events_prune(school_id=world.a.pk, before=timezone.now())
    with all_schools():
        assert AuditEvent.objects.filter(school=world.a).count() == 6
        assert not AuditCheckpoint.objects.exists()


def test_a_forged_or_deleted_checkpoint_is_reported(world: World, log):
    audit.events_prune(school_id=world.a.pk, before=log[3].at)
    assert audit.verify_chain(world.a.pk) is None
    table = AuditCheckpoint._meta.db_table
    with all_schools():
        checkpoint = AuditCheckpoint.objects.get(school=world.a)
    guard = "markbook_audit_checkpoint_guard"

    def tamper(statement: str) -> None:
        with all_schools(), connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                cursor.execute(statement, [checkpoint.pk])
                return
            with trigger_off(cursor, table, guard):
                cursor.execute(statement, [checkpoint.pk])

    tamper(f"UPDATE {table} SET last_seq = 2 WHERE id = %s")
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None and broken.reason == "checkpoint does not match its seal"
    tamper(f"DELETE FROM {table} WHERE id = %s")
    broken = audit.verify_chain(world.a.pk)
    assert broken is not None and (broken.seq, broken.reason) == (4, "expected sequence 1")


# --- PostgreSQL: the trigger ----------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (SQLite: the ORM guard)"
)
@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET action = 'rosters.pupil.innocent' WHERE id = %s",
        f"UPDATE {TABLE} SET data = '{{}}', redacted_at = now() WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
    ],
)
def test_the_trigger_refuses_a_plain_update_or_delete(world: World, log, statement: str):
    with (
        all_schools(),
        connection.cursor() as cursor,
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
    ):
        cursor.execute(statement, [log[1].pk])
    assert audit.verify_chain(world.a.pk) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_trigger_lets_only_a_redaction_through_its_path(world: World, log):
    with all_schools(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('markbook.audit_write', 'redact', true)")
        # A "redaction" that changes what the event says is still refused.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(
                f"UPDATE {TABLE} SET action = 'x', redacted_at = now() WHERE id = %s",
                [log[1].pk],
            )
        # Deleting is not redacting.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [log[1].pk])
        cursor.execute("SELECT set_config('markbook.audit_write', '', true)")
    # The sanctioned paths work, and leave the setting cleared.
    audit.events_redact_addresses(school_id=world.a.pk, before=timezone.now())
    assert audit.events_prune(school_id=world.a.pk, before=log[3].at) == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('markbook.audit_write', true)")
        assert cursor.fetchone()[0] in ("", None)
    assert audit.verify_chain(world.a.pk) is None
    # A checkpoint is never changed, nor deleted but with its school's chain.
    table = AuditCheckpoint._meta.db_table
    with all_schools(), connection.cursor() as cursor:
        for statement in (f"UPDATE {table} SET count = 0", f"DELETE FROM {table}"):
            with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
                cursor.execute(statement)
    audit.school_chain_delete(school_id=world.a.pk)
    with all_schools():
        assert not AuditCheckpoint.objects.filter(school=world.a).exists()


def test_the_audit_key_is_not_the_hash_key_and_can_be_set(settings):
    derived = rule.audit_key()
    assert derived != settings.MARKBOOK_HASH_KEY.encode()
    settings.MARKBOOK_AUDIT_KEY = "another key"
    assert rule.audit_key() == b"another key"


def test_unknown_school_for_verify_still_a_clear_error(world: World):
    with pytest.raises(CommandError, match="no school with id"):
        call_command("audit_verify", "--school", "0", stdout=StringIO(), stderr=StringIO())


def test_an_event_without_its_address_still_says_what_was_done(world: World):
    from markbook.audit.describe import Names, what
    from markbook.core.tenancy import school_scope

    event = audit.record(
        actor=world.teacher,
        school=world.a,
        action="rosters.pupil.moved",
        target=world.amy,
        data={
            "pupil": world.amy.pk,
            "from_class": world.class_7a.pk,
            "to_class": world.class_7b.pk,
        },
    )
    with school_scope(world.a):
        before = what(stored(event.pk), Names([stored(event.pk)], world.a))
    audit.events_redact_addresses(school_id=world.a.pk, before=timezone.now())
    redacted = stored(event.pk)
    assert redacted.redacted_at is not None and redacted.actor_id is None
    with school_scope(world.a):
        assert what(redacted, Names([redacted], world.a)) == before
    assert "Amy" in before and "7A" in before, before
