"""Parents' consent per child (CON-2, CON-4), what the school sees per class, the gate
of Markbook's own consent-needing features, and the services that received a child's
data (DSR-10)."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from markbook.audit.models import AuditEvent
from markbook.consent import selectors, services
from markbook.consent.models import ConsentDecision, ConsentPurpose, ServiceEntry
from markbook.core.tenancy import all_schools, school_scope
from markbook.rosters.models import Pupil
from tests.factories import consent_world, link_parent

pytestmark = pytest.mark.django_db


def _decide(client, world, target: str, answer: str, pupil=None):  # type: ignore[no-untyped-def]
    pupil = pupil or world.amy
    url = reverse("consent:child_decide", args=[world.a.pk, pupil.pk])
    return client.post(url, {"for": target, "answer": answer})


def test_a_parent_opts_in_and_out_and_each_decision_is_recorded(world, client_for):
    """CON-2: from their page a parent gives consent for their child, then withdraws it;
    each decision keeps who, when and which version of the description."""
    made = consent_world(world)
    entry = made["service"]
    client = client_for("parent")
    page = client.get(reverse("consent:children", args=[world.a.pk])).content.decode()
    assert "Reading Eggs" in page and "Not answered yet" in page
    assert _decide(client, world, f"service-{entry.pk}", "given").status_code == 302
    page = client.get(reverse("consent:children", args=[world.a.pk])).content.decode()
    assert "You agreed" in page
    assert _decide(client, world, f"service-{entry.pk}", "refused").status_code == 302
    with school_scope(world.a):
        rows = list(
            ConsentDecision.objects.order_by("pk").values_list(
                "pupil_id", "service_id", "version", "answer", "decided_by_id"
            )
        )
        assert all(d.decided_at for d in ConsentDecision.objects.all())
    assert rows == [
        (world.amy.pk, entry.pk, 1, "given", world.parent.pk),
        (world.amy.pk, entry.pk, 1, "refused", world.parent.pk),
    ]
    with all_schools():
        actions = list(
            AuditEvent.objects.filter(action__startswith="consent.decision").values_list(
                "action", flat=True
            )
        )
    assert actions == ["consent.decision.given", "consent.decision.refused"]


def test_a_changed_description_is_shown_to_the_parent_as_asked_again(world, client_for):
    """CON-2: after the school changes what a service does, the parent's page asks
    again (the earlier consent is for the old description)."""
    made = consent_world(world)
    with school_scope(world.a):
        services.consent_decide(
            actor=world.parent, pupil=world.amy, answer="given", service=made["service"]
        )
        services.service_update(actor=None, entry=made["service"], purpose="Reading and games.")
    page = client_for("parent").get(reverse("consent:children", args=[world.a.pk])).content
    assert b"Changed since you answered: please answer again" in page
    assert b"Reading and games." in page


def test_the_same_answer_again_writes_nothing(world):
    """CON-2: answering as before adds no decision and no log event."""
    made = consent_world(world)
    with school_scope(world.a):
        first = services.consent_decide(
            actor=world.parent, pupil=world.amy, answer="given", purpose=made["purpose"]
        )
        again = services.consent_decide(
            actor=world.parent, pupil=world.amy, answer="given", purpose=made["purpose"]
        )
        assert first is not None and again is None
        assert ConsentDecision.objects.count() == 1


def test_a_parent_answers_only_for_their_own_children(world, client_for):
    """CON-2, TEN-3: Ben is not the parent's child (404, nothing written); another
    school's parent cannot reach School A at all."""
    made = consent_world(world)
    target = f"service-{made['service'].pk}"
    assert _decide(client_for("parent"), world, target, "given", pupil=world.ben).status_code == 404
    assert _decide(client_for("other_admin"), world, target, "given").status_code == 404
    assert _decide(client_for("teacher"), world, target, "given").status_code == 404
    with school_scope(world.a):
        assert not ConsentDecision.objects.exists()


def test_a_service_not_for_the_childs_year_is_not_asked(world, client_for):
    """CON-2: a Year 8 service is not offered for Amy (Year 7), and refused if posted."""
    made = consent_world(world)
    with school_scope(world.a):
        services.service_update(actor=None, entry=made["service"], year_groups=["8"])
    client = client_for("parent")
    page = client.get(reverse("consent:children", args=[world.a.pk])).content.decode()
    assert "Reading Eggs" not in page
    _decide(client, world, f"service-{made['service'].pk}", "given")
    with school_scope(world.a):
        assert not ConsentDecision.objects.exists()


