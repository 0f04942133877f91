"""bench/import_oneroster.py keeps working: its file imports cleanly into an empty
school with every pupil, class, enrolment and teacher link, and a small run reports
every phase. Nothing is timed here."""

import pytest

from markbook.core.tenancy import school_scope
from markbook.rosters.models import ClassTeacher, Enrolment, Pupil
from tests.bench import load

bench = load("import_oneroster")

pytestmark = pytest.mark.django_db


def test_generated_file_imports_every_pupil_class_and_link_without_notes():
    school, admin = bench.fresh_school("check", bench.teachers(30))
    _, result = bench.timed_import(school, admin, bench.oneroster_file(30, school.name))
    # Only the columns Markbook does not use are noted (ROS-4: named, never silently dropped).
    assert [n for n in result.notes if "columns not read" not in n] == []
    assert result.pupils_created == 30
    assert result.enrolments_added == 30 * len(bench.SUBJECTS)
    assert result.teacher_links_added == result.classes_created > 0
    with school_scope(school):
        assert Pupil.objects.count() == 30
        assert Enrolment.objects.count() == 30 * len(bench.SUBJECTS)
        assert ClassTeacher.objects.count() == result.classes_created


def test_small_run_reports_every_phase():
    timings = bench.run_backend(backend="sqlite", pupils=12, repeat=2, log=lambda line: None)
    assert [(t.phase, t.rows) for t in timings] == [(p, 12) for p in bench.PHASES]
    assert all(t.seconds > 0 for t in timings)
    text = bench.report(timings)
    assert "first import" in text and "preview" in text and "MIS import" in text
