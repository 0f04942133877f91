"""The profile page's API token section (ACC-2, SEC-1): create (secret shown once),
list, revoke; each audited on the platform chain."""

from django.test import Client
from django.urls import reverse

from markbook.accounts.models import ApiToken, token_digest
from markbook.accounts.services import api_token_create
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools
from tests.conftest import World

PROFILE = "/me/"


def test_creating_a_token_shows_the_secret_once(client_for, world: World):
    client = client_for("teacher")
    response = client.post(PROFILE, {"action": "create", "name": "Marking laptop"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=world.teacher)
    secret = response.context["created"]["secret"]
    assert token.digest == token_digest(secret)
    assert secret in response.content.decode()
    again = client.get(PROFILE).content.decode()
    assert secret not in again and "Marking laptop" in again and token.prefix in again
    # The secret works on the API.
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/me").json()["id"] == world.teacher.pk


def test_blank_token_name_shows_an_error_and_creates_nothing(client_for, world: World):
    response = client_for("teacher").post(PROFILE, {"action": "create", "name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.filter(user=world.teacher).exists()


def test_revoking_a_token_stops_it_and_is_audited(client_for, world: World):
    token, secret = api_token_create(user=world.admin, name="Script")
    response = client_for("admin").post(PROFILE, {"action": "revoke", "token": token.pk})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/me").status_code == 401
    with all_schools():
        actions = list(
            AuditEvent.objects.filter(school__isnull=True, target_id=str(token.pk))
            .order_by("seq")
            .values_list("action", "actor_id")
        )
    assert actions == [
        ("accounts.api_token.created", world.admin.pk),
        ("accounts.api_token.revoked", world.admin.pk),
    ]


def test_revoking_someone_elses_token_is_404(client_for, world: World):
    token, _ = api_token_create(user=world.admin, name="Script")
    response = client_for("teacher").post(PROFILE, {"action": "revoke", "token": token.pk})
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_profile_lists_only_your_own_tokens(client_for, world: World):
    api_token_create(user=world.admin, name="Admin's script")
    html = client_for("teacher").get(PROFILE).content.decode()
    assert "Admin&#x27;s script" not in html and "You have no API tokens." in html