def test_the_school_sees_each_class_with_the_offline_alternative(world, client_for):
    """CON-2: per service and class, who consented, who refused, who has not answered,
    and the offline alternative for each child without consent; as a page and CSV."""
    made = consent_world(world)
    entry = made["service"]
    with school_scope(world.a):
        services.consent_decide(actor=world.parent, pupil=world.amy, answer="given", service=entry)
    url = reverse("consent:class_consent", args=[world.a.pk, world.class_7a.pk])
    page = client_for("teacher").get(url, {"for": f"service-{entry.pk}"}).content.decode()
    assert "Consented" in page and "Not answered" in page
    assert page.count("Printed reading books") == 2  # the description, and Ben's row
    response = client_for("admin").get(
        reverse("consent:class_consent_csv", args=[world.a.pk, world.class_7a.pk]),
        {"for": f"service-{entry.pk}"},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Pupil", "Year group", "For", "Answer", "Offline alternative"]
    assert rows[1:] == [
        ["Amy Adams", "7", "Reading Eggs", "Consented", ""],
        [
            "Ben Brown",
            "7",
            "Reading Eggs",
            "Not answered",
            "Printed reading books and a paper log.",
        ],
    ]
    api = client_for("teacher").get(
        f"/api/schools/{world.a.pk}/consent/classes/{world.class_7a.pk}/service-{entry.pk}"
    )
    assert [(p["name"], p["answer"]) for p in api.json()["pupils"]] == [
        ("Amy Adams", "given"),
        ("Ben Brown", None),
    ]
    with all_schools():
        assert AuditEvent.objects.filter(action="consent.class.viewed").count() == 2
        assert AuditEvent.objects.filter(action="consent.class.exported").count() == 1


def test_the_class_list_takes_the_same_queries_whatever_its_size(world):
    """CON-2: the class's answers are read in a fixed number of queries."""
    made = consent_world(world)
    target = selectors.Target("service", made["service"])
    with school_scope(world.a):
        with CaptureQueriesContext(connection) as small:
            selectors.class_consent(world.class_7a, target)
        from tests.factories import pupil_with_account

        for n in range(5):
            pupil = pupil_with_account(world.a, first_name=f"P{n}", year_group="7")
            from markbook.rosters.models import Enrolment

            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=pupil)
        with CaptureQueriesContext(connection) as large:
            rows = selectors.class_consent(world.class_7a, target)
    assert len(rows) == 7
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_global_leaderboard_is_off_without_consent(world):
    """CON-2: Markbook's own consent-needing feature: no consent (or a school without the
    purpose), off; given, on; withdrawn, off; asked again after its description changed,
    off until answered; a purpose no longer in use, off. The bulk gate agrees."""
    key = services.GLOBAL_LEADERBOARD
    with school_scope(world.a):
        assert selectors.has_consent(world.amy, key) is False  # no purpose yet
        services.consent_setup(school=world.a)
        purpose = ConsentPurpose.objects.get(key=key)
        assert selectors.has_consent(world.amy, key) is False
        services.consent_decide(
            actor=world.parent, pupil=world.amy, answer="given", purpose=purpose
        )
        assert selectors.has_consent(world.amy, key) is True
        assert selectors.has_consent(world.ben, key) is False
        pupils = Pupil.objects.all()
        with CaptureQueriesContext(connection) as one:
            allowed = list(selectors.pupils_with_consent(pupils, key))
        assert allowed == [world.amy] and len(one.captured_queries) == 1
        services.consent_decide(
            actor=world.parent, pupil=world.amy, answer="refused", purpose=purpose
        )
        assert selectors.has_consent(world.amy, key) is False
        services.consent_decide(
            actor=world.parent, pupil=world.amy, answer="given", purpose=purpose
        )
        services.purpose_update(actor=None, purpose=purpose, description="Points on boards.")
        assert selectors.has_consent(world.amy, key) is False
        services.consent_decide(
            actor=world.parent, pupil=world.amy, answer="given", purpose=purpose
        )
        assert selectors.has_consent(world.amy, key) is True
        services.purpose_update(actor=None, purpose=purpose, active=False)
        assert selectors.has_consent(world.amy, key) is False
        assert list(selectors.pupils_with_consent(pupils, key)) == []


