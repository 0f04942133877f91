"""API identity, personal tokens, session and token authentication, the error schema
and the OpenAPI declarations (ACC-2, SEC-1, TEN-4)."""

import pytest
from django.test import Client

from markbook.accounts.models import ApiToken, token_digest
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools
from markbook.schools.models import School
from tests.conftest import World


def platform_actions(action: str) -> list[AuditEvent]:
    with all_schools():
        return list(AuditEvent.objects.filter(school__isnull=True, action=action).order_by("seq"))


# --- /api/me ------------------------------------------------------------------


def test_me_names_the_user_their_schools_and_roles(api_as, world: World):
    body = api_as("admin").get("/api/me").json()
    assert body["id"] == world.admin.pk and body["email"] == "admin@oakfield.sch.uk"
    assert body["schools"] == [
        {"id": world.a.pk, "name": "Oakfield Academy", "roles": ["school_admin"]}
    ]
    assert body["trusts"] == []


def test_me_for_a_trust_admin_lists_the_trust_and_its_schools(api_as, world: World):
    body = api_as("trust_admin").get("/api/me").json()
    assert body["trusts"] == [{"id": world.a.trust_id, "name": "Oak Learning Trust"}]
    assert body["schools"] == [
        {"id": world.a.pk, "name": "Oakfield Academy", "roles": ["trust_admin"]}
    ]


def test_me_for_platform_staff_has_no_schools(api_as, world: World):
    body = api_as("platform_staff").get("/api/me").json()
    assert body["is_platform_staff"] is True and body["schools"] == []


def test_me_anonymous_is_401_with_the_error_schema(api_as, world: World):
    response = api_as("anonymous").get("/api/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required."}


# --- tokens -------------------------------------------------------------------


def test_token_is_created_shown_once_and_stored_only_as_a_digest(api_as, world: World):
    api = api_as("teacher")
    response = api.post("/api/me/tokens", {"name": "Marking laptop"})
    assert response.status_code == 201
    body = response.json()
    secret = body["token"]
    assert secret.startswith("mb_") and body["prefix"] == secret[:8]
    token = ApiToken.objects.get(pk=body["id"])
    assert token.digest == token_digest(secret) and secret not in str(token.__dict__)
    listed = api.get("/api/me/tokens").json()
    assert [t["name"] for t in listed] == ["Marking laptop"]
    assert "token" not in listed[0] and secret not in api.get("/api/me/tokens").content.decode()
    [event] = platform_actions("accounts.api_token.created")
    assert event.actor_id == world.teacher.pk and secret not in str(event.data)


def test_token_authenticates_api_calls_as_its_user(bearer, world: World):
    api = bearer("teacher")
    response = api.get(api.school("/pupils"))
    assert response.status_code == 200
    assert sorted(p["username"] for p in response.json()["items"]) == ["amy.adams", "ben.brown"]
    assert api.get("/api/me").json()["id"] == world.teacher.pk
    api.token.refresh_from_db()
    assert api.token.last_used_at is not None


