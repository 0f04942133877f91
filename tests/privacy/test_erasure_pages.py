"""The data protection lead's pages and API for erasure and legal holds (DSR-4, RET-3),
the deletions of DSR-7 through the erasure engine, the suppression list at the
importers and registration, and the privacy_scan command."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from markbook.accounts.models import Membership, User
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from markbook.privacy import services
from markbook.privacy.models import LegalHold, Suppression
from markbook.rosters.models import Pupil
from tests import factories as f
from tests.conftest import World


@pytest.fixture
def dpo(world: World) -> User:
    """A teacher of School A who is also its data protection lead."""
    user = f.member(world.a, Membership.Role.TEACHER, email="dpo@oakfield.sch.uk")
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=user, role=Membership.Role.DPO)
    return user


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _url(name: str, world: World, **kw) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"school_privacy:{name}", kwargs={"school_id": world.a.pk, **kw})


def test_the_dpo_erases_a_pupil_from_the_impact_page(world: World, dpo: User):
    """DSR-4: the page lists what goes and what stays, and asks for the name typed;
    then the pupil is gone and the scan finds nothing."""
    c = client(dpo)
    page = c.get(_url("pupil_erasure", world, pupil_id=world.amy.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert "What will go" in text and "What stays, and why" in text
    assert "Erased pupil " in text
    fingerprint = page.context["plan"].fingerprint
    wrong = c.post(
        _url("pupil_erasure", world, pupil_id=world.amy.pk),
        {"fingerprint": fingerprint, "confirm_name": "Ben Brown"},
    )
    assert wrong.status_code == 409 and "Type their name, Amy Adams" in wrong.content.decode()
    done = c.post(
        _url("pupil_erasure", world, pupil_id=world.amy.pk),
        {"fingerprint": fingerprint, "confirm_name": "amy adams"},
    )
    assert done.status_code == 302
    with school_scope(world.a):
        assert not Pupil.objects.filter(pk=world.amy.pk).exists()
        assert AuditEvent.objects.filter(action="privacy.erasure.done", actor_id=dpo.pk).exists()


def test_the_api_erasure_refuses_a_stale_fingerprint_with_409(world: World, dpo: User):
    """DSR-4: the API twin; a fingerprint from before a change is refused, nothing done."""
    c = client(dpo)
    base = f"/api/schools/{world.a.pk}/privacy/erasure/pupils/{world.ben.pk}"
    plan = c.get(base).json()
    assert plan["eligible"] and plan["fingerprint"]
    assert {g["model"] for g in plan["goes"]} >= {"rosters.Pupil", "rosters.Enrolment"}
    stale = c.post(base, json.dumps({"fingerprint": "0" * 64}), content_type="application/json")
    assert stale.status_code == 409
    assert "changed after the erasure was approved" in stale.json()["detail"]
    with school_scope(world.a):
        assert Pupil.objects.filter(pk=world.ben.pk).exists()
    ok = c.post(
        base, json.dumps({"fingerprint": plan["fingerprint"]}), content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["rows_deleted"] >= 3


def test_holds_are_placed_and_lifted_and_stop_erasure(world: World, dpo: User):
    """RET-3: a hold with its reason stops erasure (page and API say why); lifting it
    needs a reason; both are in the access log."""
    c = client(dpo)
    bad = c.post(_url("holds", world), {"person": f"pupil:{world.amy.pk}", "reason": " "})
    assert bad.status_code == 400 and "Say why" in bad.content.decode()
    placed = c.post(
        _url("holds", world), {"person": f"pupil:{world.amy.pk}", "reason": "Court order 12."}
    )
    assert placed.status_code == 302
    page = c.get(_url("holds", world)).content.decode()
    assert "Court order 12." in page and "In place" in page
    api = c.get(f"/api/schools/{world.a.pk}/privacy/holds").json()
    assert api[0]["person"] == "Amy Adams" and api[0]["active"]
    impact = c.get(f"/api/schools/{world.a.pk}/privacy/erasure/pupils/{world.amy.pk}").json()
    assert not impact["eligible"] and "Court order 12." in impact["refusals"][0]
    refused = c.post(
        f"/api/schools/{world.a.pk}/privacy/erasure/pupils/{world.amy.pk}",
        json.dumps({"fingerprint": impact["fingerprint"]}),
        content_type="application/json",
    )
    assert refused.status_code == 409 and "legal hold" in refused.json()["detail"]
    # DSR-7's deletion by an administrator is refused too.
    admin = client(world.admin)
    deleted = admin.post(reverse("rosters:pupil_delete", args=[world.a.pk, world.amy.pk]))
    assert deleted.status_code == 409 and "Court order 12." in deleted.content.decode()
    with school_scope(world.a):
        hold = LegalHold.objects.get()
        assert Pupil.objects.filter(pk=world.amy.pk).exists()
    lift = f"/api/schools/{world.a.pk}/privacy/holds/{hold.pk}/lift"
    assert (
        c.post(lift, json.dumps({"reason": ""}), content_type="application/json").status_code == 422
    )
    lifted = c.post(lift, json.dumps({"reason": "Case closed."}), content_type="application/json")
    assert lifted.status_code == 200 and not lifted.json()["active"]
    with school_scope(world.a):
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"privacy.hold.placed", "privacy.hold.lifted"} <= actions


def test_only_the_dpo_sees_the_privacy_pages(world: World, dpo: User):
    """TEN-3: administrators and teachers without the role get 404, as do other schools."""
    for user in (world.admin, world.teacher, world.other_admin, world.parent):
        assert client(user).get(_url("holds", world)).status_code == 404
    assert client(dpo).get(_url("holds", world)).status_code == 200
    # Another school's pupil is not found, even for the DPO.
    assert client(dpo).get(_url("pupil_erasure", world, pupil_id=world.dee.pk)).status_code == 404


def test_a_teacher_deletes_a_pupil_of_their_class_not_of_others(world: World):
    """DSR-7: the teacher of 7A removes Ben (their class) after seeing what goes; the
    colleague (7B) cannot; the pupil cannot delete themselves."""
    page = client(world.teacher).get(
        reverse("rosters:pupil_delete", args=[world.a.pk, world.ben.pk])
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Remove Ben Brown?" in text and "enrolments" in text
    assert (
        client(world.colleague)
        .get(reverse("rosters:pupil_delete", args=[world.a.pk, world.ben.pk]))
        .status_code
        == 404
    )
    assert (
        client(world.amy.user)
        .post(reverse("rosters:pupil_delete", args=[world.a.pk, world.amy.pk]))
        .status_code
        == 404
    )
    done = client(world.teacher).post(
        reverse("rosters:pupil_delete", args=[world.a.pk, world.ben.pk]),
        {"fingerprint": page.context["plan"].fingerprint},
    )
    assert done.status_code == 302
    with school_scope(world.a):
        assert not Pupil.objects.filter(pk=world.ben.pk).exists()
        assert Suppression.objects.filter(kind="email").exists()


def test_registration_of_an_erased_address_is_refused(world: World):
    """DSR-4: self-registration makes no account for an erased person's address."""
    from django.core.exceptions import ValidationError

    from markbook.accounts.registration import registration_request_create

    with school_scope(world.a):
        services.person_erase(
            actor=world.admin,
            school=world.a,
            subject=world.ben,
            fingerprint=services.erasure_impact(school=world.a, subject=world.ben).fingerprint,
        )
        with pytest.raises(ValidationError, match="erased at the school's request"):
            registration_request_create(
                school=world.a,
                role="pupil",
                email="Ben.Brown@gmail.com",
                first_name="Ben",
                last_name="Brown",
                year_group="7",
                parental_consent=True,
            )


