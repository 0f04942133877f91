"""The school's support grants page (TEN-6): administrators grant and revoke platform
staff access and read every request made under each grant."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone

from markbook.admission import AccessRequest, require_role, school_of
from markbook.support import selectors, services
from markbook.support.forms import GrantForm
from markbook.support.models import SupportGrant

ADMIN = "school_admin"


def grants(request: AccessRequest, school_id: int) -> HttpResponse:
    require_role(request, ADMIN)
    initial = {"expires_at": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}
    form = GrantForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.support_grant_create(
                actor=request.user, school=school_of(request), **form.cleaned_data
            )
        except ValidationError as error:
            for name, texts in error.message_dict.items():
                for text in texts:
                    form.add_error(name if name in form.fields else None, text)
        else:
            messages.success(
                request,
                f"{grant.staff.email} has {grant.get_scope_display().lower()} access until "
                f"{grant.expires_at:%d %B %Y %H:%M}.",
            )
            return redirect("support:grants", school_id=school_id)
    now = timezone.now()
    rows = [(g, g.live(now)) for g in selectors.grants()]
    return render(request, "support/grants.html", {"form": form, "rows": rows})


def _grant(request: AccessRequest, grant_id: int) -> SupportGrant:
    require_role(request, ADMIN)
    found = selectors.grants().filter(pk=grant_id).first()
    if found is None:
        raise Http404
    return found


def grant_detail(request: AccessRequest, school_id: int, grant_id: int) -> HttpResponse:
    """One grant and every read and change made under it."""
    grant = _grant(request, grant_id)
    return render(
        request,
        "support/grant.html",
        {"grant": grant, "live": grant.live(), "log": selectors.grant_log(grant)},
    )


def grant_revoke(request: AccessRequest, school_id: int, grant_id: int) -> HttpResponse:
    grant = _grant(request, grant_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.support_grant_revoke(actor=request.user, grant=grant)
    messages.success(request, f"{grant.staff.email}'s access has ended.")
    return redirect("support:grants", school_id=school_id)
