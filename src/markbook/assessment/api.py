"""API: assignments, completion, results and a trust's assignments (ASM-1, ASM-3,
TEN-3, SEC-1), through the same services and selectors as the pages.

Wrong role or invisible object: 404, as on the pages. A staff read of a pupil's
results goes to the access log (SEC-1); a pupil's read of their own does not.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from markbook.admission import STAFF, AccessRequest, require_role, school_of
from markbook.assessment import selectors, services
from markbook.assessment.access import (
    access_assignment,
    access_class_for_work,
    access_trust_assignment,
)
from markbook.assessment.models import HELD, Assignment, TrustAssignment
from markbook.core.api import InputSchema, responses
from markbook.practice.models import QuestionSet
from markbook.rosters import selectors as roster_selectors
from markbook.rosters.access import access_pupil
from markbook.rosters.models import Pupil
from markbook.schools import services as school_services
from markbook.tracking.models import Subject

router = Router(tags=["assessment"])

# An id that fits the database's integer, so a wild one is a 422, not a server error.
MAX_ID = 2**63 - 1

SCHOOL = "/schools/{school_id}"
TRUST = "/trusts/{trust_id}"


class CompletionOut(Schema):
    pupils: int
    marked: int
    absent: int
    not_required: int
    missing: int


class BoundaryOut(Schema):
    grade_id: int
    grade: str
    minimum_mark: Decimal


class AssignmentOut(Schema):
    id: int
    class_id: int
    title: str
    kind: str
    due_date: date | None
    max_mark: Decimal
    subject_id: int | None
    trust_assignment_id: int | None
    boundaries: list[BoundaryOut]
    completion: CompletionOut
    # A practice set set as homework, and whether its score counts as the mark (ASM-2).
    question_set_id: int | None = None
    score_is_mark: bool = False


class AssignmentIn(InputSchema):
    title: str = Field(max_length=200)
    kind: str = Field("homework", description="homework, classwork or test")
    due_date: date | None = None
    max_mark: Decimal | None = Field(
        None, description="Required, unless a practice set is given: its number of questions."
    )
    question_set_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="A practice set pupils do online for this work."
    )
    score_is_mark: bool = Field(
        False, description="The practice score counts as the mark (unless a teacher enters one)."
    )
    subject_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Default: the class's subject."
    )
    boundaries: dict[int, Decimal] = Field(
        default_factory=dict, description="Grade id -> the lowest mark for that grade."
    )


class AssignmentPatch(InputSchema):
    """Only the fields sent are changed; `subject_id: null` removes the subject."""

    title: str | None = Field(None, max_length=200)
    kind: str | None = None
    due_date: date | None = None
    max_mark: Decimal | None = None
    subject_id: int | None = Field(None, ge=1, le=MAX_ID)
    boundaries: dict[int, Decimal] | None = None
    question_set_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="`null` makes it work done away from Markbook."
    )
    score_is_mark: bool | None = None


class AssignmentFilter(InputSchema):
    class_id: int | None = Field(None, ge=1, le=MAX_ID)
    overdue: bool = Field(False, description="Only those past due with marks missing.")


class DeleteQuery(InputSchema):
    confirm: bool = Field(
        False, description="Required when the assignment has marks: they are deleted too."
    )


class MarksHeldOut(Schema):
    detail: str
    marks: int


class ResultOut(Schema):
    assignment_id: int
    title: str
    kind: str
    class_name: str
    due_date: date | None
    max_mark: Decimal
    score: Decimal | None
    grade: str | None
    status: str = Field(description="marked, absent, not_required, overdue or waiting")
    feedback: str


class TrackingOut(Schema):
    subject: str
    target: str
    entries: list[dict[str, str | bool]]


class ResultsOut(Schema):
    pupil_id: int
    results: list[ResultOut]
    tracking: list[TrackingOut]


class FamilyViewOut(Schema):
    families_see_working_at: bool
    families_see_predicted: bool
    families_see_targets: bool


class FamilyViewPatch(InputSchema):
    families_see_working_at: bool | None = None
    families_see_predicted: bool | None = None
    families_see_targets: bool | None = None


class TrustAssignmentIn(InputSchema):
    title: str = Field(max_length=200)
    kind: str = "homework"
    due_date: date | None = None
    max_mark: Decimal
    class_ids: list[int] = Field(description="Teaching classes of the trust's schools.")


class TrustAssignmentPatch(InputSchema):
    title: str | None = Field(None, max_length=200)
    kind: str | None = None
    due_date: date | None = None
    max_mark: Decimal | None = None


class CopyOut(Schema):
    school_id: int
    assignment_id: int
    class_name: str
    marks: int = Field(description="Marks given for this copy so far.")


class TrustClassesIn(InputSchema):
    class_ids: list[int] = Field(
        max_length=1000, description="Teaching classes of the trust's schools to add."
    )


class TrustDeleteQuery(InputSchema):
    delete_marked: list[int] = Field(
        default_factory=list,
        max_length=1000,
        description="Copies with marks (assignment ids) to delete with their marks; the "
        "others with marks are kept by their schools, detached from the trust's original.",
    )
    confirmation: str = Field(
        "", max_length=200, description="The assignment's title, when delete_marked is sent."
    )


class TrustDeletedOut(Schema):
    deleted: int = Field(description="School copies deleted (all those without marks).")
    detached: int = Field(description="Copies with marks kept by their schools.")
    marks_deleted: int


class TrustAssignmentOut(Schema):
    id: int
    title: str
    kind: str
    due_date: date | None
    max_mark: Decimal
    copies: list[CopyOut]
    kept_with_marks: list[CopyOut] = Field(
        default_factory=list, description="After a change: copies left alone, having marks."
    )


def _assignment(a: Assignment, done: selectors.Completion) -> dict:
    return {
        "id": a.pk,
        "class_id": a.teaching_class_id,
        "title": a.title,
        "kind": a.kind,
        "due_date": a.due_date,
        "max_mark": a.max_mark,
        "subject_id": a.subject_id,
        "trust_assignment_id": a.trust_origin_id,
        "question_set_id": a.question_set_id,
        "score_is_mark": a.score_is_mark,
        "boundaries": [
            {"grade_id": b.grade_id, "grade": b.grade.label, "minimum_mark": b.minimum_mark}
            for b in sorted(a.boundaries.all(), key=lambda b: -b.minimum_mark)
        ],
        "completion": {**vars(done), "missing": done.missing},
    }


def _one(request: AccessRequest, assignment_id: int) -> dict:
    a = access_assignment(request, assignment_id)
    return _assignment(a, selectors.completion([a])[a.pk])


def _question_set(question_set_id: int | None) -> QuestionSet | None:
    if question_set_id is None:
        return None
    found = QuestionSet.objects.filter(pk=question_set_id).first()
    if found is None:
        raise ValidationError({"question_set_id": ["No such practice set in this school."]})
    return found


def _subject(subject_id: int | None) -> Subject | None:
    if subject_id is None:
        return None
    subject = Subject.objects.filter(pk=subject_id).first()
    if subject is None:
        raise ValidationError({"subject_id": ["No such subject in this school."]})
    return subject


@router.get(
    f"{SCHOOL}/assignments", response=responses(list[AssignmentOut]), summary="List assignments"
)
def assignment_list(
    request: AccessRequest, school_id: int, filters: Query[AssignmentFilter]
) -> list[dict]:
    """The assignments of the classes the caller teaches (administrators: every one),
    each with its completion; `overdue` keeps those past due with marks missing."""
    require_role(request, *STAFF)
    found = selectors.assignments_visible_to(request.user, request.access).distinct()
    if filters.class_id is not None:
        found = found.filter(teaching_class_id=filters.class_id)
    listed = list(found.order_by("teaching_class__name", "due_date", "pk"))
    done = selectors.completion(listed)
    today = timezone.localdate()
    if filters.overdue:
        listed = [a for a in listed if a.due_date and a.due_date < today and done[a.pk].missing]
    return [_assignment(a, done[a.pk]) for a in listed]


@router.post(
    f"{SCHOOL}/classes/{{class_id}}/assignments",
    response=responses(AssignmentOut, status=201),
    summary="Set an assignment",
)
def assignment_add(
    request: AccessRequest, school_id: int, class_id: int, payload: AssignmentIn
) -> Status:
    """Set work for a class the caller teaches (administrators: any class)."""
    require_role(request, *STAFF)
    teaching_class = access_class_for_work(request, class_id)
    question_set = _question_set(payload.question_set_id)
    if payload.max_mark is None and question_set is None:
        raise ValidationError(
            {"max_mark": ["Give a maximum mark, or a practice set (question_set_id)."]}
        )
    assignment = services.assignment_create(
        actor=request.user,
        teaching_class=teaching_class,
        title=payload.title,
        kind=payload.kind,
        due_date=payload.due_date,
        # With a practice set, the set's questions are the maximum (the service's rule).
        max_mark=payload.max_mark if payload.max_mark is not None else 0,
        subject=_subject(payload.subject_id),
        boundaries=payload.boundaries,
        question_set=question_set,
        score_is_mark=payload.score_is_mark,
    )
    return Status(201, _one(request, assignment.pk))


@router.get(
    f"{SCHOOL}/assignments/{{assignment_id}}",
    response=responses(AssignmentOut),
    summary="Read an assignment",
)
def assignment_read(request: AccessRequest, school_id: int, assignment_id: int) -> dict:
    require_role(request, *STAFF)
    return _one(request, assignment_id)


@router.patch(
    f"{SCHOOL}/assignments/{{assignment_id}}",
    response=responses(AssignmentOut),
    summary="Change an assignment",
)
def assignment_change(
    request: AccessRequest, school_id: int, assignment_id: int, payload: AssignmentPatch
) -> dict:
    require_role(request, *STAFF)
    a = access_assignment(request, assignment_id)
    sent = payload.model_fields_set
    services.assignment_update(
        actor=request.user,
        assignment=a,
        title=payload.title if payload.title is not None else a.title,
        max_mark=payload.max_mark if payload.max_mark is not None else a.max_mark,
        due_date=payload.due_date if "due_date" in sent else a.due_date,
        kind=payload.kind,
        subject=_subject(payload.subject_id) if "subject_id" in sent else a.subject,
        boundaries=payload.boundaries,
        question_set=_question_set(payload.question_set_id)
        if "question_set_id" in sent
        else a.question_set,
        score_is_mark=payload.score_is_mark,
    )
    return _one(request, assignment_id)


@router.delete(
    f"{SCHOOL}/assignments/{{assignment_id}}",
    response={**responses(None, status=204), 409: MarksHeldOut},
    summary="Delete an assignment",
)
def assignment_remove(
    request: AccessRequest, school_id: int, assignment_id: int, query: Query[DeleteQuery]
) -> Status:
    """Delete an assignment; one with marks only with `confirm=true` (otherwise 409
    says how many marks would go)."""
    require_role(request, *STAFF)
    a = access_assignment(request, assignment_id)
    marks = a.marks.filter(HELD).count()
    if marks and not query.confirm:
        detail = f"{marks} marks would be deleted with it; send confirm=true to delete them."
        return Status(409, {"detail": detail, "marks": marks})
    services.assignment_delete(actor=request.user, assignment=a)
    return Status(204, None)


# --- Results -------------------------------------------------------------------


def _results(request: AccessRequest, pupil: Pupil) -> dict:
    results = selectors.pupil_results(pupil, timezone.localdate())
    roster_selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action="assessment.results.viewed",
        target=pupil,
        data={"count": len(results)},
        via="api",
    )
    return {
        "pupil_id": pupil.pk,
        "results": [
            {
                "assignment_id": r.assignment.pk,
                "title": r.assignment.title,
                "kind": r.assignment.kind,
                "class_name": r.assignment.teaching_class.name,
                "due_date": r.assignment.due_date,
                "max_mark": r.assignment.max_mark,
                "score": r.mark.score if r.mark else None,
                "grade": r.grade.label if r.grade else None,
                "status": r.status,
                "feedback": r.mark.feedback if r.mark else "",
            }
            for r in results
        ],
        "tracking": [
            {
                "subject": row.subject,
                "target": row.target,
                "entries": [
                    {"drop": d, "field": f, "value": v, "final": locked}
                    for d, f, v, locked in row.drops
                ],
            }
            for row in selectors.pupil_tracking(pupil, school_of(request))
        ],
    }


@router.get(f"{SCHOOL}/me/results", response=responses(ResultsOut), summary="My results")
def my_results(request: AccessRequest, school_id: int) -> dict:
    """A pupil's own marks, grades, feedback and the tracking the school shows families."""
    require_role(request, "pupil")
    pupil = Pupil.objects.select_related("school").filter(user=request.user).first()
    if pupil is None:
        raise Http404
    return _results(request, pupil)


