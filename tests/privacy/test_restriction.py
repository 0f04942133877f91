"""Restriction of and objection to processing (DSR-5): placed and lifted as recorded
decisions, and honoured by every consumer through privacy.restriction: the school's
and the trust's analysis, the OneRoster export, targets set from KS2 and (future)
leaderboards. A test per consumer."""

import csv
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from markbook.accounts.models import Membership
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from markbook.privacy import restriction as r
from markbook.privacy.models import Restriction
from markbook.privacy.services import restriction_lift, restriction_place
from markbook.rosters.models import Pupil
from markbook.rosters.oneroster.export import oneroster_export, pupil_sourced_id
from markbook.tracking import targets
from markbook.tracking.models import Target
from tests import factories as f
from tests.factories import markbook_assignment, tracking_world
from tests.tracking.test_analysis import school  # noqa: F401 (a fixture)


def _restrict(world, pupil=None, user=None, kind="restriction"):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return restriction_place(
            school=world.a,
            subject=pupil or user,
            kind=kind,
            reason="The parent contests the accuracy of the SEN record.",
            by=world.admin,
        )


@pytest.fixture
def dpo(world):  # type: ignore[no-untyped-def]
    """The colleague (a teacher of 7B only) is also the school's data protection lead."""
    with all_schools():
        Membership.objects.create(school=world.a, user=world.colleague, role=Membership.Role.DPO)
    return world.colleague


# --- placing and lifting ---------------------------------------------------------


def test_placing_and_lifting_are_recorded_decisions(world):
    """DSR-5: who, when and why, both ways; each audited with the person as target."""
    placed = _restrict(world, pupil=world.amy)
    assert placed.active and placed.placed_by == world.admin
    with school_scope(world.a):
        assert r.pupil_restriction(world.amy) == placed
        lifted = restriction_lift(restriction=placed, reason="Record checked.", by=world.admin)
        assert lifted.lifted_at is not None and lifted.lift_reason == "Record checked."
        assert r.pupil_restriction(world.amy) is None
        actions = list(
            AuditEvent.objects.filter(action__startswith="privacy.restriction.")
            .order_by("seq")
            .values_list("action", "target_id")
        )
    assert actions == [
        ("privacy.restriction.placed", str(world.amy.pk)),
        ("privacy.restriction.lifted", str(world.amy.pk)),
    ]


def test_bad_input_is_refused_with_nothing_written(world):
    """DSR-5: no reason, an unknown kind, a second restriction, another school's pupil,
    lifting twice: clear errors naming the field, nothing written."""
    with school_scope(world.a):
        with pytest.raises(ValidationError, match="reason"):
            restriction_place(
                school=world.a, subject=world.amy, kind="restriction", reason=" ", by=None
            )
        with pytest.raises(ValidationError, match="not a kind"):
            restriction_place(school=world.a, subject=world.amy, kind="pause", reason="x", by=None)
    with all_schools():
        with pytest.raises(ValidationError, match="not in this school"):
            restriction_place(
                school=world.a, subject=world.dee, kind="restriction", reason="x", by=None
            )
        with pytest.raises(ValidationError, match="not a member"):
            restriction_place(
                school=world.a, subject=world.other_teacher, kind="objection", reason="x", by=None
            )
        assert not Restriction.objects.exists()
    placed = _restrict(world, pupil=world.amy)
    with school_scope(world.a):
        with pytest.raises(ValidationError, match="already restricted"):
            _restrict(world, pupil=world.amy)
        restriction_lift(restriction=placed, reason="Done.", by=None)
        with pytest.raises(ValidationError, match="already lifted"):
            restriction_lift(restriction=placed, reason="Again.", by=None)
        assert Restriction.objects.count() == 1


def test_the_filters_leave_out_only_restricted_people(world):
    """DSR-5: the one place: pupils, users and rows about pupils; lifted ones count again."""
    placed = _restrict(world, pupil=world.ben)
    _restrict(world, user=world.parent, kind="objection")
    with school_scope(world.a):
        names = set(r.unrestricted_pupils(Pupil.objects.all()).values_list("username", flat=True))
        assert names == {"amy.adams", "cal.clark"}
        assert set(r.leaderboard_pupils(Pupil.objects.all())) == {world.amy, world.cal}
        assert r.restricted_count(Pupil.objects.all()) == 1
        assert r.restricted_pupil_ids() == {world.ben.pk}
        users = type(world.parent).objects.filter(pk__in=[world.parent.pk, world.teacher.pk])
        assert list(r.unrestricted_users(users)) == [world.teacher]
        restriction_lift(restriction=placed, reason="Resolved.", by=world.admin)
        assert r.unrestricted_pupils(Pupil.objects.all()).count() == 3


