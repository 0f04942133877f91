"""The SQL side of school analysis (ASM-5): which pupils a report counts, and each
drop field's grades against target as one aggregate query per table.

The database does the counting: every table is one `GROUP BY` over the field's
entries, joined to the grade, its common band and the pupil's target in the subject
(`report_entries`), with the status against target worked out in SQL (`DIFF`: the
grade's rank minus the expected grade's on the same scale, or the common bands' when
the scales differ; NULL without a target). Python sees one row per group, never one
per pupil and subject.

A grade typed as a number on a numeric scale counts as the highest grade whose
minimum it reaches; that mapping is a CASE over the few thresholds of the school's
numeric scales, evaluated only for entries without a grade.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce

from markbook.privacy.restriction import unrestricted_pupils
from markbook.rosters.models import Enrolment, Pupil
from markbook.tracking.analysis.groups import ABOVE, BELOW, HIGH, LOW, MIDDLE, NO_TARGET, ON
from markbook.tracking.models import DropField, Subject, TrackingEntry

if TYPE_CHECKING:
    from markbook.tracking.analysis.selectors import Viewer


def report_pupils(viewer: "Viewer") -> QuerySet[Pupil]:
    """The pupils a report may count: the one place that chooses them. Pupils who have
    left are left out, and restricted pupils (DSR-5) through privacy.restriction, the
    one place every consumer asks."""
    return unrestricted_pupils(Pupil.objects.filter(status=Pupil.Status.ON_ROLL))


def taught_by(user: Any) -> Exists:
    """An entry of a pupil in one of the teacher's classes of its subject (TEN-3)."""
    return Exists(
        Enrolment.objects.filter(
            pupil_id=OuterRef("pupil_id"),
            teaching_class__subject_links__subject_id=OuterRef("subject_id"),
            teaching_class__teacher_links__teacher=user,
        )
    )


def class_of(user: Any | None) -> Subquery:
    """The class an entry's pupil is taught its subject in (a teacher: one of theirs)."""
    enrolments = Enrolment.objects.filter(
        pupil_id=OuterRef("pupil_id"),
        teaching_class__subject_links__subject_id=OuterRef("subject_id"),
    )
    if user is not None:
        enrolments = enrolments.filter(teaching_class__teacher_links__teacher=user)
    return Subquery(enrolments.order_by("-pk").values("teaching_class_id")[:1])


def class_map(user: Any | None) -> dict[tuple[int, int], int]:
    """Each (pupil, subject)'s class, as `class_of` finds it (the latest enrolment in a
    class of the subject; a teacher: one of theirs), in one query for a whole report
    instead of one subquery per entry."""
    enrolments = Enrolment.objects.filter(teaching_class__subject_links__isnull=False)
    if user is not None:
        enrolments = enrolments.filter(teaching_class__teacher_links__teacher=user)
    rows = enrolments.values_list(
        "pupil_id", "teaching_class__subject_links__subject_id", "teaching_class_id"
    ).order_by("pk")
    return {(pupil, subject): c for pupil, subject, c in rows}  # the latest one wins


Thresholds = dict[int, list[tuple[Decimal, int, int, int | None]]]


def _derived(
    field: DropField,
    subjects: dict[int, Subject],
    thresholds: Thresholds,
    what: int,
    prefix: str = "",
) -> Case | None:
    """For an entry typed as a number: item `what` (1 grade id, 2 rank, 3 band) of the
    highest grade of the scale whose minimum the number reaches; None without any
    numeric scale in play. `prefix`: the path to another entry of the same subject
    (the earlier drop's, `with_earlier`)."""
    scales = [field.scale_id] if field.scale_id else sorted({s.scale_id for s in subjects.values()})
    whens = []
    for scale_id in scales:
        steps = thresholds.get(scale_id)
        if not steps:
            continue
        on_scale = Q()
        if not field.scale_id:
            on_scale = Q(
                subject_id__in=[pk for pk, s in subjects.items() if s.scale_id == scale_id]
            )
        for step in sorted(steps, key=lambda t: -t[2]):
            whens.append(
                When(on_scale & Q(**{f"{prefix}value__gte": step[0]}), then=Value(step[what]))
            )
    if not whens:
        return None
    return Case(*whens, default=None, output_field=IntegerField())


def grade_expressions(
    field: DropField, subjects: dict[int, Subject], thresholds: Thresholds
) -> dict[str, Any]:
    """The entry's grade (`gid`), its rank (`g_rank`), scale (`g_scale`) and common band
    (`g_band`) as SQL expressions: the grade typed, or the one its number earns."""
    gid = _derived(field, subjects, thresholds, 1)
    if gid is None:
        return {
            "gid": F("grade_id"),
            "g_rank": F("grade__rank"),
            "g_scale": F("grade__scale_id"),
            "g_band": F("grade__band__rank"),
        }
    scale: Combinable
    if field.scale_id:
        scale = Value(field.scale_id)
    else:
        scale = Case(
            *[When(subject_id=pk, then=Value(s.scale_id)) for pk, s in subjects.items()],
            default=None,
            output_field=IntegerField(),
        )
    return {
        "gid": Coalesce(F("grade_id"), gid),
        "g_rank": Coalesce(F("grade__rank"), _derived(field, subjects, thresholds, 2)),
        "g_scale": Coalesce(F("grade__scale_id"), scale),
        "g_band": Coalesce(F("grade__band__rank"), _derived(field, subjects, thresholds, 3)),
    }