@router.get(
    f"{SCHOOL}/pupils/{{pupil_id}}/results",
    response=responses(ResultsOut),
    summary="A pupil's results",
)
def pupil_results(request: AccessRequest, school_id: int, pupil_id: int) -> dict:
    """A pupil's results, for those who may see the pupil: a parent their linked child,
    a teacher the pupils of their classes, administrators."""
    return _results(request, access_pupil(request, pupil_id))


# --- What families see (a school setting) -----------------------------------------


def _family(school: object) -> dict:
    return {name: getattr(school, name) for name in school_services.FAMILY_TRACKING}


@router.get(
    f"{SCHOOL}/settings/families",
    response=responses(FamilyViewOut),
    summary="Read what families see",
    tags=["settings"],
)
def family_view_read(request: AccessRequest, school_id: int) -> dict:
    """What pupils and parents see of tracking; school administrators only."""
    require_role(request, "school_admin")
    return _family(school_of(request))


@router.patch(
    f"{SCHOOL}/settings/families",
    response=responses(FamilyViewOut),
    summary="Change what families see",
    tags=["settings"],
)
def family_view_change(request: AccessRequest, school_id: int, payload: FamilyViewPatch) -> dict:
    require_role(request, "school_admin")
    school = school_services.school_family_view_update(
        actor=request.user,
        school=school_of(request),
        working_at=payload.families_see_working_at,
        predicted=payload.families_see_predicted,
        targets=payload.families_see_targets,
    )
    return _family(school)


