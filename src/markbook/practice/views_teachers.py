"""Teachers' practice pages (ASM-2, TEN-3): their own question sets with a live preview,
prompts' images and sounds, the live class view and the heat maps, a pupil's practice.

Thin: check the role, fetch through access_teachers, call one service or selector,
render. The JSON twins are in api_teachers.py and call the same services.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from markbook.admission import STAFF, AccessRequest, require_role, school_of
from markbook.practice import authoring, heatmap, live, media, progress
from markbook.practice.access_teachers import (
    access_class_for_work,
    access_media,
    access_pupil,
    access_question,
    access_set,
    access_set_for_heatmap,
    may_edit,
    sets_visible,
)
from markbook.practice.forms_teachers import QuestionForm, SetForm, add_service_errors, plain_number
from markbook.practice.models import PromptMedia, Question, QuestionSet
from markbook.rosters import selectors as roster_selectors
from markbook.web import error_messages, is_htmx, posted_id


def _set_url(question_set: QuestionSet) -> str:
    return reverse(
        "practice_teachers:set_edit",
        kwargs={"school_id": question_set.school_id, "set_id": question_set.pk},
    )


def sets(request: AccessRequest, school_id: int) -> HttpResponse:
    """The school's teachers' question sets, and the user's classes to watch live."""
    listed = list(sets_visible(request).annotate(question_total=Count("questions")))
    context = {
        "rows": [(s, may_edit(request, s)) for s in listed],
        "classes": access_classes(request),
    }
    return render(request, "practice/teachers/sets.html", context)


def access_classes(request: AccessRequest) -> list[Any]:
    from markbook.assessment import selectors as assessment_selectors

    return list(assessment_selectors.classes_for_work(request.user, request.access))


def _set_page(request: AccessRequest, question_set: QuestionSet | None) -> HttpResponse:
    initial = (
        SetForm.initial_of(question_set)
        if question_set
        else {"mode": QuestionSet.Mode.PRACTICE, "question_count": 10}
    )
    form = SetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            if question_set is None:
                question_set = authoring.question_set_create(
                    actor=request.user, school=school_of(request), **values
                )
                messages.success(request, f"{question_set.title} saved; now add its questions.")
            elif authoring.question_set_update(
                actor=request.user, question_set=question_set, **values
            ):
                messages.success(request, f"{question_set.title} saved.")
            else:
                messages.success(request, "Nothing changed: the set was already saved like this.")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(_set_url(question_set))
    context: dict[str, Any] = {"form": form, "question_set": question_set}
    if question_set is not None:
        context["questions"] = list(
            Question.objects.filter(question_set=question_set)
            .select_related("media")
            .order_by("position")
        )
    return render(request, "practice/teachers/set_form.html", context)


def set_new(request: AccessRequest, school_id: int) -> HttpResponse:
    """Start a set of the teacher's own questions."""
    require_role(request, *STAFF)
    return _set_page(request, None)


def set_edit(request: AccessRequest, school_id: int, set_id: int) -> HttpResponse:
    """A set's settings and its questions (add, edit, reorder, delete, publish)."""
    return _set_page(request, access_set(request, set_id))


