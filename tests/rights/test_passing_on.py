"""Passing a change on to the services on the register, and recording when the school
did (DSR-10); telling the requester their request is done or refused (DSR-6).

Amy's parent consented to Reading Eggs (an approved Year 7 service), so her data went
to it: each outcome page lists it, "Told on <date>" once marked, else a button."""

import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.privacy.services import rectify, restriction_place
from markbook.rights import passing_on, services
from markbook.rights.models import DataRequest, ServiceTold
from tests.factories import consent_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def reading(world):  # type: ignore[no-untyped-def]
    """Reading Eggs, which received Amy's data (her parent consented)."""
    from markbook.consent import services as consent

    service = consent_world(world)["service"]
    with school_scope(world.a):
        consent.consent_decide(actor=world.parent, pupil=world.amy, answer="given", service=service)
    return service


def _request(world, lead, kind="rectification"):  # type: ignore[no-untyped-def]
    """The parent's request about Amy, approved by the lead (by hand for rectification)."""
    with school_scope(world.a):
        r = services.data_request_create(
            actor=world.parent,
            school=world.a,
            kind=kind,
            subject_pupil=world.amy,
            requester_kind="parent",
            requester_user=world.parent,
            channel="own_page",
            details="Her surname is spelt wrongly.",
        )
        services.data_request_check_identity(actor=lead, data_request=r, method="signed_in")
        return services.data_request_approve(actor=lead, data_request=r)


def _done(world, lead):  # type: ignore[no-untyped-def]
    r = _request(world, lead)
    with school_scope(world.a):
        return services.data_request_complete(actor=lead, data_request=r, note="Surname fixed.")


def _told_events(world):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return AuditEvent.objects.filter(action="rights.service.told").count()


def test_a_done_rectification_names_the_services_and_the_lead_marks_one_told(
    world, lead, reading, client
):
    """DSR-10: the request done by hand keeps the services to tell; the lead's list
    shows it waiting, the request page offers "Mark as told"; marking it (htmx) answers
    with the row "Told on", records who and when with one audit event, and the list no
    longer shows it waiting. Marking it again changes nothing."""
    r = _done(world, lead)
    assert r.result["services"] == ["Reading Eggs"] and r.result["service_ids"] == [reading.pk]
    client.force_login(lead)
    queue = client.get(reverse("rights:queue", kwargs={"school_id": world.a.pk})).content.decode()
    assert "services not yet told" in queue
    detail_url = reverse("rights:detail", kwargs={"school_id": world.a.pk, "data_request_id": r.pk})
    page = client.get(detail_url).content.decode()
    assert "Mark as told" in page and "Reading Eggs" in page
    told_url = reverse(
        "rights:told",
        kwargs={"school_id": world.a.pk, "data_request_id": r.pk, "entry_id": reading.pk},
    )
    row = client.post(told_url, {"note": "Emailed their support desk."}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    body = row.content.decode()
    assert "Told on" in body and "Mark as told" not in body and "Emailed their support" in body
    with school_scope(world.a):
        told = ServiceTold.objects.get()
    assert (told.request_id, told.service_id, told.told_by) == (r.pk, reading.pk, lead)
    assert _told_events(world) == 1
    again = client.post(told_url, {"note": "Twice"})
    assert again.status_code == 302
    with school_scope(world.a):
        assert ServiceTold.objects.count() == 1
    assert _told_events(world) == 1
    assert "Told on" in client.get(detail_url).content.decode()
    queue = client.get(reverse("rights:queue", kwargs={"school_id": world.a.pk})).content.decode()
    assert "services not yet told" not in queue


def test_only_a_done_request_that_changed_data_is_passed_on(world, lead, reading):
    """DSR-10: an approved request not yet done, or an access request, is refused with
    nothing written; a change is exactly one of request, restriction, correction."""
    r = _request(world, lead)
    with school_scope(world.a):
        with pytest.raises(ValidationError, match="done request"):
            passing_on.service_told_record(actor=lead, school=world.a, service=reading, request=r)
        with pytest.raises(ValidationError, match="Name one change"):
            passing_on.service_told_record(actor=lead, school=world.a, service=reading)
        assert ServiceTold.objects.count() == 0


def test_the_restriction_page_marks_a_service_told(world, reading, client_for):
    """DSR-10: on the restriction's page an administrator marks Reading Eggs told; the
    page then says when. Another school's administrator gets 404 and nothing is kept."""
    with school_scope(world.a):
        placed = restriction_place(
            school=world.a, subject=world.amy, kind="restriction", reason="Contested", by=None
        )
    page_url = reverse(
        "school_privacy:restriction", kwargs={"school_id": world.a.pk, "restriction_id": placed.pk}
    )
    told_url = reverse(
        "school_privacy:restriction_told",
        kwargs={"school_id": world.a.pk, "restriction_id": placed.pk, "entry_id": reading.pk},
    )
    admin = client_for("admin")
    assert "Mark as told" in admin.get(page_url).content.decode()
    assert client_for("other_admin").post(told_url).status_code == 404
    with school_scope(world.a):
        assert ServiceTold.objects.count() == 0
    assert admin.post(told_url).status_code == 302
    page = admin.get(page_url).content.decode()
    assert "Told on" in page and "Mark as told" not in page
    with school_scope(world.a):
        assert ServiceTold.objects.get().restriction == placed


def test_the_corrections_page_passes_on_the_latest_correction(world, reading, client_for):
    """DSR-10: with no correction there is nothing to mark; after one the service is
    marked told of it; a later correction asks again."""
    url = reverse(
        "school_privacy:pupil_corrections",
        kwargs={"school_id": world.a.pk, "pupil_id": world.amy.pk},
    )
    told_url = reverse(
        "school_privacy:pupil_corrections_told",
        kwargs={"school_id": world.a.pk, "pupil_id": world.amy.pk, "entry_id": reading.pk},
    )
    admin = client_for("admin")
    assert "Mark as told" not in admin.get(url).content.decode()
    admin.post(told_url)
    with school_scope(world.a):
        assert ServiceTold.objects.count() == 0
        rectify(school=world.a, subject=world.amy, field="last_name", new_value="Adamson", by=None)
    assert "Mark as told" in admin.get(url).content.decode()
    assert admin.post(told_url, HTTP_HX_REQUEST="true").status_code == 200
    assert "Told on" in admin.get(url).content.decode()
    with school_scope(world.a):
        rectify(school=world.a, subject=world.amy, field="first_name", new_value="Amelia", by=None)
    assert "Mark as told" in admin.get(url).content.decode()


def test_the_api_lists_and_marks_the_services_of_a_request(world, lead, reading, client):
    """DSR-10: the API lists the request's services with whether each was told, and
    marks one told with a note; another role gets 404."""
    r = _done(world, lead)
    client.force_login(lead)
    base = f"/api/schools/{world.a.pk}/data-requests/{r.pk}/services"
    listed = client.get(base).json()
    assert listed == [
        {
            "service_id": reading.pk,
            "name": "Reading Eggs",
            "told": False,
            "told_at": None,
            "told_by_id": None,
            "note": "",
        }
    ]
    marked = client.post(
        f"{base}/{reading.pk}/told", json.dumps({"note": "Letter"}), content_type="application/json"
    ).json()
    assert (
        marked[0]["told"] and marked[0]["told_by_id"] == lead.pk and marked[0]["note"] == "Letter"
    )


# --- telling the requester (DSR-6) -----------------------------------------------------


def test_the_requester_is_emailed_and_shown_a_notice_when_done(
    world, lead, client_for, django_capture_on_commit_callbacks
):
    """DSR-6: when the request is done the parent's account address gets one email that
    links to the request's page and names no one's data; their home page shows a
    notice until they open the request."""
    r = _request(world, lead)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), school_scope(world.a):
        services.data_request_complete(actor=lead, data_request=r, note="Surname fixed.")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    link = reverse("rights:detail", kwargs={"school_id": world.a.pk, "data_request_id": r.pk})
    assert sent.to == [world.parent.email] and link in sent.body and "is done" in sent.subject
    for name in ("Amy", "Adams", "surname", "Surname"):
        assert name not in sent.body and name not in sent.subject
    parent = client_for("parent")
    home = reverse("schools:home", kwargs={"school_id": world.a.pk})
    assert "Read the answer" in parent.get(home).content.decode()
    assert parent.get(link).status_code == 200
    assert "Read the answer" not in parent.get(home).content.decode()