# --- A trust's assignments ---------------------------------------------------------


def _copy(a: Assignment) -> dict:
    return {
        "school_id": a.school_id,
        "assignment_id": a.pk,
        "class_name": a.teaching_class.name,
        # Annotated where the copies are listed; counted for the few copies of an update.
        "marks": a.mark_count if hasattr(a, "mark_count") else a.marks.count(),
    }


def _original(
    original: TrustAssignment, kept: tuple[Assignment, ...] | list[Assignment] = ()
) -> dict:
    copies = (
        original.copies.select_related("teaching_class")
        .annotate(mark_count=Count("marks"))
        .order_by("school_id", "pk")
    )
    return {
        "id": original.pk,
        "title": original.title,
        "kind": original.kind,
        "due_date": original.due_date,
        "max_mark": original.max_mark,
        "copies": [_copy(a) for a in copies],
        "kept_with_marks": [_copy(a) for a in kept],
    }


@router.get(
    f"{TRUST}/assignments",
    response=responses(list[TrustAssignmentOut]),
    summary="List the trust's assignments",
)
def trust_assignment_list(request: AccessRequest, trust_id: int) -> list[dict]:
    """The trust's originals with their copies; the trust's administrators only."""
    trust = request.access.trust
    if trust is None:
        raise Http404
    return [_original(o) for o in selectors.trust_assignments(trust)]