def test_services_receiving_a_childs_data(world):
    """DSR-10: approved entries that share data with the child's year group, and where
    consent is needed only with it; not Markbook itself, not an entry awaiting
    assessment, not another year's."""
    made = consent_world(world)
    entry = made["service"]
    with school_scope(world.a):
        mis = services.service_create(
            actor=None,
            school=world.a,
            name="Arbor MIS",
            provider="Arbor Education",
            data_shared=["identity"],
            risk_status=ServiceEntry.Status.APPROVED,
            section=ServiceEntry.Section.MANAGEMENT,
        )
        services.service_create(
            actor=None, school=world.a, name="Padlet", provider="Padlet", data_shared=["identity"]
        )
        services.service_create(
            actor=None,
            school=world.a,
            name="Year 9 maths",
            provider="Sparx",
            data_shared=["identity"],
            year_groups=["9"],
            risk_status=ServiceEntry.Status.APPROVED,
        )
        assert selectors.services_receiving(world.amy) == [mis]
        services.consent_decide(actor=world.parent, pupil=world.amy, answer="given", service=entry)
        assert {e.name for e in selectors.services_receiving(world.amy)} == {
            "Arbor MIS",
            "Reading Eggs",
        }


def test_purposes_are_managed_and_removal_asks_first(world, client_for):
    """CON-4: the school adds, edits and removes its own purposes; removing one says how
    many consent records go; Markbook's own gate cannot be removed."""
    made = consent_world(world)
    purpose = made["purpose"]
    client = client_for("admin")
    response = client.post(
        reverse("consent:purposes", args=[world.a.pk]),
        {
            "name": "Names on the sports board",
            "description": "First names of team members.",
            "active": "on",
        },
    )
    assert response.status_code == 302
    with school_scope(world.a):
        services.consent_decide(
            actor=world.parent, pupil=world.amy, answer="given", purpose=purpose
        )
        builtin = ConsentPurpose.objects.get(key=services.GLOBAL_LEADERBOARD)
    page = client.get(reverse("consent:purpose_delete", args=[world.a.pk, purpose.pk])).content
    assert b"1 consent record " in page
    client.post(reverse("consent:purpose_delete", args=[world.a.pk, purpose.pk]))
    client.post(reverse("consent:purpose_delete", args=[world.a.pk, builtin.pk]))
    with school_scope(world.a):
        names = set(ConsentPurpose.objects.values_list("name", flat=True))
        assert not ConsentDecision.objects.exists()
    assert "Names on the sports board" in names and "Global leaderboard" in names
    assert purpose.name not in names


def test_the_api_gives_a_parent_their_childrens_consent(world, client_for):
    """CON-2: the parent's API: their children with what asks, an answer by PUT."""
    made = consent_world(world)
    client = client_for("parent")
    base = f"/api/schools/{world.a.pk}/consent/children"
    children = client.get(base).json()
    assert [c["name"] for c in children] == ["Amy Adams"]
    targets = {t["target"]: t["answer"] for t in children[0]["consent"]}
    slug = f"purpose-{made['purpose'].pk}"
    assert targets[slug] is None
    response = client.put(
        f"{base}/{world.amy.pk}/{slug}", {"answer": "given"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert {t["target"]: t["answer"] for t in client.get(base).json()[0]["consent"]}[
        slug
    ] == "given"
    bad = client.put(
        f"{base}/{world.amy.pk}/{slug}", {"answer": "maybe"}, content_type="application/json"
    )
    assert bad.status_code == 422 and "answer" in bad.json()["errors"]


def test_a_parent_of_two_children_answers_for_each(world, client_for):
    """CON-2: consent is per child: the parent's answer for Amy is not Ben's."""
    made = consent_world(world)
    with all_schools():
        link_parent(world.parent, world.ben)
    client = client_for("parent")
    _decide(client, world, f"purpose-{made['purpose'].pk}", "given")
    with school_scope(world.a):
        target = selectors.Target("purpose", made["purpose"])
        found = selectors.states([world.amy.pk, world.ben.pk], [target])
    assert found[("purpose", made["purpose"].pk)] == {world.amy.pk: "given"}
