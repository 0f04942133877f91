"""The MIS pupil import (ROS-2, ROS-3, ROS-5, ACC-3): every cell checked and named by
row and column, errors apart from warnings, preview before confirm, all or nothing,
idempotent, minimised and pseudonymised at the door."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit_services
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from markbook.core.validators import upn_check_letter
from markbook.rosters.imports import mis
from markbook.rosters.imports.mis import mis_import, parse
from markbook.rosters.models import Pupil
from markbook.rosters.services import upn_digest
from tests.conftest import World
from tests.rosters.conftest import xlsx


def upn(body: str) -> str:
    """A valid UPN for 12 characters (domain.md, Identifiers): LA 801 is Bristol."""
    return upn_check_letter(body) + body


UPN1, UPN2, UPN3 = upn("801200026001"), upn("801200026002"), upn("801200026003")
TEMP_UPN = upn("80120002600A")  # temporary: 11 digits and a letter
UNKNOWN_LA = upn("999200026004")  # valid check letter, no such LA
HEADER = (
    "Legal Surname,Forename,UPN,Admission No,Year Group,Reg Group,Gender,Date of Birth,"
    "FSM Eligible,Pupil Premium,SEN Status,SEN Need,EAL,Gifted and Talented,Ethnicity,"
    "KS2 Reading Scaled Score,KS2 Maths Scaled Score,ULN"
)
ROW1 = f"Evans,Eve,{UPN1},A001,Year 7,7E,FEMALE,01/09/2014,Y,Y,K,SPLD,N,N,WBRI,104,110,9999999009"
ROW2 = f"Ford,Fin,{UPN2},A002,7,7F,M,2014-10-02,N,N,N,,Y,Y,ABAN,99,,"
ROW3 = f"Gill,Gus,{TEMP_UPN},A003,Y8,8G,MALE,03/03/2013,,,,,,,,,,"
GOOD = f"{HEADER}\n{ROW1}\n{ROW2}\n{ROW3}\n".encode()


def run(world: World, data: bytes, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("filename", "mis.csv")
    return mis_import(actor=world.admin, school=world.a, data=data, **kw)


def where(problems) -> list[tuple[int | None, str]]:  # type: ignore[no-untyped-def]
    return [(p.row, p.column) for p in problems]


def events(world: World, action: str | None = None) -> int:
    with all_schools():
        qs = AuditEvent.objects.filter(school_id=world.a.pk)
        return (qs.filter(action=action) if action else qs).count()


def counts() -> tuple[int, ...]:
    with all_schools():
        return (
            Pupil.objects.count(),
            User.objects.count(),
            Membership.objects.count(),
            AuditEvent.objects.count(),
        )


# --- good files -------------------------------------------------------------------------


def test_preview_writes_nothing_and_lists_what_would_be_added(in_a: World):
    before = counts()
    result = run(in_a, GOOD)
    assert result.ok, result.errors
    assert [p.name for p in result.added] == ["Eve Evans", "Fin Ford", "Gus Gill"]
    assert (len(result.changed), len(result.unchanged), result.applied) == (0, 0, False)
    assert counts() == before


def test_confirmed_good_csv_stores_every_field_without_password_hash(in_a: World):
    result = run(in_a, GOOD, confirm=True)
    assert result.ok and result.applied, result.errors
    eve = Pupil.objects.get(upn=UPN1)
    assert (eve.first_name, eve.last_name, eve.username, eve.mis_id) == (
        "Eve",
        "Evans",
        "eve.evans",
        "A001",
    )
    assert (eve.year_group, eve.registration_group, eve.sex) == ("7", "7E", "F")
    assert eve.date_of_birth == date(2014, 9, 1)
    assert (eve.fsm, eve.disadvantaged, eve.eal, eve.gifted_talented) == (True, True, False, False)
    assert (eve.sen_provision, eve.sen_need, eve.ethnicity) == ("K", "SPLD", "WBRI")
    assert (eve.ks2_reading, eve.ks2_maths, eve.uln) == (104, 110, "9999999009")
    assert eve.upn_hash == upn_digest(UPN1)
    assert not eve.user.has_usable_password()
    assert Membership.objects.filter(user=eve.user, role="pupil").exists()
    gus = Pupil.objects.get(mis_id="A003")
    assert (gus.upn, gus.year_group, gus.fsm, gus.ks2_reading) == (TEMP_UPN, "8", None, None)
    assert events(in_a, "rosters.mis.imported") == 1
    assert events(in_a, "rosters.pupil.changed") == 0


def test_sensitive_values_are_encrypted_in_the_database(in_a: World):
    assert run(in_a, GOOD, confirm=True).ok
    with connection.cursor() as cursor:
        cursor.execute("SELECT ethnicity, sen_need FROM rosters_pupil WHERE mis_id = 'A001'")
        ethnicity, need = cursor.fetchone()
    assert "WBRI" not in ethnicity and "SPLD" not in need


def test_good_xlsx_with_dates_and_numbers_as_cells(in_a: World):
    data = xlsx(
        [
            ["Surname", "First Name", "UPN", "MIS ID", "NC Year", "Sex", "DOB", "KS2 Maths"],
            ["Evans", "Eve", UPN1, "A001", 7, "F", date(2014, 9, 1), 101],
            ["Ford", "Fin", UPN2, "A002", 7.0, "M", None, None],
        ]
    )
    result = run(in_a, data, filename="export.xlsx", confirm=True)
    assert result.ok, result.errors
    eve = Pupil.objects.get(mis_id="A001")
    assert (eve.year_group, eve.date_of_birth, eve.ks2_maths) == ("7", date(2014, 9, 1), 101)
    assert Pupil.objects.get(mis_id="A002").year_group == "7"


@pytest.mark.parametrize(
    ("header", "value", "field", "expected"),
    [
        ("Gender", "FEMALE", "sex", "F"),
        ("Sex", "m", "sex", "M"),
        ("NC Year", "Reception", "year_group", "R"),
        ("Current NC Year", "YR", "year_group", "R"),
        ("Year", "Year 10", "year_group", "10"),
        ("Free School Meals", "TRUE", "fsm", True),
        ("Premium Pupil Indicator", "No", "disadvantaged", False),
        ("SEN Provision", "EHC Plan", "sen_provision", "E"),
        ("English as Additional Language", "yes", "eal", True),
        ("Registration Group", "10X", "registration_group", "10X"),
        ("Learner Number", "9999999009", "uln", "9999999009"),
    ],
)
def test_header_variants_are_recognised(in_a: World, header, value, field, expected):
    year = "" if field == "year_group" else ",Year Group"
    cells = "" if field == "year_group" else ",7"
    data = f"\ufeffSurname,Forename,UPN{year},{header}\nEvans,Eve,{UPN1}{cells},{value}\n"
    result = run(in_a, data.encode(), confirm=True)
    assert result.ok, result.errors
    assert getattr(Pupil.objects.get(upn=UPN1), field) == expected


# --- problems by row and column -----------------------------------------------------------


def test_every_kind_of_invalid_value_is_named_by_row_and_column(in_a: World):
    bad_upn = "A" + UPN1[1:] if UPN1[0] != "A" else "B" + UPN1[1:]
    data = (
        f"{HEADER}\n"
        f"Evans,,{bad_upn},A001,Year 14,7E,X,31/02/2014,maybe,Y,Q,XYZ,N,N,ZZZZ,79,121,1234567890\n"
        f"Ford,Fin,{UPN2},A002,7,7F,M,2099-01-01,N,N,N,,Y,Y,ABAN,ninety,,\n"
    ).encode()
    before = counts()
    result = run(in_a, data, confirm=True)
    assert not result.ok and not result.applied
    assert where(result.errors) == [
        (2, "FSM"),
        (2, "KS2 maths"),
        (2, "KS2 reading"),
        (2, "SEN primary need"),
        (2, "SEN provision"),
        (2, "ULN"),
        (2, "UPN"),
        (2, "date of birth"),
        (2, "ethnicity"),
        (2, "forename"),
        (2, "sex"),
        (2, "year group"),
        (3, "KS2 reading"),
        (3, "date of birth"),
    ]
    messages = " ".join(p.message for p in result.errors)
    assert "check letter is wrong" in messages and "check digit is wrong" in messages
    assert "80 to 120, not 121" in messages and "not a census code" in messages
    assert counts() == before


def test_a_value_repeated_on_many_rows_is_checked_on_each_row(in_a: World):
    """Repeating columns are parsed once per distinct value; each row still gets its
    own error, and each good row its own value (ROS-3)."""
    rows = [
        f"Pupil{n},P,{upn(f'8012000270{n:02d}')},B{n:03d},Year 14,7E,Q,01/09/2014,,,,,,,,,,"
        for n in range(3)
    ]
    result = run(in_a, (f"{HEADER}\n" + "\n".join(rows) + "\n").encode())
    assert where(result.errors) == [(n, c) for n in (2, 3, 4) for c in ("sex", "year group")]
    good = [r.replace("Year 14", "Y8").replace(",Q,", ",F,") for r in rows]
    result = run(in_a, (f"{HEADER}\n" + "\n".join(good) + "\n").encode(), confirm=True)
    assert result.applied
    mine = Pupil.objects.filter(mis_id__in=["B000", "B001", "B002"])
    assert sorted(mine.values_list("year_group", "sex")) == [("8", "F")] * 3


def test_unknown_la_code_is_a_warning_not_an_error(in_a: World):
    data = f"Surname,Forename,UPN,Year\nEvans,Eve,{UNKNOWN_LA},7\n".encode()
    result = run(in_a, data, confirm=True)
    assert result.ok and result.applied
    assert (2, "UPN") in where(result.warnings)
    assert "999" in " ".join(p.message for p in result.warnings)


def test_missing_recommended_column_is_a_warning_and_missing_required_an_error(in_a: World):
    warned = run(in_a, f"Surname,Forename,UPN,Year\nEvans,Eve,{UPN1},7\n".encode())
    assert warned.ok
    warning_text = " ".join(p.message for p in warned.warnings)
    assert "No MIS id column" in warning_text and "No date of birth column" in warning_text
    failed = run(in_a, f"Surname,UPN\nEvans,{UPN1}\n".encode())
    assert not failed.ok
    assert "forename, year group" in failed.errors[0].message


def test_a_row_without_upn_or_mis_id_is_an_error(in_a: World):
    result = run(in_a, b"Surname,Forename,UPN,MIS id,Year\nEvans,Eve,,,7\n")
    assert where(result.errors) == [(2, "UPN")]


def test_unknown_columns_are_reported_with_suggestions_and_can_be_mapped(in_a: World):
    data = f"Surname,Forename,UPN,Year,Tutor Grp,Shoe size\nEvans,Eve,{UPN1},7,7E,5\n".encode()
    result = run(in_a, data)
    assert result.ok
    assert result.unknown_columns == ["Tutor Grp", "Shoe size"]
    assert result.suggestions["Shoe size"] == "ignore"
    assert {p.column for p in result.warnings} >= {"Tutor Grp", "Shoe size"}
    mapped = run(
        in_a,
        data,
        mapping={"Tutor Grp": "registration_group", "Shoe size": "ignore"},
        confirm=True,
    )
    assert mapped.ok and mapped.unknown_columns == []
    assert Pupil.objects.get(upn=UPN1).registration_group == "7E"


def test_mapping_to_a_field_that_does_not_exist_is_an_error(in_a: World):
    data = f"Surname,Forename,UPN,Year,X\nEvans,Eve,{UPN1},7,1\n".encode()
    result = run(in_a, data, mapping={"X": "shoe_size"})
    assert not result.ok and "'shoe_size' is not a pupil field" in result.errors[0].message


def test_duplicates_within_the_file_are_errors(in_a: World):
    data = (
        f"Surname,Forename,UPN,MIS id,Year\n"
        f"Evans,Eve,{UPN1},A1,7\nEvans,Eva,{UPN1},A2,7\nFord,Fin,{UPN2},A1,7\n"
    ).encode()
    result = run(in_a, data, confirm=True)
    assert where(result.errors) == [(3, "UPN"), (4, "MIS id")]
    assert "also on row 2" in result.errors[0].message
    assert not Pupil.objects.filter(upn=UPN2).exists()


def test_upn_of_another_pupil_of_the_school_is_an_error(in_a: World):
    Pupil.objects.filter(pk=in_a.amy.pk).update(upn=UPN1, mis_id="M-AMY")
    Pupil.objects.filter(pk=in_a.ben.pk).update(mis_id="M-BEN")
    ben_upn = Pupil.objects.get(pk=in_a.ben.pk).upn
    data = f"Surname,Forename,UPN,MIS id,Year\nBrown,Ben,{UPN1},M-BEN,7\n".encode()
    result = run(in_a, data, confirm=True)
    assert where(result.errors) == [(2, "UPN")]
    assert "Amy Adams" in result.errors[0].message
    assert Pupil.objects.get(pk=in_a.ben.pk).upn == ben_upn != UPN1


def test_a_row_with_fewer_cells_is_reported_as_cut_short(in_a: World):
    data = f"Surname,Forename,UPN,Year\nEvans,Eve,{UPN1},7\nFord,Fin\n".encode()
    result = run(in_a, data, confirm=True)
    assert where(result.errors) == [(3, "")]
    assert "cut short" in result.errors[0].message
    assert not Pupil.objects.filter(upn=UPN1).exists()


def test_a_file_cut_mid_quote_is_reported(in_a: World):
    data = f'Surname,Forename,UPN,Year\nEvans,Eve,{UPN1},7\n"Ford,Fin'.encode()
    result = run(in_a, data)
    assert where(result.errors) == [(3, "")]
    assert "quote" in result.errors[0].message


def test_a_truncated_xlsx_is_a_clear_error(in_a: World):
    data = xlsx([["Surname", "Forename", "UPN", "Year"], ["Evans", "Eve", UPN1, 7]])
    result = run(in_a, data[: len(data) // 2], filename="mis.xlsx")
    assert not result.ok and "cannot be read" in result.errors[0].message


def test_a_workbook_with_a_value_in_a_far_column_is_refused_and_nothing_written(in_a: World):
    """A stray cell in column KN would widen every row: refused by row (ROS-3)."""
    stray = ["Evans", "Eve", UPN1, 7, *[None] * 296, "x"]
    before = counts()
    result = run(in_a, xlsx([["Surname", "Forename", "UPN", "Year"], stray]), filename="m.xlsx")
    assert where(result.errors) == [(2, "")]
    assert "301 columns" in result.errors[0].message
    assert counts() == before


def test_cp1252_file_is_refused_with_advice(in_a: World):
    data = f"Surname,Forename,UPN,Year\nNg,Zoë,{UPN1},7\n".encode("cp1252")
    result = run(in_a, data)
    assert where(result.errors) == [(2, "")]
    assert "CSV UTF-8" in result.errors[0].message


@override_settings(MARKBOOK_MAX_UPLOAD_BYTES=50)
def test_oversized_file_is_refused(in_a: World):
    result = run(in_a, GOOD, confirm=True)
    assert not result.ok and "the limit is 50 bytes" in result.errors[0].message
    assert not Pupil.objects.filter(upn=UPN1).exists()


# --- re-import, updates, leavers -------------------------------------------------------------


def test_reimporting_the_same_file_writes_nothing_but_the_summary(in_a: World):
    assert run(in_a, GOOD, confirm=True).ok
    stamps = dict(Pupil.objects.values_list("pk", "updated_at"))
    before = counts()
    again = run(in_a, GOOD, confirm=True)
    assert again.ok and (len(again.added), len(again.changed), len(again.unchanged)) == (0, 0, 3)
    assert counts()[:3] == before[:3]
    assert counts()[3] == before[3] + 1  # the import's summary event only
    assert events(in_a, "rosters.mis.imported") == 2
    assert dict(Pupil.objects.values_list("pk", "updated_at")) == stamps


def test_reimport_runs_a_fixed_number_of_queries(in_a: World):
    assert run(in_a, GOOD, confirm=True).ok
    with CaptureQueriesContext(connection) as three:
        run(in_a, GOOD)
    rows = "\n".join(f"P{n},Q,{upn(f'8012000270{n:02d}')},B{n},7,,,,,,,,,,,,," for n in range(30))
    assert run(in_a, f"{HEADER}\n{rows}\n".encode(), confirm=True).ok
    with CaptureQueriesContext(connection) as thirty:
        run(in_a, f"{HEADER}\n{rows}\n".encode())
    assert len(thirty) == len(three)


def test_an_import_changing_every_pupil_runs_a_fixed_number_of_queries(in_a: World):
    def file(n: int, group: str, fsm: str, surname: str) -> bytes:
        rows = "\n".join(
            f"{surname},Q{i},{upn(f'8012000280{i:02d}')},B{i},7,{group},,,{fsm},,K,,,,WBRI,,,"
            for i in range(n)
        )
        return f"{HEADER}\n{rows}\n".encode()

    counted = []
    for n in (3, 30):
        assert run(in_a, file(n, f"7A{n}", "Y", "Pike"), confirm=True).ok
        # A new group, an encrypted field (SEC-2) and a name (the user row too) change.
        with CaptureQueriesContext(connection) as queries:
            result = run(in_a, file(n, f"7B{n}", "N", "Pyke"), confirm=True)
        assert len([p for p in result.changed if p.changes]) == n
        counted.append(len(queries))
    assert counted[0] == counted[1]


def test_later_file_updates_pupils_matched_by_upn(in_a: World):
    assert run(in_a, GOOD, confirm=True).ok
    changed_row = ROW1.replace(",7E,", ",8E,").replace(",WBRI,", ",WIRI,")
    result = run(in_a, f"{HEADER}\n{changed_row}\n{ROW2}\n".encode(), confirm=True)
    assert result.ok and [p.name for p in result.changed] == ["Eve Evans"]
    changes = result.changed[0].changes
    assert (changes["registration_group"].old, changes["registration_group"].new) == ("7E", "8E")
    assert changes["ethnicity"].sensitive
    eve = Pupil.objects.get(upn=UPN1)
    assert (eve.registration_group, eve.ethnicity) == ("8E", "WIRI")
    with all_schools():
        event = AuditEvent.objects.get(action="rosters.pupil.changed")
    assert event.data == {
        "registration_group": {"old": "7E", "new": "8E"},
        "ethnicity": {"changed": True},
    }


def test_later_file_updates_pupils_matched_by_mis_id_including_the_upn(in_a: World):
    Pupil.objects.filter(pk=in_a.amy.pk).update(mis_id="M-AMY")
    data = f"Surname,Forename,MIS id,UPN,Year\nAdams,Amelia,M-AMY,{UPN3},9\n".encode()
    result = run(in_a, data, confirm=True)
    assert result.ok and result.changed[0].pupil.pk == in_a.amy.pk
    amy = Pupil.objects.get(pk=in_a.amy.pk)
    assert (amy.first_name, amy.upn, amy.year_group) == ("Amelia", UPN3, "9")
    assert amy.upn_hash == upn_digest(UPN3)
    assert User.objects.get(pk=amy.user_id).first_name == "Amelia"


def test_full_import_marks_missing_pupils_as_left_never_deleted(in_a: World):
    amy = f"Adams,Amy,{in_a.amy.upn},,7" + "," * 13
    data = f"{HEADER}\n{ROW1}\n{ROW2}\n{ROW3}\n{amy}\n".encode()
    preview = run(in_a, data, full=True)
    assert preview.ok, preview.errors
    assert sorted(p.name for p in preview.leavers) == ["Ben Brown", "Cal Clark"]
    assert Pupil.objects.filter(status="left").count() == 0
    assert run(in_a, data, full=True, confirm=True).ok
    ben = Pupil.objects.get(pk=in_a.ben.pk)
    assert (ben.status, ben.left_on) == ("left", timezone.localdate())
    assert Pupil.objects.get(pk=in_a.amy.pk).status == "on_roll"
    assert Pupil.objects.count() == 6
    assert events(in_a, "rosters.pupil.changed") == 2
    assert audit_services.verify_chain(in_a.a.pk) is None
    again = run(in_a, data, full=True)
    assert again.leavers == []


def test_full_import_matching_nobody_is_refused_as_another_schools_file(in_a: World):
    before = counts()
    result = run(in_a, GOOD, full=True, confirm=True)
    assert where(result.errors) == [(None, "")]
    assert "another school's export" in result.errors[0].message
    assert "3 pupils on roll" in result.errors[0].message
    assert counts() == before
    assert run(in_a, GOOD, confirm=True).ok  # without "every pupil on roll" they are added


def test_rows_of_another_schools_urn_are_errors_and_nothing_is_written(in_a: World):
    own, other = in_a.a.urn, "999999"
    data = f"URN,{HEADER}\n{own},{ROW1}\n{other},{ROW2}\n{other},{ROW3}\n".encode()
    before = counts()
    result = run(in_a, data, confirm=True)
    assert where(result.errors) == [(3, "URN"), (4, "URN")]
    assert f"URN {other}, not {in_a.a.name}" in result.errors[0].message
    assert counts() == before


def test_the_schools_own_urn_column_is_checked_not_reported_unknown(in_a: World):
    urn = in_a.a.urn
    result = run(in_a, f"School URN,{HEADER}\n{urn},{ROW1}\n".encode())
    assert result.ok, result.errors
    assert "School URN" not in result.unknown_columns


def test_a_partial_import_marks_nobody_as_left(in_a: World):
    assert run(in_a, GOOD, confirm=True).leavers == []
    assert Pupil.objects.filter(status="left").count() == 0


def test_a_failure_while_writing_leaves_nothing_written(in_a: World, monkeypatch):
    assert run(in_a, GOOD, confirm=True).ok
    before = counts()
    stamps = dict(Pupil.objects.values_list("pk", "registration_group"))

    def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit_services, "record", fail)
    new = "Hill,Hal," + upn("801200026009") + ",A009,7,,,,,,,,,,,,,"
    data = f"{HEADER}\n{ROW1.replace(',7E,', ',9Z,')}\n{new}\n".encode()
    with pytest.raises(RuntimeError):
        run(in_a, data, confirm=True)
    assert counts() == before
    assert dict(Pupil.objects.values_list("pk", "registration_group")) == stamps


# --- minimisation and pseudonyms -----------------------------------------------------


def test_fields_the_school_does_not_keep_are_never_stored_or_shown(in_a: World):
    in_a.a.kept_pupil_fields = ["registration_group", "sex"]
    in_a.a.save(update_fields=["kept_pupil_fields"])
    preview = run(in_a, GOOD)
    assert "Ethnicity" in preview.not_kept_columns and "FSM Eligible" in preview.not_kept_columns
    assert "Gender" not in preview.not_kept_columns
    assert all(set(p.values) <= set(mis.BY_NAME) - {"ethnicity", "fsm"} for p in preview.added)
    assert run(in_a, GOOD, confirm=True).ok
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ethnicity, fsm, sen_need, date_of_birth, ks2_reading, uln, sex "
            "FROM rosters_pupil WHERE mis_id = 'A001'"
        )
        assert cursor.fetchone() == (None, None, None, None, None, "", "F")
    with all_schools():
        summary = AuditEvent.objects.get(action="rosters.mis.imported").data
    assert "Ethnicity" in summary["columns_not_kept"]
    assert "WBRI" not in str(summary)


def test_a_pseudonymised_school_stores_no_names_or_upn_and_matches_again(in_a: World):
    in_a.a.pseudonymise_pupils = True
    in_a.a.save(update_fields=["pseudonymise_pupils"])
    preview = run(in_a, GOOD)
    assert {"Legal Surname", "Forename"} <= set(preview.not_kept_columns)
    assert "Evans" not in str([p.values for p in preview.added])
    assert run(in_a, GOOD, confirm=True).ok
    new = Pupil.objects.filter(mis_id__in=["A001", "A002", "A003"])
    assert all(p.pseudonym.startswith("Pupil ") for p in new)
    assert {(p.first_name, p.last_name, p.upn) for p in new} == {("", "", None)}
    assert {p.upn_hash for p in new} == {upn_digest(u) for u in (UPN1, UPN2, TEMP_UPN)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM rosters_pupil")
        assert UPN1 not in str(cursor.fetchall())  # anywhere, ciphertext included
        cursor.execute("SELECT first_name, last_name, pseudonym, username, upn FROM rosters_pupil")
        dump = str(cursor.fetchall())
    with all_schools():
        dump += str(list(AuditEvent.objects.values_list("data", flat=True)))
        accounts = User.objects.filter(pupil__in=new)  # staff names come from Faker
        dump += str(list(accounts.values_list("first_name", "last_name", "username")))
    assert len(accounts) == 3
    assert "Evans" not in dump and "Eve" not in dump and UPN1 not in dump
    # Matched by the hash again (no MIS id in this file): nothing new, one change.
    later = f"UPN,Year Group,Reg Group\n{UPN1},7,7Z\n".encode()
    result = run(in_a, later, confirm=True)
    assert result.ok and result.added == [] and len(result.changed) == 1
    assert Pupil.objects.get(upn_hash=upn_digest(UPN1)).registration_group == "7Z"


def test_pupil_services_refuse_fields_the_school_does_not_keep(in_a: World):
    from django.core.exceptions import ValidationError

    from markbook.rosters.services import pupil_create, pupil_update

    in_a.a.kept_pupil_fields = ["sex"]
    in_a.a.save(update_fields=["kept_pupil_fields"])
    with pytest.raises(ValidationError, match="does not keep"):
        pupil_update(actor=in_a.admin, pupil=in_a.amy, ethnicity="WBRI")
    with pytest.raises(ValidationError, match="does not keep"):
        pupil_create(
            actor=in_a.admin, school=in_a.a, first_name="A", last_name="B", year_group="7", fsm=True
        )
    pupil_update(actor=in_a.admin, pupil=in_a.amy, sex="F")
    assert Pupil.objects.get(pk=in_a.amy.pk).sex == "F"


# --- the page ---------------------------------------------------------------------------


def page_url(world: World) -> str:
    from django.urls import reverse

    return reverse("rosters:mis_upload", kwargs={"school_id": world.a.pk})


def post(client, world: World, data: bytes, name: str = "mis.csv", **fields):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(page_url(world), {"file": SimpleUploadedFile(name, data), **fields})


def test_page_previews_then_imports_only_the_previewed_file(client_for, world: World):
    client = client_for("admin")
    html = post(client, world, GOOD).content.decode()
    assert "nothing has been changed yet" in html and "3 to add" in html
    assert "Eve Evans" in html and "Import this file" in html
    signature = re.search(r'name="signature" value="([0-9a-f]{64})"', html)[1]
    with school_scope(world.a):
        assert not Pupil.objects.filter(mis_id="A001").exists()
    other = GOOD.replace(b"Eve", b"Eva")
    stale = post(client, world, other, action="confirm", signature=signature).content.decode()
    assert "changed since the preview" in stale
    with school_scope(world.a):
        assert not Pupil.objects.filter(mis_id="A001").exists()
    done = post(client, world, GOOD, action="confirm", signature=signature).content.decode()
    assert "mis.csv imported." in done and "3 pupils added" in done
    with school_scope(world.a):
        assert Pupil.objects.filter(mis_id__in=["A001", "A002", "A003"]).count() == 3


def test_page_lists_errors_and_warnings_by_row_and_column(client_for, world: World):
    data = f"Surname,Forename,UPN,Year,Tutor Grp\nEvans,Eve,{UNKNOWN_LA},Year 14,7E\n".encode()
    html = post(client_for("admin"), world, data).content.decode()
    assert "cannot be imported: nothing has been changed" in html
    assert '<td>2</td><td class="col">year group</td>' in html
    assert '<td>2</td><td class="col">UPN</td>' in html  # the LA code warning
    assert "Import this file" not in html


def test_page_asks_how_to_map_unknown_columns_and_uses_the_answer(client_for, world: World):
    client = client_for("admin")
    data = f"Surname,Forename,UPN,Year,Tutor Grp\nEvans,Eve,{UPN1},7,7E\n".encode()
    html = post(client, world, data).content.decode()
    assert 'name="map_header_1" value="Tutor Grp"' in html
    mapping = {"map_header_1": "Tutor Grp", "map_1": "registration_group"}
    html = post(client, world, data, **mapping).content.decode()
    signature = re.search(r'name="signature" value="([0-9a-f]{64})"', html)[1]
    post(client, world, data, action="confirm", signature=signature, **mapping)
    with school_scope(world.a):
        assert Pupil.objects.get(upn=UPN1).registration_group == "7E"


def test_page_shows_sensitive_changes_as_changed_only(client_for, world: World):
    with school_scope(world.a):
        assert run(world, GOOD, confirm=True).ok
    changed = GOOD.replace(b",WBRI,", b",WIRI,").replace(b",7E,", b",8E,")
    html = post(client_for("admin"), world, changed).content.decode()
    assert "Ethnicity: changed" in html and "Registration group: 7E → 8E" in html
    assert "WIRI" not in html and "WBRI" not in html


def test_pupil_form_does_not_ask_for_fields_the_school_does_not_keep(client_for, world: World):
    from django.urls import reverse

    world.a.kept_pupil_fields = ["sex"]
    world.a.save(update_fields=["kept_pupil_fields"])
    url = reverse("rosters:pupil_new", kwargs={"school_id": world.a.pk})
    html = client_for("admin").get(url).content.decode()
    assert 'name="sex"' in html
    assert 'name="ethnicity"' not in html and 'name="registration_group"' not in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-09-01", date(2014, 9, 1)),
        ("2014-9-1", date(2014, 9, 1)),
        ("01/09/2014", date(2014, 9, 1)),
        ("1/9/2014", date(2014, 9, 1)),
        ("01-09-2014", date(2014, 9, 1)),
        ("01.09.2014", date(2014, 9, 1)),
    ],
)
def test_date_spellings_are_read_day_first(text: str, expected: date):
    assert parse._date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2014", "01/09-2014", "2014/09/01", "1/9/14", "01/13/2014"])
def test_not_a_date_is_refused(text: str):
    with pytest.raises(parse._Bad, match="is not a date"):
        parse._date(text)


def test_tomorrow_is_in_the_future():
    from django.utils import timezone

    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(parse._Bad, match="in the future"):
        parse._date(tomorrow.strftime("%d/%m/%Y"))
    assert parse._date(timezone.localdate().isoformat()) == timezone.localdate()
