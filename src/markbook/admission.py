"""Admission (TEN-3, TEN-4, TEN-7, ACC-5): who may enter which school, and as what.

`SchoolScopeMiddleware` resolves the school from the URL (`school_id` or `trust_id`),
checks the user's right to it, and runs the request inside its scope
(`core.tenancy.school_scope`). Other schools' objects are simply not found (404). The
public pupil sign-in pages carry the school's secret `signin_slug` instead: anyone
may open them, scoped to that school and holding no role there unless they have one.

The middleware leaves `request.access` on every request: an `AccessRequest`, which
views and API operations take instead of a bare `HttpRequest`. `require_role` is the
one role check of pages and API alike.

This module sits above `core` and the apps' models: `core` knows nothing of schools,
memberships or roles (tests/core/test_layering.py).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse

from markbook.accounts.credentials import user_has_totp
from markbook.accounts.models import Membership, User
from markbook.accounts.sessions import signed_in_at
from markbook.core.tenancy import all_schools, school_scope
from markbook.schools import lifecycle
from markbook.schools.models import School, Trust

# The roles of a school's administrators, and of everyone who works there.
ADMINS = ("school_admin", "trust_admin")
STAFF = ("teacher", "school_admin", "trust_admin")


@dataclass
class Access:
    """Who the current user is in the school (or trust) the request is about."""

    school: School | None = None
    trust: Trust | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class AccessRequest(HttpRequest):
    """A request admitted by `SchoolScopeMiddleware`: every school and trust URL needs
    a signed-in user, so `user` is a `User`."""

    access: Access
    user: User


class PublicRequest(HttpRequest):
    """A request to a school's public sign-in pages: scoped to that school, but the
    visitor may not be signed in."""

    access: Access
    user: User | AnonymousUser


def school_of(request: AccessRequest | PublicRequest) -> School:
    """The school of the request's URL (404 on pages about no one school)."""
    if request.access.school is None:
        raise Http404
    return request.access.school


def require_role(request: AccessRequest, *roles: str) -> None:
    """404 unless the user holds one of these roles in the request's school (TEN-3)."""
    if not request.access.has(*roles):
        raise Http404


def require_platform_staff(request: HttpRequest) -> None:
    """404 unless the user is Markbook's platform staff: the breach register and the
    platform's list of schools (SEC-3, TEN-1). Their pages hold no school's people;
    a school's own pages open to platform staff only under its support grant (TEN-6)."""
    user = request.user
    if not (user.is_authenticated and getattr(user, "is_platform_staff", False)):
        raise Http404


View = Callable[..., HttpResponse]


def admin_post(view: View) -> View:
    """Administrators only (404 for everyone else, TEN-3), then POST only (405)."""

    @wraps(view)
    def wrapped(request: AccessRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_role(request, *ADMINS)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, *args, **kwargs)

    return wrapped


def user_school_ids(user: User | AnonymousUser) -> list[int]:
    """Ids of the schools a user belongs to, or administers through their trust."""
    return sorted(_user_schools_validity(user))


def _user_schools_validity(user: User | AnonymousUser) -> dict[int, datetime | None]:
    """The schools a user belongs to or administers through their trust, each with the
    time before which its sessions no longer count (ACC-6), in the same two queries."""
    if not user.is_authenticated:
        return {}
    with all_schools():
        rows = dict(
            Membership.objects.filter(user=user).values_list(
                "school_id", "school__sessions_valid_after"
            )
        )
    rows.update(
        School.objects.filter(trust__admins__user=user).values_list("id", "sessions_valid_after")
    )
    return rows


def user_schools(user: User | AnonymousUser) -> list[School]:
    """Schools a user may open, for the dashboard and sign-in redirect."""
    return list(School.objects.filter(id__in=user_school_ids(user)).order_by("name"))


def school_access(user: User | AnonymousUser, school: School) -> Access:
    """Roles of `user` in `school`; must run inside that school's scope."""
    roles: set[str] = set()
    if isinstance(user, User) and user.is_authenticated:
        roles.update(Membership.objects.filter(user=user).values_list("role", flat=True))
        if school.trust_id and user.trust_roles.filter(trust_id=school.trust_id).exists():
            roles.add("trust_admin")
    return Access(school=school, trust=school.trust, roles=frozenset(roles))


