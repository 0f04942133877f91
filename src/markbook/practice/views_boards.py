"""The leaderboards page (ASM-6): a pupil's and a teacher's boards, in tabs (class,
school, trust, global; points or speed; this week, month or school year). Thin: who may
see which board is `board_reads.viewer_for`, the board is `board_reads.board_read`."""

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from markbook.admission import AccessRequest
from markbook.practice import board_reads
from markbook.rosters.models import TeachingClass


def choose(
    viewer: board_reads.Viewer, kind: str | None, class_id: int | None
) -> tuple[str, TeachingClass | None]:
    """The board asked for (the first open one by default) and, for a class board, the
    class (the viewer's first by default); 404 for a board or class the viewer may not
    open."""
    if not viewer.kinds:
        raise Http404
    kind = kind or viewer.kinds[0]
    if kind not in viewer.kinds:
        raise Http404
    teaching_class = None
    if kind == "class":
        if class_id is None:
            teaching_class = viewer.classes[0]
        else:
            teaching_class = next((c for c in viewer.classes if c.pk == class_id), None)
            if teaching_class is None:
                raise Http404
    return kind, teaching_class


def boards(request: AccessRequest, school_id: int) -> HttpResponse:
    """The boards the user may see; their own row highlighted."""
    viewer = board_reads.viewer_for(request.user, request.access)
    metric = request.GET.get("metric") or "points"
    period = request.GET.get("period") or "week"
    if metric not in board_reads.METRICS:
        return HttpResponseBadRequest(f"Unknown board order {metric!r}: use points or speed.")
    if period not in board_reads.PERIODS:
        return HttpResponseBadRequest(f"Unknown period {period!r}: use week, month or year.")
    raw_class = request.GET.get("class") or ""
    if raw_class and not raw_class.isdecimal():
        return HttpResponseBadRequest(f"Unknown class {raw_class!r}.")
    kind, teaching_class = choose(
        viewer, request.GET.get("board"), int(raw_class) if raw_class else None
    )
    board = board_reads.board_read(
        viewer, kind=kind, metric=metric, period=period, teaching_class=teaching_class
    )
    return render(
        request,
        "practice/boards.html",
        {
            "board": board,
            "viewer": viewer,
            "teaching_class": teaching_class,
            "kinds": [(k, board_reads.KINDS[k]) for k in viewer.kinds],
            "metrics": list(board_reads.METRICS.items()),
            "periods": list(board_reads.PERIODS.items()),
            "min_facts": board_reads.SPEED_MIN_FACTS,
        },
    )
