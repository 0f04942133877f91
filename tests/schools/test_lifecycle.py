"""TEN-1 a school's subscription lifecycle: states and their transitions by platform
staff, with a recorded reason; what a suspended or ended subscription lets through;
the deletion date and the reminders before it."""

import json
from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from markbook.accounts.models import Membership
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.privacy.tasks import run_export
from markbook.schools import lifecycle
from markbook.schools.models import School
from tests.factories import PASSWORD

Status = School.Status


def _change(world, status: str, **kwargs):  # type: ignore[no-untyped-def]
    return lifecycle.school_status_change(
        actor=world.platform_staff, school=world.a, status=status, reason="Test", **kwargs
    )


def _end(world, on: date) -> School:  # type: ignore[no-untyped-def]
    school = _change(world, Status.ENDED, ended_on=on)
    world.a.refresh_from_db()
    return school


def _status_events(world) -> int:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return AuditEvent.objects.filter(action="schools.status.changed").count()


# --- states and transitions ---------------------------------------------------------


def test_platform_staff_change_the_state_with_a_reason_recorded_on_the_schools_log(world):
    """TEN-1: the change, its reason and its dates are in the school's own access log."""
    School.objects.filter(pk=world.a.pk).update(status=Status.TRIAL)
    world.a.refresh_from_db()
    school = lifecycle.school_status_change(
        actor=world.platform_staff,
        school=world.a,
        status=Status.ACTIVE,
        reason="Paid for 2026/27",
        subscription_ends=date(2027, 8, 31),
    )
    assert school.status == Status.ACTIVE and school.subscription_ends == date(2027, 8, 31)
    with school_scope(world.a):
        event = AuditEvent.objects.get(action="schools.status.changed")
    assert event.actor_id == world.platform_staff.pk
    assert event.data["old"] == "trial" and event.data["new"] == "active"
    assert event.data["reason"] == "Paid for 2026/27"
    assert event.data["subscription_ends"] == "2027-08-31"


@pytest.mark.parametrize("role", ["admin", "teacher", "trust_admin"])
def test_only_platform_staff_change_the_state(world, role):
    with pytest.raises(ValidationError, match="platform staff"):
        lifecycle.school_status_change(
            actor=world.user(role), school=world.a, status=Status.ACTIVE, reason="Because"
        )
    world.a.refresh_from_db()
    assert world.a.status == Status.ACTIVE


def test_a_change_needs_a_reason(world):
    with pytest.raises(ValidationError, match="reason"):
        lifecycle.school_status_change(
            actor=world.platform_staff, school=world.a, status=Status.SUSPENDED, reason="  "
        )


def test_the_same_state_and_dates_again_change_and_record_nothing(world):
    ends = date(2027, 8, 31)
    lifecycle.school_status_change(
        actor=world.platform_staff,
        school=world.a,
        status=Status.ACTIVE,
        reason="Renewed",
        subscription_ends=ends,
    )
    before = _status_events(world)
    lifecycle.school_status_change(
        actor=world.platform_staff,
        school=world.a,
        status=Status.ACTIVE,
        reason="",
        subscription_ends=ends,
        trial_ends=world.a.trial_ends,
    )
    assert _status_events(world) == before == 1


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((), Status.TRIAL),
        ((Status.ENDED,), Status.SUSPENDED),
        ((Status.SUSPENDED,), Status.TRIAL),
    ],
)
def test_transitions_not_allowed_are_refused_naming_the_allowed_ones(world, path, refused):
    for status in path:
        _change(world, status)
    with pytest.raises(ValidationError, match="can become"):
        _change(world, refused)


def test_every_state_can_be_reached_and_an_ended_school_renewed(world):
    for status in (Status.ACTIVE, Status.SUSPENDED, Status.ACTIVE, Status.ENDED):
        assert _change(world, status).status == status
    renewed = _change(world, Status.ACTIVE)
    assert renewed.ended_on is None and lifecycle.deletion_due_on(renewed) is None


def test_the_data_of_an_ended_school_is_due_for_deletion_a_year_after_it_ended(world):
    assert lifecycle.deletion_due_on(world.a) is None  # an active school
    school = _end(world, date(2026, 3, 15))
    assert lifecycle.deletion_due_on(school) == date(2027, 3, 15)
    leap = School(status=Status.ENDED, ended_on=date(2024, 2, 29))
    assert lifecycle.deletion_due_on(leap) == date(2025, 2, 28)


