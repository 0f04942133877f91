"""A school's academic years (ROS-1): which one is current, finding one by name, and
the school's phase that decides who leaves at the year-end rollover.

Every function runs inside the school's scope (TEN-4). The rollover itself, which
moves pupils and archives classes, is in `markbook.rosters.rollover`.
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.schools.models import AcademicYear, School, academic_year_name

_NAME = re.compile(r"^(\d{4})/(\d{2})$")


def calendar_year_start(today: date | None = None) -> date:
    """1 September of the UK academic year containing `today`."""
    today = today or timezone.localdate()
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def academic_year_dates(name: str) -> tuple[date, date]:
    """ "2026/27" -> (1 September 2026, 31 August 2027); ValidationError if not a year."""
    match = _NAME.match(name.strip())
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ValidationError({"academic_year": ["Write the academic year like 2026/27."]})
    start = int(match[1])
    return date(start, 9, 1), date(start + 1, 8, 31)


def _get_or_create(school: School, name: str, **defaults: object) -> AcademicYear:
    start, end = academic_year_dates(name)
    try:
        with transaction.atomic():
            year, _ = AcademicYear.objects.get_or_create(
                school=school,
                name=name.strip(),
                defaults={"start_date": start, "end_date": end, **defaults},
            )
    except IntegrityError:  # another request made it (or the current one) first
        year = AcademicYear.objects.get(school=school, name=name.strip())
    return year


def academic_year_current(school: School) -> AcademicYear:
    """The school's current academic year. A school that has none yet (a new one) gets
    the calendar's year, made current: from then on only the rollover moves it on."""
    year = AcademicYear.objects.filter(school=school, is_current=True).first()
    if year is not None:
        return year
    year = _get_or_create(school, academic_year_name(calendar_year_start()), is_current=True)
    if not year.is_current and not year.archived:
        year.is_current = True
        year.save(update_fields=["is_current"])
    return year


def academic_year_for(school: School, name: str | None) -> AcademicYear:
    """The school's year called `name` ("2026/27"), made if it does not exist yet (an
    import or the API may name next year's); the current year when `name` is empty."""
    if not name or not name.strip():
        return academic_year_current(school)
    return _get_or_create(school, name)


def academic_year_next(year: AcademicYear) -> tuple[str, date, date]:
    """The name and dates of the year after `year`."""
    start = date(year.end_date.year, 9, 1)
    return academic_year_name(start), start, date(start.year + 1, 8, 31)


@transaction.atomic
def school_phase_update(
    *, actor: User | None, school: School, phase: str, sixth_form: bool
) -> School:
    """Set the school's phase and sixth form, which say whose pupils leave at the end of
    the year (Year 6, 11 or 13); audited."""
    if phase not in School.Phase.values:
        raise ValidationError({"phase": ["Choose the school's phase."]})
    sixth_form = sixth_form and phase != School.Phase.PRIMARY
    before = {"phase": school.phase, "sixth_form": school.sixth_form}
    after = {"phase": phase, "sixth_form": sixth_form}
    if before != after:
        school.phase, school.sixth_form = phase, sixth_form
        school.save(update_fields=["phase", "sixth_form"])
        audit.record(
            actor=actor,
            school=school,
            action="schools.phase.changed",
            target=school,
            data={k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]},
        )
    return school
