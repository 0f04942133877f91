"""The permission matrix (TEN-3, TEN-4): every URL pattern and every API operation,
for each role of the fixed world and for users of another school.

Two guarantees: a route that is not in the tables below fails
`test_every_route_is_in_the_matrix`, and each (route, role) pair is requested and
must answer exactly the status in the table. Another school's users, and platform
staff without a grant, get 404 (existence never leaks) on every school route.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import ROLES

SCHOOL_A = ("pupil", "parent", "teacher", "colleague", "admin", "trust_admin")
OUTSIDERS = ("other_teacher", "other_admin", "platform_staff")


def only(*allowed: str, ok: int = 200, denied: int = 404, anonymous: int = 302) -> dict[str, int]:
    """Status per role: `ok` for the allowed roles, `denied` for the others."""
    table = {role: (ok if role in allowed else denied) for role in ROLES}
    table["anonymous"] = anonymous
    return table


@dataclass(frozen=True)
class Route:
    expect: dict[str, int]
    method: str = "get"
    data: dict = field(default_factory=dict)
    upload: str = ""  # an API operation taking a file: "mis" or "oneroster" (see _upload)


# Routes from django-allauth: sign-in machinery, no school data. Each role must get
# an answer that is not a server error; they are listed so a new one is noticed.
ALLAUTH = "allauth"

PAGES: dict[str, Route | str] = {
    "dashboard": Route({**{r: 302 for r in ROLES}, "colleague": 302, "platform_staff": 200}),
    "accounts:profile": Route({**{r: 200 for r in ROLES}, "anonymous": 302}),
    # Everyone's own display preferences (ACC-7): saved, then back to the account page.
    "accounts:display": Route({r: 302 for r in ROLES}, method="post", data={"text_size": "large"}),
    "accounts:help_read": Route(
        {r: 302 for r in ROLES}, method="post", data={"help": "api-tokens"}
    ),
    "schools:home": Route(only(*SCHOOL_A)),
    "schools:terms": Route(only(*SCHOOL_A)),
    "schools:settings": Route(only("admin")),
    "trust:home": Route(only("trust_admin")),
    "rosters:pupils": Route(only("admin", "trust_admin")),
    # Amy: herself, her parent, her teacher (7A), admins; not the colleague (7B).
    "rosters:pupil_detail": Route(only("pupil", "parent", "teacher", "admin", "trust_admin")),
    "rosters:classes": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "rosters:class_detail": Route(only("teacher", "admin", "trust_admin")),
    "rosters:teachers": Route(only("admin", "trust_admin")),
    "rosters:pupil_new": Route(only("admin", "trust_admin")),
    "rosters:pupil_edit": Route(only("admin", "trust_admin")),
    "rosters:pupil_delete": Route(only("admin", "trust_admin")),
    "rosters:pupil_parents": Route(only("admin", "trust_admin", ok=405)),
    "rosters:me": Route(only("pupil", ok=302)),
    "rosters:class_new": Route(only("admin", "trust_admin")),
    "rosters:class_edit": Route(only("admin", "trust_admin")),
    "rosters:class_delete": Route(only("admin", "trust_admin")),
    "rosters:class_teachers": Route(only("admin", "trust_admin", ok=405)),
    "rosters:class_pupils": Route(only("admin", "trust_admin", ok=405)),
    # The confirm page (POST issues the codes): the class's teacher and school
    # administrators, as for one pupil's new sign-in code (ACC-2).
    "rosters:class_signin_cards": Route(only("teacher", "admin")),
    "rosters:staff_edit": Route(only("admin", "trust_admin")),
    "rosters:staff_remove": Route(only("admin", "trust_admin")),
    "rosters:classlist_upload": Route(only("admin", "trust_admin")),
    "rosters:oneroster": Route(only("admin", "trust_admin")),
    "rosters:oneroster_export": Route(only("admin", "trust_admin")),
    "rosters:mis_upload": Route(only("admin", "trust_admin")),
    "rosters:import_job": Route(only("admin", "trust_admin")),
    # A stalled job of School A (see _import_job): retried or cancelled, then its page.
    "rosters:import_job_retry": Route(
        only("admin", "trust_admin", ok=302), method="post", data={"attempt": 1}
    ),
    "rosters:import_job_cancel": Route(
        only("admin", "trust_admin", ok=302), method="post", data={"attempt": 1}
    ),
    "audit:log": Route(only("admin")),
    # Analysis (ASM-5): staff; a teacher their own classes (TEN-3). No drop in the
    # fixed world, so the pupils behind the whole-school figure are none, but allowed.
    "analysis:report": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "analysis:csv": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "analysis:pdf": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "analysis:pupils": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "trust_analysis:report": Route(only("trust_admin")),
    # Public: the privacy notice generated from the data inventory (DSR-1).
    "privacy:notice": Route({r: 200 for r in ROLES}),
    # Public, reached through the school's secret address (ACC-2).
    "pupil_signin": Route({r: 200 for r in ROLES}),
    # Public: the main sign-in page's "find your school" box (ACC-2); lists no school.
    "pupil_school_find": Route({r: 200 for r in ROLES}),
    "pupil_signin_code_entry": Route({r: 200 for r in ROLES}),
    # Public: a school's registration page, reached through its sign-in address (ACC-4).
    "staff_register": Route({r: 200 for r in ROLES}),
    # The link sent to an in-domain teacher (ACC-4); a forged token is refused.
    "staff_register_confirm": Route({r: 400 for r in ROLES}),
    # No Google or Microsoft configured here: the provider is unknown to everyone.
    "staff_register_sso": Route({r: 404 for r in ROLES}, method="post"),
    # A pending request to join: school administrators (and the trust's) answer it.
    "school_accounts:registration_decide": Route(
        only("admin", "trust_admin", ok=302), method="post", data={"decision": "refuse"}
    ),
    # Without a checked code in the session: back to the code entry page.
    "pupil_signin_set_password": Route({r: 302 for r in ROLES}),
    # Amy's teacher (7A) and the school administrator; not the colleague or trust admin.
    "school_accounts:pupil_signin_code": Route(only("teacher", "admin"), method="post"),
    "api:openapi-json": Route({r: 200 for r in ROLES}),
    "api:openapi-view": Route({r: 200 for r in ROLES}),
}

# API operations, keyed "METHOD /path" as in the OpenAPI document. Anonymous callers
# get 401 everywhere; wrong role or invisible object 404, as on the pages.
ME = "/api/me"
S = "/api/schools/{school_id}"
API_ADMINS = ("admin", "trust_admin")
API_STAFF = ("teacher", "colleague", "admin", "trust_admin")


def api_only(*allowed: str, ok: int = 200) -> dict[str, int]:
    return only(*allowed, ok=ok, anonymous=401)


EVERYONE = tuple(r for r in ROLES if r != "anonymous")

API: dict[str, Route] = {
    f"GET {ME}": Route(api_only(*EVERYONE)),
    f"GET {ME}/tokens": Route(api_only(*EVERYONE)),
    f"POST {ME}/tokens": Route(api_only(*EVERYONE, ok=201), "post", {"name": "Laptop"}),
    # The token is the admin's own (see _kwargs); anyone else's answers 404.
    f"DELETE {ME}/tokens/{{token_id}}": Route(api_only("admin", ok=204), "delete"),
    f"GET {ME}/preferences": Route(api_only(*EVERYONE)),
    f"PUT {ME}/preferences": Route(api_only(*EVERYONE), "put", {"text_size": "large"}),
    # Every member sees the pupils visible to them (TEN-3): the colleague only Cal.
    f"GET {S}/pupils": Route(api_only(*SCHOOL_A)),
    # Amy: herself, her parent, her teacher (7A), admins; not the colleague (7B).
    f"GET {S}/pupils/{{pupil_id}}": Route(
        api_only("pupil", "parent", "teacher", "admin", "trust_admin")
    ),
    f"POST {S}/pupils": Route(
        api_only(*API_ADMINS, ok=201),
        "post",
        {"first_name": "Zed", "last_name": "Zulu", "year_group": "7"},
    ),
    f"PATCH {S}/pupils/{{pupil_id}}": Route(api_only(*API_ADMINS), "patch", {"year_group": "8"}),
    f"DELETE {S}/pupils/{{pupil_id}}": Route(api_only(*API_ADMINS, ok=204), "delete"),
    f"GET {S}/classes": Route(api_only(*API_STAFF)),
    f"GET {S}/classes/{{class_id}}": Route(api_only("teacher", "admin", "trust_admin")),
    f"POST {S}/classes": Route(
        api_only(*API_ADMINS, ok=201), "post", {"name": "8C Science", "academic_year": "2026/27"}
    ),
    f"PATCH {S}/classes/{{class_id}}": Route(api_only(*API_ADMINS), "patch", {"subject": "Maths"}),
    f"DELETE {S}/classes/{{class_id}}": Route(api_only(*API_ADMINS, ok=204), "delete"),
    # user_id is the teacher of 7A: attaching again changes nothing, detaching works.
    f"PUT {S}/classes/{{class_id}}/teachers/{{user_id}}": Route(
        api_only(*API_ADMINS, ok=204), "put"
    ),
    f"DELETE {S}/classes/{{class_id}}/teachers/{{user_id}}": Route(
        api_only(*API_ADMINS, ok=204), "delete"
    ),
    f"PUT {S}/classes/{{class_id}}/pupils/{{pupil_id}}": Route(
        api_only(*API_ADMINS, ok=204), "put"
    ),
    f"DELETE {S}/classes/{{class_id}}/pupils/{{pupil_id}}": Route(
        api_only(*API_ADMINS, ok=204), "delete"
    ),
    f"GET {S}/staff": Route(api_only(*API_ADMINS)),
    # Previews of valid files (nothing is written); the job is one of School A's.
    f"POST {S}/imports/mis": Route(api_only(*API_ADMINS), "post", upload="mis"),
    f"POST {S}/imports/oneroster": Route(api_only(*API_ADMINS), "post", upload="oneroster"),
    f"GET {S}/imports/{{job_id}}": Route(api_only(*API_ADMINS)),
    f"POST {S}/imports/{{job_id}}/retry": Route(
        api_only(*API_ADMINS, ok=202), "post", {"attempt": 1}
    ),
    f"POST {S}/imports/{{job_id}}/cancel": Route(api_only(*API_ADMINS), "post", {"attempt": 1}),
    f"GET {S}/exports/oneroster": Route(api_only(*API_ADMINS)),
    f"GET {S}/audit": Route(api_only("admin")),
    f"GET {S}/settings": Route(api_only("admin")),
    f"GET {S}/analysis": Route(api_only(*API_STAFF)),
    f"GET {S}/analysis/csv": Route(api_only(*API_STAFF)),
    # Only the trust's administrators; another school's users 404 (SEC-6).
    "GET /api/trusts/{trust_id}/analysis": Route(api_only("trust_admin")),
    # Sending nothing changes nothing, so every role's call can be the same.
    f"PATCH {S}/settings": Route(api_only("admin"), "patch", {}),
    f"GET {S}/registration-requests": Route(api_only(*API_ADMINS)),
    # request_id is a fresh pending request for each call (see _kwargs).
    f"POST {S}/registration-requests/{{request_id}}/approve": Route(api_only(*API_ADMINS), "post"),
    f"POST {S}/registration-requests/{{request_id}}/refuse": Route(api_only(*API_ADMINS), "post"),
}


def _walk(patterns, prefix="", namespace=None):  # type: ignore[no-untyped-def]
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace if p.namespace else namespace
            if namespace and p.namespace:
                ns = f"{namespace}:{p.namespace}"
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = (
                f"{namespace}:{p.name}"
                if namespace and p.name
                else (p.name or prefix + str(p.pattern))
            )
            yield name, prefix + str(p.pattern), p


def page_routes() -> dict[str, tuple[str, URLPattern]]:
    return {name: (pattern, p) for name, pattern, p in _walk(get_resolver().url_patterns)}


def api_operations() -> list[str]:
    from markbook.api import api

    schema = api.get_openapi_schema()
    return sorted(
        f"{method.upper()} {path}"
        for path, ops in schema["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    )


def _is_allauth(pattern: URLPattern) -> bool:
    module = getattr(pattern.callback, "__module__", "") or ""
    return module.startswith(("allauth.", "django.views.generic"))


def test_every_route_is_in_the_matrix():
    missing = [
        name
        for name, (_, p) in page_routes().items()
        if not name.startswith("api:") or name in ("api:openapi-json", "api:openapi-view")
        if name not in PAGES and not _is_allauth(p)
    ]
    # API routes are checked per operation below.
    missing += [op for op in api_operations() if op not in API]
    assert missing == [], f"routes missing from the permission matrix: {missing}"


def _pending_registration(world):  # type: ignore[no-untyped-def]
    from markbook.accounts.registration import registration_request_create
    from markbook.core.tenancy import school_scope

    with school_scope(world.a):
        return registration_request_create(
            school=world.a,
            role="pupil",
            email="new.pupil@oakfield.sch.uk",
            first_name="New",
            last_name="Pupil",
            year_group="7",
            parental_consent=True,
        )


def _kwargs(world, pattern: str) -> dict:  # type: ignore[no-untyped-def]
    values = {
        "school_id": world.a.pk,
        "trust_id": world.a.trust_id,
        "pupil_id": world.amy.pk,
        "class_id": world.class_7a.pk,
        "user_id": world.teacher.pk,
        "signin_slug": world.a.signin_slug,
        "provider_id": "google",
        "token": "not-a-token",
    }
    if "<int:request_id>" in pattern or "{request_id}" in pattern:
        values["request_id"] = _pending_registration(world).pk
    names = re.findall(r"<(?:\w+:)?(\w+)>|\{(\w+)\}", pattern)
    if ("job_id", "") in names or ("", "job_id") in names:
        values["job_id"] = _import_job(
            world, stalled=pattern.rstrip("/").endswith(("retry", "cancel"))
        )
    return {a or b: values[a or b] for a, b in names}


def _import_job(world, stalled: bool = False) -> int:  # type: ignore[no-untyped-def]
    """A finished import job of School A (no upload, no task), or, for retry and
    cancel, a stalled one with its upload kept."""
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import ImportJob
    from tests.factories import stalled_import_job

    if stalled:
        return stalled_import_job(world.a, actor=world.admin).pk
    with school_scope(world.a):
        job = ImportJob.objects.create(
            school=world.a, kind="mis", status="done", filename="mis.csv", created_by=world.admin
        )
    return job.pk


def _upload(world, kind: str):  # type: ignore[no-untyped-def]
    """A valid file for an import operation: an MIS CSV, or School A's own OneRoster export."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from markbook.core.tenancy import school_scope
    from markbook.rosters.oneroster.export import oneroster_export

    if kind == "mis":
        return SimpleUploadedFile(
            "mis.csv", b"Surname,Forename,Admission No,Year\nEvans,Eve,A1,7\n"
        )
    with school_scope(world.a):
        data = oneroster_export(actor=world.admin, school=world.a)
    return SimpleUploadedFile("oneroster.zip", data, content_type="application/zip")


