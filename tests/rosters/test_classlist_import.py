"""The class-list CSV upload (ROS-1, ROS-2, ROS-3): every row checked, every problem
named by row and column, all or nothing."""

import pytest
from django.test import override_settings

from markbook.accounts.models import Membership, User
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools
from markbook.rosters.imports.classlist import classlist_import
from markbook.rosters.models import Enrolment, Pupil, TeachingClass
from tests.conftest import World

YEAR = "2026/27"


def snapshot() -> tuple[int, ...]:
    with all_schools():
        return (
            Pupil.objects.count(),
            TeachingClass.objects.count(),
            Enrolment.objects.count(),
            User.objects.count(),
            Membership.objects.count(),
            AuditEvent.objects.count(),
        )


def run(world: World, data: bytes, **kw):  # type: ignore[no-untyped-def]
    return classlist_import(
        actor=world.admin, school=world.a, data=data, filename="list.csv", academic_year=YEAR, **kw
    )


def problems(result) -> list[tuple[int | None, str]]:  # type: ignore[no-untyped-def]
    return [(p.row, p.column) for p in result.problems]


GOOD = (
    "Class,First Name,Surname,Username\n"
    "7A Maths,Amy,Adams,amy.adams\n"
    "8C Science,Zoë,Ng,\n"
    "8C Science,Sam,Smith,sam.s\n"
    "7A Maths,Sam,Smith,sam.s\n"
).encode()


def test_good_file_creates_classes_pupils_and_enrolments(in_a: World):
    result = run(in_a, GOOD)
    assert result.ok, result.problems
    assert (result.rows, result.classes_created, result.pupils_created) == (4, 1, 2)
    assert result.pupils_matched == 1
    science = TeachingClass.objects.get(name="8C Science")
    assert (science.academic_year.name, science.year_group) == (YEAR, "8")
    zoe = Pupil.objects.get(last_name="Ng")
    assert (zoe.username, zoe.year_group) == ("zoe.ng", "8")
    assert not zoe.user.has_usable_password()  # no hash computed for imported pupils
    sam = Pupil.objects.get(username="sam.s")
    assert set(sam.enrolments.values_list("teaching_class__name", flat=True)) == {
        "7A Maths",
        "8C Science",
    }
    assert Enrolment.objects.filter(pupil=in_a.amy).count() == 1
    with all_schools():
        assert AuditEvent.objects.filter(action="rosters.classlist.imported").count() == 1


def test_reimporting_the_same_file_changes_nothing(in_a: World):
    assert run(in_a, GOOD).ok
    before = snapshot()
    again = run(in_a, GOOD)
    assert again.ok and (again.pupils_created, again.enrolments_added) == (0, 0)
    assert snapshot()[:5] == before[:5]


def test_header_variants_and_bom_are_accepted(in_a: World):
    data = b"\xef\xbb\xbf  Class Name ,Forename,Last name,Year\n7B Maths,Ann,Lee,7\n"
    result = run(in_a, data)
    assert result.ok, result.problems
    assert Pupil.objects.get(first_name="Ann").enrolments.get().teaching_class == in_a.class_7b


def test_names_without_usernames_match_existing_pupils(in_a: World):
    result = run(in_a, b"class,first name,last name\n7B Maths,ben,BROWN\n")
    assert result.ok and result.pupils_matched == 1 and result.pupils_created == 0
    assert Enrolment.objects.filter(pupil=in_a.ben, teaching_class=in_a.class_7b).exists()


