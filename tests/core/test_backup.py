"""Backups that forget (SEC-5, RET-5): a restore round trip, and a deleted school's rows
unreadable in a backup taken before its deletion while the other schools restore whole.

"An empty database" here is the test database emptied of every row a backup holds (the
key store too), as a freshly migrated database is: migrate's own rows (content types,
permissions, the published notice) stay, and the restore replaces them. It runs on
SQLite and, with DATABASE_URL, on PostgreSQL under row-level security.
"""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from markbook.accounts.models import Membership, User
from markbook.assessment.models import Mark
from markbook.assessment.services import mark_record
from markbook.audit import services as audit
from markbook.core import keys
from markbook.core.backup import RestoreRefused, restore_read
from markbook.core.backup.tables import REPLACED, tables
from markbook.core.models import PlatformKey, SchoolKey
from markbook.core.tenancy import all_schools, school_scope
from markbook.rosters.models import Pupil
from tests import factories as f

FEEDBACK = "Amy's fractions are superb"


def _populate(world: Any) -> None:
    """Pupils, staff, classes, marks, tracking, consent and audit events in both schools."""
    f.tracking_world(world)
    f.consent_world(world)
    for teaching_class, pupils, actor in (
        (world.class_7a, [world.amy, world.ben], world.teacher),
        (world.class_b1, [world.dee], world.other_teacher),
    ):
        assignment = f.markbook_assignment(teaching_class, "Fractions", 20)
        with school_scope(teaching_class.school):
            for n, pupil in enumerate(pupils):
                mark_record(actor=actor, assignment=assignment, pupil=pupil, score=Decimal(17 - n))
    with school_scope(world.a):
        Mark.objects.filter(pupil=world.amy).update(feedback=FEEDBACK)
        # An encrypted field (SEC-2) as well as plain ones.
        amy = Pupil.objects.get(pk=world.amy.pk)
        amy.ethnicity = "WBRI"
        amy.save()
    EmailAddress.objects.create(user=amy.user, email="amy.adams@oakfield.sch.uk", primary=True)
    # A supply teacher in both schools.
    supply = f.member(world.a, Membership.Role.TEACHER, email="supply@agency.example")
    with school_scope(world.b):
        Membership.objects.create(school=world.b, user=supply, role=Membership.Role.TEACHER)
    EmailAddress.objects.create(user=supply, email="supply@agency.example", primary=True)
    audit.record(actor=world.admin, school=world.a, action="rosters.pupil.viewed", target=amy)
    audit.record(actor=None, school=None, action="accounts.signin.failed")


def _rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every backed-up table, in primary-key order."""
    quote = connection.ops.quote_name
    out = {}
    with all_schools(), connection.cursor() as cursor:
        for t in tables():
            cursor.execute(
                f"SELECT {', '.join(quote(c) for c in t.columns)} FROM {quote(t.name)} "
                f"ORDER BY {quote(t.pk)}"
            )
            out[t.name] = [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                for row in cursor.fetchall()
            ]
    return out


def _empty_database() -> None:
    quote = connection.ops.quote_name
    names = [t.name for t in tables() if t.name not in REPLACED]
    names += [SchoolKey._meta.db_table, PlatformKey._meta.db_table]
    with transaction.atomic(), all_schools(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the log's trigger lets a whole chain go
            cursor.execute("SELECT set_config('markbook.audit_write', 'chain_delete', true)")
        for name in reversed(names):
            cursor.execute(f"DELETE FROM {quote(name)}")
    keys.forget_cached_keys()


def _backup(tmp_path: Path) -> tuple[Path, Path]:
    backup, key_copy = tmp_path / "markbook.mbk", tmp_path / "keys.json"
    call_command("backup", output=str(backup))
    call_command("keys_backup", output=str(key_copy))
    return backup, key_copy


def _school_rows(rows: dict[str, list[tuple[Any, ...]]], school_id: int) -> dict[str, list]:
    """The rows of every tenant table that belong to one school."""
    out = {}
    for t in tables():
        if t.school_column is not None:
            at = t.columns.index(t.school_column)
            out[t.name] = [r for r in rows[t.name] if r[at] == school_id]
    return out


def _personal_data(world: Any) -> list[bytes]:
    """Amy's name, UPN, e-mail address and mark, as they would appear in plaintext (a
    short name in quotes: three letters alone turn up in base64 by chance)."""
    amy = world.amy
    return [
        f'"{amy.first_name}"'.encode(),
        *(s.encode() for s in (amy.last_name, amy.upn, "amy.adams@oakfield.sch.uk", FEEDBACK)),
    ]


def test_restore_brings_back_every_row_of_every_table(world, tmp_path, capsys):
    """SEC-5: back up a populated database, restore it into an empty one: every table
    comes back row for row, and the access log's chains verify."""
    _populate(world)
    before = _rows()
    assert (
        before["assessment_mark"] and before["audit_auditevent"] and before["tracking_target"] == []
    )
    backup, key_copy = _backup(tmp_path)

    _empty_database()
    assert not any(rows for name, rows in _rows().items() if name not in REPLACED)
    call_command("restore", str(backup), keys=str(key_copy))

    after = _rows()
    # The restore itself is the one event more, at the end of the platform's chain.
    with all_schools():
        restored = audit.AuditEvent.objects.get(action="core.backup.restored")
    assert restored.school_id is None and restored.data["rows"] == sum(
        len(rows) for rows in before.values()
    )
    after["audit_auditevent"] = [r for r in after["audit_auditevent"] if r[0] != restored.pk]
    for name in before:
        assert after[name] == before[name], name
    assert "restored" in capsys.readouterr().out
    call_command("audit_verify")
    # The restored key store opens the encrypted fields again.
    with school_scope(world.a):
        assert Pupil.objects.get(pk=world.amy.pk).ethnicity == "WBRI"


