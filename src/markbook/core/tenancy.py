"""Tenant scoping (TEN-4): the one mechanism that scopes every query on school data.

Every model holding school data carries a `school` foreign key and django-scopes'
`ScopedManager(school="school")`. `school_scope()` activates the django-scopes scope
and, on PostgreSQL, the row-level security setting together, so the ORM filter and
the database policy always agree. `SchoolScopeMiddleware` resolves the school from
the URL (`school_id` or `trust_id`), checks the user's right to it, and runs the
request inside its scope. Other schools' objects are simply not found (404). The
public pupil sign-in pages carry the school's secret `signin_slug` instead: anyone
may open them, scoped to that school and holding no role there unless they have one.

`all_schools()` (django-scopes' `scopes_disabled`) is allowed only in the modules
listed in `UNSCOPED_ALLOW_LIST`; tests/core/test_scoping.py greps for it.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django_scopes import scope, scopes_disabled

from markbook.core import rls

# Modules that may see every school at once, and why.
UNSCOPED_ALLOW_LIST = {
    "src/markbook/core/tenancy.py": "defines the mechanism",
    "src/markbook/core/keys.py": "reads the key of the school being scoped",
    "src/markbook/audit/services.py": "verifies hash chains across every school",
    "src/markbook/rosters/management/commands/markbook_demo.py": "seeds several schools",
    "src/markbook/schools/services.py": "platform administration: creates schools",
}


def _ids(schools: object) -> list[int]:
    if isinstance(schools, int):
        return [schools]
    if hasattr(schools, "pk"):
        return [schools.pk]  # type: ignore[attr-defined]
    assert isinstance(schools, Iterable)
    return [s if isinstance(s, int) else s.pk for s in schools]


@contextmanager
def school_scope(schools: object) -> Iterator[None]:
    """Scope queries (ORM and, on PostgreSQL, row-level security) to these schools."""
    ids = _ids(schools)
    with scope(school=ids), rls.schools(ids):
        yield


@contextmanager
def all_schools() -> Iterator[None]:
    """See every school's rows. Only for the modules in UNSCOPED_ALLOW_LIST."""
    with scopes_disabled(), rls.schools(None):
        yield


@dataclass
class Access:
    """Who the current user is in the school the request is about."""

    school: object = None
    trust: object = None
    roles: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def user_school_ids(user: object) -> list[int]:
    """Ids of the schools a user belongs to, or administers through their trust."""
    from markbook.accounts.models import Membership
    from markbook.schools.models import School

    if not getattr(user, "is_authenticated", False):
        return []
    with all_schools():
        ids = set(Membership.objects.filter(user=user).values_list("school_id", flat=True))
    ids |= set(School.objects.filter(trust__admins__user=user).values_list("id", flat=True))
    return sorted(ids)


def user_schools(user: object) -> list[object]:
    """Schools a user may open, for the dashboard and sign-in redirect."""
    from markbook.schools.models import School

    return list(School.objects.filter(id__in=user_school_ids(user)).order_by("name"))


def school_access(user: object, school: object) -> Access:
    """Roles of `user` in `school`; must run inside that school's scope."""
    from markbook.accounts.models import Membership

    roles: set[str] = set()
    if getattr(user, "is_authenticated", False):
        roles.update(Membership.objects.filter(user=user).values_list("role", flat=True))
        trust_id = school.trust_id  # type: ignore[attr-defined]
        if trust_id and user.trust_roles.filter(trust_id=trust_id).exists():  # type: ignore[attr-defined]
            roles.add("trust_admin")
    return Access(school=school, trust=school.trust, roles=frozenset(roles))  # type: ignore[attr-defined]