@router.post(
    f"{TRUST}/assignments",
    response=responses(TrustAssignmentOut, status=201),
    summary="Set an assignment across the trust",
)
def trust_assignment_add(
    request: AccessRequest, trust_id: int, payload: TrustAssignmentIn
) -> Status:
    """Set one assignment to classes of the trust's schools: each gets its own copy."""
    trust = request.access.trust
    if trust is None:
        raise Http404
    wanted = set(payload.class_ids)
    classes = [c for c in selectors.trust_classes(trust) if c.pk in wanted]
    if len(classes) != len(wanted):
        raise ValidationError({"class_ids": ["Some classes are not in the trust's schools."]})
    original = services.trust_assignment_create(
        actor=request.user,
        trust=trust,
        classes=classes,
        title=payload.title,
        kind=payload.kind,
        due_date=payload.due_date,
        max_mark=payload.max_mark,
    )
    return Status(201, _original(original))


@router.patch(
    f"{TRUST}/assignments/{{trust_assignment_id}}",
    response=responses(TrustAssignmentOut),
    summary="Change a trust's assignment",
)
def trust_assignment_change(
    request: AccessRequest, trust_id: int, trust_assignment_id: int, payload: TrustAssignmentPatch
) -> dict:
    """Change the original and every copy without marks; `kept_with_marks` names the
    copies left alone."""
    original = access_trust_assignment(request, trust_assignment_id)
    sent = payload.model_fields_set
    kept = services.trust_assignment_update(
        actor=request.user,
        original=original,
        title=payload.title if payload.title is not None else original.title,
        kind=payload.kind if payload.kind is not None else original.kind,
        due_date=payload.due_date if "due_date" in sent else original.due_date,
        max_mark=payload.max_mark if payload.max_mark is not None else original.max_mark,
    )
    return _original(original, kept)