def test_backup_holds_no_personal_data_in_plaintext(world, tmp_path):
    """SEC-5: names, UPNs, e-mail addresses and marks are all sealed in the file."""
    _populate(world)
    backup, key_copy = _backup(tmp_path)
    data = backup.read_bytes()
    for value in _personal_data(world):
        assert value not in data, value
    # The keys are not in it either (RET-5): the key store copy is separate.
    wrapped = json.loads(key_copy.read_text())["schools"][0]["wrapped_key"]
    assert wrapped.encode() not in data


def test_a_deleted_schools_rows_cannot_be_restored_from_an_older_backup(world, tmp_path, capsys):
    """RET-5: destroying school A's key makes a backup taken before unreadable for A,
    while school B restores whole and the restore counts what it left out."""
    _populate(world)
    before = _rows()
    backup, _ = _backup(tmp_path)

    keys.school_key_destroy(school_id=world.a.pk)
    key_copy = tmp_path / "keys-after.json"
    call_command("keys_backup", output=str(key_copy))
    _empty_database()
    call_command("restore", str(backup), keys=str(key_copy))
    out = capsys.readouterr().out
    assert f"schools whose key is destroyed: {world.a.pk}" in out

    after = _rows()
    assert _school_rows(after, world.b.pk) == _school_rows(before, world.b.pk)
    assert all(rows == [] for rows in _school_rows(after, world.a.pk).values())
    user_ids = {r[0] for r in after["accounts_user"]}
    # A's people are gone; B's, the trust's administrator and platform staff are back.
    assert world.amy.user_id not in user_ids and world.teacher.pk not in user_ids
    assert {world.dee.user_id, world.other_teacher.pk, world.trust_admin.pk} <= user_ids
    assert world.platform_staff.pk in user_ids
    # The supply teacher of both schools is back, through B's key, with their address;
    # Amy's address is not (a row of a person left out is left out too).
    supply = User.objects.get(email="supply@agency.example")
    assert {r[2] for r in after["account_emailaddress"]} == {"supply@agency.example"}
    with school_scope(world.b):
        assert Membership.objects.filter(user=supply).count() == 1
    school_ids = {r[0] for r in after["schools_school"]}
    assert school_ids == {world.b.pk}
    restored = repr(after)
    amy = world.amy
    for value in (f"'{amy.first_name}'", amy.last_name, amy.upn, "amy.adams@", FEEDBACK):
        assert value not in restored, value
    call_command("audit_verify")


