"""Reads of tracking data (ASM-4), inside the request's school scope (TEN-4); none
filters by school itself. List reads run a fixed number of queries (tests assert it)."""

from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from markbook.accounts.models import User
from markbook.admission import ADMINS, Access
from markbook.rosters.models import ClassTeacher, Pupil, TeachingClass
from markbook.tracking.models import (
    HELD,
    Band,
    DataDrop,
    DropField,
    Grade,
    GradeScale,
    Subject,
    SubjectClass,
    Target,
    TargetRule,
    TrackingEntry,
)


def scales() -> QuerySet[GradeScale]:
    """Every scale with its grades (and their bands) and the subjects taught on it."""
    return GradeScale.objects.prefetch_related(
        Prefetch("grades", Grade.objects.select_related("band").order_by("rank")),
        Prefetch("subjects", Subject.objects.order_by("name")),
    )


def bands() -> QuerySet[Band]:
    return Band.objects.order_by("rank")


def subjects() -> QuerySet[Subject]:
    """Every subject with its scale and how many classes are linked to it."""
    return Subject.objects.select_related("scale").annotate(
        class_count=Count("class_links", distinct=True)
    )


def subject_classes(subject: Subject) -> QuerySet[TeachingClass]:
    return TeachingClass.objects.filter(subject_links__subject=subject).order_by("name")


def unlinked_classes() -> QuerySet[TeachingClass]:
    """Teaching classes tracked in no subject yet."""
    return TeachingClass.objects.filter(
        kind=TeachingClass.Kind.TEACHING, subject_links__isnull=True
    ).order_by("name")


def subject_autolink_preview() -> list[tuple[TeachingClass, Subject]]:
    """Classes not yet linked whose own subject (the free text an MIS or OneRoster gave
    them) is a subject's name or code, ignoring case: what the auto-link would do."""
    by_name: dict[str, Subject] = {}
    for subject in Subject.objects.select_related("scale"):
        by_name.setdefault(subject.name.casefold(), subject)
        if subject.code:
            by_name.setdefault(subject.code.casefold(), subject)
    return [
        (c, by_name[c.subject.strip().casefold()])
        for c in unlinked_classes()
        if c.subject.strip().casefold() in by_name
    ]


def drops() -> QuerySet[DataDrop]:
    return DataDrop.objects.select_related("locked_by").prefetch_related(
        Prefetch("fields", DropField.objects.select_related("scale"))
    )


def target_rules(scale: GradeScale) -> QuerySet[TargetRule]:
    return TargetRule.objects.filter(scale=scale).select_related("grade").order_by("ks2_minimum")


@dataclass
class CompletionRow:
    """One class's entry for a drop: how many of its expected entries are in."""

    teaching_class: TeachingClass
    subject: Subject
    pupils: int
    expected: int
    entered: int
    teachers: list[User] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return max(0, self.expected - self.entered)

    @property
    def percent(self) -> int:
        return 100 if not self.expected else round(100 * self.entered / self.expected)


def drop_completion(drop: DataDrop, user: User, access: Access) -> list[CompletionRow]:
    """Per subject and class in the drop's year groups, the entries expected (the class's
    pupils on roll times the drop's fields) and entered. Administrators see every
    class, a teacher their own. Three queries however many classes."""
    field_count = DropField.objects.filter(drop=drop).count()
    on_roll = Q(teaching_class__enrolments__pupil__status=Pupil.Status.ON_ROLL)
    entered = (
        TrackingEntry.objects.filter(
            drop=drop,
            subject=OuterRef("subject"),
            pupil__enrolments__teaching_class=OuterRef("teaching_class"),
        )
        .filter(HELD)  # a cleared cell is not entered
        .order_by()
        .values("drop")
        .annotate(n=Count("pk"))
        .values("n")
    )
    links = (
        SubjectClass.objects.select_related("subject", "teaching_class")
        .annotate(
            pupil_count=Count("teaching_class__enrolments", filter=on_roll, distinct=True),
            entered=Coalesce(Subquery(entered, output_field=IntegerField()), 0),
        )
        .prefetch_related(
            Prefetch(
                "teaching_class__teacher_links",
                ClassTeacher.objects.select_related("teacher").order_by(
                    "teacher__last_name", "teacher__first_name"
                ),
            )
        )
        .order_by("subject__name", "teaching_class__name")
    )
    if drop.year_groups:
        links = links.filter(teaching_class__year_group__in=drop.year_groups)
    if not access.has(*ADMINS):
        links = links.filter(teaching_class__teacher_links__teacher=user)
    return [
        CompletionRow(
            teaching_class=link.teaching_class,
            subject=link.subject,
            pupils=link.pupil_count,
            expected=link.pupil_count * field_count,
            entered=link.entered,
            teachers=[t.teacher for t in link.teaching_class.teacher_links.all()],
        )
        for link in links
    ]


def class_subject(teaching_class: TeachingClass) -> Subject | None:
    link = SubjectClass.objects.select_related("subject__scale").filter(
        teaching_class=teaching_class
    )
    found = link.first()
    return found.subject if found else None


def class_targets(
    teaching_class: TeachingClass, subject: Subject
) -> list[tuple[Pupil, Target | None]]:
    """The class's pupils on roll, each with their target in the subject (or None)."""
    pupils = list(
        Pupil.objects.select_related("school")
        .filter(enrolments__teaching_class=teaching_class, status=Pupil.Status.ON_ROLL)
        .order_by("last_name", "first_name", "pk")
    )
    targets = {
        t.pupil_id: t
        for t in Target.objects.filter(subject=subject, pupil__in=pupils).select_related(
            "grade", "starting_grade", "set_by"
        )
    }
    return [(p, targets.get(p.pk)) for p in pupils]


def subject_targets(subject: Subject, pupils: QuerySet[Pupil]) -> QuerySet[Target]:
    return Target.objects.filter(subject=subject, pupil__in=pupils).select_related(
        "grade", "starting_grade"
    )
