"""Support access (TEN-6): platform staff see nothing of a school without a live grant
from one of its administrators; a grant opens only its areas, only for reading unless
it allows changes, until it expires or is revoked; every request under it is logged and
listed to the school."""

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from markbook.core.tenancy import school_scope
from markbook.support import selectors, services
from markbook.support.areas import AREAS, area_of
from markbook.support.models import SupportGrant

pytestmark = pytest.mark.django_db


def _grant(world: Any, **kwargs: Any) -> SupportGrant:
    values: dict[str, Any] = {
        "staff_email": world.platform_staff.email,
        "reason": "Ticket 4821: import fails",
        "scope": "read",
        "areas": ["roster"],
        "expires_at": timezone.now() + dt.timedelta(days=1),
    }
    values.update(kwargs)
    with school_scope(world.a):
        return services.support_grant_create(actor=world.admin, school=world.a, **values)


def _pupils(world: Any) -> str:
    return reverse("rosters:pupils", kwargs={"school_id": world.a.pk})


def test_without_a_grant_platform_staff_see_nothing(world, client):
    client.force_login(world.platform_staff)
    assert client.get(_pupils(world)).status_code == 404
    assert client.get(f"/api/schools/{world.a.pk}/pupils").status_code == 404


def test_a_read_grant_opens_its_areas_for_reading_only_and_logs_every_request(world, client):
    grant = _grant(world)
    client.force_login(world.platform_staff)
    page = client.get(_pupils(world))
    assert page.status_code == 200 and "Amy" in page.content.decode()
    assert client.get(f"/api/schools/{world.a.pk}/pupils").status_code == 200
    # Another area: refused with the reason.
    tracking = client.get(reverse("tracking:home", kwargs={"school_id": world.a.pk}))
    assert tracking.status_code == 403 and "does not cover" in tracking.content.decode()
    # A change under a read-only grant: refused.
    changed = client.patch(
        f"/api/schools/{world.a.pk}/pupils/{world.amy.pk}",
        {"first_name": "Amelia"},
        content_type="application/json",
    )
    assert changed.status_code == 403 and "read only" in changed.json()["detail"]
    # Another school: still nothing.
    assert (
        client.get(reverse("rosters:pupils", kwargs={"school_id": world.b.pk})).status_code == 404
    )
    # The grants' own pages are never open to support.
    assert (
        client.get(reverse("support:grants", kwargs={"school_id": world.a.pk})).status_code == 403
    )
    with school_scope(world.a):
        log = list(selectors.grant_log(grant))
    assert [e.data["path"] for e in log] == [_pupils(world), f"/api/schools/{world.a.pk}/pupils"]
    assert all(e.actor_id == world.platform_staff.pk for e in log)


def test_a_change_grant_allows_changes_in_its_areas_and_logs_them_as_changes(world, client):
    grant = _grant(world, scope="change")
    client.force_login(world.platform_staff)
    changed = client.patch(
        f"/api/schools/{world.a.pk}/pupils/{world.amy.pk}",
        {"first_name": "Amelia"},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    with school_scope(world.a):
        assert [e.action for e in selectors.grant_log(grant)] == ["support.request.changed"]


def test_revoking_ends_access_at_the_next_request_and_expiry_ends_it_too(world, client):
    grant = _grant(world)
    client.force_login(world.platform_staff)
    assert client.get(_pupils(world)).status_code == 200
    client.force_login(world.admin)
    revoke = reverse("support:revoke", kwargs={"school_id": world.a.pk, "grant_id": grant.pk})
    assert client.post(revoke).status_code == 302
    client.force_login(world.platform_staff)
    assert client.get(_pupils(world)).status_code == 404
    expired = _grant(world)
    with school_scope(world.a):
        SupportGrant.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    assert client.get(_pupils(world)).status_code == 404


def test_a_grant_names_platform_staff_a_reason_areas_and_a_near_end(world):
    with pytest.raises(ValidationError) as raised:
        _grant(
            world,
            staff_email=world.teacher.email,
            reason=" ",
            areas=["everything"],
            expires_at=timezone.now() + dt.timedelta(days=60),
        )
    assert set(raised.value.message_dict) == {"staff_email", "reason", "areas", "expires_at"}
    with pytest.raises(ValidationError):
        _grant(world, expires_at=timezone.now() - dt.timedelta(minutes=1))


def test_the_school_sees_each_grant_and_what_was_done(world, client):
    grant = _grant(world)
    client.force_login(world.platform_staff)
    client.get(_pupils(world))
    client.force_login(world.admin)
    page = client.get(
        reverse("support:grant", kwargs={"school_id": world.a.pk, "grant_id": grant.pk})
    ).content.decode()
    assert "Ticket 4821" in page and _pupils(world) in page
    listed = client.get(f"/api/schools/{world.a.pk}/support-grants/{grant.pk}/log").json()
    assert [row["path"] for row in listed] == [_pupils(world)]
    dashboard = client.get("/")
    assert dashboard.status_code in (200, 302)
    client.force_login(world.platform_staff)
    assert "Oakfield Academy" in client.get("/").content.decode()


def test_every_school_url_has_an_area_or_is_closed_on_purpose():
    """A new app's URLs must be placed in an area, or support can never reach them."""
    from django.urls import get_resolver

    from markbook.api import api

    # Support never reaches the grants, a person's own pages, or the emergency suspension.
    closed = {"support", "support-grants", "me", "suspension"}
    segments = set()
    for pattern in get_resolver().url_patterns:
        text = str(pattern.pattern)
        if text.startswith("s/<int:school_id>/") and text != "s/<int:school_id>/":
            segments.add(text.split("/")[2])
    for path in api.get_openapi_schema()["paths"]:
        if path.startswith("/api/schools/{school_id}/"):
            segments.add(path.split("/")[4])
    unplaced = sorted(s for s in segments - closed if s and s not in AREAS)
    assert unplaced == []
    assert area_of("/s/1/") == "" and area_of("/s/1/support/") is None
    assert area_of("/api/schools/1/pupils") == "roster"
