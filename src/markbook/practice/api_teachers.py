"""API: teachers' own question sets and questions, prompts' images and sounds, the live
class view, heat maps and a pupil's practice (ASM-2, TEN-3), through the same services
and selectors as the pages (views_teachers.py).

Wrong role or invisible object: 404, as on the pages; a question of another set or
school is 404 too. Bad input is 422 naming the field; deleting a set pupils have
answered is 409 (saying how many answers would go) unless `confirm=true`.
"""

from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from ninja import File, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from markbook.admission import STAFF, AccessRequest, require_role, school_of
from markbook.core.api import InputSchema, responses
from markbook.practice import authoring, heatmap, live, media, progress
from markbook.practice.access_teachers import (
    access_class_for_work,
    access_media,
    access_pupil,
    access_question,
    access_set,
    access_set_for_heatmap,
    sets_visible,
)
from markbook.practice.models import PromptMedia, Question, QuestionSet
from markbook.rosters import selectors as roster_selectors

router = Router(tags=["practice"])

S = "/schools/{school_id}/practice"
MAX_ID = 2**63 - 1


class QuestionOut(Schema):
    id: int
    position: int
    kind: str = Field(description="numeric or choice")
    prompt: str
    answer: Decimal | None
    tolerance: Decimal
    units: str
    choices: list[str]
    correct: list[int] = Field(description="Indexes (from 0) of the correct options.")
    media_id: int | None
    media_url: str | None


class SetOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    mode: str = Field(description="practice or trial")
    question_count: int
    seconds_per_question: int | None
    published: bool
    archived: bool
    version: int
    created_by_id: int | None
    questions: list[QuestionOut] | None = None


class SetIn(InputSchema):
    title: str = Field(max_length=200)
    description: str = Field("", max_length=2000)
    mode: str = Field("practice", description="practice or trial (timed)")
    question_count: int = Field(10, description="Questions asked per attempt (1-200).")
    seconds_per_question: int | None = Field(None, description="Required for a trial (1-600).")


class SetPatch(InputSchema):
    """Only the fields sent are changed."""

    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    mode: str | None = None
    question_count: int | None = None
    seconds_per_question: int | None = None
    published: bool | None = None
    archived: bool | None = None


class QuestionIn(InputSchema):
    kind: str = Field(description="numeric or choice")
    prompt: str = Field(max_length=2000)
    answer: str | None = Field(None, max_length=40, description="Numeric: the answer.")
    tolerance: str | None = Field(None, max_length=40, description="Numeric: allowed either side.")
    units: str = Field("", max_length=30)
    choices: list[str] = Field(default_factory=list, max_length=6)
    correct: list[int] = Field(default_factory=list, max_length=6)
    media_id: int | None = Field(None, ge=1, le=MAX_ID, description="An uploaded prompt.")


class QuestionPatch(InputSchema):
    """Only the fields sent are changed; `media_id: null` removes the prompt's media."""

    kind: str | None = None
    prompt: str | None = Field(None, max_length=2000)
    answer: str | None = Field(None, max_length=40)
    tolerance: str | None = Field(None, max_length=40)
    units: str | None = Field(None, max_length=30)
    choices: list[str] | None = Field(None, max_length=6)
    correct: list[int] | None = Field(None, max_length=6)
    media_id: int | None = Field(None, ge=1, le=MAX_ID)


class OrderIn(InputSchema):
    order: list[int] = Field(max_length=1000, description="Every question id of the set once.")


class DeleteQuery(InputSchema):
    confirm: bool = Field(False, description="Required when pupils have answered the set.")


class AnsweredOut(Schema):
    detail: str
    questions: int
    attempts: int
    answers: int
    pupils: int


class MediaOut(Schema):
    id: int
    kind: str = Field(description="image or audio")
    content_type: str
    size: int
    original_name: str
    url: str = Field(description="Where the school's pupils and staff fetch the file.")


class LivePupilOut(Schema):
    pupil_id: int
    name: str
    online: bool
    last_seen: datetime | None
    set_id: int | None
    set_title: str
    position: int | None
    total: int | None
    prompt: str
    finished: bool


class LiveOut(Schema):
    class_id: int
    online_seconds: int
    pupils: list[LivePupilOut]


class HeatQuery(InputSchema):
    operation: str = Field("multiply", pattern="^(multiply|divide)$")
    set_id: int | None = Field(None, ge=1, le=MAX_ID, description="A set's questions instead.")


class CellOut(Schema):
    key: str = Field(description="The fact (7x8, 56/8) or the question id.")
    label: str
    asked: int
    correct: int
    accuracy: int | None
    median_ms: int | None