def test_the_requester_is_emailed_when_refused_and_others_are_not(
    world, django_capture_on_commit_callbacks, lead
):
    """DSR-6: a refusal is emailed to the requester; a request recorded by the school
    with no requester account sends nothing; the lead opening it leaves the notice."""
    with school_scope(world.a):
        own = services.data_request_create(
            actor=world.parent,
            school=world.a,
            kind="access",
            subject_pupil=world.amy,
            requester_kind="parent",
            requester_user=world.parent,
            channel="own_page",
        )
        recorded = services.data_request_create(
            actor=lead,
            school=world.a,
            kind="access",
            subject_pupil=world.amy,
            requester_kind="parent",
            requester_name="A. Parent",
            channel="letter",
        )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), school_scope(world.a):
        services.data_request_refuse(actor=lead, data_request=own, reason="Unfounded")
        services.data_request_refuse(actor=lead, data_request=recorded, reason="Unfounded")
        services.data_request_viewed(actor=lead, data_request=own)
    assert [m.to for m in mail.outbox] == [[world.parent.email]]
    assert "refused" in mail.outbox[0].subject
    with school_scope(world.a):
        assert services.requester_outcomes_unseen(world.parent) == [
            DataRequest.objects.get(pk=own.pk)
        ]


def test_erasing_the_pupil_or_the_member_of_staff_who_told(world, reading):
    """DSR-4, DSR-10: erasing Amy deletes her restriction with its record of who was
    told; erasing the member of staff who told a service of a done request keeps the
    record (the school's evidence), no longer naming them."""
    from markbook.privacy.erasure import erasure_execute, erasure_impact

    with school_scope(world.a):
        placed = restriction_place(
            school=world.a, subject=world.ben, kind="restriction", reason="Contested", by=None
        )
        passing_on.service_told_record(
            actor=world.teacher, school=world.a, service=reading, restriction=placed
        )
        plan = erasure_impact(school=world.a, subject=world.teacher)
        erasure_execute(school=world.a, subject=world.teacher, approved_plan=plan, by=world.admin)
        kept = ServiceTold.objects.get()
        assert kept.restriction_id == placed.pk and kept.told_by is None
        plan = erasure_impact(school=world.a, subject=world.ben)
        assert plan.eligible, plan.refusals
        erasure_execute(school=world.a, subject=world.ben, approved_plan=plan, by=world.admin)
        assert ServiceTold.objects.count() == 0