class SchoolScopeMiddleware:
    """Resolve the school or trust in the URL, check access, run the request in its scope."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            kwargs = resolve(request.path_info).kwargs
        except Resolver404:
            kwargs = {}
        request.access = Access()  # type: ignore[attr-defined]
        if "school_id" in kwargs:
            return self._school(request, kwargs["school_id"])
        if "trust_id" in kwargs:
            return self._trust(request, kwargs["trust_id"])
        if "signin_slug" in kwargs:
            return self._signin(request, kwargs["signin_slug"])
        # Pages about no one school (the dashboard, your account): the user's own schools,
        # so their own rows (their pupil record, memberships) are reachable, nothing else.
        with school_scope(user_school_ids(request.user)):
            return self.get_response(request)

    def _school(self, request: HttpRequest, school_id: int) -> HttpResponse:
        from markbook.schools.models import School

        api = request.path_info.startswith("/api/")
        if not request.user.is_authenticated:
            return _unauthenticated(request, api)
        school = School.objects.select_related("trust").filter(pk=school_id).first()
        if school is None:
            return _not_found(api)
        with school_scope(school):
            access = school_access(request.user, school)
            if not access.roles:
                return _not_found(api)
            request.access = access  # type: ignore[attr-defined]
            blocked = _blocked(request, school, access, api)
            if blocked is not None:
                return blocked
            return self.get_response(request)

    def _trust(self, request: HttpRequest, trust_id: int) -> HttpResponse:
        from markbook.schools.models import Trust

        api = request.path_info.startswith("/api/")
        if not request.user.is_authenticated:
            return _unauthenticated(request, api)
        trust = Trust.objects.filter(pk=trust_id, admins__user=request.user).first()
        if trust is None:
            return _not_found(api)
        request.access = Access(trust=trust, roles=frozenset({"trust_admin"}))  # type: ignore[attr-defined]
        with school_scope(list(trust.schools.values_list("id", flat=True))):
            return self.get_response(request)

    def _signin(self, request: HttpRequest, slug: str) -> HttpResponse:
        """A school's public sign-in page: no membership needed; suspension and
        terms are checked by the sign-in itself, which refuses with a message."""
        from markbook.schools.models import School

        school = School.objects.select_related("trust").filter(signin_slug=slug).first()
        if school is None:
            raise Http404("No such sign-in page.")
        with school_scope(school):
            request.access = school_access(request.user, school)  # type: ignore[attr-defined]
            return self.get_response(request)


def _unauthenticated(request: HttpRequest, api: bool) -> HttpResponse:
    if api:
        return JsonResponse({"detail": "Authentication required."}, status=401)
    return redirect(f"{reverse('account_login')}?next={request.get_full_path()}")


def _not_found(api: bool) -> HttpResponse:
    if api:
        return JsonResponse({"detail": "Not found."}, status=404)
    raise Http404("No such school.")


def _two_factor_missing(
    request: HttpRequest, school, access: Access, api: bool
) -> HttpResponse | None:  # type: ignore[no-untyped-def]
    """ACC-5: a school may require its administrators to sign in with two factors."""
    if not (school.require_admin_2fa and access.has("school_admin")):
        return None
    from markbook.schools.services import user_has_totp

    if user_has_totp(request.user):
        return None
    message = (
        f"{school.name} requires administrators to use two-factor sign-in; "
        "set up an authenticator app first."
    )
    if api:
        return JsonResponse({"detail": message}, status=403)
    from django.contrib import messages

    messages.warning(request, message)
    return redirect("mfa_activate_totp")


def _blocked(request: HttpRequest, school, access: Access, api: bool) -> HttpResponse | None:  # type: ignore[no-untyped-def]
    """Refuse service for a suspended or ended school, or before the terms are accepted (TEN-7)."""
    if school.status in (school.Status.SUSPENDED, school.Status.ENDED):
        message = (
            f"{school.name} is {school.get_status_display().lower()}; Markbook is unavailable."
        )
        if api:
            return JsonResponse({"detail": message}, status=403)
        return render(request, "core/blocked.html", {"message": message}, status=403)
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
