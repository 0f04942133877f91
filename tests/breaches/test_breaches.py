"""The breach register (SEC-3): when detected, what data and which schools, the
72-hour clock, notification of the affected schools (email and a notice on the
school's page), notices to data subjects where the risk is high; each school sees only
the breaches that affect it."""

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from markbook.audit.models import AuditEvent
from markbook.breaches import notices, selectors, services
from markbook.breaches.models import Breach, BreachSchool
from markbook.core.tenancy import all_schools, school_scope

pytestmark = pytest.mark.django_db


def _breach(world: Any, **kwargs: Any) -> Breach:
    values: dict[str, Any] = {
        "title": "Marks emailed to the wrong school",
        "detected_at": timezone.now() - dt.timedelta(hours=2),
        "description": "A class's marks were sent to another school's administrator.",
        "data_categories": ["identity", "education record"],
        "people_affected": 30,
        "risk": Breach.Risk.HIGH,
        "consequences": "Another school's staff saw pupils' names and marks.",
        "containment": "The email was recalled and deleted by the recipient.",
        "advice": "No action is needed; tell us if you are contacted about it.",
    }
    values.update(kwargs)
    return services.breach_record(actor=world.platform_staff, **values)


def test_recording_validates_and_names_what_is_wrong(world):
    with pytest.raises(ValidationError) as raised:
        services.breach_record(
            actor=world.platform_staff,
            title=" ",
            detected_at=timezone.now() + dt.timedelta(days=1),
            description="x",
            data_categories=["shoe sizes"],
        )
    errors = raised.value.message_dict
    assert set(errors) == {"title", "detected_at", "data_categories"}
    assert "shoe sizes" in errors["data_categories"][0]
    assert not Breach.objects.exists()


def test_references_count_up_and_the_platform_chain_records_it(world):
    first, second = _breach(world), _breach(world, title="Second")
    year = timezone.now().year
    assert (first.reference, second.reference) == (f"BR-{year}-0001", f"BR-{year}-0002")
    with all_schools():
        assert (
            AuditEvent.objects.filter(
                school__isnull=True, action="breaches.breach.recorded"
            ).count()
            == 2
        )


def test_the_clock_runs_72_hours_from_detection(world):
    breach = _breach(world, detected_at=timezone.now() - dt.timedelta(hours=10))
    assert selectors.clock(breach).state == "running"
    assert selectors.clock(breach).due_at == breach.detected_at + dt.timedelta(hours=72)
    late = breach.detected_at + dt.timedelta(hours=60)
    assert selectors.clock(breach, late).state == "due_soon"
    assert selectors.clock(breach, breach.detected_at + dt.timedelta(hours=73)).state == "overdue"
    services.breach_report(
        actor=world.platform_staff, breach=breach, reported_at=timezone.now(), reference="ICO-1"
    )
    assert selectors.clock(breach, late).state == "reported"


def test_report_needs_a_time_or_a_reason_and_not_both(world):
    breach = _breach(world)
    with pytest.raises(ValidationError):
        services.breach_report(actor=world.platform_staff, breach=breach)
    with pytest.raises(ValidationError):
        services.breach_report(
            actor=world.platform_staff,
            breach=breach,
            reported_at=timezone.now(),
            not_reported_reason="Low risk",
        )
    services.breach_report(
        actor=world.platform_staff, breach=breach, not_reported_reason="Encrypted laptop lost"
    )
    assert selectors.clock(breach).state == "not_reportable"


def test_naming_a_school_tells_its_admins_once_and_only_that_school_sees_it(world, client):
    breach = _breach(world)
    mail.outbox.clear()
    link = services.breach_school_add(
        actor=world.platform_staff, breach=breach, school=world.a, people_affected=12
    )
    assert link.told_admins == 1 and link.notified_at is not None
    assert mail.outbox[0].to == ["admin@oakfield.sch.uk"]
    assert breach.reference in mail.outbox[0].subject
    # Named again: the count changes, nobody is told twice.
    services.breach_school_add(
        actor=world.platform_staff, breach=breach, school=world.a, people_affected=15
    )
    assert len(mail.outbox) == 1
    with school_scope(world.a):
        assert BreachSchool.objects.get().people_affected == 15
        assert AuditEvent.objects.filter(action="breaches.school.notified").count() == 1
    with school_scope(world.b):
        assert not BreachSchool.objects.exists()
    client.force_login(world.admin)
    home = client.get(reverse("schools:home", kwargs={"school_id": world.a.pk}))
    assert "A data breach affects the school" in home.content.decode()
    client.force_login(world.other_admin)
    other = client.get(reverse("schools:home", kwargs={"school_id": world.b.pk}))
    assert "A data breach affects the school" not in other.content.decode()
    listed = client.get(reverse("school_breaches:list", kwargs={"school_id": world.b.pk}))
    assert breach.reference not in listed.content.decode()
    detail = reverse(
        "school_breaches:detail", kwargs={"school_id": world.b.pk, "breach_id": breach.pk}
    )
    assert client.get(detail).status_code == 404