class HeatMapOut(Schema):
    title: str
    answers: int
    columns: list[str]
    rows: list[list[CellOut]]
    cells: list[CellOut]
    hardest: list[CellOut]


class SessionOut(Schema):
    id: int
    set_id: int
    set_title: str
    mode: str
    state: str
    started_at: datetime
    total: int
    answered: int
    correct: int
    points: int


class DayOut(Schema):
    day: date
    answers: int
    correct: int
    accuracy: int
    mean_ms: int | None


class SummaryOut(Schema):
    pupil_id: int
    sessions: int
    answers: int
    correct: int
    accuracy: int | None
    mean_ms: int | None
    points: int
    latest: list[SessionOut]
    days: list[DayOut]


def _question(q: Question) -> dict:
    return {
        "id": q.pk,
        "position": q.position,
        "kind": q.kind,
        "prompt": q.prompt,
        "answer": q.answer,
        "tolerance": q.tolerance,
        "units": q.units,
        "choices": q.choices,
        "correct": q.correct,
        "media_id": q.media_id,
        "media_url": media.url_for(q.media) if q.media else None,
    }


def _set(s: QuestionSet, with_questions: bool = False) -> dict:
    out = {
        "id": s.pk,
        "title": s.title,
        "description": s.description,
        "kind": s.kind,
        "mode": s.mode,
        "question_count": s.question_count,
        "seconds_per_question": s.seconds_per_question,
        "published": s.published,
        "archived": s.archived,
        "version": s.version,
        "created_by_id": s.created_by_id,
    }
    if with_questions:
        out["questions"] = [_question(q) for q in _questions(s)]
    return out


def _questions(s: QuestionSet) -> list[Question]:
    return list(
        Question.objects.filter(question_set=s).select_related("media").order_by("position")
    )


def _media_of(media_id: int | None) -> PromptMedia | None:
    if media_id is None:
        return None
    found = PromptMedia.objects.filter(pk=media_id).first()
    if found is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"media_id": ["No such image or sound in this school."]})
    return found


@router.get(f"{S}/sets", response=responses(list[SetOut]), summary="List practice sets")
def set_list(request: AccessRequest, school_id: int) -> list[dict]:
    """The school's teachers' own question sets (staff)."""
    return [_set(s) for s in sets_visible(request).order_by("title", "pk")]


@router.post(f"{S}/sets", response=responses(SetOut, status=201), summary="Create a practice set")
def set_add(request: AccessRequest, school_id: int, payload: SetIn) -> Status:
    """A new set of the caller's own questions, unpublished until it has some."""
    require_role(request, *STAFF)
    created = authoring.question_set_create(
        actor=request.user, school=school_of(request), **payload.model_dump()
    )
    return Status(201, _set(created, with_questions=True))


@router.get(f"{S}/sets/{{set_id}}", response=responses(SetOut), summary="Read a practice set")
def set_read(request: AccessRequest, school_id: int, set_id: int) -> dict:
    """A set the caller may change (their own; administrators any), with its questions."""
    return _set(access_set(request, set_id), with_questions=True)


@router.patch(f"{S}/sets/{{set_id}}", response=responses(SetOut), summary="Change a practice set")
def set_change(request: AccessRequest, school_id: int, set_id: int, payload: SetPatch) -> dict:
    """Change settings, publish (it needs a question) or archive; unchanged values
    change nothing."""
    s = access_set(request, set_id)
    sent = payload.model_fields_set
    settings_sent = sent & {
        "title",
        "description",
        "mode",
        "question_count",
        "seconds_per_question",
    }
    if settings_sent:
        current = authoring.set_values(s)
        values = {k: getattr(payload, k) if k in sent else current[k] for k in current}
        if values["mode"] is None:
            values["mode"] = s.mode
        authoring.question_set_update(actor=request.user, question_set=s, **values)
    if "archived" in sent and payload.archived is not None:
        authoring.question_set_archive(
            actor=request.user, question_set=s, archived=payload.archived
        )
    if "published" in sent and payload.published is not None:
        authoring.question_set_publish(
            actor=request.user, question_set=s, published=payload.published
        )
    return _set(access_set(request, set_id), with_questions=True)