# --- the consumers -----------------------------------------------------------------


def test_school_analysis_leaves_restricted_pupils_out_and_says_so(world, school, client_for):  # noqa: F811
    """DSR-5: the analysis counts 9 pupils, then 8 once Ben is restricted (and the
    teacher of 7A sees 7 of 8); the page says 1 restricted pupil is left out."""
    url = f"/api/schools/{world.a.pk}/analysis"
    assert client_for("admin").get(url).json()["table"]["total"]["pupils"] == 9
    teacher = client_for("teacher").get(url, {"by": "class"}).json()
    assert teacher["table"]["rows"][0]["pupils"] == 8
    _restrict(world, pupil=world.ben)
    assert client_for("admin").get(url).json()["table"]["total"]["pupils"] == 8
    teacher = client_for("teacher").get(url, {"by": "class"}).json()
    assert teacher["table"]["rows"][0]["pupils"] == 7
    page = client_for("admin").get(f"/s/{world.a.pk}/analysis/")
    assert "1 restricted pupil is left out of these figures" in page.content.decode()


def test_trust_analysis_leaves_restricted_pupils_out(world, school, client_for):  # noqa: F811
    """DSR-5: the trust's figures are built from the same pupil set."""
    url = f"/api/trusts/{world.a.trust_id}/analysis"

    def pupils() -> int:
        rows = client_for("trust_admin").get(url, {"by": "year_group"}).json()["rows"]
        return sum(row["trust"]["pupils"] or 0 for row in rows)

    before = pupils()
    _restrict(world, pupil=world.amy)
    assert pupils() == before - 1
    page = client_for("trust_admin").get(f"/trust/{world.a.trust_id}/analysis/")
    assert "1 restricted pupil is left out" in page.content.decode()


def _zip_rows(data: bytes, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if f"{name}.csv" not in archive.namelist():
            return []
        return list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode())))


def test_oneroster_export_leaves_out_restricted_pupils_their_links_and_results(world, client_for):
    """DSR-5: an export to a third party: Amy (restricted) is not a user, has no
    enrolment, no result and is no parent's agent; the page says so; the log counts."""
    assignment = markbook_assignment(world.class_7a)
    with school_scope(world.a):
        from markbook.assessment.models import Mark

        for pupil in (world.amy, world.ben):
            Mark.objects.create(school=world.a, assignment=assignment, pupil=pupil, score=5)
    _restrict(world, pupil=world.amy)
    with school_scope(world.a):
        data = oneroster_export(actor=world.admin, school=world.a)
    users = {u["username"] for u in _zip_rows(data, "users")}
    assert "amy.adams" not in users and "ben.brown" in users
    assert world.parent.email not in users  # Amy's parent: linked to no exported child
    with school_scope(world.a):
        amy_id, ben_id = (pupil_sourced_id(p) for p in (world.amy, world.ben))
    enrolled = {e["userSourcedId"] for e in _zip_rows(data, "enrollments")}
    assert ben_id in enrolled and amy_id not in enrolled
    results = _zip_rows(data, "results")
    assert [row["studentSourcedId"] for row in results] == [ben_id]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        everything = "".join(archive.read(n).decode() for n in archive.namelist())
    assert amy_id not in everything and "Adams" not in everything
    with school_scope(world.a):
        event = AuditEvent.objects.filter(action="rosters.oneroster.exported").latest("seq")
    assert event.data["restricted_left_out"] == 1
    page = client_for("admin").get(f"/s/{world.a.pk}/roster/oneroster/")
    assert "1 restricted pupil is left out of the download" in page.content.decode()


def test_oneroster_export_leaves_out_a_restricted_member_of_staff(world):
    """DSR-5: a restricted teacher is not exported, nor their class links."""
    _restrict(world, user=world.teacher, kind="objection")
    with school_scope(world.a):
        data = oneroster_export(actor=world.admin, school=world.a)
    users = {u["username"] for u in _zip_rows(data, "users")}
    assert world.teacher.email not in users and world.colleague.email in users


def test_targets_from_ks2_skip_restricted_pupils_and_say_so(world, client_for):
    """DSR-5: no new automated processing: Amy (restricted) gets no target from KS2;
    the count of those left out is returned and shown."""
    tracking_world(world)
    with school_scope(world.a):
        Pupil.objects.filter(pk__in=[world.amy.pk, world.ben.pk]).update(
            ks2_reading=104, ks2_maths=106
        )
    _restrict(world, pupil=world.amy)
    with school_scope(world.a):
        counts = targets.targets_from_ks2(actor=world.admin, school=world.a)
        assert counts["restricted"] == 1 and counts["created"] == 1
        assert not Target.objects.filter(pupil=world.amy).exists()
        assert Target.objects.filter(pupil=world.ben).exists()
    response = client_for("admin").post(f"/s/{world.a.pk}/tracking/targets/from-ks2/", follow=True)
    assert "1 restricted pupils were left out" in response.content.decode()


