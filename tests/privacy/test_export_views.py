"""Pages and API of subject access exports (DSR-2, DSR-9, SEC-1, TEN-3): the school's
data protection lead starts them; who asked, or the lead, downloads within the window."""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from markbook.accounts.models import Membership
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.privacy.export.services import export_run, export_start
from markbook.privacy.models import ExportArchive

ROLES = ("pupil", "parent", "teacher", "colleague", "admin", "trust_admin", "other_admin")


@pytest.fixture
def dpo(world):  # type: ignore[no-untyped-def]
    """The colleague is School A's data protection lead, beside teaching; School B's
    administrator is School B's."""
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=world.colleague, role="dpo")
    with school_scope(world.b):
        Membership.objects.create(school=world.b, user=world.other_admin, role="dpo")
    return world.colleague


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def _ready(world, by):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        item = export_start(school=world.a, requested_by=by, pupil=world.amy)
        return export_run(item.pk)


def test_only_the_data_protection_lead_sees_the_exports_page(world, client_for, dpo):
    """DSR-2, TEN-3: the lead 200; every other role 404, another school's lead too."""
    url = reverse("school_privacy:exports", kwargs={"school_id": world.a.pk})
    assert _client(dpo).get(url).status_code == 200
    for role in ROLES:
        if role == "colleague":
            continue
        assert client_for(role).get(url).status_code == 404, role


def test_the_leads_home_page_links_to_the_exports(world, client_for, dpo):
    """DSR-2: the lead finds the page from the school's home page; others do not see it."""
    url = reverse("schools:home", kwargs={"school_id": world.a.pk})
    assert b"Copies of people's data" in _client(dpo).get(url).content
    assert b"Copies of people" not in client_for("admin").get(url).content


def test_the_lead_starts_an_export_and_sees_its_progress(world, dpo):
    """DSR-2: starting from the page queues the export and shows its progress page,
    which polls while it is prepared; then offers the download."""
    url = reverse("school_privacy:exports", kwargs={"school_id": world.a.pk})
    client = _client(dpo)
    response = client.post(url, {"pupil": world.amy.pk})
    assert response.status_code == 302
    with school_scope(world.a):
        item = ExportArchive.objects.get()
    assert item.pupil_id == world.amy.pk and item.requested_by_id == dpo.pk
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"hx-get" in page.content and b"Waiting to start" in page.content
    with school_scope(world.a):
        export_run(item.pk)
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert b"Download the copy" in partial.content and b"hx-get" not in partial.content
    assert b"<html" not in partial.content


def test_starting_with_no_one_or_two_people_is_refused(world, dpo):
    """DSR-2: a clear error, nothing started."""
    url = reverse("school_privacy:exports", kwargs={"school_id": world.a.pk})
    client = _client(dpo)
    response = client.post(url, {})
    assert response.status_code == 422 and b"Choose one person" in response.content
    response = client.post(url, {"pupil": world.amy.pk, "person": world.parent.pk})
    assert response.status_code == 422
    response = client.post(url, {"pupil": world.dee.pk})  # School B's pupil
    assert response.status_code == 422
    with school_scope(world.a):
        assert not ExportArchive.objects.exists()


def test_download_by_requester_or_lead_only_and_each_is_logged(world, client_for, dpo):
    """DSR-9, SEC-1: the parent who asked and the lead download; nobody else (404); each
    download in the access log."""
    item = _ready(world, world.parent)
    url = reverse("school_privacy:download", kwargs={"school_id": world.a.pk, "export_id": item.pk})
    for role in ROLES:
        expected = 200 if role in ("parent", "colleague") else 404
        assert client_for(role).get(url).status_code == expected, role
    response = client_for("parent").get(url)
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "summary.html" in names and "manifest.json" in names
    with school_scope(world.a):
        downloads = AuditEvent.objects.filter(action="privacy.export.downloaded")
        assert sorted(downloads.values_list("actor_id", flat=True)) == sorted(
            [world.parent.pk, world.parent.pk, dpo.pk]
        )


def test_after_the_window_the_download_is_gone_with_a_clear_message(world, client_for, dpo):
    """DSR-9: 410 on the page and in the API once the window has ended."""
    item = _ready(world, world.parent)
    with school_scope(world.a):
        ExportArchive.objects.filter(pk=item.pk).update(
            expires_at=item.ready_at - dt.timedelta(seconds=1)
        )
    kwargs = {"school_id": world.a.pk, "export_id": item.pk}
    page = client_for("parent").get(reverse("school_privacy:download", kwargs=kwargs))
    assert page.status_code == 410
    assert b"download window has ended" in page.content
    detail = client_for("parent").get(reverse("school_privacy:export", kwargs=kwargs))
    assert b"No longer available" in detail.content
    api = client_for("parent").get(f"/api/schools/{world.a.pk}/data-exports/{item.pk}/download")
    assert api.status_code == 410 and "window" in api.json()["detail"]


def test_api_start_list_get_and_download(world, client_for, dpo):
    """DSR-2: the API does what the pages do, with the same permissions."""
    base = f"/api/schools/{world.a.pk}/data-exports"
    client = _client(dpo)
    started = client.post(
        base, json.dumps({"user_id": world.parent.pk}), content_type="application/json"
    )
    assert started.status_code == 202, started.content
    body = started.json()
    assert body["state"] == "queued" and body["subject"] == "person"
    refused = client.post(
        base, json.dumps({"pupil_id": world.dee.pk}), content_type="application/json"
    )
    assert refused.status_code == 422
    assert client.get(base).status_code == 200
    assert [e["id"] for e in client.get(base).json()] == [body["id"]]
    with school_scope(world.a):
        export_run(body["id"])
    got = client.get(f"{base}/{body['id']}").json()
    assert got["state"] == "ready" and got["size"] > 0
    assert client.get(f"{base}/{body['id']}/download").status_code == 200
    assert client_for("parent").get(f"{base}/{body['id']}").status_code == 404
    other = _client(world.other_admin)  # School B's lead
    assert other.get(base).status_code == 404
    assert other.get(f"{base}/{body['id']}/download").status_code == 404
