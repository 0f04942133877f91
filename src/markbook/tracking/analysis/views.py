"""Analysis pages (ASM-5): thin, over selectors.report; every view and export is a
staff read in the access log (SEC-1)."""

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render

from markbook.admission import AccessRequest, require_role
from markbook.schools.models import Trust
from markbook.tracking.analysis import exports, selectors
from markbook.tracking.analysis.groups import DIMENSIONS, STATUS_COLOURS, STATUS_LABELS
from markbook.tracking.analysis.trust import TRUST_DIMENSIONS, trust_report


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def params(query: Any) -> dict[str, Any]:
    """The report's choices from a query string (unknown values answer 404 later)."""
    return {
        "drop_id": _int(query.get("drop")),
        "field_key": (query.get("field") or "")[:30],
        "compare_id": _int(query.get("compare")),
        "dimension": query.get("by") or "subject",
        "subject_id": _int(query.get("subject")),
    }


def viewer_and_report(request: AccessRequest) -> tuple[selectors.Viewer, dict[str, Any]]:
    try:
        viewer = selectors.viewer_for(request.user, request.access)
        return viewer, selectors.report(viewer, **params(request.GET))
    except selectors.NotAvailable:
        raise Http404 from None


def report(request: AccessRequest, school_id: int) -> HttpResponse:
    """The school's analysis of one drop: tables and charts (ASM-5)."""
    viewer, result = viewer_and_report(request)
    selectors.analysis_read_logged(
        viewer=viewer,
        action="tracking.analysis.viewed",
        facts=result["facts"],
        data={"report": "school", "dimension": result["table"]["dimension"]},
    )
    chart = {
        "labels": [r["label"] for r in result["table"]["rows"]],
        "series": [
            {
                "label": STATUS_LABELS[s],
                "colour": STATUS_COLOURS[s],
                "data": [r[s] for r in result["table"]["rows"]],
            }
            for s in ("above", "on", "below")
        ],
        "gaps": {
            "labels": [g["label"] for g in result["gaps"]],
            "group": [g["group"]["on_or_above_percent"] for g in result["gaps"]],
            "others": [g["others"]["on_or_above_percent"] for g in result["gaps"]],
        },
    }
    return render(
        request,
        "analysis/report.html",
        {
            **result,
            "viewer": viewer,
            "dimensions": [(k, DIMENSIONS[k].label) for k in viewer.dimensions],
            "chart": chart,
            "statuses": [(s, STATUS_LABELS[s]) for s in ("above", "on", "below", "no_target")],
            "query": request.GET.urlencode(),
        },
    )


def report_csv(request: AccessRequest, school_id: int) -> HttpResponse:
    """One table of the analysis as CSV (ASM-5), logged as an export (SEC-1)."""
    which = request.GET.get("table", "progress")
    if which not in exports.TABLES:
        raise Http404
    viewer, result = viewer_and_report(request)
    selectors.analysis_read_logged(
        viewer=viewer,
        action="tracking.analysis.exported",
        facts=result["facts"],
        data={"report": "school", "table": which, "format": "csv"},
    )
    response = HttpResponse(exports.table_csv(result, which), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="analysis-{which}.csv"'
    return response


def report_pdf(request: AccessRequest, school_id: int) -> HttpResponse:
    """The governors' summary as a PDF download (ASM-5), logged as an export (SEC-1)."""
    viewer, result = viewer_and_report(request)
    selectors.analysis_read_logged(
        viewer=viewer,
        action="tracking.analysis.exported",
        facts=result["facts"],
        data={"report": "governors", "format": "pdf"},
    )
    pdf = exports.governors_pdf(school_name=viewer.school.name, result=result)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="analysis-summary.pdf"'
    return response


def pupils(request: AccessRequest, school_id: int) -> HttpResponse:
    """The pupils behind one number (ASM-5), as far as the viewer may see them (TEN-3)."""
    viewer, result = viewer_and_report(request)
    dimension = request.GET.get("by") or "subject"
    key = (request.GET.get("key") or "all")[:20]
    status = (request.GET.get("status") or "")[:10]
    try:
        rows = selectors.pupils_behind(
            result["facts"], viewer, dimension=dimension, key=key, status=status
        )
    except selectors.NotAvailable:
        raise Http404 from None
    selectors.analysis_read_logged(
        viewer=viewer,
        action="tracking.analysis.pupils_viewed",
        facts=result["facts"],
        data={"dimension": dimension, "key": key, "status": status},
        pupils=[r["pupil_id"] for r in rows],
    )
    label = next((r["label"] for r in result["table"]["rows"] if r["key"] == key), "All pupils")
    return render(
        request,
        "analysis/pupils.html",
        {
            "rows": rows,
            "group": label,
            "dimension": DIMENSIONS[dimension].label,
            "status": STATUS_LABELS.get(status, ""),
            "labels": STATUS_LABELS,
            "facts": result["facts"],
            "school_id": viewer.school.pk,
        },
    )


def trust(request: AccessRequest, trust_id: int) -> HttpResponse:
    """The trust's schools side by side (ASM-5, SEC-6): only this trust's schools."""
    require_role(request, "trust_admin")
    trust_obj: Trust = request.access.trust  # type: ignore[assignment]
    dimension = request.GET.get("by") or "subject"
    try:
        result = trust_report(user=request.user, trust=trust_obj, dimension=dimension)
    except selectors.NotAvailable:
        raise Http404 from None
    if request.GET.get("format") == "csv":
        from markbook.core.spreadsheet import csv_for_people

        header = [result["label"]]
        for school in result["schools"]:
            header += [f"{school['name']}: pupils", f"{school['name']}: on or above %"]
        header += ["Trust: pupils", "Trust: on or above %"]
        rows = []
        for row in result["rows"]:
            line: list[object] = [row["label"]]
            for cell in [*row["cells"], row["trust"]]:
                if cell["hidden"]:
                    line += [cell["shown_as"], cell["shown_as"]]
                else:
                    line += [cell["pupils"], cell["on_or_above_percent"]]
            rows.append(line)
        response = HttpResponse(csv_for_people(header, rows), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="trust-analysis.csv"'
        return response
    chart = {
        "labels": [r["label"] for r in result["rows"]],
        "series": [
            {
                "label": s["name"],
                "data": [r["cells"][i]["on_or_above_percent"] for r in result["rows"]],
            }
            for i, s in enumerate(result["schools"])
        ],
    }
    return render(
        request,
        "analysis/trust.html",
        {
            **result,
            "chart": chart,
            "dimensions": [(k, DIMENSIONS[k].label) for k in TRUST_DIMENSIONS],
        },
    )
