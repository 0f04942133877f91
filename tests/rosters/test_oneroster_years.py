"""OneRoster academicSessions are the school's academic years (ROS-4, ROS-1)."""

from markbook.core.tenancy import school_scope
from markbook.rosters import rollover
from markbook.rosters.models import Enrolment, TeachingClass
from markbook.schools.models import AcademicYear
from tests import factories as f
from tests.conftest import World
from tests.rosters.test_oneroster import _export, _files, _import, _newfield, _rows, _zip


def test_export_lists_every_academic_year_with_its_dates(world: World):
    """Each year is a schoolYear session; classes name their own year's session."""
    last = f.academic_year(world.a, "2025/26", closed=True)
    f.teaching_class(world.a, "6A Maths", subject="Maths", year_group="6", academic_year=last)
    files = _files(_export(world))
    sessions = {s["title"]: s for s in _rows(files["academicSessions"])}
    assert {
        t: (s["type"], s["startDate"], s["endDate"], s["schoolYear"]) for t, s in sessions.items()
    } == {
        "2025/26": ("schoolYear", "2025-09-01", "2026-08-31", "2026"),
        "2026/27": ("schoolYear", "2026-09-01", "2027-08-31", "2027"),
    }
    terms = {c["title"]: c["termSourcedIds"] for c in _rows(files["classes"])}
    assert terms["6A Maths"] == sessions["2025/26"]["sourcedId"]
    assert terms["7A Maths"] == sessions["2026/27"]["sourcedId"]


def test_import_puts_classes_in_the_academic_years_of_their_sessions(world: World):
    """ROS-4: a file's sessions become the new school's academic years."""
    last = f.academic_year(world.a, "2025/26", closed=True)
    f.teaching_class(world.a, "6A Maths", subject="Maths", year_group="6", academic_year=last)
    new = _newfield(world)
    result = _import(new, _export(world))
    assert result.ok, result.problems
    with school_scope(new):
        years = {c.name: c.academic_year.name for c in TeachingClass.objects.all()}
        assert years == {"7A Maths": "2026/27", "7B Maths": "2026/27", "6A Maths": "2025/26"}
        assert set(AcademicYear.objects.values_list("school_id", flat=True)) == {new.pk}


def test_import_does_not_enrol_pupils_in_an_archived_class(world: World):
    """ROS-1: a file adding a pupil to a class of a closed year is refused, unwritten."""
    files = _files(_export(world))
    world.a.phase = "secondary"
    world.a.save(update_fields=["phase"])
    with school_scope(world.a):
        rollover.rollover_perform(
            actor=world.admin, school=world.a, year=world.class_7a.academic_year
        )
        Enrolment.objects.filter(teaching_class=world.class_7a, pupil=world.amy).delete()
    result = _import(world.a, _zip(files))
    assert not result.ok
    assert any("7A Maths is archived" in p.message for p in result.problems)
    with school_scope(world.a):
        assert not Enrolment.objects.filter(teaching_class=world.class_7a, pupil=world.amy).exists()