def test_a_class_list_does_not_bring_back_an_erased_pupil(world: World):
    """DSR-4: by username or full name; unless the school asks."""
    from markbook.rosters.imports.classlist import classlist_import

    with school_scope(world.a):
        services.person_erase(
            actor=world.admin,
            school=world.a,
            subject=world.ben,
            fingerprint=services.erasure_impact(school=world.a, subject=world.ben).fingerprint,
        )
        data = b"class,first name,last name\n7A Maths,Ben,Brown\n7A Maths,Cal,Clark\n"
        result = classlist_import(actor=world.admin, school=world.a, data=data, filename="c.csv")
        assert result.ok and result.suppressed == [2]
        assert [w.message for w in result.warnings] == [
            "Not re-created: erased at the school's request."
        ]
        assert not Pupil.objects.filter(first_name="Ben").exists()
        again = classlist_import(
            actor=world.admin, school=world.a, data=data, filename="c.csv", restore_erased=True
        )
        assert again.pupils_created == 1


def test_a_oneroster_reimport_does_not_bring_back_an_erased_pupil_or_parent(world: World):
    """DSR-4: School A's own export, re-imported after Amy and her parent are erased."""
    from markbook.rosters.oneroster.export import oneroster_export
    from markbook.rosters.oneroster.import_ import oneroster_import

    with school_scope(world.a):
        data = oneroster_export(actor=world.admin, school=world.a)
        for subject in (world.amy, world.parent):
            services.person_erase(
                actor=world.admin,
                school=world.a,
                subject=subject,
                fingerprint=services.erasure_impact(school=world.a, subject=subject).fingerprint,
            )
        result = oneroster_import(actor=world.admin, school=world.a, data=data, confirm=True)
        assert result.ok, result.problems
        assert result.pupils_suppressed == 1
        assert any("erased at the school's request" in n for n in result.notes)
        assert not Pupil.objects.filter(first_name="Amy").exists()
        with all_schools():
            assert not User.objects.filter(email="parent@example.org").exists()


def test_the_scan_command_reports_what_it_finds(world: World):
    """DSR-4: before the erasure it finds the pupil (exit status 1); after, nothing."""
    out = StringIO()
    with pytest.raises(CommandError, match="still hold"):
        call_command(
            "privacy_scan", "--school", str(world.a.pk), "--pupil", str(world.ben.pk), stdout=out
        )
    assert "rosters_pupil" in out.getvalue()
    with school_scope(world.a):
        services.person_erase(
            actor=world.admin,
            school=world.a,
            subject=world.ben,
            fingerprint=services.erasure_impact(school=world.a, subject=world.ben).fingerprint,
        )
    out = StringIO()
    call_command(
        "privacy_scan",
        "--school",
        str(world.a.pk),
        "--pupil",
        str(world.ben.pk),
        "--user",
        str(world.ben.user_id),
        "--name",
        "Ben Brown",
        "--username",
        "ben.brown",
        "--email",
        "ben.brown@gmail.com",
        stdout=out,
    )
    assert out.getvalue().startswith("nothing found")