def test_an_end_date_in_the_future_is_refused(world):
    with pytest.raises(ValidationError, match="future"):
        _change(world, Status.ENDED, ended_on=date(2999, 1, 1))


def test_the_school_status_command_changes_the_state_for_platform_staff(world, capsys):
    call_command(
        "school_status",
        school=world.a.pk,
        status="ended",
        reason="Not renewed",
        by=world.platform_staff.email,
        ended_on="2026-09-01",
    )
    out = capsys.readouterr().out
    assert "is now ended" in out and "2027-09-01" in out
    with pytest.raises(CommandError, match="not a platform staff"):
        call_command(
            "school_status", school=world.a.pk, status="active", reason="x", by=world.admin.email
        )


# --- what the school's administrators see --------------------------------------------


def test_the_settings_page_shows_the_state_and_dates(client_for, world):
    _change(world, Status.ACTIVE, subscription_ends=date(2027, 8, 31))
    page = client_for("admin").get(reverse("schools:settings", args=[world.a.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Subscription" in text and "Active" in text and "31 August 2027" in text


def test_the_settings_page_of_an_ended_school_shows_when_its_data_is_deleted(client_for, world):
    _end(world, date(2026, 1, 10))
    page = client_for("admin").get(reverse("schools:settings", args=[world.a.pk]))
    text = page.content.decode()
    assert "Ended on" in text and "10 January 2026" in text and "10 January 2027" in text


def test_the_settings_api_gives_the_state_and_dates(client_for, world):
    _end(world, date(2026, 1, 10))
    body = client_for("admin").get(f"/api/schools/{world.a.pk}/settings").json()
    assert body["status"] == "ended"
    assert body["ended_on"] == "2026-01-10" and body["deletion_due_on"] == "2027-01-10"


# --- a suspended subscription --------------------------------------------------------


def _staff_sign_in(client, email: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("account_login"), {"login": email, "password": PASSWORD})


def test_a_suspended_subscription_lets_only_administrators_sign_in(client, world):
    """TEN-1: nobody but the school's administrators signs in, with a clear message."""
    _change(world, Status.SUSPENDED)
    refused = _staff_sign_in(client, world.teacher.email)
    assert refused.status_code == 200  # the form again, with the message
    assert "only its administrators can sign in" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert _staff_sign_in(client, world.admin.email).status_code == 302
    assert client.session["_auth_user_id"] == str(world.admin.pk)


def test_a_suspended_subscription_shuts_out_everyone_but_admins_already_signed_in(
    client_for, world
):
    _change(world, Status.SUSPENDED)
    home = reverse("schools:home", args=[world.a.pk])
    for role in ("teacher", "pupil", "parent"):
        page = client_for(role).get(home)
        assert page.status_code == 403
        assert "only its administrators can use Markbook" in page.content.decode()
    assert client_for("admin").get(home).status_code == 200


# --- an ended subscription: read-only for administrators ------------------------------


@pytest.fixture
def ended(world):  # type: ignore[no-untyped-def]
    _end(world, date(2026, 1, 10))
    with school_scope(world.a):  # the admin is also the data protection lead (exports)
        Membership.objects.create(school=world.a, user=world.admin, role=Membership.Role.DPO)
    return world


def test_an_ended_school_is_readable_by_its_administrators(client_for, ended):
    admin = client_for("admin")
    for url in (
        reverse("schools:home", args=[ended.a.pk]),
        reverse("schools:settings", args=[ended.a.pk]),
        reverse("rosters:pupils", args=[ended.a.pk]),
        f"/api/schools/{ended.a.pk}/pupils",
    ):
        assert admin.get(url).status_code == 200, url


def test_an_ended_school_refuses_every_write_on_pages_saying_the_subscription_ended(
    client_for, ended
):
    admin = client_for("admin")
    for url in (
        reverse("schools:settings", args=[ended.a.pk]),
        reverse("rosters:pupil_new", args=[ended.a.pk]),
        reverse("schools:family_settings", args=[ended.a.pk]),
    ):
        response = admin.post(url, {"email_domains": "x.sch.uk", "first_name": "Zed"})
        assert response.status_code == 403, url
        assert "has ended, so nothing can be changed" in response.content.decode()
        assert "10 January 2027" in response.content.decode()
    ended.a.refresh_from_db()
    assert ended.a.email_domains == ["oakfield.sch.uk"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_an_ended_school_refuses_every_write_on_the_api(client_for, ended, method):
    response = getattr(client_for("admin"), method)(
        f"/api/schools/{ended.a.pk}/settings",
        data=json.dumps({"email_domains": ["x.sch.uk"]}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "has ended" in response.json()["detail"]


def test_an_ended_schools_administrators_can_still_export(client_for, ended):
    """TEN-1, DSR-2: exports are the one write left, on the page and the API."""
    admin = client_for("admin")
    page = admin.post(reverse("school_privacy:exports", args=[ended.a.pk]), {"pupil": ended.amy.pk})
    assert page.status_code == 302
    api = admin.post(
        f"/api/schools/{ended.a.pk}/data-exports",
        data=json.dumps({"pupil_id": ended.ben.pk}),
        content_type="application/json",
    )
    assert api.status_code == 202
    export_id = api.json()["id"]
    assert run_export.call(ended.a.pk, export_id) == "ready"  # the worker's part
    download = admin.get(f"/api/schools/{ended.a.pk}/data-exports/{export_id}/download")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"


def test_an_ended_school_can_still_be_suspended_in_an_emergency(client_for, ended):
    """ACC-6: exports still read everything, so an emergency still needs stopping."""
    response = client_for("admin").post(
        reverse("schools:suspension", args=[ended.a.pk]),
        {"action": "suspend", "confirm_name": "Oakfield Academy"},
    )
    assert response.status_code == 200
    assert School.objects.get(pk=ended.a.pk).emergency_suspended_at is not None


@pytest.mark.parametrize("role", ["teacher", "pupil", "parent"])
def test_an_ended_school_shows_everyone_else_a_clear_page(client_for, ended, role):
    page = client_for(role).get(reverse("schools:home", args=[ended.a.pk]))
    assert page.status_code == 403
    assert "has ended, so Markbook is no longer available there" in page.content.decode()
    assert "<h1>" in page.content.decode()  # a page, not a bare error


def test_an_ended_school_lets_only_its_administrators_sign_in(client, ended):
    refused = _staff_sign_in(client, ended.teacher.email)
    assert "nobody but its administrators can sign in" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert _staff_sign_in(client, ended.admin.email).status_code == 302


# --- deletion reminders at 90, 30 and 7 days ----------------------------------------


def _sweep(today: date) -> list[lifecycle.Reminder]:
    return lifecycle.deletion_reminders_send(today=today)


def test_reminders_go_once_each_at_90_30_and_7_days(world, django_capture_on_commit_callbacks):
    """TEN-1: deleted on 10 January 2027; reminders on 12 October, 11 December and 3
    January, each once however often the sweep runs."""
    _end(world, date(2026, 1, 10))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert _sweep(date(2026, 10, 11)) == []  # 91 days before
        for day, days in (
            (date(2026, 10, 12), 90),
            (date(2026, 12, 11), 30),
            (date(2027, 1, 3), 7),
        ):
            sent = _sweep(day)
            assert [(r.days_before, r.deletion_on) for r in sent] == [(days, date(2027, 1, 10))]
            assert _sweep(day) == []  # the same day again
        assert _sweep(date(2027, 1, 9)) == []
    assert [m.to for m in mail.outbox] == [[world.admin.email]] * 3
    assert "in 90 days" in mail.outbox[0].subject and "10 January 2027" in mail.outbox[0].body
    with school_scope(world.a):
        events = AuditEvent.objects.filter(action="schools.deletion_reminder.sent")
        assert sorted(e.data["days_before"] for e in events) == [7, 30, 90]


def test_a_sweep_that_missed_days_sends_only_the_tightest_reminder(world):
    _end(world, date(2026, 1, 10))
    assert [r.days_before for r in _sweep(date(2027, 1, 5))] == [7]
    assert _sweep(date(2027, 1, 6)) == []


def test_a_renewed_school_is_not_reminded(world):
    _end(world, date(2026, 1, 10))
    _change(world, Status.ACTIVE)
    assert _sweep(date(2027, 1, 3)) == []


def test_the_sweep_command_takes_the_date_as_a_parameter(world, capsys):
    _end(world, date(2026, 1, 10))
    call_command("schools_lifecycle_sweep", today="2026-12-11")
    assert (
        "30-day reminder sent to 1 administrator (data deleted on 2027-01-10)"
        in capsys.readouterr().out
    )
    call_command("schools_lifecycle_sweep", today="2026-12-11")
    assert "done: 0 reminders sent" in capsys.readouterr().out
    with pytest.raises(CommandError, match="not a date"):
        call_command("schools_lifecycle_sweep", today="11/12/2026")
