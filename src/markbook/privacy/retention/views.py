"""The school's retention pages (RET-1, RET-2, RET-4): its rules with the periods it
chose and the last runs with a running one's progress; what the next run would delete
and who (the dry run). For its administrators and data protection lead."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from markbook.admission import AccessRequest, school_of
from markbook.privacy import access
from markbook.privacy.retention import selectors, services
from markbook.privacy.retention.engine import retention_plan
from markbook.web import error_messages, is_htmx


def retention(request: AccessRequest, school_id: int) -> HttpResponse:
    """The rules, a form shortening one (or going back to the default), the runs."""
    access.require_manager(request)
    errors: list[str] = []
    if request.method == "POST":
        key = request.POST.get("key", "")
        try:
            if "default" in request.POST:
                services.retention_override_clear(
                    actor=request.user, school=school_of(request), key=key
                )
                messages.success(request, "The default period applies again.")
            else:
                raw = request.POST.get("days", "").strip()
                if not raw.isdigit():
                    raise ValidationError({"days": ["Give the period as a whole number of days."]})
                services.retention_override_set(
                    actor=request.user, school=school_of(request), key=key, days=int(raw)
                )
                messages.success(request, "Saved: the shorter period applies from the next run.")
        except ValidationError as error:
            errors = error_messages(error)
        else:
            return redirect("school_privacy:retention", school_id=school_id)
    runs = list(selectors.retention_runs())
    context = {
        "rules": selectors.school_rules(),
        "runs": selectors.runs_shown(runs),
        "running": next((r for r in runs if r.state == r.State.RUNNING), None),
        "errors": errors,
        "posted_key": request.POST.get("key", ""),
    }
    template = "privacy/retention.html#runs" if is_htmx(request) else "privacy/retention.html"
    return render(request, template, context, status=400 if errors else 200)


def retention_due(request: AccessRequest, school_id: int) -> HttpResponse:
    """The dry run: what the next run would delete, per rule and who; what legal holds
    keep; the accounts to be deleted soon for not being used. Nothing is changed."""
    access.require_manager(request)
    plan = retention_plan(school=school_of(request))
    context = {
        "plan": plan,
        "categories": list(plan.categories.values()),
        "soon": plan.warnings,
    }
    return render(request, "privacy/retention_due.html", context)