def test_restore_counts_what_it_cannot_open(world, tmp_path):
    """RET-5: the restore's result names the tables and how many rows no key opens."""
    _populate(world)
    backup, _ = _backup(tmp_path)
    keys.school_key_destroy(school_id=world.a.pk)
    key_copy = tmp_path / "keys-after.json"
    call_command("keys_backup", output=str(key_copy))
    _empty_database()
    result = restore_read(backup, keys_path=key_copy)
    assert result.unreadable_schools == {world.a.pk}
    assert result.unreadable["rosters_pupil"] == 3
    assert result.unreadable["assessment_mark"] == 2
    assert result.restored["rosters_pupil"] == 1


def test_a_backup_after_deletion_leaves_the_school_out(world, tmp_path):
    """RET-5: a backup made after a school's key is destroyed holds none of its rows."""
    _populate(world)
    keys.school_key_destroy(school_id=world.a.pk)
    backup, key_copy = _backup(tmp_path)
    _empty_database()
    result = restore_read(backup, keys_path=key_copy)
    assert result.unreadable == {}
    assert result.restored["rosters_pupil"] == 1
    assert result.restored["account_emailaddress"] == 1  # the supply teacher's, not Amy's


def test_restore_refuses_a_database_that_holds_data(world, tmp_path):
    """SEC-5: a restore never mixes a backup with data already there."""
    backup, key_copy = _backup(tmp_path)
    with pytest.raises(CommandError, match="a restore needs an empty database"):
        call_command("restore", str(backup), keys=str(key_copy))


def test_restore_refuses_what_is_not_a_backup(world, tmp_path):
    junk = tmp_path / "junk.mbk"
    junk.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="cannot open"):
        call_command("restore", str(junk))


def test_restore_refuses_an_altered_backup(world, tmp_path):
    """SEC-5: a chunk swapped between tables fails its integrity check."""
    import zipfile

    _populate(world)
    backup, key_copy = _backup(tmp_path)
    altered = tmp_path / "altered.mbk"
    with zipfile.ZipFile(backup) as src, zipfile.ZipFile(altered, "w") as dst:
        pupils = src.read("tables/rosters_pupil.jsonl")
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "tables/rosters_enrolment.jsonl":
                data = pupils
            dst.writestr(item, data)
    _empty_database()
    with pytest.raises(RestoreRefused, match="fails its integrity check"):
        restore_read(altered, keys_path=key_copy)


def test_master_key_rotation_keeps_backups_and_retires_old_key_copies(
    world, tmp_path, settings, monkeypatch
):
    """SEC-5, RET-5: after `keys_rotate_master` the old backup restores with the new key
    store copy, and a key store copy made before no longer opens."""
    settings.MARKBOOK_MASTER_KEY = settings.MARKBOOK_MASTER_KEY  # restored after the test
    settings.DATA_DIR = tmp_path
    monkeypatch.setenv("MARKBOOK_MASTER_KEY", settings.MARKBOOK_MASTER_KEY)  # a deployment's
    _populate(world)
    before = _rows()
    backup, old_copy = _backup(tmp_path)
    call_command("keys_rotate_master")
    assert (tmp_path / "master-key.new").read_text().strip() == settings.MARKBOOK_MASTER_KEY
    new_copy = tmp_path / "keys-new.json"
    call_command("keys_backup", output=str(new_copy))
    _empty_database()
    with pytest.raises(RestoreRefused, match="master key does not open"):
        restore_read(backup, keys_path=old_copy)
    restore_read(backup, keys_path=new_copy)
    assert _rows() == before


@pytest.mark.django_db(transaction=True)
def test_backup_outside_a_transaction_takes_its_own_snapshot(world, tmp_path):
    """SEC-5: run as the command runs on a serving site, outside any transaction: the
    SQLite online backup API, or PostgreSQL's serializable read-only snapshot."""
    assert not connection.in_atomic_block
    _populate(world)
    before = _rows()
    backup, key_copy = _backup(tmp_path)
    _empty_database()
    restore_read(backup, keys_path=key_copy)
    assert _rows() == before


