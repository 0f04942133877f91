"""API: the school's and the trust's analysis as JSON and CSV (ASM-5), through the
same selectors as the pages; each call is a staff read in the access log (SEC-1)."""

from typing import Any

from django.http import Http404, HttpResponse
from ninja import Router

from markbook.admission import AccessRequest, require_role
from markbook.core.api import responses
from markbook.tracking.analysis import exports, selectors
from markbook.tracking.analysis.trust import trust_report, trust_report_json
from markbook.tracking.analysis.views import viewer_and_report

router = Router(tags=["analysis"])


@router.get("/schools/{school_id}/analysis", response=responses(dict[str, Any]), summary="Analysis")
def analysis_read(request: AccessRequest, school_id: int) -> dict[str, Any]:
    """One drop's progress against target by `by` (subject, class, year_group, fsm,
    disadvantaged, sen, eal, sex, ethnicity, gifted_talented, ks2_band), gaps,
    movement from `compare` (or the drop before) and the KS2 transition matrix;
    staff only, teachers their own classes' pupils (TEN-3); small groups hidden."""
    viewer, result = viewer_and_report(request)
    selectors.analysis_read_logged(
        viewer=viewer,
        action="tracking.analysis.viewed",
        facts=result["facts"],
        data={"report": "school", "dimension": result["table"]["dimension"], "via": "api"},
    )
    return selectors.report_json(result)


@router.get(
    "/schools/{school_id}/analysis/csv", response=responses(None), summary="Analysis table as CSV"
)
def analysis_csv(request: AccessRequest, school_id: int, table: str = "progress") -> HttpResponse:
    """One table (progress, gaps, movement, matrix) as CSV, formula-neutralised."""
    if table not in exports.TABLES:
        raise Http404
    viewer, result = viewer_and_report(request)
    selectors.analysis_read_logged(
        viewer=viewer,
        action="tracking.analysis.exported",
        facts=result["facts"],
        data={"report": "school", "table": table, "format": "csv", "via": "api"},
    )
    response = HttpResponse(exports.table_csv(result, table), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="analysis-{table}.csv"'
    return response


@router.get(
    "/trusts/{trust_id}/analysis", response=responses(dict[str, Any]), summary="Trust analysis"
)
def trust_analysis_read(request: AccessRequest, trust_id: int, by: str = "subject") -> dict:
    """The trust's schools side by side (SEC-6: only this trust's schools)."""
    require_role(request, "trust_admin")
    try:
        result = trust_report(user=request.user, trust=request.access.trust, dimension=by)  # type: ignore[arg-type]
    except selectors.NotAvailable:
        raise Http404 from None
    return trust_report_json(result)
