"""A pupil's practice pages (ASM-2, ASM-8) and the fair-use page (ASM-7): thin, through
the same services as the API (practice/answering.py, practice/fairuse.py).

The attempt page shows one question at a time; its form posts the answer (with htmx,
swapping in the verdict and the next question; without, as a plain form). The
expected answer appears only in the verdict of a question already answered. A trial's
countdown counts down the server's deadline (practice.js).
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone

from markbook.admission import AccessRequest, require_role, school_of
from markbook.practice import (
    access,
    answering,
    banks,
    fairuse,
    points,
    present,
    selectors,
    throttle,
)
from markbook.practice.checking import Refused
from markbook.practice.models import Attempt, Item


def home(request: AccessRequest, school_id: int) -> HttpResponse:
    """The pupil's sets (homework first), attempts to resume, points, the rules."""
    pupil = access.my_pupil(request)
    banks.builtin_sets_ensure(school=school_of(request))
    context = {
        "rows": selectors.pupil_sets(pupil),
        "points": selectors.pupil_points(pupil),
        "rules": points.RULES,
    }
    return render(request, "practice/pupil_home.html", context)


def start(request: AccessRequest, school_id: int, set_id: int) -> HttpResponse:
    """Start a set, or resume the attempt at it in progress; then its page."""
    pupil = access.my_pupil(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    question_set = access.access_set_for_pupil(request, set_id)
    assignment_id = str(request.POST.get("assignment", ""))
    assignment = (
        access.access_assignment_for_pupil(pupil, int(assignment_id))
        if assignment_id.isdigit() and len(assignment_id) < 19
        else None
    )
    try:
        attempt = answering.attempt_start(
            pupil=pupil, question_set=question_set, assignment=assignment
        )
    except Refused as exc:
        messages.error(request, exc.message)
        return redirect("practice:home", school_id=school_id)
    return redirect("practice:attempt", school_id=school_id, attempt_id=attempt.pk)


def _area(
    request: AccessRequest,
    attempt: Attempt,
    *,
    verdict: Item | None = None,
    warning: str = "",
    error: str = "",
    late: bool = False,
    status: int = 200,
    partial: bool = True,
) -> HttpResponse:
    now = timezone.now()
    state = present.attempt_out(attempt, now)
    question = state["question"]
    context: dict[str, Any] = {
        "attempt": attempt,
        "state": state,
        "question": question,
        "seconds_left": (question["ms_left"] + 999) // 1000
        if question and question["ms_left"] is not None
        else None,
        "verdict": present.verdict_out(verdict) if verdict is not None else None,
        "warning": warning,
        "error": error,
        "late": late,
        # The page asks for the next question once the server's grace has passed too.
        "grace_ms": settings.MARKBOOK_PRACTICE_NETWORK_TOLERANCE_MS + 200,
    }
    template = "practice/_pupil_question.html" if partial else "practice/pupil_attempt.html"
    return render(request, template, context, status=status)


def attempt(request: AccessRequest, school_id: int, attempt_id: int) -> HttpResponse:
    """The attempt's current question (a trial's ran-out question timed out first)."""
    found = access.access_attempt(request, attempt_id)
    before = found.current.position if found.current is not None else None
    found = answering.attempt_current(attempt=found)
    partial = request.GET.get("partial") == "1"
    if found.state == Attempt.State.FINISHED and not partial:
        return redirect("practice:summary", school_id=school_id, attempt_id=attempt_id)
    now_on = found.current.position if found.current is not None else None
    timed_out = None
    if before is not None and now_on != before:
        # The question's time ran out: say so, with its answer, above the next one.
        timed_out = (
            Item.objects.select_related("question").filter(attempt=found, position=before).first()
        )
    return _area(request, found, verdict=timed_out, late=timed_out is not None, partial=partial)


def answer(request: AccessRequest, school_id: int, attempt_id: int) -> HttpResponse:
    """Check the answer to the current question; the verdict and the next question."""
    require_role(request, "pupil")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    partial = request.headers.get("HX-Request") == "true"
    wait = throttle.answer_throttled(request)
    if wait is not None:
        found = access.access_attempt(request, attempt_id)
        response = _area(request, found, error=throttle.message(wait), status=429, partial=partial)
        response["Retry-After"] = str(wait)
        return response
    position = str(request.POST.get("position", ""))
    typed = ",".join(str(v) for v in request.POST.getlist("response"))
    try:
        if not position.isdigit() or len(position) > 5:
            raise Refused("Answer the question on the page.", status=422)
        outcome = answering.item_answer(
            attempt=attempt_id, user=request.user, position=int(position), response=typed
        )
    except Refused as exc:
        found = access.access_attempt(request, attempt_id)
        return _area(request, found, error=exc.message, status=exc.status, partial=partial)
    return _area(
        request,
        outcome.attempt,
        verdict=outcome.item,
        warning=outcome.warning,
        late=outcome.late,
        partial=partial,
    )


def summary(request: AccessRequest, school_id: int, attempt_id: int) -> HttpResponse:
    """How the attempt went: each answered question, the answer given and the right one."""
    found = access.access_attempt(request, attempt_id)
    answered = Item.objects.select_related("question").filter(
        attempt=found, answered_at__isnull=False
    )
    rows = [present.verdict_out(item) | {"prompt": item.prompt} for item in answered]
    return render(
        request,
        "practice/pupil_summary.html",
        {
            "attempt": found,
            "rows": rows,
            "points": selectors.pupil_points(access.my_pupil(request)),
        },
    )


def fair_use(request: AccessRequest, school_id: int) -> HttpResponse:
    """Suspended pupils of the user's classes (every pupil for administrators) with the
    decisions about them, and the latest decisions of all."""
    staff = access.staff_access(request)
    context = {
        "suspended": selectors.suspended_pupils(request.user, staff),
        "events": selectors.fair_use_events(request.user, staff, limit=50),
    }
    return render(request, "practice/fair_use.html", context)


def reinstate(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    """Restart a suspended pupil's practice, with the reason given."""
    pupil = access.access_pupil_for_fair_use(request, pupil_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    reason = str(request.POST.get("reason", ""))[:2000]
    try:
        fairuse.pupil_reinstate(actor=request.user, pupil=pupil, reason=reason)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, f"{pupil.display_name}: {message}")
    else:
        messages.success(request, f"{pupil.display_name} can practise again.")
    return redirect("practice:fair_use", school_id=school_id)
