"""insert_rows writes what bulk_create writes for the same values (ROS-2), with
sensitive fields encrypted (SEC-2), and refuses fields the model does not have."""

from datetime import date

import pytest
from django.utils import timezone

from markbook.accounts.models import User
from markbook.core.rows import insert_rows, unusable_passwords
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil

VALUES = {
    "first_name": "Eve",
    "last_name": "Evans",
    "upn": "A801200026001",
    "upn_hash": "ab" * 32,
    "mis_id": "A001",
    "year_group": "7",
    "registration_group": "7E",
    "sex": "F",
    "date_of_birth": date(2014, 9, 1),
    "uln": "9999999009",
    "eal": False,
    "gifted_talented": None,
    "ks2_reading": 104,
    "fsm": True,
    "disadvantaged": False,
    "sen_provision": "K",
    "sen_need": "SPLD",
    "ethnicity": "WBRI",
}
SKIPPED = {"id", "created_at", "updated_at", "username"}


def columns(pupil: Pupil) -> dict:
    return {
        f.attname: getattr(pupil, f.attname)
        for f in Pupil._meta.concrete_fields
        if f.attname not in SKIPPED
    }


def test_inserted_pupil_reads_back_as_a_bulk_created_one(world):
    now = timezone.now()
    with school_scope(world.a):
        (made,) = Pupil.objects.bulk_create([Pupil(school=world.a, username="eve.one", **VALUES)])
        (pk,) = insert_rows(
            Pupil,
            [{"school_id": world.a.pk, "username": "eve.two", **VALUES, "upn": "A801200026002"}],
            now=now,
        )
        ours, theirs = Pupil.objects.get(pk=pk), Pupil.objects.get(pk=made.pk)
        assert columns(ours) == columns(theirs) | {"upn": "A801200026002"}
        assert (ours.created_at, ours.updated_at) == (now, now)
        assert (ours.status, ours.email, ours.medical_notes) == ("on_roll", "", None)


def test_sensitive_values_are_stored_encrypted(world):
    from django.db import connection

    with school_scope(world.a):
        (pk,) = insert_rows(Pupil, [{"school_id": world.a.pk, "username": "x", **VALUES}])
        with connection.cursor() as cursor:
            cursor.execute("SELECT ethnicity, fsm FROM rosters_pupil WHERE id = %s", [pk])
            ethnicity, fsm = cursor.fetchone()
    assert ethnicity.startswith("v1:") and "WBRI" not in ethnicity
    assert fsm.startswith("v1:")


def test_ids_come_back_in_the_order_of_the_rows(world):
    names = [f"bulk.user.{i}" for i in range(50)]
    ids = insert_rows(
        User,
        [
            {"username": n, "password": p}
            for n, p in zip(names, unusable_passwords(50), strict=True)
        ],
    )
    assert [User.objects.get(pk=i).username for i in ids] == names
    assert not any(User.objects.get(pk=i).has_usable_password() for i in ids)


def test_ids_of_deleted_rows_are_never_given_again(world):
    [first] = insert_rows(User, [{"username": "bulk.first", "password": "!"}])
    [last] = insert_rows(User, [{"username": "bulk.last", "password": "!"}])
    User.objects.filter(pk=last).delete()
    [again] = insert_rows(User, [{"username": "bulk.again", "password": "!"}])
    assert first < last < again
    created = User.objects.create(username="orm.after")
    assert created.pk > again  # the ORM's own ids carry on after the chosen ones


def test_unknown_field_is_refused(world):
    with pytest.raises(ValueError, match="no fields"):
        insert_rows(User, [{"username": "x", "shoe_size": 9}])


def test_updated_fields_are_written_and_sensitive_ones_encrypted(world):
    from django.db import connection

    from markbook.core.rows import update_rows

    with school_scope(world.a):
        amy, ben = Pupil.objects.filter(pk__in=[world.amy.pk, world.ben.pk]).order_by("pk")
        amy.registration_group, amy.ethnicity, amy.fsm = "8Q", "WIRI", False
        ben.registration_group, ben.ethnicity, ben.fsm = "8R", None, True
        update_rows(Pupil, [amy, ben], ["registration_group", "ethnicity", "fsm"])
        amy2, ben2 = Pupil.objects.filter(pk__in=[amy.pk, ben.pk]).order_by("pk")
        assert (amy2.registration_group, amy2.ethnicity, amy2.fsm) == ("8Q", "WIRI", False)
        assert (ben2.registration_group, ben2.ethnicity, ben2.fsm) == ("8R", None, True)
        assert amy2.first_name == world.amy.first_name  # other fields untouched
        with connection.cursor() as cursor:
            cursor.execute("SELECT ethnicity FROM rosters_pupil WHERE id = %s", [amy.pk])
            assert cursor.fetchone()[0].startswith("v1:")


def test_one_row_is_updated_by_one_plain_statement(world):
    """The hot path's one-row updates (practice answers): one UPDATE, not an
    executemany of one (its pipeline costs more than the statement), same result."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from markbook.core.rows import update_rows

    with school_scope(world.a):
        amy = Pupil.objects.get(pk=world.amy.pk)
        amy.registration_group, amy.ethnicity = "9Z", "WBRI"
        with CaptureQueriesContext(connection) as captured:
            update_rows(Pupil, [amy], ["registration_group", "ethnicity"])
        updates = [q["sql"] for q in captured.captured_queries if "UPDATE" in q["sql"]]
        # An executemany is logged as "1 times: UPDATE ..."
        assert [sql.split(" ", 1)[0] for sql in updates] == ["UPDATE"]
        again = Pupil.objects.get(pk=amy.pk)
        assert (again.registration_group, again.ethnicity) == ("9Z", "WBRI")
