"""SEC-4: starting and downloading subject access exports is limited per person
(settings.ACCOUNT_RATE_LIMITS), on the pages and the API alike; the limit reached
answers 429 saying how long to wait, with Retry-After, and starts nothing."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from markbook.accounts.models import Membership
from markbook.core.tenancy import school_scope
from markbook.privacy.export.services import export_run, export_start
from markbook.privacy.models import ExportArchive


@pytest.fixture
def dpo(world):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=world.colleague, role="dpo")
    with school_scope(world.b):
        Membership.objects.create(school=world.b, user=world.other_admin, role="dpo")
    return world.colleague


@pytest.fixture
def limits(settings):  # type: ignore[no-untyped-def]
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "privacy_export_start": "2/h/key",
        "privacy_export_download": "3/h/key",
    }


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def test_the_defaults_are_set():
    from django.conf import settings

    assert settings.ACCOUNT_RATE_LIMITS["privacy_export_start"] == "10/h/key,30/d/key"
    assert settings.ACCOUNT_RATE_LIMITS["privacy_export_download"] == "20/h/key,60/d/key"


def test_starting_too_many_exports_on_the_page_is_refused_saying_how_long(world, dpo, limits):
    url = reverse("school_privacy:exports", kwargs={"school_id": world.a.pk})
    client = _client(dpo)
    assert client.post(url, {"pupil": world.amy.pk}).status_code == 302
    assert client.post(url, {"pupil": world.ben.pk}).status_code == 302
    refused = client.post(url, {"pupil": world.cal.pk})
    assert refused.status_code == 429
    assert b"Too many copies of people&#x27;s data started; try again in 60 minutes." in (
        refused.content
    )
    assert int(refused["Retry-After"]) > 3500
    with school_scope(world.a):
        assert ExportArchive.objects.count() == 2
    # Looking at the page is not limited, and another school's lead has their own limit.
    assert client.get(url).status_code == 200
    other = reverse("school_privacy:exports", kwargs={"school_id": world.b.pk})
    assert _client(world.other_admin).post(other, {"pupil": world.dee.pk}).status_code == 302


def test_the_api_shares_the_limit_and_answers_429_json(world, dpo, limits):
    page = reverse("school_privacy:exports", kwargs={"school_id": world.a.pk})
    client = _client(dpo)
    assert client.post(page, {"pupil": world.amy.pk}).status_code == 302
    api = f"/api/schools/{world.a.pk}/data-exports"
    body = json.dumps({"pupil_id": world.ben.pk})
    assert client.post(api, body, content_type="application/json").status_code == 202
    refused = client.post(
        api, json.dumps({"pupil_id": world.cal.pk}), content_type="application/json"
    )
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many copies of people's data started")
    assert refused["Retry-After"].isdigit()


def test_downloads_are_limited_per_person_on_page_and_api(world, client_for, dpo, limits):
    with school_scope(world.a):
        item = export_run(
            export_start(school=world.a, requested_by=world.parent, pupil=world.amy).pk
        )
    kwargs = {"school_id": world.a.pk, "export_id": item.pk}
    page = reverse("school_privacy:download", kwargs=kwargs)
    api = f"/api/schools/{world.a.pk}/data-exports/{item.pk}/download"
    parent = client_for("parent")
    assert parent.get(page).status_code == 200
    assert parent.get(api).status_code == 200
    assert parent.get(page).status_code == 200
    refused = parent.get(page)
    assert refused.status_code == 429
    assert b"Too many downloads of copies of people&#x27;s data" in refused.content
    assert parent.get(api).status_code == 429
    # The lead's downloads are counted apart from the parent's.
    assert _client(dpo).get(page).status_code == 200


def test_others_still_get_404_not_429(world, client_for, dpo, limits):
    with school_scope(world.a):
        item = export_run(
            export_start(school=world.a, requested_by=world.parent, pupil=world.amy).pk
        )
    page = reverse(
        "school_privacy:download", kwargs={"school_id": world.a.pk, "export_id": item.pk}
    )
    teacher = client_for("teacher")
    assert [teacher.get(page).status_code for _ in range(5)] == [404] * 5


def test_a_daily_limit_says_hours():
    from markbook.accounts.throttle import message

    assert message(20 * 3600, "downloads") == "Too many downloads; try again in 20 hours."
    assert message(59, "downloads") == "Too many downloads; try again in 1 minute."
