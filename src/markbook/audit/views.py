from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from markbook.audit.models import AuditEvent
from markbook.rosters.access import require_role


def log(request: HttpRequest, school_id: int) -> HttpResponse:
    """SEC-1: a school administrator reads the school's own access log."""
    require_role(request, "school_admin")
    page = Paginator(AuditEvent.objects.order_by("-seq"), 50).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"page": page})