# --- pages and API -------------------------------------------------------------------


def test_pupil_page_shows_the_restriction(world, client_for):
    """DSR-5: the pupil's page says their data is not processed, to staff and family;
    the managers get the link to the decision."""
    placed = _restrict(world, pupil=world.amy)
    url = f"/s/{world.a.pk}/roster/pupils/{world.amy.pk}/"
    for role in ("teacher", "parent", "pupil", "admin"):
        body = client_for(role).get(url).content.decode()
        assert "Processing restricted" in body, role
    admin = client_for("admin").get(url).content.decode()
    assert f"/privacy/restrictions/{placed.pk}/" in admin
    assert (
        f"/privacy/restrictions/{placed.pk}/" not in client_for("teacher").get(url).content.decode()
    )


def test_dpo_places_and_lifts_from_the_pages(world, dpo, client):
    """DSR-5: the data protection lead (a teacher of another class) restricts Amy by
    username, sees it listed, and lifts it with a reason; without one it is refused."""
    client.force_login(dpo)
    base = f"/s/{world.a.pk}/privacy/restrictions/"
    response = client.post(
        base + "new/",
        {"person": "amy.adams", "kind": "objection", "reason": "Objects to profiling."},
    )
    assert response.status_code == 302
    with school_scope(world.a):  # row-level security shows the pupil only inside it
        placed = Restriction.objects.get()
        assert placed.kind == "objection" and placed.pupil == world.amy
        assert placed.placed_by == dpo
    assert "Amy Adams" in client.get(base).content.decode()
    refused = client.post(f"{base}{placed.pk}/lift/", {"reason": ""})
    assert refused.status_code == 422
    client.post(f"{base}{placed.pk}/lift/", {"reason": "Withdrawn by the parent."})
    with school_scope(world.a):
        placed.refresh_from_db()
    assert placed.lifted_by == dpo and placed.lift_reason == "Withdrawn by the parent."
    unknown = client.post(base + "new/", {"person": "nobody", "kind": "restriction", "reason": "x"})
    assert "No pupil, member of staff or parent" in unknown.content.decode()


def test_api_places_lists_and_lifts(world, client_for):
    """DSR-5: the same service through the API; another school's pupil is not found."""
    client = client_for("admin")
    base = f"/api/schools/{world.a.pk}/restrictions"
    made = client.post(
        base,
        {"pupil_id": world.ben.pk, "reason": "Accuracy contested."},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["active"] is True
    listed = client.get(base).json()
    assert [row["pupil_id"] for row in listed] == [world.ben.pk]
    lifted = client.post(
        f"{base}/{made.json()['id']}/lift", {"reason": "Checked."}, content_type="application/json"
    )
    assert lifted.json()["active"] is False
    other = client.post(
        base, {"pupil_id": world.dee.pk, "reason": "x"}, content_type="application/json"
    )
    assert other.status_code == 404
    both = client.post(
        base,
        {"pupil_id": world.ben.pk, "user_id": world.parent.pk, "reason": "x"},
        content_type="application/json",
    )
    assert both.status_code == 422


def test_restriction_list_is_audited_as_a_read(world, client_for):
    """SEC-1: a list naming people is a read of their data."""
    _restrict(world, pupil=world.amy)
    client_for("admin").get(f"/s/{world.a.pk}/privacy/restrictions/")
    with school_scope(world.a):
        assert AuditEvent.objects.filter(action="privacy.restrictions.listed").exists()
    assert f  # factories imported for the scope of the fixtures


# --- passing the change on (DSR-10) --------------------------------------------


def test_restriction_page_lists_the_services_that_received_the_pupils_data(world, dpo, client):
    """DSR-10: the outcome of a restriction lists the register's services that received
    Amy's data (an approved Year 7 service her parent consented to), so the school can
    pass the change on; without that consent the service never received it."""
    from markbook.consent import services as consent
    from tests.factories import consent_world

    reading = consent_world(world)["service"]
    placed = _restrict(world, pupil=world.amy)
    client.force_login(dpo)
    page = f"/s/{world.a.pk}/privacy/restrictions/{placed.pk}/"
    without = client.get(page).content.decode()
    assert "Passing the change on" in without and "Reading Eggs" not in without
    with school_scope(world.a):
        consent.consent_decide(actor=world.parent, pupil=world.amy, answer="given", service=reading)
    assert "Reading Eggs" in client.get(page).content.decode()