def test_master_key_rotation_updates_the_local_secrets_file(world, tmp_path, settings, monkeypatch):
    """SEC-5: with the master key in the local secrets file, the rotation writes the new
    key there and leaves no copy of it behind."""
    monkeypatch.delenv("MARKBOOK_MASTER_KEY", raising=False)
    settings.MARKBOOK_MASTER_KEY = settings.MARKBOOK_MASTER_KEY  # restored after the test
    settings.DATA_DIR = tmp_path
    old = settings.MARKBOOK_MASTER_KEY
    (tmp_path / "secrets.json").write_text(json.dumps({"MARKBOOK_MASTER_KEY": old}))
    with school_scope(world.a):
        amy = Pupil.objects.get(pk=world.amy.pk)
        amy.ethnicity = "WBRI"
        amy.save()
    call_command("keys_rotate_master")
    stored = json.loads((tmp_path / "secrets.json").read_text())["MARKBOOK_MASTER_KEY"]
    assert stored == settings.MARKBOOK_MASTER_KEY != old
    assert not (tmp_path / "master-key.new").exists()
    keys.forget_cached_keys()
    with school_scope(world.a):
        assert Pupil.objects.get(pk=world.amy.pk).ethnicity == "WBRI"


def test_restore_refuses_without_the_key_store(world, tmp_path):
    """SEC-5: a restore into an empty database needs the key store copy; another
    deployment's key store is refused by name, not taken for damage."""
    _populate(world)
    backup, _ = _backup(tmp_path)
    _empty_database()
    with pytest.raises(CommandError, match="no key store: give the key store copy"):
        call_command("restore", str(backup))
    keys.platform_key_wrapped()  # a key store of its own, not the backup's
    with pytest.raises(RestoreRefused, match="does not hold the key this backup was made with"):
        restore_read(backup)


def test_each_backup_is_in_the_platforms_log_without_its_contents(world, tmp_path):
    """SEC-1, SEC-5: the platform's log records each backup, after its snapshot: which
    one and how many rows, never where it went."""
    from markbook.audit.models import AuditEvent

    _populate(world)
    _backup(tmp_path)
    with all_schools():
        event = AuditEvent.objects.get(action="core.backup.written")
    assert event.school_id is None
    assert event.data["rows"] == sum(len(rows) for rows in _rows().values()) - 1
    assert str(tmp_path) not in json.dumps(event.data)
    call_command("audit_verify")


def _picture(school: Any, actor: Any, marker: bytes) -> Any:
    """A prompt image of `school`, its bytes ending with `marker`."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from markbook.practice.media import media_upload
    from tests.practice.helpers import PNG

    with school_scope(school):
        return media_upload(
            actor=actor, school=school, upload=SimpleUploadedFile("p.png", PNG + marker)
        )


def test_stored_files_are_backed_up_sealed_and_come_back_with_the_restore(
    world, tmp_path, settings, capsys
):
    """SEC-5: teachers' prompt images are in the backup, sealed (not readable in the
    file), and a restore writes them back byte for byte."""
    import base64

    settings.MEDIA_ROOT = tmp_path / "media"
    marker = b"Amy's drawing of a fraction wall"
    media = _picture(world.a, world.teacher, marker)
    stored = Path(settings.MEDIA_ROOT) / media.file.name
    content = stored.read_bytes()
    backup, key_copy = _backup(tmp_path)
    assert "and 1 stored files" in capsys.readouterr().out
    data = backup.read_bytes()
    assert marker not in data and base64.b64encode(content)[-40:] not in data

    stored.unlink()
    _empty_database()
    call_command("restore", str(backup), keys=str(key_copy))
    assert "and 1 stored files" in capsys.readouterr().out
    assert stored.read_bytes() == content


def test_a_deleted_schools_files_cannot_be_restored_from_an_older_backup(
    world, tmp_path, settings, capsys
):
    """RET-5: with school A's key destroyed, its files stay sealed in an old backup;
    school B's come back."""
    settings.MEDIA_ROOT = tmp_path / "media"
    a_file = _picture(world.a, world.teacher, b"A's picture")
    b_file = _picture(world.b, world.other_teacher, b"B's picture")
    backup, _ = _backup(tmp_path)
    paths = [Path(settings.MEDIA_ROOT) / m.file.name for m in (a_file, b_file)]
    b_content = paths[1].read_bytes()
    for path in paths:
        path.unlink()

    keys.school_key_destroy(school_id=world.a.pk)
    key_copy = tmp_path / "keys-after.json"
    call_command("keys_backup", output=str(key_copy))
    _empty_database()
    capsys.readouterr()
    result = restore_read(backup, keys_path=key_copy)
    assert (result.files, result.files_unreadable) == (1, 1)
    assert not paths[0].exists() and paths[1].read_bytes() == b_content


