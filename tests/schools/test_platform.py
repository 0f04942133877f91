"""The platform's list of schools (TEN-1, RET-5): platform staff see each school's
subscription, change it for a recorded reason and delete an ended school's data and
key at its request, from the pages and the API; nobody else reaches any of it."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from markbook.audit.models import AuditEvent
from markbook.core import keys
from markbook.core.models import SchoolKey
from markbook.core.tenancy import all_schools, school_scope
from markbook.privacy.services import legal_hold_lift, legal_hold_place
from markbook.rosters.models import Pupil
from markbook.schools.deletion import school_deletion_plan
from markbook.schools.lifecycle import school_status_change
from markbook.schools.models import School
from tests import factories as f

Status = School.Status


def _end(world, school: School | None = None) -> School:  # type: ignore[no-untyped-def]
    return school_status_change(
        actor=world.platform_staff,
        school=school or world.a,
        status=Status.ENDED,
        reason="Not renewed",
        ended_on=timezone.localdate() - timedelta(days=10),
    )


def _status_events(school: School) -> list[AuditEvent]:
    with school_scope(school):
        return list(AuditEvent.objects.filter(action="schools.status.changed").order_by("seq"))


@pytest.fixture
def staff(client, world):  # type: ignore[no-untyped-def]
    client.force_login(world.platform_staff)
    return client


def _detail(school: School) -> str:
    return reverse("platform_schools:detail", kwargs={"platform_school_id": school.pk})


def _deletion(school: School) -> str:
    return reverse("platform_schools:deletion", kwargs={"platform_school_id": school.pk})


# --- the list -------------------------------------------------------------------------


def test_the_list_shows_every_school_with_its_state_and_the_deleted_ones(staff, world):
    _end(world, world.b)
    School.objects.filter(pk=world.b.pk).update(deleted_at=timezone.now())
    page = staff.get(reverse("platform_schools:list")).content.decode()
    assert "Oakfield Academy" in page and "Birchwood Primary" in page
    assert "Deleted" in page and "Oak Learning Trust" in page
    deleted = staff.get(reverse("platform_schools:list") + "?state=deleted").content.decode()
    assert "Birchwood Primary" in deleted and "Oakfield Academy" not in deleted
    active = staff.get(reverse("platform_schools:list") + "?state=active").content.decode()
    assert "Oakfield Academy" in active and "Birchwood Primary" not in active


def test_the_list_reads_in_the_same_queries_however_many_schools(staff, world):
    url = reverse("platform_schools:list")
    staff.get(url)
    with CaptureQueriesContext(connection) as few:
        staff.get(url)
    with all_schools():
        for n in range(5):
            f.SchoolFactory(name=f"School {n}", trust=world.a.trust)
    with CaptureQueriesContext(connection) as many:
        page = staff.get(url).content.decode()
    assert "School 4" in page
    assert len(many) == len(few)


def test_the_dashboard_links_platform_staff_to_the_list(staff):
    assert reverse("platform_schools:list") in staff.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("role", ["admin", "trust_admin", "teacher", "other_admin"])
def test_nobody_but_platform_staff_reaches_the_pages_or_the_api(client_for, world, role):
    client = client_for(role)
    for url in (reverse("platform_schools:list"), _detail(world.a), _deletion(world.a)):
        assert client.get(url).status_code == 404, url
    for url in ("/api/platform/schools", f"/api/platform/schools/{world.a.pk}"):
        assert client.get(url).status_code == 404, url
    assert client.post(_detail(world.a), {"status": "ended", "reason": "x"}).status_code == 404
    world.a.refresh_from_db()
    assert world.a.status == Status.ACTIVE


# --- changing the subscription ------------------------------------------------------


def test_platform_staff_change_the_state_on_the_page_and_the_school_sees_why(staff, world):
    response = staff.post(
        _detail(world.a),
        {"status": "suspended", "subscription_ends": "2027-08-31", "reason": "Invoice unpaid"},
        follow=True,
    )
    assert "is now Suspended" in response.content.decode()
    world.a.refresh_from_db()
    assert world.a.status == Status.SUSPENDED and world.a.subscription_ends == date(2027, 8, 31)
    (event,) = _status_events(world.a)
    assert event.actor_id == world.platform_staff.pk and event.data["reason"] == "Invoice unpaid"
    # The change is listed on the page, newest first.
    assert "Invoice unpaid" in staff.get(_detail(world.a)).content.decode()


def test_the_form_saved_unchanged_changes_nothing(staff, world):
    page = staff.get(_detail(world.a))
    form = page.context["form"]
    unchanged = {name: "" if value is None else str(value) for name, value in form.initial.items()}
    response = staff.post(_detail(world.a), unchanged, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert _status_events(world.a) == []


def test_a_change_without_a_reason_is_refused_and_changes_nothing(staff, world):
    response = staff.post(_detail(world.a), {"status": "ended", "reason": ""})
    assert response.status_code == 200
    assert "Give the reason" in response.content.decode()
    world.a.refresh_from_db()
    assert world.a.status == Status.ACTIVE


def test_only_the_states_reachable_are_offered(staff, world):
    offered = [
        value for value, _ in staff.get(_detail(world.a)).context["form"]["status"].field.choices
    ]
    assert offered == ["active", "suspended", "ended"]
    refused = staff.post(_detail(world.a), {"status": "trial", "reason": "Again"})
    assert "Select a valid choice" in refused.content.decode()


def test_an_ended_school_shows_when_its_data_goes_and_links_to_the_deletion(staff, world):
    _end(world)
    page = staff.get(_detail(world.a)).content.decode()
    due = timezone.localdate() - timedelta(days=10)
    assert f"{due.day} {due:%B} {due.year + 1}" in page
    assert _deletion(world.a) in page


# --- deleting an ended school's data ---------------------------------------------------


def test_the_deletion_page_of_a_school_that_has_not_ended_refuses_and_offers_no_form(staff, world):
    page = staff.get(_deletion(world.a))
    text = page.content.decode()
    assert "It cannot be deleted now." in text and "has not ended" in text
    assert 'id="deletion-form"' not in text


def test_the_deletion_page_says_what_and_how_much_goes_then_deletes_when_confirmed(staff, world):
    _end(world)
    keys.encrypt(world.a.pk, "a secret of the school", "test")  # its key exists
    plan = school_deletion_plan(School.objects.get(pk=world.a.pk))
    page = staff.get(_deletion(world.a))
    text = page.content.decode()
    assert (
        f"{plan.rows} rows of the school's tables, {plan.accounts} accounts" in text
        and "Pupils" in text
    )
    assert page.context["form"].initial["plan"] == plan.fingerprint

    # The wrong name deletes nothing and says what to type.
    wrong = staff.post(
        _deletion(world.a), {"plan": plan.fingerprint, "confirm_name": "Oak", "reason": "Asked"}
    )
    assert "Type the school&#x27;s name, Oakfield Academy, exactly." in wrong.content.decode()
    assert School.objects.filter(pk=world.a.pk).exists()

    done = staff.post(
        _deletion(world.a),
        {
            "plan": plan.fingerprint,
            "confirm_name": "oakfield academy ",
            "reason": "Asked by the head",
        },
        follow=True,
    )
    assert "is deleted" in done.content.decode()
    school = School.records.get(pk=world.a.pk)
    assert school.deleted_at is not None
    with school_scope(school):
        assert not Pupil.objects.exists()
        assert SchoolKey.objects.get().destroyed_at is not None
    with all_schools():
        event = AuditEvent.objects.get(action="schools.school.deleted")
    assert event.actor_id == world.platform_staff.pk and event.data["reason"] == "Asked by the head"
    # The deleted school's page says so and offers no change.
    after = staff.get(_detail(world.a)).content.decode()
    assert "Data deleted" in after and 'id="status-form"' not in after


def test_a_deletion_confirmed_on_an_old_plan_deletes_nothing_and_shows_the_new_one(staff, world):
    _end(world)
    old = school_deletion_plan(School.objects.get(pk=world.a.pk)).fingerprint
    with school_scope(world.a):
        f.PupilFactory(school=world.a, first_name="Late", last_name="Arrival")
    response = staff.post(
        _deletion(world.a),
        {"plan": old, "confirm_name": "Oakfield Academy", "reason": "Asked"},
    )
    text = response.content.decode()
    assert "Nothing was deleted." in text and "changed since" in text
    new = school_deletion_plan(School.objects.get(pk=world.a.pk)).fingerprint
    assert new != old and f'value="{new}"' in text
    assert School.objects.filter(pk=world.a.pk).exists()


# --- the API ----------------------------------------------------------------------------


def test_the_api_lists_reads_and_changes_the_subscription(staff, world):
    listed = staff.get("/api/platform/schools").json()
    assert {s["name"] for s in listed} == {"Oakfield Academy", "Birchwood Primary"}
    assert staff.get("/api/platform/schools?state=ended").json() == []
    bad = staff.get("/api/platform/schools?state=paused")
    assert bad.status_code == 422 and "state" in bad.json()["errors"]

    url = f"/api/platform/schools/{world.a.pk}/status"
    changed = staff.post(
        url, {"status": "ended", "reason": "Not renewed"}, content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["status"] == "ended" and body["ended_on"] == timezone.localdate().isoformat()
    assert body["deletion_due_on"] is not None and body["next_states"] == ["ended", "active"]
    assert body["history"][0]["reason"] == "Not renewed"
    refused = staff.post(url, {"status": "trial", "reason": "x"}, content_type="application/json")
    assert refused.status_code == 422 and "status" in refused.json()["errors"]
    # The same state again, without a reason: nothing changes, nothing is recorded.
    again = staff.post(url, {"status": "ended"}, content_type="application/json")
    assert again.status_code == 200 and len(_status_events(world.a)) == 1


def test_the_api_deletes_exactly_the_plan_read_and_refuses_otherwise(staff, world):
    one = f"/api/platform/schools/{world.a.pk}/deletion"
    refused = staff.get(one).json()
    assert refused["refusals"] and "has not ended" in refused["refusals"][0]
    early = staff.post(
        one, {"plan": refused["plan"], "reason": "x"}, content_type="application/json"
    )
    assert early.status_code == 409 and "Nothing was deleted" in early.json()["detail"]

    _end(world)
    with school_scope(world.a):
        hold = legal_hold_place(
            actor=world.admin, school=world.a, whole_school=True, reason="A claim"
        )
    held = staff.get(one).json()
    assert any("legal hold" in r for r in held["refusals"])
    with school_scope(world.a):
        legal_hold_lift(actor=world.admin, hold=hold, reason="Settled")

    plan = staff.get(one).json()
    assert plan["refusals"] == [] and plan["rows"] == sum(t["rows"] for t in plan["tables"])
    stale = staff.post(one, {"plan": "0" * 16, "reason": "Asked"}, content_type="application/json")
    assert stale.status_code == 409 and "changed since" in stale.json()["detail"]
    assert School.objects.filter(pk=world.a.pk).exists()
    done = staff.post(
        one, {"plan": plan["plan"], "reason": "Asked"}, content_type="application/json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["rows"] >= plan["rows"]
    assert School.records.get(pk=world.a.pk).deleted_at is not None
    read = staff.get(f"/api/platform/schools/{world.a.pk}").json()
    assert read["deleted_at"] is not None and read["next_states"] == [] and read["history"] == []
    assert (
        staff.post(
            one, {"plan": plan["plan"], "reason": "Again"}, content_type="application/json"
        ).status_code
        == 409
    )
