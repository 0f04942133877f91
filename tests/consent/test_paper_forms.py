"""A paper consent form recorded on a parent's behalf (CON-2): the school office got a
signed form; the class's teacher or an administrator records its answer on the class's
consent page, kept as recorded from a paper form by them, with the parent named on the
form, for the current version of the description."""

import json

import pytest
from django.urls import reverse

from markbook.audit.models import AuditEvent
from markbook.consent import services
from markbook.consent.models import ConsentDecision
from markbook.core.tenancy import school_scope
from tests.factories import consent_world

pytestmark = pytest.mark.django_db


def _post(client, world, entry, pupil, **body):  # type: ignore[no-untyped-def]
    url = reverse("consent:class_paper", args=[world.a.pk, world.class_7a.pk])
    return client.post(url, {"for": f"service-{entry.pk}", "pupil": pupil.pk, **body})


def test_the_class_teacher_records_a_paper_form(world, client_for):
    """CON-2: the teacher of 7A records Amy's signed form giving consent; the decision
    is the current version's, recorded by the teacher with the parent named; the page
    says so, and an audit event names it a paper form. The same answer again changes
    nothing; a refusal form later is recorded as the new answer."""
    entry = consent_world(world)["service"]
    teacher = client_for("teacher")
    response = _post(teacher, world, entry, world.amy, answer="given", parent_name=" Anne  Adams ")
    assert response.status_code == 302
    with school_scope(world.a):
        d = ConsentDecision.objects.get()
    assert (d.answer, d.decided_by, d.paper_form_from, d.version) == (
        "given",
        world.teacher,
        "Anne Adams",
        entry.version,
    )
    page = teacher.get(response["Location"]).content.decode()
    assert "Recorded from a paper form by" in page and "signed by Anne Adams" in page
    with school_scope(world.a):
        assert AuditEvent.objects.filter(action="consent.paper_form.given").count() == 1
    _post(teacher, world, entry, world.amy, answer="given", parent_name="Anne Adams")
    with school_scope(world.a):
        assert ConsentDecision.objects.count() == 1
    _post(teacher, world, entry, world.amy, answer="refused", parent_name="Anne Adams")
    with school_scope(world.a):
        assert list(ConsentDecision.objects.values_list("answer", flat=True)) == [
            "given",
            "refused",
        ]


def test_bad_input_is_refused_with_nothing_written(world, client_for):
    """CON-2: no parent named, or no answer, is refused with the reason; a pupil of
    another class is 404 (the colleague teaches 7B, not Amy's class), as for another
    school's administrator."""
    entry = consent_world(world)["service"]
    teacher = client_for("teacher")
    page = teacher.get(
        _post(teacher, world, entry, world.amy, answer="given", parent_name="")["Location"]
    ).content.decode()
    assert "Give the name of the parent or carer who signed the form." in page
    _post(teacher, world, entry, world.amy, answer="", parent_name="Anne Adams")
    assert (
        _post(
            client_for("colleague"), world, entry, world.amy, answer="given", parent_name="A"
        ).status_code
        == 404
    )
    assert (
        _post(
            client_for("other_admin"), world, entry, world.amy, answer="given", parent_name="A"
        ).status_code
        == 404
    )
    assert (
        _post(
            client_for("parent"), world, entry, world.amy, answer="given", parent_name="A"
        ).status_code
        == 404
    )
    url = reverse("consent:class_paper", args=[world.a.pk, world.class_7a.pk])
    cal = client_for("admin").post(
        url,
        {
            "for": f"service-{entry.pk}",
            "pupil": world.cal.pk,
            "answer": "given",
            "parent_name": "C",
        },
    )
    assert cal.status_code == 404
    with school_scope(world.a):
        assert ConsentDecision.objects.count() == 0


def test_the_api_records_a_paper_form(world, client_for):
    """CON-2: the same through the API, for an administrator."""
    entry = consent_world(world)["service"]
    url = (
        f"/api/schools/{world.a.pk}/consent/classes/{world.class_7a.pk}/service-{entry.pk}"
        f"/pupils/{world.ben.pk}/paper-form"
    )
    body = {"answer": "refused", "parent_name": "Bea Brown"}
    answer = client_for("admin").put(url, json.dumps(body), content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["changed"] and answer.json()["recorded_by_id"] == world.admin.pk
    again = client_for("admin").put(url, json.dumps(body), content_type="application/json")
    assert again.json()["changed"] is False
    with school_scope(world.a):
        d = ConsentDecision.objects.get()
        assert (d.pupil, d.paper_form_from) == (world.ben, "Bea Brown")
        assert (
            services.consent_decide(
                actor=world.parent, pupil=world.ben, answer="refused", service=entry
            )
            is None
        )


def test_the_overview_lists_self_registered_pupils_until_a_parent_answers(world, client_for):
    """ACC-4, CON-2: a pupil who registered on their own, saying a parent agrees, is
    listed on the school's consent overview (for administrators, not teachers) until a
    parent answers for them; the listing is recorded as a read."""
    from markbook.accounts.registration import (
        registration_request_create,
        registration_request_decide,
    )
    from markbook.rosters.models import Pupil

    entry = consent_world(world)["service"]
    with school_scope(world.a):
        asked = registration_request_create(
            school=world.a,
            role="pupil",
            email="new.pupil@oakfield.sch.uk",
            first_name="Nia",
            last_name="Newcombe",
            year_group="7",
            parental_consent=True,
        )
        registration_request_decide(actor=world.admin, request=asked, approve=True)
        nia = Pupil.objects.get(last_name="Newcombe")
    url = reverse("consent:overview", args=[world.a.pk])
    page = client_for("admin").get(url).content.decode()
    assert "a parent has not answered yet" in page and "Nia Newcombe" in page
    assert "Nia Newcombe" not in client_for("teacher").get(url).content.decode()
    with school_scope(world.a):
        assert AuditEvent.objects.filter(action="consent.self_registered.listed").exists()
        services.consent_record_paper(
            actor=world.admin, pupil=nia, answer="given", parent_name="Nora Newcombe", service=entry
        )
    assert "Nia Newcombe" not in client_for("admin").get(url).content.decode()