def test_the_estimate_is_never_below_what_the_schools_count(world):
    """SEC-3: the people the schools named count raise the breach's estimate (in the
    platform's log), a school's changed count is in that school's log, and the estimate
    cannot be lowered below the schools' counts together."""
    breach = _breach(world, people_affected=0)
    services.breach_school_add(
        actor=world.platform_staff, breach=breach, school=world.a, people_affected=28
    )
    services.breach_school_add(
        actor=world.platform_staff, breach=breach, school=world.b, people_affected=4
    )
    breach.refresh_from_db()
    assert breach.people_affected == 32
    services.breach_school_add(
        actor=world.platform_staff, breach=breach, school=world.a, people_affected=30
    )
    breach.refresh_from_db()
    assert breach.people_affected == 34
    with school_scope(world.a):
        changed = AuditEvent.objects.get(action="breaches.school.count_changed")
        assert changed.data["people"] == {"old": 28, "new": 30}
    with all_schools():
        raised = AuditEvent.objects.filter(school=None, action="breaches.breach.changed")
        assert [e.data["fields"] for e in raised] == [["people_affected"]] * 3
    with pytest.raises(ValidationError, match="At least 34"):
        services.breach_change(actor=world.platform_staff, breach=breach, people_affected=20)
    # A larger estimate (people not yet counted at a school) stands.
    assert services.breach_change(
        actor=world.platform_staff, breach=breach, people_affected=50
    ) == ["people_affected"]
    services.breach_school_add(
        actor=world.platform_staff, breach=breach, school=world.b, people_affected=5
    )
    breach.refresh_from_db()
    assert breach.people_affected == 50


def test_the_notice_names_the_schools_data_protection_leads(world):
    """SEC-3 (UK GDPR article 34): the notice gives the contact details of the school's
    data protection leads; a school with none says how to reach them."""
    from markbook.accounts.models import Membership
    from tests import factories as f

    breach = _breach(world)
    services.breach_school_add(actor=world.platform_staff, breach=breach, school=world.a)
    with school_scope(world.a):
        link = BreachSchool.objects.select_related("school").get()
        before = "\n".join(notices.subject_notice(link).paragraphs)
        assert "data protection lead at Oakfield Academy (the school office" in before
        lead = f.UserFactory(first_name="Dana", last_name="Protheroe", email="dpo@oak.sch.uk")
        Membership.objects.create(school=world.a, user=lead, role=Membership.Role.DPO)
        after = "\n".join(notices.subject_notice(link).paragraphs)
    assert (
        "please contact Dana Protheroe (dpo@oak.sch.uk), the data protection lead at "
        "Oakfield Academy." in after
    )


def test_staff_are_told_what_a_high_risk_notice_cannot_say_yet(world, client):
    """SEC-3: the notice must give the likely consequences and what people can do; the
    breach's page tells platform staff which of them are still blank."""
    breach = _breach(world, consequences="", advice="")
    client.force_login(world.platform_staff)
    url = reverse("breaches:detail", kwargs={"breach_id": breach.pk})
    page = client.get(url).content.decode()
    assert (
        "the notice they send cannot yet say: Likely consequences for people; What people" in page
    )
    services.breach_change(
        actor=world.platform_staff, breach=breach, consequences="Names seen.", advice="None."
    )
    assert "the notice they send cannot yet say" not in client.get(url).content.decode()
    low = _breach(world, consequences="", risk=Breach.Risk.RISK)
    low_url = reverse("breaches:detail", kwargs={"breach_id": low.pk})
    assert "the notice they send cannot yet say" not in client.get(low_url).content.decode()


def test_acknowledging_takes_the_notice_off_the_page(world, client):
    breach = _breach(world)
    services.breach_school_add(actor=world.platform_staff, breach=breach, school=world.a)
    client.force_login(world.admin)
    url = reverse(
        "school_breaches:acknowledge", kwargs={"school_id": world.a.pk, "breach_id": breach.pk}
    )
    assert client.post(url).status_code == 302
    home = client.get(reverse("schools:home", kwargs={"school_id": world.a.pk}))
    assert "A data breach affects the school" not in home.content.decode()
    with school_scope(world.a):
        assert BreachSchool.objects.get().acknowledged_by == world.admin


