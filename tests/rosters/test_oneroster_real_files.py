"""OneRoster files as other systems write them (ROS-4, ROS-5): optional cells left
blank, deletions in bulk files, homerooms, files for another school."""

from markbook.core.tenancy import school_scope
from markbook.rosters.models import Enrolment, Pupil, TeachingClass
from markbook.rosters.oneroster import spec
from tests.rosters.test_oneroster import (
    _export,
    _files,
    _import,
    _newfield,
    _roster,
    _rows,
    _zip,
)


def _cell(table: list[list[str]], match: dict[str, str], **cells: str) -> None:
    """Set `cells` on the rows of `table` whose cells equal `match`."""
    header = table[0]
    for row in table[1:]:
        if all(row[header.index(k)] == v for k, v in match.items()):
            for name, value in cells.items():
                row[header.index(name)] = value


def _users_by_name(files) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    return {u["username"]: u for u in _rows(files["users"])}


def _no_grades_file(world):  # type: ignore[no-untyped-def]
    """School A's export with every pupil's grades blank, 7B in Year 8, and Amy also
    in 7B: Ben's classes say 7, Cal's 8, Amy's 7 and 8."""
    files = _files(_export(world))
    _cell(files["users"], {}, grades="")
    classes = {c["title"]: c for c in _rows(files["classes"])}
    _cell(files["classes"], {"title": "7B Maths"}, grades="08")
    users = _users_by_name(files)
    header = files["enrollments"][0]
    amy_in_7b = dict.fromkeys(header, "")
    amy_in_7b |= {
        "sourcedId": "amy-7b",
        "classSourcedId": classes["7B Maths"]["sourcedId"],
        "schoolSourcedId": classes["7B Maths"]["schoolSourcedId"],
        "userSourcedId": users["amy.adams"]["sourcedId"],
        "role": "student",
    }
    files["enrollments"].append([amy_in_7b[h] for h in header])
    return files


def test_blank_grades_take_the_classes_year_group_when_they_agree_else_none(world):
    """ROS-4: grades is optional in 1.2. A pupil without it is imported, not refused:
    with the year group of their classes when those agree, else with none; the notes
    say which, naming the rows."""
    files = _no_grades_file(world)
    rows = {u["username"]: n for n, u in enumerate(_rows(files["users"]), start=2)}
    new = _newfield(world)
    result = _import(new, _zip(files))
    assert result.ok, result.problems
    assert not any("'blank'" in p.message for p in result.problems)
    with school_scope(new):
        years = dict(Pupil.objects.values_list("username", "year_group"))
    assert years == {"amy.adams": "", "ben.brown": "7", "cal.clark": "8"}
    derived = next(n for n in result.notes if "took the year group" in n)
    assert f"{rows['ben.brown']}, {rows['cal.clark']}" in derived
    blank = next(n for n in result.notes if "without one" in n)
    assert f"rows {rows['amy.adams']}." in blank


def test_a_known_pupil_with_blank_grades_keeps_their_year_group(world):
    """ROS-4: a blank grades cell never blanks a year group Markbook has."""
    result = _import(world.a, _zip(_no_grades_file(world)))
    assert result.ok, result.problems
    with school_scope(world.a):
        assert Pupil.objects.get(pk=world.amy.pk).year_group == world.amy.year_group != ""


def test_a_tobedeleted_class_in_a_bulk_file_is_not_created(world):
    """ROS-4: a bulk file's class marked tobedeleted is neither created nor enrolled,
    and an existing one is kept with its pupils (an import deletes no class)."""
    files = _files(_export(world))
    _cell(files["classes"], {"title": "7B Maths"}, status="tobedeleted")
    new = _newfield(world)
    result = _import(new, _zip(files))
    assert result.ok, result.problems
    with school_scope(new):
        assert sorted(TeachingClass.objects.values_list("name", flat=True)) == ["7A Maths"]
    assert any("marked tobedeleted were not imported" in n for n in result.notes)
    again = _import(world.a, _zip(files))
    assert again.ok, again.problems
    assert again.enrolments_removed == 0
    with school_scope(world.a):
        assert Enrolment.objects.filter(teaching_class=world.class_7b).count() == 1
    assert any("7B Maths" in n and "kept" in n for n in again.notes)