BAD_FILES = {
    "empty": (b"", [(None, "")]),
    "only whitespace": (b"\n \n", [(None, "")]),
    "header only": (b"class,first name,last name\n", [(None, "")]),
    "missing columns": (b"class,name\n7A,Amy\n", [(1, "first name, last name")]),
    "column count": (
        b"class,first name,last name\n7A Maths,Amy,Adams,extra\n7A Maths,Ben\n",
        [(2, ""), (3, "")],
    ),
    "unbalanced quotes": (
        b'class,first name,last name\n7A Maths,"Amy,Adams\n7A Maths,Ben,Brown\n',
        [(2, "")],
    ),
    "blank names": (
        b"class,first name,last name\n7A Maths, ,Adams\n,Ben,\n",
        [(2, "first name"), (3, "class"), (3, "last name")],
    ),
    "over-long values": (
        b"class,first name,last name,username\n"
        + b"7A Maths,"
        + b"A" * 101
        + b",Adams,a" * 1
        + b"\n",
        [(2, "first name")],
    ),
    "duplicate usernames": (
        b"class,first name,last name,username\n7A Maths,Eve,One,eve\n7B Maths,Eva,Two,eve\n",
        [(3, "username")],
    ),
    "username of another pupil": (
        b"class,first name,last name,username\n7A Maths,Zed,Zane,ben.brown\n",
        [(2, "username")],
    ),
    "bad username": (
        b"class,first name,last name,username\n7A Maths,Zed,Zane,zed zane!\n",
        [(2, "username")],
    ),
    "no year group for a new pupil": (
        b"class,first name,last name\nMaths set,Zed,Zane\n",
        [(2, "year group")],
    ),
    "bad year group": (
        b"class,first name,last name,year\n7A Maths,Zed,Zane,Y14\n",
        [(2, "year group")],
    ),
    "same pupil twice in a class": (
        b"class,first name,last name\n9Q Art,Zed,Zane\n9Q Art,Zed,Zane\n",
        [(3, "class")],
    ),
    "xlsx": (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, [(None, "")]),
    "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, [(None, "")]),
    "binary": (b"class,first\x00name\n\x01\x02", [(None, "")]),
    "utf-16": ("class,first name,last name\n".encode("utf-16"), [(None, "")]),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_reports_row_and_column_and_writes_nothing(in_a: World, name: str):
    data, expected = BAD_FILES[name]
    before = snapshot()
    result = run(in_a, data)
    assert not result.ok
    assert problems(result) == expected, result.problems
    assert all(p.message for p in result.problems)
    assert snapshot() == before


def test_every_problem_in_the_file_is_reported_at_once(in_a: World):
    data = (
        b"class,first name,last name,username\n"
        b"7A Maths,Good,Pupil,good.one\n"
        b"7A Maths,,Adams,\n"
        b"7B Maths,Ben,Brown,amy.adams\n"
        b"10X Art,New,Person,new.person\n"
    )
    before = snapshot()
    result = run(in_a, data)
    assert problems(result) == [(3, "first name"), (4, "username")]
    assert snapshot() == before  # the good rows were not written either


def test_cp1252_file_gets_a_save_as_utf8_error_naming_the_row(in_a: World):
    data = "class,first name,last name\n7A Maths,Amy,Adams\n7A Maths,Zoë,Ng\n".encode("cp1252")
    before = snapshot()
    result = run(in_a, data)
    assert problems(result) == [(3, "")]
    assert "Row 3" in result.problems[0].message and "CSV UTF-8" in result.problems[0].message
    assert snapshot() == before


@override_settings(MARKBOOK_MAX_UPLOAD_BYTES=50)
def test_oversized_file_is_refused(in_a: World):
    before = snapshot()
    result = run(in_a, GOOD)
    assert problems(result) == [(None, "")]
    assert "limit is 50 bytes" in result.problems[0].message
    assert snapshot() == before


def test_a_failure_while_writing_rolls_everything_back(in_a: World, monkeypatch):
    from django.core.exceptions import ValidationError

    from markbook.rosters import services

    real = services.pupil_create
    calls = []

    def flaky(**kw):  # type: ignore[no-untyped-def]
        calls.append(kw)
        if len(calls) == 2:
            raise ValidationError({"username": ["taken meanwhile"]})
        return real(**kw)

    monkeypatch.setattr(services, "pupil_create", flaky)
    before = snapshot()
    result = run(in_a, GOOD)
    assert problems(result) == [(4, "username")]
    assert snapshot() == before