@router.delete(
    f"{S}/sets/{{set_id}}",
    response={**responses(None, status=204), 409: AnsweredOut},
    summary="Delete a practice set",
)
def set_remove(
    request: AccessRequest, school_id: int, set_id: int, query: Query[DeleteQuery]
) -> Status:
    """Delete a set with its questions; one pupils have answered only with
    `confirm=true` (otherwise 409 says how many answers would go; archiving keeps them)."""
    s = access_set(request, set_id)
    impact = authoring.question_set_impact(s)
    if impact.answered and not query.confirm:
        detail = (
            f"{impact.answers} answers by {impact.pupils} pupils would be deleted with it; "
            "send confirm=true to delete them, or archive the set to keep them."
        )
        return Status(409, {"detail": detail, **vars(impact)})
    authoring.question_set_delete(actor=request.user, question_set=s)
    return Status(204, None)


@router.get(
    f"{S}/sets/{{set_id}}/questions",
    response=responses(list[QuestionOut]),
    summary="List a set's questions",
)
def question_list(request: AccessRequest, school_id: int, set_id: int) -> list[dict]:
    return [_question(q) for q in _questions(access_set(request, set_id))]


@router.post(
    f"{S}/sets/{{set_id}}/questions",
    response=responses(QuestionOut, status=201),
    summary="Add a question",
)
def question_add(
    request: AccessRequest, school_id: int, set_id: int, payload: QuestionIn
) -> Status:
    """Add a numeric or multiple-choice question at the end of the set."""
    s = access_set(request, set_id)
    values = payload.model_dump(exclude={"media_id"})
    created = authoring.question_create(
        actor=request.user, question_set=s, media=_media_of(payload.media_id), **values
    )
    return Status(201, _question(created))


@router.put(
    f"{S}/sets/{{set_id}}/questions/order",
    response=responses(list[QuestionOut]),
    summary="Reorder a set's questions",
)
def question_order(
    request: AccessRequest, school_id: int, set_id: int, payload: OrderIn
) -> list[dict]:
    s = access_set(request, set_id)
    authoring.questions_reorder(actor=request.user, question_set=s, order=payload.order)
    return [_question(q) for q in _questions(s)]


@router.get(
    f"{S}/sets/{{set_id}}/questions/{{question_id}}",
    response=responses(QuestionOut),
    summary="Read a question",
)
def question_read(request: AccessRequest, school_id: int, set_id: int, question_id: int) -> dict:
    return _question(access_question(request, set_id, question_id))


@router.patch(
    f"{S}/sets/{{set_id}}/questions/{{question_id}}",
    response=responses(QuestionOut),
    summary="Change a question",
)
def question_change(
    request: AccessRequest, school_id: int, set_id: int, question_id: int, payload: QuestionPatch
) -> dict:
    q = access_question(request, set_id, question_id)
    sent = payload.model_fields_set
    current = {
        "kind": q.kind,
        "prompt": q.prompt,
        "answer": None if q.answer is None else str(q.answer),
        "tolerance": str(q.tolerance),
        "units": q.units,
        "choices": q.choices,
        "correct": q.correct,
    }
    values = {
        k: (getattr(payload, k) if k in sent and getattr(payload, k) is not None else v)
        for k, v in current.items()
    }
    kept = _media_of(payload.media_id) if "media_id" in sent else q.media
    authoring.question_update(actor=request.user, question=q, media=kept, **values)
    return _question(access_question(request, set_id, question_id))


@router.delete(
    f"{S}/sets/{{set_id}}/questions/{{question_id}}",
    response=responses(None, status=204),
    summary="Delete a question",
)
def question_remove(
    request: AccessRequest, school_id: int, set_id: int, question_id: int
) -> Status:
    authoring.question_delete(
        actor=request.user, question=access_question(request, set_id, question_id)
    )
    return Status(204, None)


def _media(m: PromptMedia) -> dict:
    return {
        "id": m.pk,
        "kind": m.kind,
        "content_type": m.content_type,
        "size": m.size,
        "original_name": m.original_name,
        "url": media.url_for(m),
    }


@router.post(
    f"{S}/media", response=responses(MediaOut, status=201), summary="Upload an image or sound"
)
def media_add(request: AccessRequest, school_id: int, file: File[UploadedFile]) -> Status:
    """An image (PNG, JPEG, GIF, WebP) or sound (MP3, OGG, WAV, M4A) for questions,
    checked by its content and size; use its id as a question's `media_id`."""
    require_role(request, *STAFF)
    stored = media.media_upload(actor=request.user, school=school_of(request), upload=file)
    return Status(201, _media(stored))


@router.get(
    f"{S}/media/{{media_id}}", response=responses(MediaOut), summary="Read an image or sound"
)
def media_read(request: AccessRequest, school_id: int, media_id: int) -> dict:
    """The prompt's details and the address of its file (the school's pupils and staff)."""
    return _media(access_media(request, media_id))