@router.get(
    f"{TRUST}/assignments/{{trust_assignment_id}}",
    response=responses(TrustAssignmentOut),
    summary="Get a trust's assignment",
)
def trust_assignment_read(request: AccessRequest, trust_id: int, trust_assignment_id: int) -> dict:
    """The original with each school's copy and how many marks it has."""
    return _original(access_trust_assignment(request, trust_assignment_id))


@router.post(
    f"{TRUST}/assignments/{{trust_assignment_id}}/classes",
    response=responses(TrustAssignmentOut),
    summary="Set a trust's assignment to more classes",
)
def trust_assignment_classes_add(
    request: AccessRequest, trust_id: int, trust_assignment_id: int, payload: TrustClassesIn
) -> dict:
    """Each class gets its own school's copy of the original as it is now; 422 for a
    class outside the trust's schools, or when every class has a copy already."""
    original = access_trust_assignment(request, trust_assignment_id)
    wanted = set(payload.class_ids)
    classes = [c for c in selectors.trust_classes(original.trust) if c.pk in wanted]
    if len(classes) != len(wanted):
        raise ValidationError({"class_ids": ["Some classes are not in the trust's schools."]})
    services.trust_assignment_classes_add(actor=request.user, original=original, classes=classes)
    return _original(original)


@router.delete(
    f"{TRUST}/assignments/{{trust_assignment_id}}",
    response=responses(TrustDeletedOut),
    summary="Delete a trust's assignment",
)
def trust_assignment_remove(
    request: AccessRequest,
    trust_id: int,
    trust_assignment_id: int,
    query: Query[TrustDeleteQuery],
) -> dict:
    """Delete the original and its copies without marks. Copies with marks stay with
    their schools, detached, unless named in `delete_marked` with the title typed as
    `confirmation` (422 otherwise); the answer counts what went and what stayed."""
    original = access_trust_assignment(request, trust_assignment_id)
    return services.trust_assignment_delete(
        actor=request.user,
        original=original,
        delete_marked=query.delete_marked,
        confirmation=query.confirmation,
    )
