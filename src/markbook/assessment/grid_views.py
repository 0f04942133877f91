"""Pages: the markbook grid of a class (ASM-3) and its entry for a data drop (ASM-4).

The page carries the grid's data as JSON (`json_script`, no inline script: CSP) and
static/markbook/grid.js draws it with Tabulator and saves each cell through the API's
bulk operation, so the page and the API share one service. Opening it is a staff read
in the access log (SEC-1).
"""

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from markbook.admission import AccessRequest
from markbook.assessment import grid
from markbook.rosters import selectors as roster_selectors


def _read(request: AccessRequest, action: str, target: Any, data: dict, **extra: Any) -> None:
    roster_selectors.pupil_read_logged(
        user=request.user,
        access=request.access,
        action=action,
        target=target,
        data={"pupils": len(data["pupils"]), "columns": len(data["columns"]), **extra},
    )


def class_marks(request: AccessRequest, school_id: int, class_id: int) -> HttpResponse:
    """The class's markbook: pupils as rows, assignments as columns (ASM-3)."""
    teaching_class = grid.access_class_for_marking(request, class_id)
    data = grid.markbook_grid(teaching_class)
    _read(request, "assessment.markbook.viewed", teaching_class, data)
    context = {
        "teaching_class": teaching_class,
        "grid": data,
        "kind": "marks",
        "save_url": reverse(
            "api:markbook_marks", kwargs={"school_id": school_id, "class_id": class_id}
        ),
        "drops": grid.class_drops(teaching_class),
    }
    return render(request, "markbook/grid.html", context)


def class_drop(request: AccessRequest, school_id: int, class_id: int, drop_id: int) -> HttpResponse:
    """The class's grades for a data drop: pupils x the drop's fields (ASM-4)."""
    teaching_class = grid.access_class_for_marking(request, class_id)
    drop, subject = grid.access_drop_for_class(teaching_class, drop_id)
    data = grid.drop_grid(teaching_class, drop, subject)
    _read(request, "tracking.entries.viewed", teaching_class, data, drop=drop.pk)
    kwargs = {"school_id": school_id, "class_id": class_id, "drop_id": drop_id}
    context = {
        "teaching_class": teaching_class,
        "grid": data,
        "kind": "drop",
        "drop": drop,
        "subject": subject,
        "save_url": reverse("api:markbook_entries", kwargs=kwargs),
    }
    return render(request, "markbook/grid.html", context)