def _post_only(request: AccessRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def set_publish(request: AccessRequest, school_id: int, set_id: int) -> HttpResponse:
    """Publish a set to pupils (`published=1`) or take it back (`published=0`)."""
    question_set = access_set(request, set_id)
    if (refused := _post_only(request)) is not None:
        return refused
    published = request.POST.get("published") == "1"
    try:
        authoring.question_set_publish(
            actor=request.user, question_set=question_set, published=published
        )
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
    else:
        messages.success(
            request,
            f"{question_set.title} is published: pupils can practise it."
            if published
            else f"{question_set.title} is no longer shown to pupils.",
        )
    return redirect(_set_url(question_set))


def set_archive(request: AccessRequest, school_id: int, set_id: int) -> HttpResponse:
    """Archive a set (`archived=1`: hidden, pupils' answers kept) or restore it."""
    question_set = access_set(request, set_id)
    if (refused := _post_only(request)) is not None:
        return refused
    archived = request.POST.get("archived") == "1"
    authoring.question_set_archive(actor=request.user, question_set=question_set, archived=archived)
    messages.success(
        request,
        f"{question_set.title} is archived; pupils' answers are kept."
        if archived
        else f"{question_set.title} is restored (not yet published).",
    )
    return redirect(_set_url(question_set))


def set_delete(request: AccessRequest, school_id: int, set_id: int) -> HttpResponse:
    """Delete a set after saying what goes with it (pupils' answers), or archive it."""
    question_set = access_set(request, set_id)
    if request.method == "POST":
        impact = authoring.question_set_delete(actor=request.user, question_set=question_set)
        messages.success(
            request,
            f"{question_set.title} was deleted with its {impact.questions} questions"
            + (f" and {impact.answers} answers." if impact.answers else "."),
        )
        return redirect("practice_teachers:sets", school_id=school_id)
    impact = authoring.question_set_impact(question_set)
    return render(
        request,
        "practice/teachers/set_delete.html",
        {"question_set": question_set, "impact": impact},
    )


def _form_messages(form: QuestionForm) -> list[str]:
    return [str(m) for msgs in form.errors.values() for m in msgs]


def _preview_values(form: QuestionForm) -> tuple[dict[str, Any] | None, list[str]]:
    if not form.is_valid():
        return None, _form_messages(form)
    values = form.values()
    if form.errors:
        return None, _form_messages(form)
    try:
        cleaned = authoring.clean_question(**values)
    except ValidationError as error:
        return None, error_messages(error)
    return _shown(vars(cleaned)), []


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """A checked question for the preview, its numbers as a person types them."""
    values["answer_text"] = plain_number(values.get("answer"))
    values["tolerance_text"] = plain_number(values.get("tolerance"))
    return values


def _question_page(
    request: AccessRequest, question_set: QuestionSet, question: Question | None
) -> HttpResponse:
    initial = QuestionForm.initial_of(question) if question else {"kind": Question.Kind.NUMERIC}
    form = QuestionForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        if not form.errors:
            saved = _save_question(request, form, question_set, question, values)
            if saved is not None:
                return saved
    if form.is_bound:
        preview, problems = _preview_values(QuestionForm(request.POST))
    else:
        preview, problems = _initial_preview(initial), []
    context = {
        "form": form,
        "question_set": question_set,
        "question": question,
        "preview": preview,
        "problems": problems,
        "current_media": question.media if question else None,
        "media_url": media.url_for(question.media) if question and question.media else "",
    }
    return render(request, "practice/teachers/question_form.html", context)


def _initial_preview(initial: dict[str, Any]) -> dict[str, Any] | None:
    try:
        choices = [initial.get(f"choice_{i}", "") for i in range(authoring.MAX_CHOICES)]
        correct = [int(i) for i in initial.get("correct", [])]
        return _shown(
            vars(
                authoring.clean_question(
                    kind=initial.get("kind"),
                    prompt=initial.get("prompt"),
                    answer=initial.get("answer"),
                    tolerance=initial.get("tolerance"),
                    units=initial.get("units", ""),
                    choices=choices,
                    correct=correct,
                )
            )
        )
    except ValidationError:
        return None


def _save_question(
    request: AccessRequest,
    form: QuestionForm,
    question_set: QuestionSet,
    question: Question | None,
    values: dict[str, Any],
) -> HttpResponse | None:
    upload = form.cleaned_data.get("file")
    kept: PromptMedia | None = question.media if question else None
    if form.cleaned_data.get("remove_media"):
        kept = None
    try:
        authoring.clean_question(**values)  # the question's errors before storing a file
        if upload:
            media.check_upload(upload)
            kept = media.media_upload(actor=request.user, school=school_of(request), upload=upload)
        if question is None:
            authoring.question_create(
                actor=request.user, question_set=question_set, media=kept, **values
            )
            messages.success(request, "Question saved.")
        elif authoring.question_update(actor=request.user, question=question, media=kept, **values):
            messages.success(request, "Question saved.")
        else:
            messages.success(request, "Nothing changed: the question was already saved like this.")
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    return redirect(_set_url(question_set))


def question_new(request: AccessRequest, school_id: int, set_id: int) -> HttpResponse:
    """Add a numeric or multiple-choice question, with a preview as the pupil sees it."""
    return _question_page(request, access_set(request, set_id), None)


def question_edit(
    request: AccessRequest, school_id: int, set_id: int, question_id: int
) -> HttpResponse:
    question = access_question(request, set_id, question_id)
    return _question_page(request, question.question_set, question)


def question_preview(request: AccessRequest, school_id: int, set_id: int) -> HttpResponse:
    """The question as the pupil will see it, from the form as it is now (htmx; nothing
    is saved). `question` names the question being edited, for its image or sound."""
    question_set = access_set(request, set_id)
    if (refused := _post_only(request)) is not None:
        return refused
    form = QuestionForm(request.POST)
    preview, problems = _preview_values(form)
    shown: PromptMedia | None = None
    question_id = posted_id(request.POST.get("question"))
    if question_id and not request.POST.get("remove_media"):
        found = (
            Question.objects.select_related("media")
            .filter(question_set=question_set, pk=question_id)
            .first()
        )
        shown = found.media if found else None
    context = {
        "preview": preview,
        "problems": problems,
        "current_media": shown,
        "media_url": media.url_for(shown) if shown else "",
    }
    return render(request, "practice/teachers/_preview.html", context)


def question_delete(
    request: AccessRequest, school_id: int, set_id: int, question_id: int
) -> HttpResponse:
    question = access_question(request, set_id, question_id)
    if (refused := _post_only(request)) is not None:
        return refused
    authoring.question_delete(actor=request.user, question=question)
    messages.success(request, f"Question {question.position} was deleted.")
    return redirect(_set_url(question.question_set))


def question_move(
    request: AccessRequest, school_id: int, set_id: int, question_id: int
) -> HttpResponse:
    """Move a question one place up (`step=-1`) or down (`step=1`)."""
    question = access_question(request, set_id, question_id)
    if (refused := _post_only(request)) is not None:
        return refused
    step = -1 if request.POST.get("step") == "-1" else 1
    authoring.question_move(actor=request.user, question=question, step=step)
    return redirect(_set_url(question.question_set))


def media_file(request: AccessRequest, school_id: int, media_id: int) -> HttpResponse:
    """An image or sound prompt, for the school's pupils and staff only (404 for others),
    as its checked type, never sniffed by the browser, shown inline."""
    found = access_media(request, media_id)
    # Read whole (at most the upload limit) and closed at once: a streamed file stays
    # open until the server closes the response.
    with found.file.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="prompt{media.extension_of(found)}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Watching a class -------------------------------------------------------------


def class_live(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """Which of the class's pupils are practising now and on which question; the list
    refreshes itself every second (htmx asks for its part only)."""
    require_role(request, *STAFF)
    teaching_class = access_class_for_work(request, class_id)
    context = {"teaching_class": teaching_class, "pupils": live.class_state(teaching_class)}
    if is_htmx(request):
        return render(request, "practice/teachers/live.html#pupils", context)
    context["online_seconds"] = live.ONLINE_SECONDS
    return render(request, "practice/teachers/live.html", context)


def _map_choice(request: AccessRequest) -> tuple[str, QuestionSet | None]:
    operation = request.GET.get("operation", "multiply")
    set_id = posted_id(request.GET.get("set")) or None
    return operation, access_set_for_heatmap(request, set_id)


def class_heatmap(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """The class's per-fact heat map: times tables, or one set's questions."""
    require_role(request, *STAFF)
    teaching_class = access_class_for_work(request, class_id)
    operation, question_set = _map_choice(request)
    heat = heatmap.heat_map(
        heatmap.class_items(teaching_class), operation=operation, question_set=question_set
    )
    context = {
        "teaching_class": teaching_class,
        "heat": heat,
        "operation": operation,
        "question_set": question_set,
        "sets": QuestionSet.objects.filter(kind=QuestionSet.Kind.CUSTOM, archived=False),
        "operations": heatmap.OPERATIONS,
    }
    return render(request, "practice/teachers/heatmap.html", context)


def pupil_practice(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    """A pupil's practice: sessions, accuracy, speed over time, points and their heat
    map; for their teachers, administrators, the pupil and their parents. Staff reads
    go to the access log."""
    pupil = access_pupil(request, pupil_id)
    operation, question_set = _map_choice(request)
    summary = progress.pupil_summary(pupil)
    heat = heatmap.heat_map(
        heatmap.pupil_items(pupil), operation=operation, question_set=question_set
    )
    roster_selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action="practice.progress.viewed",
        target=pupil,
        data={"sessions": summary.session_count},
    )
    context = {
        "pupil": pupil,
        "summary": summary,
        "chart": summary.chart(),
        "heat": heat,
        "operation": operation,
        "question_set": question_set,
        "operations": heatmap.OPERATIONS,
        "own": pupil.user_id == request.user.pk,
    }
    return render(request, "practice/teachers/pupil.html", context)