def test_a_homeroom_class_comes_back_out_as_a_homeroom(world):
    """ROS-4: classType survives the round trip (a homeroom is a registration group)."""
    files = _files(_export(world))
    _cell(files["classes"], {"title": "7B Maths"}, classType="homeroom")
    new = _newfield(world)
    assert _import(new, _zip(files)).ok
    with school_scope(new):
        assert TeachingClass.objects.get(name="7B Maths").kind == "registration"
    out = {c["title"]: c["classType"] for c in _rows(_files(_export(world, new))["classes"])}
    assert out == {"7A Maths": "scheduled", "7B Maths": "homeroom"}


def test_a_file_for_no_school_names_its_orgs_and_what_this_school_needs(world):
    """ROS-4: the refusal lists every org (sourcedId, name, type, identifier) and the
    matching rule, so the administrator can correct the file."""
    files = _files(_export(world, world.b))
    _cell(files["orgs"], {"type": "school"}, identifier="999999")
    with school_scope(world.a):
        world.a.urn = "137000"
        world.a.save(update_fields=["urn"])
    before = _roster(world.a)
    result = _import(world.a, _zip(files))
    assert not result.ok
    message = result.problems[0].message
    org = _rows(files["orgs"])[-1]
    assert (
        f"'Birchwood Primary' (sourcedId {org['sourcedId']}, type school, identifier 999999)"
        in message
    )
    assert (
        "type school with identifier 137000 (the school's URN), or the name 'Oakfield Academy'"
        in message
    )
    assert _roster(world.a) == before


def _with_demographics(world, cells: dict[str, tuple[str, str]]):  # type: ignore[no-untyped-def]
    """School A's export with a demographics.csv of (birthDate, sex) by username."""
    files = _files(_export(world))
    users = _users_by_name(files)
    header = spec.HEADERS_12["demographics"]
    files["demographics"] = [header] + [
        [users[name]["sourcedId"], "", "", born, sex, *[""] * (len(header) - 5)]
        for name, (born, sex) in cells.items()
    ]
    _cell(files["manifest"], {"propertyName": "file.demographics"}, value="bulk")
    return files


def test_demographics_fill_the_birth_date_and_sex_the_school_keeps(world):
    """ROS-4, ROS-5: demographics.csv is read into the pupils' date of birth and sex;
    unspecified or other leaves sex blank, with a note."""
    files = _with_demographics(
        world,
        {
            "amy.adams": ("2014-05-11", "female"),
            "ben.brown": ("2014-01-02", "Male"),
            "cal.clark": ("2013-12-31", "other"),
        },
    )
    new = _newfield(world)
    result = _import(new, _zip(files))
    assert result.ok, result.problems
    with school_scope(new):
        got = {p.username: (str(p.date_of_birth), p.sex) for p in Pupil.objects.all()}
    assert got == {
        "amy.adams": ("2014-05-11", "F"),
        "ben.brown": ("2014-01-02", "M"),
        "cal.clark": ("2013-12-31", ""),
    }
    assert any("sex unspecified or other" in n for n in result.notes)


def test_demographics_of_a_field_the_school_does_not_keep_are_not_imported(world):
    """ROS-5: a field the school does not keep is neither imported nor stored, and the
    notes say the column was not read."""
    files = _with_demographics(world, {"amy.adams": ("2014-05-11", "female")})
    with school_scope(world.a):
        world.a.kept_pupil_fields = [f for f in world.a.kept_pupil_fields if f != "date_of_birth"]
        world.a.save(update_fields=["kept_pupil_fields"])
        Pupil.objects.filter(pk=world.amy.pk).update(date_of_birth=None, sex="")
    result = _import(world.a, _zip(files))
    assert result.ok, result.problems
    with school_scope(world.a):
        amy = Pupil.objects.get(pk=world.amy.pk)
    assert (amy.date_of_birth, amy.sex) == (None, "F")
    assert any("birthDate not read: this school does not keep" in n for n in result.notes)


def test_every_file_and_column_left_unread_is_named_in_the_notes(world):
    """ROS-4: files Markbook does not read (userProfiles.csv) and columns holding
    values that it does not read (preferredGivenName) are named, not silently dropped."""
    files = _files(_export(world))
    _cell(files["users"], {"username": "amy.adams"}, preferredGivenName="Ames")
    files["userProfiles"] = [
        ["sourcedId", "status", "dateLastModified", "userSourcedId", "profileType"],
        ["p1", "", "", "u1", "app"],
    ]
    result = _import(world.a, _zip(files))
    assert result.ok, result.problems
    assert any("Not read" in n and "userProfiles.csv" in n for n in result.notes)
    users = next(n for n in result.notes if n.startswith("users.csv: columns not read"))
    assert "preferredGivenName" in users and "givenName," not in users