def test_token_use_is_written_once_a_minute_not_on_every_request(bearer, world: World):
    """The profile shows the last use to the minute; each request does not write it."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = bearer("teacher")
    api.get("/api/me")
    api.token.refresh_from_db()
    first = api.token.last_used_at
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/me").status_code == 200
    assert not [q for q in queries if q["sql"].startswith('UPDATE "accounts_apitoken"')]
    api.token.refresh_from_db()
    assert api.token.last_used_at == first
    ApiToken.objects.filter(pk=api.token.pk).update(last_used_at=first - timedelta(minutes=2))
    api.get("/api/me")
    api.token.refresh_from_db()
    assert api.token.last_used_at > first


def test_token_of_another_school_still_gets_404(bearer, world: World):
    api = bearer("other_admin")
    assert api.get(api.school("/pupils")).status_code == 404


def test_revoked_token_gets_401(api_as, bearer, world: World):
    api = bearer("admin")
    assert api.get("/api/me").status_code == 200
    session = api_as("admin")
    assert session.delete(f"/api/me/tokens/{api.token.pk}").status_code == 204
    response = api.get(api.school("/pupils"))
    assert response.status_code == 401
    assert api.get("/api/me").status_code == 401
    [event] = platform_actions("accounts.api_token.revoked")
    assert event.actor_id == world.admin.pk
    assert session.get("/api/me/tokens").json()[0]["revoked_at"] is not None


def test_unknown_token_gets_401(world: World):
    client = Client(HTTP_AUTHORIZATION="Bearer mb_not-a-real-token")
    assert client.get("/api/me").status_code == 401
    assert client.get(f"/api/schools/{world.a.pk}/pupils").status_code == 401


def test_token_of_a_deactivated_user_gets_401(bearer, world: World):
    api = bearer("teacher")
    world.teacher.is_active = False
    world.teacher.save(update_fields=["is_active"])
    assert api.get("/api/me").status_code == 401


def test_someone_elses_token_cannot_be_revoked(api_as, bearer, world: World):
    admins = bearer("admin")
    response = api_as("teacher").delete(f"/api/me/tokens/{admins.token.pk}")
    assert response.status_code == 404
    assert admins.get("/api/me").status_code == 200


def test_a_token_cannot_create_more_tokens(bearer, world: World):
    api = bearer("admin")
    response = api.post("/api/me/tokens", {"name": "Another"})
    assert response.status_code == 403
    assert ApiToken.objects.filter(user=world.admin).count() == 1


def test_blank_token_name_is_422_naming_the_field(api_as, world: World):
    response = api_as("admin").post("/api/me/tokens", {"name": "   "})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["name"]
    response = api_as("admin").post("/api/me/tokens", {})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["name"]


def test_tokens_of_a_suspended_school_stop_working_on_its_data(bearer, world: World):
    """TEN-1: a suspended subscription leaves only its administrators in."""
    api = bearer("teacher")
    with all_schools():
        School.objects.filter(pk=world.a.pk).update(status=School.Status.SUSPENDED)
    response = api.get(api.school("/classes"))
    assert response.status_code == 403
    assert "suspended" in response.json()["detail"]
    assert bearer("admin").get(api.school("/pupils")).status_code == 200


# --- session authentication and CSRF ----------------------------------------------


def test_session_auth_requires_csrf_on_unsafe_methods(world: World):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    url = f"/api/schools/{world.a.pk}/classes"
    assert client.get(url).status_code == 200  # safe methods need no token
    refused = client.post(url, {"name": "8C"}, content_type="application/json")
    assert refused.status_code == 403
    client.get("/me/")  # the profile page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        url, {"name": "8C"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 201, accepted.content


def test_token_auth_needs_no_csrf_token(bearer, world: World):
    api = bearer("admin")
    api.client.enforce_csrf_checks = True
    response = api.post(api.school("/classes"), {"name": "8C"})
    assert response.status_code == 201, response.content


def test_user_with_a_temporary_password_must_change_it_first(api_as, world: World):
    world.admin.must_change_password = True
    world.admin.save(update_fields=["must_change_password"])
    api = api_as("admin")
    response = api.get(api.school("/pupils"))
    assert response.status_code == 403


# --- errors and the OpenAPI document ------------------------------------------------


def test_unparseable_body_is_422_with_the_error_schema(api_as, world: World):
    api = api_as("admin")
    response = api.client.post(api.school("/classes"), "{not json", content_type="application/json")
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "errors"}
    assert list(response.json()["errors"]) == ["body"]


def test_wrong_type_is_422_naming_the_field(api_as, world: World):
    api = api_as("admin")
    response = api.patch(api.school(f"/pupils/{world.amy.pk}"), {"ks2_maths": "lots"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["ks2_maths"]
    response = api.get(api.school("/pupils"), offset=-1)
    assert response.status_code == 422 and list(response.json()["errors"]) == ["offset"]


def test_nul_characters_are_422_not_a_database_error(api_as, world: World):
    api = api_as("admin")
    response = api.post(api.school("/classes"), {"name": "8C\x00"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["name"]
    response = api.get(api.school("/pupils"), q="a\x00")
    assert response.status_code == 422 and list(response.json()["errors"]) == ["q"]


def test_every_operation_declares_401_403_404_and_422(api_as, world: World):
    schema = api_as("anonymous").get("/api/openapi.json").json()
    operations = [
        (path, method, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 20
    for path, method, op in operations:
        codes = set(op["responses"])
        assert {"401", "403", "404", "422"} <= codes, (method, path)
        for code in ("401", "403", "404", "422"):
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorOut"), (method, path, code)


def test_openapi_declares_token_and_session_auth(api_as, world: World):
    schemes = api_as("anonymous").get("/api/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_token_page_listing_uses_own_tokens_only(api_as, bearer, world: World, role: str):
    bearer("colleague")
    assert api_as(role).get("/api/me/tokens").json() == []