def _page_cases():  # type: ignore[no-untyped-def]
    for name, route in PAGES.items():
        if isinstance(route, Route):
            for role in ROLES:
                yield pytest.param(name, role, id=f"{name}-{role}")


@pytest.mark.parametrize(("name", "role"), list(_page_cases()))
def test_page_answers_each_role_as_the_matrix_says(client_for, world, name, role):
    from django.urls import reverse

    route = PAGES[name]
    assert isinstance(route, Route)
    pattern, _ = page_routes()[name]
    url = reverse(name, kwargs=_kwargs(world, pattern))
    response = getattr(client_for(role), route.method)(url, route.data)
    assert response.status_code == route.expect[role], f"{route.method.upper()} {url} as {role}"


@pytest.mark.parametrize("role", ROLES)
def test_allauth_routes_never_fail(client_for, world, role):
    client = client_for(role)
    for _name, (pattern, p) in page_routes().items():
        if not _is_allauth(p) or "(?P<" in pattern:
            continue
        url = "/" + pattern
        assert client.get(url).status_code < 500, url


def _api_cases():  # type: ignore[no-untyped-def]
    for op in API:
        for role in ROLES:
            yield pytest.param(op, role, id=f"{op}-{role}")


@pytest.mark.parametrize(("op", "role"), list(_api_cases()))
def test_api_answers_each_role_as_the_matrix_says(client_for, world, op, role):
    import json

    method, path = op.split(" ", 1)
    route = API[op]
    values = _kwargs(world, path.replace("{token_id}", ""))
    if "{token_id}" in path:
        from markbook.accounts.services import api_token_create

        values["token_id"] = api_token_create(user=world.admin, name="matrix")[0].pk
    url = path.format(**values)
    client = client_for(role)
    kwargs = {}
    if route.upload:
        kwargs = {"data": {"file": _upload(world, route.upload)}}
    elif method in ("POST", "PUT", "PATCH"):
        kwargs = {"data": json.dumps(route.data), "content_type": "application/json"}
    response = getattr(client, method.lower())(url, **kwargs)
    assert response.status_code == route.expect[role], f"{op} as {role}: {response.content[:200]!r}"
