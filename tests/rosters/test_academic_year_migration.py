"""The academic years data migration (ROS-1): free-text class years become academic
years of each school, linked to the classes; add -> fill -> alter (style.md)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from markbook.core.tenancy import all_schools

BEFORE = [("rosters", "0010_import_preview_status"), ("schools", "0008_academic_years_and_phase")]


def _migrate(targets=None):  # type: ignore[no-untyped-def]
    """Migrate to `targets`, or forward to the latest of every app."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_free_text_years_become_academic_years_linked_to_their_classes():
    """Each school gets its classes' years and the calendar's current year (made
    current); earlier years are archived; every class links to its own school's year."""
    today = timezone.localdate()
    start = today.year if today.month >= 9 else today.year - 1
    current, last = f"{start}/{(start + 1) % 100:02d}", f"{start - 1}/{start % 100:02d}"
    old_apps = _migrate(BEFORE)
    School = old_apps.get_model("schools", "School")
    TeachingClass = old_apps.get_model("rosters", "TeachingClass")
    with all_schools():
        a = School.objects.create(name="A", signin_slug="a-slug")
        b = School.objects.create(name="B", signin_slug="b-slug")
        TeachingClass.objects.create(school=a, name="7A", academic_year=current)
        TeachingClass.objects.create(school=a, name="6A", academic_year=last)
        TeachingClass.objects.create(school=b, name="B1", academic_year=last)
        TeachingClass.objects.create(school=b, name="B2", academic_year="junk")
    new_apps = _migrate()
    AcademicYear = new_apps.get_model("schools", "AcademicYear")
    TeachingClass = new_apps.get_model("rosters", "TeachingClass")
    with all_schools():
        rows = {
            (y.school_id, y.name): (y.is_current, y.closed_at is not None)
            for y in AcademicYear.objects.all()
        }
        assert rows == {
            (a.pk, current): (True, False),
            (a.pk, last): (False, True),
            (b.pk, current): (True, False),
            (b.pk, last): (False, True),
        }
        links = {
            c.name: (c.school_id, c.academic_year.school_id, c.academic_year.name)
            for c in TeachingClass.objects.select_related("academic_year")
        }
        assert links == {
            "7A": (a.pk, a.pk, current),
            "6A": (a.pk, a.pk, last),
            "B1": (b.pk, b.pk, last),
            "B2": (b.pk, b.pk, current),  # not a year: put in the current one
        }
        TeachingClass.objects.all().delete()
        AcademicYear.objects.all().delete()
        School.objects.filter(pk__in=[a.pk, b.pk]).delete()
