from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from markbook.admission import AccessRequest, require_role, school_of
from markbook.audit import describe, selectors
from markbook.audit.forms import LogFilterForm

PAGE_SIZE = 50


def log(request: AccessRequest, school_id: int) -> HttpResponse:
    """SEC-1: a school administrator reads the school's own access log, newest first,
    in words, filtered by subject, actor, action and dates; runs of page views fold
    into one row so the changes stand out."""
    require_role(request, "school_admin")
    form = LogFilterForm(request.GET)
    form.is_valid()
    filters = form.filters()
    page = Paginator(selectors.events_for_log(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = describe.group_reads(describe.describe(list(page.object_list), school_of(request)))
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {
        "page": page,
        "rows": rows,
        "form": form,
        "filtered": bool(query),
        "query": urlencode(query),
        "action": filters.action,
        "actions": LogFilterForm.action_choices(),
    }
    htmx = request.headers.get("HX-Request") == "true"
    return render(request, "audit/log.html#results" if htmx else "audit/log.html", context)
