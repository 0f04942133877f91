"""Display preferences (ACC-7): remembered on the account, respected on every page, kept
for signed-out pages in the preference cookie the privacy notice lists (SEC-6); set from
the account page (htmx) and the API."""

import json
import re

from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from markbook.accounts.context_processors import display
from markbook.accounts.preferences import DisplayPreferences
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools
from markbook.privacy.cookies import cookies
from tests.conftest import World

DISPLAY = "/me/display/"
LARGE_CONTRAST = {"text_size": "large", "high_contrast": "on"}


def _html_tag(response) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


def test_saved_preferences_are_applied_on_every_page(client_for, world: World):
    client = client_for("teacher")
    response = client.post(DISPLAY, LARGE_CONTRAST)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    world.teacher.refresh_from_db()
    assert world.teacher.display_preferences["text_size"] == "large"
    for url in (reverse("schools:home", kwargs={"school_id": world.a.pk}), "/me/", "/privacy/"):
        assert _html_tag(client.get(url)) == (
            '<html lang="en-GB" data-text-size="large" data-contrast="high">'
        ), url
    # Another person's pages are untouched.
    assert _html_tag(client_for("admin").get("/me/")) == '<html lang="en-GB">'


def test_the_four_settings_each_set_their_attribute(client_for, world: World):
    client = client_for("admin")
    client.post(
        DISPLAY,
        {
            "text_size": "larger",
            "dyslexia_font": "on",
            "high_contrast": "on",
            "reduced_motion": "on",
        },
    )
    assert _html_tag(client.get("/me/")) == (
        '<html lang="en-GB" data-text-size="larger" data-font="dyslexic" data-contrast="high" '
        'data-motion="reduce">'
    )
    client.post(DISPLAY, {"text_size": "normal"})
    assert _html_tag(client.get("/me/")) == '<html lang="en-GB">'


def test_a_change_is_audited_by_name_on_the_platform_chain(client_for, world: World):
    client_for("teacher").post(DISPLAY, LARGE_CONTRAST)
    client_for("teacher").post(DISPLAY, LARGE_CONTRAST)  # the same again: nothing to record
    with all_schools():
        events = list(
            AuditEvent.objects.filter(action="accounts.display_preferences.changed").values_list(
                "school_id", "actor_id", "data"
            )
        )
    assert events == [(None, world.teacher.pk, {"changed": ["high_contrast", "text_size"]})]


def test_under_htmx_the_form_answers_in_place_and_tells_the_page(client_for, world: World):
    response = client_for("teacher").post(DISPLAY, LARGE_CONTRAST, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<form method="post" action="/me/display/"')
    assert "Your display preferences are saved." in body and "<html" not in body
    assert json.loads(response["HX-Trigger"]) == {
        "markbook:display": {
            "data-text-size": "large",
            "data-font": "",
            "data-contrast": "high",
            "data-motion": "",
        }
    }


def test_signed_out_pages_follow_the_preference_cookie(client_for, world: World):
    response = client_for("teacher").post(DISPLAY, LARGE_CONTRAST)
    cookie = response.cookies[settings.MARKBOOK_DISPLAY_COOKIE]
    assert cookie.value == "text-large,high-contrast"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    anonymous = Client()
    anonymous.cookies[settings.MARKBOOK_DISPLAY_COOKIE] = cookie.value
    assert _html_tag(anonymous.get("/accounts/login/")) == (
        '<html lang="en-GB" data-text-size="large" data-contrast="high">'
    )
    anonymous.cookies[settings.MARKBOOK_DISPLAY_COOKIE] = '"><script>,text-huge'
    assert _html_tag(anonymous.get("/accounts/login/")) == '<html lang="en-GB">'


def test_the_account_wins_over_the_cookie_once_signed_in(client_for, world: World):
    client = client_for("teacher")
    client.cookies[settings.MARKBOOK_DISPLAY_COOKIE] = "text-larger,dyslexia-font"
    assert _html_tag(client.get("/me/")) == '<html lang="en-GB">'


def test_reading_preferences_costs_no_query(world: World, django_assert_num_queries):
    world.teacher.display_preferences = {"text_size": "large"}
    request = RequestFactory().get("/")
    request.user = world.teacher
    with django_assert_num_queries(0):
        assert display(request)["display"].text_size == "large"


def test_stored_nonsense_reads_as_the_defaults():
    assert DisplayPreferences.from_data(
        {"text_size": "huge", "high_contrast": "yes", "read_help": ["ok", "Not OK", 3]}
    ) == DisplayPreferences(read_help=("ok",))
    assert DisplayPreferences.from_data(None) == DisplayPreferences()


def test_hidden_help_stays_hidden_until_asked_back(client_for, world: World):
    client = client_for("teacher")
    assert 'id="help-api-tokens"' in client.get("/me/").content.decode()
    response = client.post("/me/help-read/", {"help": "api-tokens"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.content == b""
    page = client.get("/me/").content.decode()
    assert 'id="help-api-tokens"' not in page and "A token lets a script" not in page
    # Saving other preferences keeps it hidden; "show the help again" brings it back.
    client.post(DISPLAY, {"text_size": "large"})
    assert "A token lets a script" not in client.get("/me/").content.decode()
    client.post(DISPLAY, {"text_size": "large", "show_help_again": "on"})
    assert 'id="help-api-tokens"' in client.get("/me/").content.decode()


def test_hiding_unknown_help_is_refused(client_for, world: World):
    response = client_for("teacher").post("/me/help-read/", {"help": "<b>"})
    assert response.status_code == 400
    world.teacher.refresh_from_db()
    assert world.teacher.display_preferences == {}


def test_the_api_reads_and_replaces_my_preferences(client_for, world: World):
    client = client_for("parent")
    assert client.get("/api/me/preferences").json() == {
        "text_size": "normal",
        "dyslexia_font": False,
        "high_contrast": False,
        "reduced_motion": False,
        "read_help": [],
    }
    put = client.put(
        "/api/me/preferences",
        json.dumps({"text_size": "larger", "reduced_motion": True, "read_help": ["api-tokens"]}),
        content_type="application/json",
    )
    assert put.status_code == 200 and put.json()["text_size"] == "larger"
    assert _html_tag(client.get("/me/")) == (
        '<html lang="en-GB" data-text-size="larger" data-motion="reduce">'
    )
    assert "A token lets a script" not in client.get("/me/").content.decode()


def test_the_api_refuses_an_unknown_text_size(client_for, world: World):
    response = client_for("parent").put(
        "/api/me/preferences", json.dumps({"text_size": "huge"}), content_type="application/json"
    )
    assert response.status_code == 422 and "text_size" in response.json()["errors"]
    world.parent.refresh_from_db()
    assert world.parent.display_preferences == {}


def test_every_cookie_markbook_sets_is_in_the_privacy_notice(client_for, world: World):
    """SEC-6: only the session and preference cookies needed, each listed in the notice."""
    client = Client()
    set_names: set[str] = set()
    set_names |= set(client.get("/accounts/login/").cookies)
    response = client.post(
        "/accounts/login/",
        {"login": world.teacher.email, "password": "correct-horse-battery-staple"},
    )
    set_names |= set(response.cookies)
    set_names |= set(client.post(DISPLAY, LARGE_CONTRAST).cookies)  # with a message too
    assert {settings.SESSION_COOKIE_NAME, settings.MARKBOOK_DISPLAY_COOKIE} <= set_names
    listed = {cookie.name for cookie in cookies()}
    assert set_names <= listed
    notice = client.get("/privacy/").content.decode()
    for name in listed:
        assert f"<code>{name}</code>" in notice