def test_a_high_risk_breach_generates_the_notice_for_the_people_affected(world, client):
    breach = _breach(world)
    services.breach_school_add(actor=world.platform_staff, breach=breach, school=world.a)
    with school_scope(world.a):
        notice = notices.subject_notice(BreachSchool.objects.select_related("school").get())
    text = "\n".join(notice.paragraphs)
    assert notices.needed(breach)
    for part in ("Oakfield Academy", breach.description, breach.containment, breach.advice):
        assert part in text
    assert "marks, grades and other school records" in text
    assert "Information Commissioner" in text
    client.force_login(world.admin)
    page = client.get(
        reverse("school_breaches:notice", kwargs={"school_id": world.a.pk, "breach_id": breach.pk})
    )
    assert breach.advice in page.content.decode()
    low = _breach(world, risk=Breach.Risk.UNLIKELY)
    assert not notices.needed(low)


def test_staff_are_warned_once_when_the_report_is_nearly_due(world):
    fresh = _breach(world, detected_at=timezone.now() - dt.timedelta(hours=1))
    old = _breach(world, detected_at=timezone.now() - dt.timedelta(hours=50))
    settled = _breach(world, detected_at=timezone.now() - dt.timedelta(hours=70))
    services.breach_report(actor=world.platform_staff, breach=settled, reported_at=timezone.now())
    mail.outbox.clear()
    assert services.breaches_warn() == 1
    assert mail.outbox[0].to == ["support@markbook.example"]
    assert old.reference in mail.outbox[0].subject
    assert services.breaches_warn() == 0
    fresh.refresh_from_db()
    assert fresh.warned_at is None


def test_a_change_saved_unchanged_writes_nothing(world):
    breach = _breach(world)
    with all_schools():
        before = AuditEvent.objects.count()
    assert (
        services.breach_change(actor=world.platform_staff, breach=breach, title=breach.title) == []
    )
    changed = services.breach_change(
        actor=world.platform_staff, breach=breach, state="contained", title=breach.title
    )
    assert changed == ["state"]
    with all_schools():
        assert AuditEvent.objects.count() == before + 1


def test_platform_pages_record_a_breach_and_name_a_school(world, client):
    client.force_login(world.platform_staff)
    response = client.post(
        reverse("breaches:register"),
        {
            "title": "Laptop stolen",
            "detected_at": (timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "description": "An engineer's laptop was stolen.",
            "data_categories": ["identity"],
            "people_affected": "3",
            "risk": "risk",
        },
    )
    breach = Breach.objects.get()
    assert response.status_code == 302
    detail = client.get(reverse("breaches:detail", kwargs={"breach_id": breach.pk}))
    assert "hours left to report" in detail.content.decode()
    client.post(
        reverse("breaches:school_add", kwargs={"breach_id": breach.pk}),
        {"school": world.b.pk, "people_affected": "3"},
    )
    with school_scope(world.b):
        assert BreachSchool.objects.filter(breach=breach).exists()


def test_the_api_keeps_the_register(world, client):
    client.force_login(world.platform_staff)
    created = client.post(
        "/api/breaches",
        {
            "title": "Backup exposed",
            "detected_at": timezone.now().isoformat(),
            "description": "A backup was readable.",
            "data_categories": ["identity"],
            "risk": "high",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    breach_id = created.json()["id"]
    named = client.post(
        f"/api/breaches/{breach_id}/schools",
        {"school_id": world.a.pk, "people_affected": 4},
        content_type="application/json",
    )
    assert named.json()["schools"][0]["people_affected"] == 4
    bad = client.post(
        f"/api/breaches/{breach_id}/schools", {"school_id": 999999}, content_type="application/json"
    )
    assert bad.status_code == 422 and "school_id" in bad.json()["errors"]
    client.force_login(world.admin)
    mine = client.get(f"/api/schools/{world.a.pk}/breaches").json()
    assert [row["breach"]["id"] for row in mine] == [breach_id]
    notice = client.get(f"/api/schools/{world.a.pk}/breaches/{breach_id}/notice").json()
    assert notice["needed"] is True
    assert client.get("/api/breaches").status_code == 404


def test_the_api_refuses_to_empty_a_field_that_needs_a_value(world, client):
    """A PATCH sending null for the title or the data involved is refused naming them,
    and nothing changes; only when it happened may be cleared (SEC-3)."""
    client.force_login(world.platform_staff)
    created = client.post(
        "/api/breaches",
        {"title": "Lost laptop", "detected_at": timezone.now().isoformat(), "description": "x"},
        content_type="application/json",
    ).json()
    url = f"/api/breaches/{created['id']}"
    refused = client.patch(
        url, {"title": None, "data_categories": None}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"title", "data_categories"}
    assert client.get(url).json()["title"] == "Lost laptop"
    cleared = client.patch(url, {"occurred_at": None}, content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["occurred_at"] is None
