"""The school's terms and closure days (DSR-8): what a school day is for the clock of
a parent's request to see their child's educational record.

The school enters its terms and the days it is closed inside them (half terms,
training days, bank holidays). `calendar_default_fill` enters England's usual
pattern for the current academic year, for the school to correct. An academic year
with no terms entered counts on that same pattern, so a clock never stops for want
of dates; entering or changing dates recomputes the due date of every open request
that counts school days.

Every function runs inside the school's scope (TEN-4).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.rights import clocks
from markbook.rights.models import DataRequest, SchoolCalendarPeriod
from markbook.schools import years
from markbook.schools.models import School

NAME_MAX = 100


def calendar_periods() -> QuerySet[SchoolCalendarPeriod]:
    return SchoolCalendarPeriod.objects.order_by("start", "kind", "pk")


def _start_year(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def calendar_for(received: date) -> tuple[list[clocks.Period], list[clocks.Period]]:
    """Terms and closures from the academic year of `received` to two years on: the
    school's entered dates, and England's pattern for a year it has entered none of."""
    first = _start_year(received)
    stored = list(SchoolCalendarPeriod.objects.filter(end__gte=date(first, 9, 1)))
    terms = [clocks.Period(p.start, p.end) for p in stored if p.kind == "term"]
    closures = [clocks.Period(p.start, p.end) for p in stored if p.kind == "closure"]
    for start_year in range(first, first + 3):
        begins, ends = date(start_year, 9, 1), date(start_year + 1, 8, 31)
        if any(begins <= t.start <= ends for t in terms):
            continue
        for p in clocks.england_pattern(start_year):
            (terms if p.kind == "term" else closures).append(clocks.Period(p.start, p.end))
    return terms, closures


def educational_record_due(received: date) -> date:
    """The 15th school day after receipt on the school's calendar (DSR-8)."""
    terms, closures = calendar_for(received)
    return clocks.school_days_due(received, terms, closures) or clocks.month_due(received)


def _recompute_due() -> int:
    """Due dates of the open requests that count school days, after a calendar change."""
    changed = 0
    for request in DataRequest.objects.filter(
        kind=DataRequest.Kind.EDUCATIONAL_RECORD, stage__in=DataRequest.OPEN
    ):
        due = educational_record_due(request.received_on)
        if due != request.due_on:
            DataRequest.objects.filter(pk=request.pk).update(due_on=due)
            changed += 1
    return changed


def _clean(kind: str, name: str, start: date | None, end: date | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in SchoolCalendarPeriod.Kind.values:
        errors["kind"] = ["Choose a term or days the school is closed."]
    if not name.strip():
        errors["name"] = ["Give the term or closure a name, like 'Autumn term'."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"Keep the name to {NAME_MAX} characters."]
    if start is None:
        errors["start"] = ["Give the first day."]
    if end is None:
        errors["end"] = ["Give the last day."]
    if start and end and end < start:
        errors["end"] = ["The last day cannot be before the first day."]
    return errors


@transaction.atomic
def calendar_period_add(
    *,
    actor: User | None,
    school: School,
    kind: str,
    name: str,
    start: date | None,
    end: date | None,
) -> SchoolCalendarPeriod:
    """Enter a term or closure; open school-day clocks are recomputed; audited."""
    errors = _clean(kind, name, start, end)
    if errors:
        raise ValidationError(errors)
    assert start is not None and end is not None
    if SchoolCalendarPeriod.objects.filter(kind=kind, start=start).exists():
        raise ValidationError({"start": ["The school already has one of these starting that day."]})
    period = SchoolCalendarPeriod.objects.create(
        school=school, kind=kind, name=name.strip(), start=start, end=end
    )
    recomputed = _recompute_due()
    audit.record(
        actor=actor,
        school=school,
        action="rights.calendar.added",
        target=period,
        data={
            "kind": kind,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "due_dates_changed": recomputed,
        },
    )
    return period


@transaction.atomic
def calendar_period_delete(*, actor: User | None, period: SchoolCalendarPeriod) -> None:
    data: dict[str, object] = {
        "kind": period.kind,
        "name": period.name,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }
    school_id = period.school_id
    period.delete()
    data["due_dates_changed"] = _recompute_due()
    audit.record(actor=actor, school=school_id, action="rights.calendar.deleted", data=data)


@transaction.atomic
def calendar_default_fill(*, actor: User | None, school: School) -> list[SchoolCalendarPeriod]:
    """Enter England's usual terms and half terms for the current academic year, to
    correct; refused when the school has entered dates in that year already."""
    year = years.academic_year_current(school)
    if SchoolCalendarPeriod.objects.filter(
        start__lte=year.end_date, end__gte=year.start_date
    ).exists():
        raise ValidationError(
            {"__all__": [f"The school has term dates for {year.name} already; edit them instead."]}
        )
    made = [
        SchoolCalendarPeriod.objects.create(
            school=school, kind=p.kind, name=p.name, start=p.start, end=p.end
        )
        for p in clocks.england_pattern(year.start_date.year)
    ]
    recomputed = _recompute_due()
    audit.record(
        actor=actor,
        school=school,
        action="rights.calendar.default_filled",
        data={"academic_year": year.name, "periods": len(made), "due_dates_changed": recomputed},
    )
    return made
