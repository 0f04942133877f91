"""Who may reach the breach register (SEC-3). Missing and forbidden look the same
from outside: 404 (TEN-3)."""

from django.http import Http404, HttpRequest

from markbook.admission import AccessRequest, require_platform_staff, require_role
from markbook.breaches.models import Breach, BreachSchool

# In a school: its administrators and data protection leads.
SCHOOL_READERS = ("school_admin", "trust_admin", "dpo")


def access_breach(request: HttpRequest, breach_id: int) -> Breach:
    require_platform_staff(request)
    found = Breach.objects.filter(pk=breach_id).first()
    if found is None:
        raise Http404
    return found


def access_school_breach(request: AccessRequest, breach_id: int) -> BreachSchool:
    """The school's row for a breach that affects it (the request's school scope)."""
    require_role(request, *SCHOOL_READERS)
    found = (
        BreachSchool.objects.filter(breach_id=breach_id)
        .select_related("breach", "school", "acknowledged_by")
        .first()
    )
    if found is None:
        raise Http404
    return found
