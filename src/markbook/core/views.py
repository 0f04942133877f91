from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from markbook.core.tenancy import user_schools


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Send each user to their school (or trust); list them when there are several."""
    schools = user_schools(request.user)
    trusts = [r.trust for r in request.user.trust_roles.select_related("trust")]
    if len(schools) == 1 and not trusts:
        return redirect("schools:home", school_id=schools[0].pk)
    if len(trusts) == 1 and all(s.trust_id == trusts[0].pk for s in schools):
        return redirect("trust:home", trust_id=trusts[0].pk)
    return render(request, "core/dashboard.html", {"schools": schools, "trusts": trusts})