@router.get(
    f"{S}/classes/{{class_id}}/live",
    response=responses(LiveOut),
    summary="Who in a class is practising now",
)
def class_live(request: AccessRequest, school_id: int, class_id: int) -> dict:
    """Each pupil of the class: online (seen in the last minute) and the question they
    are on (its place and prompt, never its answer). For the class's teachers and
    administrators."""
    require_role(request, *STAFF)
    teaching_class = access_class_for_work(request, class_id)
    pupils = [
        {**vars(p), "online": p.online, "last_seen": p.last_seen}
        for p in live.class_state(teaching_class)
    ]
    return {"class_id": teaching_class.pk, "online_seconds": live.ONLINE_SECONDS, "pupils": pupils}


def _cell(c: heatmap.Cell) -> dict:
    return {
        "key": c.key,
        "label": c.label,
        "asked": c.asked,
        "correct": c.correct,
        "accuracy": c.accuracy,
        "median_ms": c.median_ms,
    }


def _heat(heat: heatmap.HeatMap) -> dict:
    return {
        "title": heat.title,
        "answers": heat.answers,
        "columns": heat.columns,
        "rows": [[_cell(c) for c in cells] for _, cells in heat.rows],
        "cells": [_cell(c) for c in heat.cells],
        "hardest": [_cell(c) for c in heat.hardest],
    }


def _set_for_map(request: AccessRequest, set_id: int | None) -> QuestionSet | None:
    try:
        return access_set_for_heatmap(request, set_id)
    except Http404:
        from django.core.exceptions import ValidationError

        raise ValidationError({"set_id": ["No such practice set in this school."]}) from None


@router.get(
    f"{S}/classes/{{class_id}}/heatmap",
    response=responses(HeatMapOut),
    summary="A class's heat map",
)
def class_heatmap(
    request: AccessRequest, school_id: int, class_id: int, query: Query[HeatQuery]
) -> dict:
    """Accuracy and median response time per times-table fact (12 x 12) or per question
    of a set, over the class's pupils' answers."""
    require_role(request, *STAFF)
    teaching_class = access_class_for_work(request, class_id)
    heat = heatmap.heat_map(
        heatmap.class_items(teaching_class),
        operation=query.operation,
        question_set=_set_for_map(request, query.set_id),
    )
    return _heat(heat)


@router.get(
    f"{S}/pupils/{{pupil_id}}/heatmap",
    response=responses(HeatMapOut),
    summary="A pupil's heat map",
)
def pupil_heatmap(
    request: AccessRequest, school_id: int, pupil_id: int, query: Query[HeatQuery]
) -> dict:
    """As the class's, for one pupil (their teachers, administrators, the pupil and
    their parents)."""
    pupil = access_pupil(request, pupil_id)
    heat = heatmap.heat_map(
        heatmap.pupil_items(pupil),
        operation=query.operation,
        question_set=_set_for_map(request, query.set_id),
    )
    roster_selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action="practice.progress.viewed",
        target=pupil,
        data={"heatmap": heat.title},
        via="api",
    )
    return _heat(heat)


@router.get(
    f"{S}/pupils/{{pupil_id}}/summary",
    response=responses(SummaryOut),
    summary="A pupil's practice",
)
def pupil_summary(request: AccessRequest, school_id: int, pupil_id: int) -> dict:
    """Sessions, answers, accuracy, mean response time and points, with the latest
    sessions and the answers day by day."""
    pupil = access_pupil(request, pupil_id)
    summary = progress.pupil_summary(pupil)
    roster_selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action="practice.progress.viewed",
        target=pupil,
        data={"sessions": summary.session_count},
        via="api",
    )
    return {
        "pupil_id": pupil.pk,
        "sessions": summary.session_count,
        "answers": summary.answers,
        "correct": summary.correct,
        "accuracy": summary.accuracy,
        "mean_ms": summary.mean_ms,
        "points": summary.points,
        "latest": [
            {
                "id": a.pk,
                "set_id": a.question_set_id,
                "set_title": a.question_set.title,
                "mode": a.mode,
                "state": a.state,
                "started_at": a.started_at,
                "total": a.total,
                "answered": a.answered,
                "correct": a.correct_count,
                "points": a.points,
            }
            for a in summary.sessions
        ],
        "days": [
            {
                "day": d.day,
                "answers": d.answers,
                "correct": d.correct,
                "accuracy": d.accuracy,
                "mean_ms": d.mean_ms,
            }
            for d in summary.days
        ],
    }