def test_a_restore_that_fails_leaves_no_stored_file_behind(world, tmp_path, settings, monkeypatch):
    """A restore is whole or absent: the database's rows and the files it wrote."""
    from markbook.core.backup import load

    settings.MEDIA_ROOT = tmp_path / "media"
    media = _picture(world.a, world.teacher, b"kept whole or not at all")
    backup, key_copy = _backup(tmp_path)
    stored = Path(settings.MEDIA_ROOT) / media.file.name
    stored.unlink()
    _empty_database()

    written = load.media_restore

    def then_fail(*args: Any) -> tuple[int, int]:
        written(*args)
        assert stored.exists()
        raise OSError("disk full")

    monkeypatch.setattr(load, "media_restore", then_fail)
    with pytest.raises(OSError, match="disk full"):
        restore_read(backup, keys_path=key_copy)
    assert not stored.exists()
    with all_schools():
        assert not Pupil.objects.exists()


def test_a_restore_under_another_hash_key_is_refused_naming_it(world, tmp_path, settings):
    """SEC-5, SEC-1, DSR-4: the keyed hashes (UPNs, erased people kept out of imports)
    and the access log's chain are bound to MARKBOOK_HASH_KEY: a backup restored on an
    installation with another one is refused before anything is written, saying which
    key and what would go wrong."""
    _populate(world)
    backup, key_copy = _backup(tmp_path)
    _empty_database()
    settings.MARKBOOK_HASH_KEY = "another installation's hash key"
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(backup), keys=str(key_copy))
    said = str(refused.value)
    assert "another MARKBOOK_HASH_KEY" in said and "MARKBOOK_AUDIT_KEY" not in said
    assert "erased people" in said and "--secrets-lost" in said
    assert not any(rows for name, rows in _rows().items() if name not in REPLACED)


def test_a_restore_under_another_audit_key_is_refused_naming_it(world, tmp_path, settings):
    """SEC-1: the access log's own key, when set apart from the hash key."""
    backup, key_copy = _backup(tmp_path)
    _empty_database()
    settings.MARKBOOK_AUDIT_KEY = "a key the backup's installation did not have"
    with pytest.raises(RestoreRefused, match=r"another MARKBOOK_AUDIT_KEY than"):
        restore_read(backup, keys_path=key_copy)


def test_a_restore_with_the_secrets_lost_remakes_upn_hashes_and_says_what_is_lost(
    world, tmp_path, settings, capsys
):
    """SEC-5, ACC-3: when the old hash key is lost for good, --secrets-lost restores
    anyway: the pupils' UPN hashes are made again under the new key (imports find them
    by UPN), each school's log counts them, the platform's log names the lost key, and
    audit_verify says why every chain fails."""
    from io import StringIO

    from markbook.rosters.services import upn_digest

    _populate(world)
    backup, key_copy = _backup(tmp_path)
    _empty_database()
    settings.MARKBOOK_HASH_KEY = "the new installation's hash key"
    call_command("restore", str(backup), keys=str(key_copy), secrets_lost=True)
    out = capsys.readouterr().out
    assert "restored under another MARKBOOK_HASH_KEY" in out and "UPN hashes" in out
    with school_scope(world.a):
        amy = Pupil.objects.get(pk=world.amy.pk)
        assert amy.upn and amy.upn_hash == upn_digest(amy.upn)
        remade = audit.AuditEvent.objects.get(action="rosters.upn_hashes.remade")
        assert remade.data["pupils"] == Pupil.objects.filter(upn__isnull=False).count() > 0
    with all_schools():
        restored = audit.AuditEvent.objects.get(action="core.backup.restored")
    assert restored.data["secrets_lost"] == ["MARKBOOK_HASH_KEY"]
    err = StringIO()
    with pytest.raises(CommandError, match="chains broken"):
        call_command("audit_verify", stderr=err)
    assert "written under another audit key" in err.getvalue()