# The grade against the expected grade (the target: a flat path until flight paths
# land, ASM-4): rank minus rank on one scale, common band minus band across scales.
DIFF = Case(
    When(t_rank__isnull=True, then=Value(None)),
    When(g_scale=F("t_scale"), then=F("g_rank") - F("t_rank")),
    default=Coalesce(F("g_band"), Value(0)) - F("t_band"),
    output_field=IntegerField(),
)
STATUS_FILTERS = {
    ABOVE: Q(diff__gt=0),
    ON: Q(diff=0),
    BELOW: Q(diff__lt=0),
    NO_TARGET: Q(diff__isnull=True),
}


def graded_entries(
    field: DropField, subjects: dict[int, Subject], thresholds: Thresholds
) -> QuerySet[Any]:
    """The field's entries that hold a grade (typed, or earned by a number), as `gid`;
    a cleared cell holds none and is not counted."""
    exprs = grade_expressions(field, subjects, thresholds)
    # A field not saved yet (a school with no drop): no entries, in the same shape.
    found = TrackingEntry.objects.filter(field=field) if field.pk else TrackingEntry.objects.none()
    return found.annotate(gid=exprs["gid"]).filter(gid__isnull=False)


def report_entries(
    viewer: "Viewer",
    field: DropField,
    subjects: dict[int, Subject],
    thresholds: Thresholds,
    *,
    lean: bool = False,
) -> QuerySet[Any]:
    """The field's graded entries the viewer's report counts, annotated with the grade,
    the target and `diff` (above, on or below target: > 0, 0, < 0; NULL without one);
    `lean`: the entries and their grade (`gid`) alone, for counting them (with
    `with_target` for the target's grade)."""
    entries = graded_entries(field, subjects, thresholds).filter(
        pupil__in=report_pupils(viewer).values("pk")
    )
    if not viewer.admin:
        entries = entries.filter(taught_by(viewer.user))
    if lean:
        return entries
    exprs = grade_expressions(field, subjects, thresholds)
    del exprs["gid"]
    return (
        entries.annotate(target=_target())
        .annotate(
            **exprs,
            t_gid=F("target__grade_id"),
            t_rank=F("target__grade__rank"),
            t_scale=F("target__grade__scale_id"),
            t_band=F("target__grade__band__rank"),
        )
        .annotate(diff=DIFF)
    )


def _target() -> FilteredRelation:
    """The entry's pupil's target in its subject, as a join. It names the entry's own
    school, pupil and subject, so the target's unique index finds it from the entry
    alone (SQLite and PostgreSQL, even without table statistics, plan it so)."""
    return FilteredRelation(
        "pupil__targets",
        condition=Q(
            pupil__targets__school=F("school"),
            pupil__targets__pupil=F("pupil"),
            pupil__targets__subject=F("subject"),
        ),
    )


def with_earlier(
    entries: QuerySet[Any],
    field: DropField,
    subjects: dict[int, Subject],
    thresholds: Thresholds,
) -> QuerySet[Any]:
    """The entries with the grade (`before`, as `gid`: typed, or earned by a number) of
    the same pupil and subject in another drop field, as one join: the earlier entry is
    found by its unique index from the entry's school, pupil and subject."""
    earlier = FilteredRelation(
        "pupil__tracking_entries",
        condition=Q(
            pupil__tracking_entries__school=F("school"),
            pupil__tracking_entries__field=field.pk,
            pupil__tracking_entries__subject=F("subject"),
        ),
    )
    derived = _derived(field, subjects, thresholds, 1, prefix="earlier__")
    grade = F("earlier__grade_id")
    return entries.annotate(earlier=earlier).annotate(
        before=grade if derived is None else Coalesce(grade, derived)
    )


def with_target(entries: QuerySet[Any]) -> QuerySet[Any]:
    """The entries with their target's grade id (`t_gid`), joining no grade."""
    return entries.annotate(target=_target()).annotate(t_gid=F("target__grade_id"))


def counting() -> dict[str, Any]:
    """The aggregates of one line of a table: its grades, how many above, on and below
    target and without one, and the sum and count of their common bands."""
    return {
        "entries": Count("pk"),
        **{status: Count("pk", filter=q) for status, q in STATUS_FILTERS.items()},
        "band_total": Sum("g_band"),
        "band_entries": Count("g_band"),
    }


def with_ks2(entries: QuerySet[Any]) -> QuerySet[Any]:
    """The pupil's KS2 prior attainment band as `ks2` (as groups.ks2_band: the average
    of reading and maths, one alone when only one is known, below 100, 100 to 109,
    110 and above; NULL when neither is known)."""
    reading, maths = F("pupil__ks2_reading"), F("pupil__ks2_maths")
    return entries.annotate(
        ks2_twice=Coalesce(reading, maths) + Coalesce(maths, reading)  # twice the average
    ).annotate(
        ks2=Case(
            When(ks2_twice__isnull=True, then=Value(None)),
            When(ks2_twice__lt=200, then=Value(LOW)),
            When(ks2_twice__lt=220, then=Value(MIDDLE)),
            default=Value(HIGH),
        )
    )
