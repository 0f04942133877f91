"""The year-end rollover (ROS-1): close the current academic year and open the next.

Pupils on roll move up a National Curriculum year (Reception to Year 1, Year 7 to
Year 8, ...), except those in the last year the school teaches (Year 6 at a primary
school, Year 11 at a secondary, Year 13 with a sixth form), who are marked as left on
the last day of the year, as a full MIS import marks the pupils missing from it. The
closed year's classes are archived: kept, read-only, shown under that year. The next
year is made (or found) and becomes current.

`rollover_preview` says exactly what `rollover_perform` will do; performing is one
transaction, tied to the year it closes (a second run finds it closed and changes
nothing), and audited with its counts. Both run inside the school's scope (TEN-4).
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.core.rows import update_rows
from markbook.rosters import services
from markbook.rosters.models import YEAR_GROUPS, Pupil, TeachingClass
from markbook.schools import years
from markbook.schools.models import AcademicYear, School

ORDER = [code for code, _ in YEAR_GROUPS]  # N1, N2, R, 1 ... 13


def next_year_group(year_group: str) -> str:
    """The NC year after `year_group`: "R" -> "1", "7" -> "8"; "" after Year 13."""
    i = ORDER.index(year_group) if year_group in ORDER else -1
    return ORDER[i + 1] if 0 <= i < len(ORDER) - 1 else ""


@dataclass
class RolloverPlan:
    """What closing `year` does; `problems` non-empty means it cannot be done."""

    school: School
    year: AcademicYear
    next_name: str
    next_start: date
    next_end: date
    final_year_group: str
    promoted: list[Pupil] = field(default_factory=list)
    leavers: list[Pupil] = field(default_factory=list)
    classes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def leaving_date(self) -> date:
        return self.year.end_date

    @property
    def final_year_label(self) -> str:
        return dict(YEAR_GROUPS).get(self.final_year_group, "")

    def counts(self) -> dict[str, int]:
        return {
            "promoted": len(self.promoted),
            "leavers": len(self.leavers),
            "classes_archived": self.classes,
        }


def rollover_preview(*, school: School, year: AcademicYear) -> RolloverPlan:
    """What closing `year` would do, without writing anything."""
    name, start, end = years.academic_year_next(year)
    plan = RolloverPlan(
        school=school,
        year=year,
        next_name=name,
        next_start=start,
        next_end=end,
        final_year_group=school.final_year_group,
    )
    if year.archived:
        plan.problems.append(
            f"{year.name} was closed on {year.closed_at:%-d %b %Y}: its pupils have "
            "already moved up."
        )
        return plan
    if not year.is_current:
        plan.problems.append(f"{year.name} is not the current academic year.")
        return plan
    if not plan.final_year_group:
        plan.problems.append(
            "Say first whether the school is primary or secondary, and whether it has a "
            "sixth form: that decides which pupils leave."
        )
        return plan
    last = ORDER.index(plan.final_year_group)
    pupils = Pupil.objects.select_related("school").filter(status=Pupil.Status.ON_ROLL)
    for pupil in pupils.order_by("last_name", "first_name", "pk"):
        rank = ORDER.index(pupil.year_group) if pupil.year_group in ORDER else -1
        if rank < 0:
            continue  # no year group: nothing to move
        (plan.leavers if rank >= last else plan.promoted).append(pupil)
    plan.classes = TeachingClass.objects.filter(academic_year=year).count()
    return plan


@transaction.atomic
def rollover_perform(
    *,
    actor: User | None,
    school: School,
    year: AcademicYear,
    expected: dict[str, int] | None = None,
) -> RolloverPlan:
    """Close `year`: promote, mark leavers, archive its classes, make the next year
    current; one transaction, one audit event with the counts (ROS-1, SEC-1).

    Refuses (ValidationError, nothing written) a year already closed or not current,
    so it never runs twice for one year; and, given `expected` (the counts the
    confirm page showed), when the roster has changed since the preview."""
    # Lock the year: two administrators confirming at once run one after the other,
    # and the second finds it closed.
    year = AcademicYear.objects.select_for_update().get(pk=year.pk)
    plan = rollover_preview(school=school, year=year)
    if plan.problems:
        raise ValidationError({"academic_year": plan.problems})
    counts = plan.counts()
    if expected and any(counts.get(name) != value for name, value in expected.items()):
        raise ValidationError(
            {
                "academic_year": [
                    "The roster changed since the preview: check the new counts and confirm again."
                ]
            }
        )
    now = timezone.now()
    events: list[tuple[str, Any, dict[Any, Any] | None]] = []
    for pupil in plan.promoted:
        old, pupil.year_group = pupil.year_group, next_year_group(pupil.year_group)
        pupil.updated_at = now
        events.append(
            (
                "rosters.pupil.changed",
                pupil,
                {
                    "year_group": services.pupil_change_logged(
                        old, pupil.year_group, sensitive=False
                    )
                },
            )
        )
    for pupil in plan.leavers:
        # As a full MIS import marks the pupils missing from it (imports/mis/plan.py).
        pupil.status, pupil.left_on, pupil.updated_at = Pupil.Status.LEFT, plan.leaving_date, now
        events.append(
            (
                "rosters.pupil.changed",
                pupil,
                {
                    "status": services.pupil_change_logged(
                        Pupil.Status.ON_ROLL, Pupil.Status.LEFT, sensitive=False
                    ),
                    "left_on": services.pupil_change_logged(
                        None, plan.leaving_date, sensitive=False
                    ),
                },
            )
        )
    update_rows(Pupil, plan.promoted, ["year_group", "updated_at"])
    update_rows(Pupil, plan.leavers, ["status", "left_on", "updated_at"])
    year.is_current, year.closed_at = False, now
    year.save(update_fields=["is_current", "closed_at"])
    following, _ = AcademicYear.objects.get_or_create(
        school=school,
        name=plan.next_name,
        defaults={"start_date": plan.next_start, "end_date": plan.next_end},
    )
    following.is_current, following.closed_at = True, None
    following.save(update_fields=["is_current", "closed_at"])
    audit.record_many(actor=actor, school=school, events=events)
    audit.record(
        actor=actor,
        school=school,
        action="rosters.year.rolled_over",
        target=year,
        data={
            "academic_year": year.name,
            "next_academic_year": following.name,
            "leaving_date": plan.leaving_date.isoformat(),
            "final_year_group": plan.final_year_group,
            **plan.counts(),
        },
    )
    return plan