def access_context(request: HttpRequest) -> dict[str, Any]:
    """The request's school and roles, for the layout's navigation (a context processor)."""
    access = getattr(request, "access", None)
    return {"access": access, "current_school": getattr(access, "school", None)}


class SchoolScopeMiddleware:
    """Resolve the school or trust in the URL, check access, run the request in its scope."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: AccessRequest) -> HttpResponse:
        # `request` becomes an AccessRequest here: every path below sets `access`.
        try:
            kwargs = resolve(request.path_info).kwargs
        except Resolver404:
            kwargs = {}
        request.access = Access()
        if "school_id" in kwargs:
            return self._school(request, kwargs["school_id"])
        if "trust_id" in kwargs:
            return self._trust(request, kwargs["trust_id"])
        if "signin_slug" in kwargs:
            return self._signin(request, kwargs["signin_slug"])
        # Pages about no one school (the dashboard, your account): the user's own schools,
        # so their own rows (their pupil record, memberships) are reachable, nothing else;
        # not those whose suspension ended this session there (ACC-6).
        schools = _user_schools_validity(request.user)
        issued = signed_in_at(request)
        usable = [pk for pk, after in schools.items() if after is None or issued > after]
        if schools and not usable:
            if request.path_info != reverse("account_login"):
                return _signed_out(request, request.path_info.startswith("/api/"))
            logout(request)  # signing in again: the form goes on, as someone signed out
        with school_scope(sorted(usable)):
            return self.get_response(request)

    def _school(self, request: AccessRequest, school_id: int) -> HttpResponse:
        api = request.path_info.startswith("/api/")
        if not request.user.is_authenticated:
            return _unauthenticated(request, api)
        school = School.objects.select_related("trust").filter(pk=school_id).first()
        if school is None:
            return _not_found(api)
        with school_scope(school):
            access = school_access(request.user, school)
            grant = None
            if not access.roles:
                grant = _support_grant(request)
                if grant is None:
                    return _not_found(api)
                refused = _support_refused(request, school, grant, api)
                if refused is not None:
                    return refused
                access = Access(school=school, trust=school.trust, roles=frozenset(SUPPORT_ROLES))
            if lifecycle.credentials_stale(school, signed_in_at(request)):
                return _stale(request, school, api)
            request.access = access
            blocked = _blocked(request, school, access, api)
            if blocked is not None:
                return blocked
            response = self.get_response(request)
            if grant is not None:
                _support_logged(request, grant, response)
            return response

    def _trust(self, request: AccessRequest, trust_id: int) -> HttpResponse:
        api = request.path_info.startswith("/api/")
        if not request.user.is_authenticated:
            return _unauthenticated(request, api)
        if not str(trust_id).isdecimal():
            return _not_found(api)  # an API path's id is not converted to an int first
        trust = Trust.objects.filter(pk=int(trust_id), admins__user=request.user).first()
        if trust is None:
            return _not_found(api)
        request.access = Access(trust=trust, roles=frozenset({"trust_admin"}))
        # Not a school suspended in an emergency: nobody but its own admins gets in (ACC-6).
        schools = trust.schools.filter(emergency_suspended_at__isnull=True)
        with school_scope(list(schools.values_list("id", flat=True))):
            return self.get_response(request)

    def _signin(self, request: AccessRequest, slug: str) -> HttpResponse:
        """A school's public sign-in page: no membership needed; suspension and
        terms are checked by the sign-in itself, which refuses with a message."""
        school = School.objects.select_related("trust").filter(signin_slug=slug).first()
        if school is None:
            raise Http404("No such sign-in page.")
        with school_scope(school):
            request.access = school_access(request.user, school)
            return self.get_response(request)


# Platform staff under a support grant act as the school's administrators in the areas
# the grant names (TEN-6); "support" marks them so pages can say so.
SUPPORT_ROLES = ("school_admin", "support")


def _support_grant(request: AccessRequest) -> Any:
    """A platform staff member's live support grant in the school in scope (TEN-6)."""
    if not request.user.is_platform_staff:
        return None
    from markbook.support.selectors import live_grant

    return live_grant(request.user)


