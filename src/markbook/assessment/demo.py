"""Demo content: a term of marked assignments for every class of a secondary school
(ASM-1, ASM-3), written in a few bulk inserts so the demo seed stays fast.

Runs inside the school's scope. Where tracking has linked a class to a subject on the
GCSE 9-1 scale, the class's test gets grade boundaries on that scale.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from markbook.assessment.models import Assignment, AssignmentBoundary, Mark
from markbook.audit import services as audit
from markbook.rosters.models import Enrolment, Pupil, TeachingClass
from markbook.schools.models import School
from markbook.tracking.models import GradeScale, SubjectClass

# (title, kind, maximum mark, days before today it was due; negative: still to come)
WORK = (
    ("Baseline assessment", Assignment.Kind.TEST, 50, 70),
    ("Homework 1", Assignment.Kind.HOMEWORK, 20, 49),
    ("Classwork review", Assignment.Kind.CLASSWORK, 30, 28),
    ("Homework 2", Assignment.Kind.HOMEWORK, 20, 5),
    ("End of unit test", Assignment.Kind.TEST, 60, -7),
)
# Share of the GCSE test's maximum needed for grades 1-9 (U below).
GCSE_SHARES = {"1": 8, "2": 16, "3": 26, "4": 36, "5": 46, "6": 56, "7": 66, "8": 76, "9": 86}


def demo_assignments(school: School) -> dict[str, int]:
    """Seed the term's assignments and marks; returns the counts (seeded once, audited)."""
    rng = random.Random(school.pk)
    today = timezone.localdate()
    classes = list(
        TeachingClass.objects.filter(kind=TeachingClass.Kind.TEACHING).prefetch_related(
            Prefetch(
                "enrolments",
                Enrolment.objects.filter(pupil__status=Pupil.Status.ON_ROLL).only(
                    "pupil_id", "teaching_class_id"
                ),
            )
        )
    )
    subjects = {
        link.teaching_class_id: link.subject
        for link in SubjectClass.objects.select_related("subject__scale")
    }
    gcse = {}
    scale = GradeScale.objects.filter(name="GCSE 9-1").prefetch_related("grades").first()
    if scale is not None:
        gcse = {g.label: g for g in scale.grades.all()}
    assignments = []
    for teaching_class in classes:
        subject = subjects.get(teaching_class.pk)
        for title, kind, max_mark, days in WORK:
            assignments.append(
                Assignment(
                    school=school,
                    teaching_class=teaching_class,
                    title=title,
                    kind=kind,
                    subject=subject,
                    max_mark=Decimal(max_mark),
                    due_date=today - timedelta(days=days),
                )
            )
    Assignment.objects.bulk_create(assignments)
    boundaries = [
        AssignmentBoundary(
            school=school,
            assignment=a,
            grade=gcse[label],
            minimum_mark=(a.max_mark * share / 100).quantize(Decimal(1)),
        )
        for a in assignments
        if gcse
        and a.title == "Baseline assessment"
        and a.subject
        and scale is not None
        and a.subject.scale_id == scale.pk
        for label, share in GCSE_SHARES.items()
    ]
    AssignmentBoundary.objects.bulk_create(boundaries)
    ability: dict[int, float] = {}
    marks = []
    for a in assignments:
        assert a.due_date is not None  # every demo assignment is made with a due date above
        if a.due_date > today:
            continue  # not due yet: nothing marked
        late = (today - a.due_date).days < 10  # the latest work: more still to mark
        for enrolment in a.teaching_class.enrolments.all():
            pupil_id = enrolment.pupil_id
            level = ability.setdefault(pupil_id, min(max(rng.gauss(0.6, 0.18), 0.05), 0.98))
            roll = rng.random()
            if roll < (0.25 if late else 0.04):
                continue  # missing
            if roll > 0.96:
                status, score = Mark.Status.ABSENT, None
            elif roll > 0.94:
                status, score = Mark.Status.NOT_REQUIRED, None
            else:
                share = min(max(rng.gauss(level, 0.1), 0), 1)
                status, score = Mark.Status.MARKED, (a.max_mark * Decimal(share)).quantize(1)
            marks.append(
                Mark(school=school, assignment=a, pupil_id=pupil_id, score=score, status=status)
            )
    Mark.objects.bulk_create(marks, batch_size=2000)
    counts = {"assignments": len(assignments), "boundaries": len(boundaries), "marks": len(marks)}
    audit.record(actor=None, school=school, action="assessment.demo.seeded", data=counts)
    return counts
