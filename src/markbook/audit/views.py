from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from markbook.admission import AccessRequest, require_role
from markbook.audit import selectors

PAGE_SIZE = 50


def log(request: AccessRequest, school_id: int) -> HttpResponse:
    """SEC-1: a school administrator reads the school's own access log, newest first."""
    require_role(request, "school_admin")
    action = request.GET.get("action", "").strip()[:100]
    events = selectors.events_for_log(action_prefix=action)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"page": page, "action": action})