def _support_refused(
    request: AccessRequest, school: School, grant: Any, api: bool
) -> HttpResponse | None:
    """A grant opens only its areas, and only for reading unless it allows changes."""
    from markbook.support.areas import HOME, area_of

    area = area_of(request.path_info)
    if area is None or (area != HOME and area not in grant.areas):
        message = f"Your support access to {school.name} does not cover this part of Markbook."
    elif request.method not in ("GET", "HEAD", "OPTIONS") and grant.scope != "change":
        message = f"Your support access to {school.name} is read only."
    else:
        return None
    if api:
        return JsonResponse({"detail": message}, status=403)
    return render(request, "core/blocked.html", {"message": message}, status=403)


def _support_logged(request: AccessRequest, grant: Any, response: HttpResponse) -> None:
    from markbook.support.services import support_request_record

    support_request_record(
        grant=grant,
        method=request.method or "GET",
        path=request.get_full_path(),
        status=response.status_code,
    )


def _unauthenticated(request: HttpRequest, api: bool) -> HttpResponse:
    if api:
        return JsonResponse({"detail": "Authentication required."}, status=401)
    return redirect(f"{reverse('account_login')}?next={request.get_full_path()}")


def _not_found(api: bool) -> HttpResponse:
    if api:
        return JsonResponse({"detail": "Not found."}, status=404)
    raise Http404("No such school.")


def _two_factor_missing(
    request: AccessRequest, school: School, access: Access, api: bool
) -> HttpResponse | None:
    """ACC-5: a school may require its administrators to sign in with two factors."""
    if not (school.require_admin_2fa and access.has("school_admin")):
        return None
    if user_has_totp(request.user):
        return None
    message = (
        f"{school.name} requires administrators to use two-factor sign-in; "
        "set up an authenticator app first."
    )
    if api:
        return JsonResponse({"detail": message}, status=403)
    messages.warning(request, message)
    return redirect("mfa_activate_totp")


def _signed_out(request: AccessRequest, api: bool) -> HttpResponse:
    """Every school of the user was suspended since they signed in (ACC-6): the
    session ends here; a token is refused."""
    message = (
        "Your school was suspended by its administrators, so you were signed out. "
        "Administrators can sign in again to reach the suspension page."
    )
    if api:
        return JsonResponse({"detail": message}, status=401)
    logout(request)
    messages.warning(request, message)
    return redirect(reverse("account_login"))


def _stale(request: AccessRequest, school: School, api: bool) -> HttpResponse:
    """This session or token predates the school's suspension (ACC-6): it no longer
    opens the school. Someone of no other school is signed out altogether."""
    issued = signed_in_at(request)
    others = [
        pk
        for pk, after in _user_schools_validity(request.user).items()
        if pk != school.pk and (after is None or issued > after)
    ]
    if not others:
        return _signed_out(request, api)
    message = (
        f"{school.name} was suspended by its administrators, which ended your sign-in "
        "there. Sign out and sign in again to use it once the suspension is lifted."
    )
    if api:
        return JsonResponse({"detail": message}, status=401)
    return render(request, "core/blocked.html", {"message": message}, status=403)


def _blocked(
    request: AccessRequest, school: School, access: Access, api: bool
) -> HttpResponse | None:
    """Refuse service as the subscription's state and an emergency suspension say
    (TEN-1, ACC-6: schools.lifecycle), or before the terms are accepted (TEN-7)."""
    refusal = lifecycle.admission_refusal(
        school, roles=access.roles, method=request.method or "GET", path=request.path_info
    )
    if refusal is not None:
        if api:
            return JsonResponse({"detail": refusal.message}, status=403)
        if refusal.to_suspension:
            messages.warning(request, refusal.message)
            return redirect("schools:suspension", school_id=school.pk)
        return render(request, "core/blocked.html", {"message": refusal.message}, status=403)
    if school.terms_accepted(settings.MARKBOOK_TERMS_VERSION):
        return _two_factor_missing(request, school, access, api)
    terms_url = reverse("schools:terms", kwargs={"school_id": school.pk})
    if request.path_info == terms_url:
        return None
    message = (
        f"{school.name} has not yet accepted the data-protection terms "
        f"(version {settings.MARKBOOK_TERMS_VERSION}); a school administrator must accept them first."
    )
    if api:
        return JsonResponse({"detail": message}, status=403)
    if access.has("school_admin"):
        return redirect(terms_url)
    return render(request, "core/blocked.html", {"message": message}, status=403)
