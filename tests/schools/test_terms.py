"""TEN-7: nothing works for a school until an administrator accepts the data-protection
terms; the acceptance records the version, who and when."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from markbook.core.tenancy import school_scope
from markbook.schools.models import TermsAcceptance
from tests.rosters.conftest import actions


@pytest.fixture
def unaccepted(world):
    with school_scope(world.a):
        TermsAcceptance.objects.all().delete()
    return world


def terms_url(world):
    return reverse("schools:terms", kwargs={"school_id": world.a.pk})


@pytest.mark.parametrize("page", ["schools:home", "rosters:pupils", "audit:log"])
def test_admin_is_sent_to_the_terms_from_every_page(client_for, unaccepted, page):
    response = client_for("admin").get(reverse(page, kwargs={"school_id": unaccepted.a.pk}))
    assert response.status_code == 302
    assert response["Location"] == terms_url(unaccepted)


@pytest.mark.parametrize("role", ["teacher", "pupil", "parent"])
def test_others_are_told_an_administrator_must_accept(client_for, unaccepted, role):
    response = client_for(role).get(reverse("schools:home", kwargs={"school_id": unaccepted.a.pk}))
    assert response.status_code == 403
    assert b"must accept them first" in response.content


def test_the_api_is_refused_until_accepted(client_for, unaccepted):
    response = client_for("admin").get(f"/api/schools/{unaccepted.a.pk}/pupils")
    assert response.status_code == 403
    assert "data-protection terms" in response.json()["detail"]


def test_only_an_administrator_can_accept(client_for, unaccepted):
    response = client_for("teacher").post(terms_url(unaccepted), {"accept": "yes"})
    assert response.status_code == 404
    assert not unaccepted.a.terms_accepted(settings.MARKBOOK_TERMS_VERSION)


def test_accepting_without_ticking_records_nothing(client_for, unaccepted):
    response = client_for("admin").post(terms_url(unaccepted), {})
    assert response.status_code == 200
    assert b"Tick the box" in response.content
    assert not unaccepted.a.terms_accepted(settings.MARKBOOK_TERMS_VERSION)


def test_acceptance_records_version_who_and_when_then_the_school_works(client_for, unaccepted):
    client = client_for("admin")
    response = client.post(terms_url(unaccepted), {"accept": "yes"})
    assert response.status_code == 302
    with school_scope(unaccepted.a):
        acceptance = TermsAcceptance.objects.get()
    assert acceptance.version == settings.MARKBOOK_TERMS_VERSION
    assert acceptance.accepted_by == unaccepted.admin
    assert acceptance.accepted_at is not None
    [event] = actions(unaccepted.a, "schools.terms.accepted")
    assert event.data == {"version": settings.MARKBOOK_TERMS_VERSION}
    assert (
        client.get(reverse("schools:home", kwargs={"school_id": unaccepted.a.pk})).status_code
        == 200
    )
    page = client.get(terms_url(unaccepted))
    assert escape(unaccepted.admin.display_name).encode() in page.content


def test_a_new_terms_version_blocks_again(client_for, world, settings):
    settings.MARKBOOK_TERMS_VERSION = "2099-01"
    response = client_for("teacher").get(reverse("schools:home", kwargs={"school_id": world.a.pk}))
    assert response.status_code == 403
