"""Academic years, step 2 of 3 (fill): an AcademicYear per school for each free-text
year its classes name, and for the calendar's current year, which is made current;
years that ended before it are archived (closed). Each class is linked to its year.

Its own migration, between the schema changes: on PostgreSQL, rows written in the
transaction that alters their table would leave deferred constraint checks pending.
"""

import re
from datetime import date

from django.db import migrations
from django.utils import timezone

_NAME = re.compile(r"^(\d{4})/(\d{2})$")


def _start(name: str) -> int | None:
    match = _NAME.match(name.strip())
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        return None
    return int(match[1])


def fill_years(apps, schema_editor):
    from markbook.core.tenancy import all_schools

    # Historical models: plain, unscoped managers. all_schools() so that PostgreSQL's
    # row-level security (TEN-4) shows every school's rows, and lets these be written.
    School = apps.get_model("schools", "School")
    AcademicYear = apps.get_model("schools", "AcademicYear")
    TeachingClass = apps.get_model("rosters", "TeachingClass")
    today = timezone.localdate()
    current = today.year if today.month >= 9 else today.year - 1
    now = timezone.now()
    with all_schools():
        for school in School.objects.all():
            classes = list(TeachingClass.objects.filter(school_id=school.pk))
            starts = {current}
            for c in classes:
                # A year that is not like 2026/27 (never accepted by the services) goes
                # into the current year rather than stopping the migration.
                starts.add(_start(c.academic_year) or current)
            years = {}
            for start in sorted(starts):
                years[start] = AcademicYear.objects.create(
                    school_id=school.pk,
                    name=f"{start}/{(start + 1) % 100:02d}",
                    start_date=date(start, 9, 1),
                    end_date=date(start + 1, 8, 31),
                    is_current=start == current,
                    closed_at=now if start < current else None,
                )
            for c in classes:
                c.year_id = years[_start(c.academic_year) or current].pk
            TeachingClass.objects.bulk_update(classes, ["year"], batch_size=500)


def unfill_years(apps, schema_editor):
    from markbook.core.tenancy import all_schools

    AcademicYear = apps.get_model("schools", "AcademicYear")
    TeachingClass = apps.get_model("rosters", "TeachingClass")
    with all_schools():
        names = dict(AcademicYear.objects.values_list("pk", "name"))
        classes = list(TeachingClass.objects.exclude(year=None))
        for c in classes:
            c.academic_year = names[c.year_id]
        TeachingClass.objects.bulk_update(classes, ["academic_year"], batch_size=500)
        TeachingClass.objects.update(year=None)
        AcademicYear.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rosters", "0011_teachingclass_year_add"),
    ]

    operations = [
        migrations.RunPython(fill_years, unfill_years),
    ]
