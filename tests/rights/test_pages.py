"""The request pages and API for each role (DSR-6, DSR-8, DSR-9, TEN-3): a parent asks
about their child, never someone else's; the lead sees the school's requests with
overdue and near-due first, and acts; others see only their own; bad input is
refused with the field named and nothing changed."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from markbook.core.tenancy import school_scope
from markbook.rights import services
from markbook.rights.models import DataRequest

pytestmark = pytest.mark.django_db


def _url(world, name, **kw):  # type: ignore[no-untyped-def]
    return reverse(f"rights:{name}", kwargs={"school_id": world.a.pk, **kw})


def _api(world, path=""):  # type: ignore[no-untyped-def]
    return f"/api/schools/{world.a.pk}/data-requests{path}"


def _post_json(client, url, body):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_parent_asks_for_their_childs_record_from_their_page(world, client_for):
    """DSR-8: the form offers the parent themself and their linked child; the request
    is recorded with the parent as requester and the child as subject, due in 15
    school days."""
    client = client_for("parent")
    page = client.get(_url(world, "new")).content.decode()
    assert "Amy Adams" in page and "Ben Brown" not in page
    assert "educational record" in page
    response = client.post(
        _url(world, "new"),
        {"subject": f"pupil:{world.amy.pk}", "kind": "educational_record", "details": "Reports"},
    )
    assert response.status_code == 302
    with school_scope(world.a):
        r = DataRequest.objects.get()
        assert (r.subject_pupil, r.requester_user, r.kind) == (
            world.amy,
            world.parent,
            "educational_record",
        )
    assert "Amy Adams" in client.get(response["Location"]).content.decode()


def test_a_parent_cannot_ask_about_a_child_not_theirs(world, client_for):
    """DSR-8, TEN-3: Ben is not the parent's child; Dee is another school's pupil."""
    client = client_for("parent")
    for pupil in (world.ben, world.dee):
        response = client.post(
            _url(world, "new"), {"subject": f"pupil:{pupil.pk}", "kind": "access"}
        )
        assert response.status_code == 404
        response = _post_json(
            client, _api(world), {"kind": "access", "subject": "pupil", "pupil_id": pupil.pk}
        )
        assert response.status_code == 404
    with school_scope(world.a):
        assert DataRequest.objects.count() == 0


def test_a_pupil_cannot_ask_for_the_educational_record(world, client_for):
    """DSR-8: that is a parent's right; the pupil's form does not offer it, and the API
    refuses it naming the field."""
    client = client_for("pupil")
    assert "educational record" not in client.get(_url(world, "new")).content.decode()
    response = _post_json(client, _api(world), {"kind": "educational_record"})
    assert response.status_code == 422
    assert "kind" in response.json()["errors"]


def test_staff_record_a_letter_about_a_pupil_and_not_someone_elsewhere(world, client_for):
    """DSR-8: a teacher records a parent's letter about Amy; a pupil of another school
    is not found (404), nothing written; the teacher sees only what they recorded."""
    client = client_for("teacher")
    response = client.post(
        _url(world, "record"),
        {
            "pupil": world.amy.pk,
            "kind": "rectification",
            "requester_kind": "parent",
            "requester_name": "Mrs Adams",
            "channel": "letter",
            "details": "Her date of birth is wrong",
        },
    )
    assert response.status_code == 302
    response = _post_json(
        client,
        _api(world),
        {"kind": "access", "on_behalf": True, "pupil_id": world.dee.pk, "channel": "email"},
    )
    assert response.status_code == 404
    response = _post_json(
        client,
        _api(world),
        {"kind": "access", "on_behalf": True, "email": "parent2@example.org", "channel": "email"},
    )
    assert response.status_code == 404
    # Cal is in 7B, not the teacher's class (TEN-3): the office or the lead records it.
    response = _post_json(
        client,
        _api(world),
        {"kind": "access", "on_behalf": True, "pupil_id": world.cal.pk, "channel": "email"},
    )
    assert response.status_code == 404
    with school_scope(world.a):
        r = DataRequest.objects.get()
        assert (r.requester_name, r.channel, r.recorded_by) == (
            "Mrs Adams",
            "letter",
            world.teacher,
        )
    listed = client_for("teacher").get(_api(world)).json()
    assert [x["id"] for x in listed] == [r.pk]
    assert client_for("colleague").get(_api(world)).json() == []
    assert client_for("admin").get(_api(world, f"/{r.pk}")).status_code == 404


def test_the_lead_sees_overdue_and_near_due_first(world, client_for, lead):
    """DSR-6: the lead's list puts open requests by due date, overdue first, with days
    left; the dashboard tells the lead; other staff see neither."""
    today = timezone.localdate()
    with school_scope(world.a):
        made = {}
        for name, days_ago in (("later", 1), ("overdue", 40), ("near", 27)):
            made[name] = services.data_request_create(
                actor=world.admin,
                school=world.a,
                kind="access",
                subject_pupil=world.amy,
                requester_kind="self",
                channel="email",
                received_on=today - timedelta(days=days_ago),
            )
    listed = client_for("colleague").get(_api(world)).json()
    assert [x["id"] for x in listed] == [made[n].pk for n in ("overdue", "near", "later")]
    assert listed[0]["overdue"] and listed[1]["near_due"] and not listed[2]["near_due"]
    page = client_for("colleague").get(_url(world, "queue")).content.decode()
    assert page.index("Overdue by") < page.index("due within 7 days") or "1 request overdue" in page
    home = client_for("colleague").get(reverse("schools:home", kwargs={"school_id": world.a.pk}))
    assert "1 overdue, 1 due within 7 days" in home.content.decode()
    teacher_home = client_for("teacher").get(
        reverse("schools:home", kwargs={"school_id": world.a.pk})
    )
    assert "overdue" not in teacher_home.content.decode()


def test_the_lead_checks_identity_approves_and_marks_done_by_hand(world, client_for, lead):
    """DSR-9: through the pages; a kind with no handler says the lead carries it out by
    hand; the history lists each stage with who."""
    with school_scope(world.a):
        r = services.data_request_create(
            actor=world.parent,
            school=world.a,
            kind="rectification",
            subject_pupil=world.amy,
            requester_kind="parent",
            requester_user=world.parent,
            channel="own_page",
        )
    client = client_for("colleague")
    client.post(_url(world, "identity", data_request_id=r.pk), {"method": "signed_in"})
    response = client.post(_url(world, "approve", data_request_id=r.pk), {}, follow=True)
    assert "carries it out by hand" in response.content.decode()
    response = client.post(_url(world, "complete", data_request_id=r.pk), {"note": ""}, follow=True)
    assert "Say what was done" in response.content.decode()
    response = client.post(
        _url(world, "complete", data_request_id=r.pk), {"note": "Photos removed"}, follow=True
    )
    page = response.content.decode()
    assert "Stage: Done" in page and "Photos removed" in page
    detail = client_for("parent").get(_api(world, f"/{r.pk}")).json()
    assert [e["to_stage"] for e in detail["history"]] == [
        "received",
        "identity_checked",
        "approved",
        "done",
    ]


def test_api_refusals_name_the_field_and_change_nothing(world, client_for, lead):
    """DSR-6: an extension without a reason, a second extension, approving a refused
    request: 422 with the field, the request as it was."""
    with school_scope(world.a):
        r = services.data_request_create(
            actor=world.parent,
            school=world.a,
            kind="access",
            subject_pupil=world.amy,
            requester_kind="parent",
            requester_user=world.parent,
            channel="own_page",
        )
    client = client_for("colleague")
    response = _post_json(client, _api(world, f"/{r.pk}/extend"), {"reason": ""})
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    assert (
        _post_json(client, _api(world, f"/{r.pk}/extend"), {"reason": "Many years"}).status_code
        == 200
    )
    response = _post_json(client, _api(world, f"/{r.pk}/extend"), {"reason": "Again"})
    assert response.status_code == 422
    assert "extended once already" in response.json()["errors"]["reason"][0]
    assert (
        _post_json(client, _api(world, f"/{r.pk}/refuse"), {"reason": "Unfounded"}).status_code
        == 200
    )
    response = _post_json(client, _api(world, f"/{r.pk}/approve"), {})
    assert response.status_code == 422
    assert "refused" in response.json()["errors"]["stage"][0]
    body = client.get(_api(world, f"/{r.pk}")).json()
    assert body["stage"] == "refused"
    assert [e["to_stage"] for e in body["history"]] == ["received", "received", "refused"]
    # Another school's users find nothing.
    assert client_for("other_admin").get(_api(world, f"/{r.pk}")).status_code == 404


def test_an_administrator_grants_and_takes_back_the_lead_role(world, client_for):
    """DSR-6: on the page; a parent cannot be made the lead (404, not staff)."""
    client = client_for("admin")
    client.post(_url(world, "leads"), {"user": world.teacher.pk, "action": "grant"})
    assert client_for("teacher").get(_url(world, "queue")).status_code == 200
    assert client.post(_url(world, "leads"), {"user": world.parent.pk}).status_code == 404
    client.post(_url(world, "leads"), {"user": world.teacher.pk, "action": "revoke"})
    assert client_for("teacher").get(_url(world, "queue")).status_code == 404


def test_term_dates_page_enters_englands_pattern(world, client_for):
    """DSR-8: the default pattern, then a closure day added, and bad dates refused."""
    client = client_for("admin")
    client.post(_url(world, "calendar"), {"action": "default"})
    page = client.get(_url(world, "calendar")).content.decode()
    assert "Autumn half term" in page and "Summer term" in page
    response = client.post(
        _url(world, "calendar"),
        {
            "action": "add",
            "kind": "closure",
            "name": "Inset",
            "start": "2026-11-03",
            "end": "2026-11-02",
        },
    )
    assert "cannot be before the first day" in response.content.decode()


def _requests(world, n):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        for pupil in [world.amy, world.ben, world.cal][:n]:
            services.data_request_create(
                actor=world.admin,
                school=world.a,
                kind="access",
                subject_pupil=pupil,
                requester_kind="self",
                channel="email",
            )


def test_the_leads_list_takes_the_same_queries_for_more_requests(world, client_for, lead):
    """DSR-6, TEN-4: the lead's list page and its API read a fixed number of queries
    (no query per request), and the read is in the access log (SEC-1)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from markbook.audit.models import AuditEvent

    client = client_for("colleague")
    counts = []
    for n in (1, 3):
        _requests(world, n if n == 1 else 2)
        for url in (_url(world, "queue"), _api(world)):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
    assert counts[:2] == counts[2:]
    with school_scope(world.a):
        assert AuditEvent.objects.filter(action="rights.requests.listed").count() == 4
