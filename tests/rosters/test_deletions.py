"""Deleting a member of staff, a class and the whole roster; a pupil asking to have
their account deleted and their teachers answering (DSR-7, DSR-4, DSR-8, RET-3)."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from markbook.accounts.models import Membership, User
from markbook.assessment.models import Mark
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.privacy.services import legal_hold_place
from markbook.rights import selectors as rights_selectors
from markbook.rights.models import DataRequest
from markbook.rosters import services
from markbook.rosters.models import ClassTeacher, Enrolment, Pupil, TeachingClass
from tests import factories as f
from tests.conftest import World

pytestmark = pytest.mark.django_db


def url(world: World, name: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"rosters:{name}", kwargs={"school_id": world.a.pk, **kwargs})


def api(world: World, path: str) -> str:
    return f"/api/schools/{world.a.pk}{path}"


def _mark_by_teacher(world: World) -> Mark:
    assignment = f.markbook_assignment(world.class_7a)
    with school_scope(world.a):
        return Mark.objects.create(
            school=world.a,
            assignment=assignment,
            pupil=world.amy,
            score=12,
            updated_by=world.teacher,
        )


# --- A member of staff -------------------------------------------------------------


def test_staff_delete_page_shows_what_goes_and_stays_then_deletes(client_for, world: World):
    """DSR-7: an administrator deletes a teacher through the erasure engine, the impact
    shown first; the marks they entered stay, without their name; the class stays."""
    mark = _mark_by_teacher(world)
    client = client_for("admin")
    path = url(world, "staff_delete", user_id=world.teacher.pk)
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Delete" in html and "What stays" in html and "1 class they teach" in html
    assert "anonymised reference" in html
    with school_scope(world.a):
        impact = services.staff_delete_impact(actor=world.admin, school=world.a, user=world.teacher)
    assert impact.eligible
    response = client.post(path, {"fingerprint": impact.plan.fingerprint})
    assert response.status_code == 302
    assert not User.objects.filter(pk=world.teacher.pk).exists()
    with school_scope(world.a):
        assert TeachingClass.objects.filter(pk=world.class_7a.pk).exists()
        assert not ClassTeacher.objects.filter(teaching_class=world.class_7a).exists()
        kept = Mark.objects.get(pk=mark.pk)
        assert kept.updated_by_id is None and kept.score == 12
        assert AuditEvent.objects.filter(action="rosters.staff.deleted").exists()


def test_staff_delete_refuses_yourself_and_the_only_administrator(client_for, world: World):
    """DSR-7: never yourself, never the school's only administrator; clearly said."""
    with school_scope(world.a):
        mine = services.staff_delete_impact(actor=world.admin, school=world.a, user=world.admin)
        assert any("your own account" in r for r in mine.refusals)
        with pytest.raises(ValidationError):
            services.staff_delete(actor=world.admin, school=world.a, user=world.admin)
    response = client_for("trust_admin").get(url(world, "staff_delete", user_id=world.admin.pk))
    html = response.content.decode()
    assert "only administrator" in html and "Yes, delete" not in html
    response = client_for("trust_admin").post(url(world, "staff_delete", user_id=world.admin.pk))
    assert response.status_code == 409
    assert User.objects.filter(pk=world.admin.pk).exists()


def test_staff_delete_api_refuses_a_changed_fingerprint_and_other_schools(client_for, world: World):
    """DSR-7: the API twin answers 422 when the data changed since the check; another
    school's administrator gets 404."""
    client = client_for("admin")
    path = api(world, f"/staff/{world.teacher.pk}/deletion")
    body = client.get(path).json()
    assert body["eligible"] and body["classes"] == 1
    response = client.post(
        path, json.dumps({"fingerprint": "0" * 64}), content_type="application/json"
    )
    assert response.status_code == 422
    assert User.objects.filter(pk=world.teacher.pk).exists()
    assert client_for("other_admin").get(path).status_code == 404


# --- A class -------------------------------------------------------------------------


def test_class_delete_page_counts_what_goes_and_keeps_the_pupils(client_for, world: World):
    """DSR-7: the class's enrolments, assignments and marks go, counted first; the
    pupils stay."""
    _mark_by_teacher(world)
    client = client_for("admin")
    path = url(world, "class_delete", class_id=world.class_7a.pk)
    html = client.get(path).content.decode()
    assert "2 enrolments" in html and "1 assignment" in html and "1 mark " in html
    assert "pupils and teachers themselves" in html
    body = client.get(api(world, f"/classes/{world.class_7a.pk}/deletion")).json()
    assert body == {"enrolments": 2, "teachers": 1, "assignments": 1, "marks": 1}
    assert client.post(path).status_code == 302
    with school_scope(world.a):
        assert not TeachingClass.objects.filter(pk=world.class_7a.pk).exists()
        assert not Mark.objects.exists()
        assert Pupil.objects.filter(pk__in=[world.amy.pk, world.ben.pk]).count() == 2
        event = AuditEvent.objects.get(action="rosters.class.deleted")
        assert event.data["marks"] == 1 and event.data["enrolments"] == 2


# --- The whole roster ----------------------------------------------------------------


def test_roster_delete_needs_the_schools_name_exactly(client_for, world: World):
    """DSR-7: the whole roster goes only when the school's name is typed exactly."""
    client = client_for("admin")
    path = url(world, "roster_delete")
    html = client.get(path).content.decode()
    assert "3 pupils" in html and "2 classes" in html and "Oakfield Academy" in html
    assert "staff account" in html and "not deleted" in html
    response = client.post(path, {"confirm_name": "oakfield academy"})
    assert response.status_code == 409
    assert "exactly" in response.content.decode()
    with school_scope(world.a):
        assert Pupil.objects.count() == 3
    assert client.post(path, {"confirm_name": "Oakfield Academy"}).status_code == 302
    with school_scope(world.a):
        assert Pupil.objects.count() == 0
        assert TeachingClass.objects.count() == 0 and Enrolment.objects.count() == 0
        assert Membership.objects.filter(user=world.teacher).exists()
        assert AuditEvent.objects.filter(action="rosters.roster.deleted").exists()
    with school_scope(world.b):
        assert Pupil.objects.filter(pk=world.dee.pk).exists()
    assert not User.objects.filter(pk=world.amy.user_id).exists()
    assert User.objects.filter(pk=world.teacher.pk).exists()


def test_roster_delete_is_refused_under_a_legal_hold_naming_who(client_for, world: World):
    """DSR-7, RET-3: a legal hold on any pupil stops it, and the page names them."""
    with school_scope(world.a):
        legal_hold_place(actor=world.admin, school=world.a, subject=world.ben, reason="A claim.")
    client = client_for("admin")
    html = client.get(url(world, "roster_delete")).content.decode()
    assert "Ben Brown: A claim." in html and "confirm_name" not in html
    response = client.post(
        api(world, "/roster/deletion"),
        json.dumps({"confirm_name": "Oakfield Academy"}),
        content_type="application/json",
    )
    assert response.status_code == 422 and "Ben Brown" in response.content.decode()
    with school_scope(world.a):
        assert Pupil.objects.count() == 3


# --- A pupil asks; their teachers answer -------------------------------------------


def test_pupils_get_404_on_every_delete_route(client_for, world: World):
    """DSR-7: a pupil in a class cannot delete their own account (nor anything)."""
    client = client_for("pupil")
    for path in (
        url(world, "pupil_delete", pupil_id=world.amy.pk),
        url(world, "staff_delete", user_id=world.teacher.pk),
        url(world, "class_delete", class_id=world.class_7a.pk),
        url(world, "roster_delete"),
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path).status_code == 404, path
    assert client.delete(api(world, f"/pupils/{world.amy.pk}")).status_code == 404
    with school_scope(world.a):
        assert Pupil.objects.filter(pk=world.amy.pk).exists()


def test_pupil_asks_and_a_teacher_of_theirs_deletes_completing_the_request(
    client_for, world: World
):
    """DSR-7, DSR-8: "Ask to delete my account" records an erasure request (self, own
    page); the teachers of the pupil's classes see it and deleting answers it."""
    pupil = client_for("pupil")
    html = pupil.get(url(world, "pupil_detail", pupil_id=world.amy.pk)).content.decode()
    assert "Ask to delete my account" in html
    assert pupil.post(url(world, "me_delete_ask"), {"details": "Leaving"}).status_code == 302
    with school_scope(world.a):
        asked = DataRequest.objects.get(subject_pupil=world.amy)
    assert (asked.kind, asked.requester_kind, asked.channel) == ("erasure", "self", "own_page")
    assert pupil.post(url(world, "me_delete_ask")).status_code == 400  # asked already

    teacher = client_for("teacher")
    assert "1 pupil asked to have their account deleted" in (
        teacher.get(url(world, "classes")).content.decode()
    )
    assert (
        "asked to have" not in client_for("colleague").get(url(world, "classes")).content.decode()
    )
    listing = teacher.get(url(world, "deletion_requests")).content.decode()
    assert "Amy Adams" in listing
    # The rights pages let the teacher see the request (rights access).
    detail = reverse("rights:detail", kwargs={"school_id": world.a.pk, "data_request_id": asked.pk})
    assert teacher.get(detail).status_code == 200
    assert client_for("colleague").get(detail).status_code == 404

    path = url(world, "pupil_delete", pupil_id=world.amy.pk) + f"?request={asked.pk}"
    page = teacher.get(path).content.decode()
    assert "deleting it answers their request" in page
    with school_scope(world.a):
        plan = services.pupil_delete_impact(pupil=world.amy)
    response = teacher.post(path, {"fingerprint": plan.fingerprint, "request": asked.pk})
    assert response.status_code == 302
    with school_scope(world.a):
        assert not Pupil.objects.filter(pk=world.amy.pk).exists()
        asked.refresh_from_db()
        assert asked.stage == "done"


def test_teacher_passes_the_request_to_the_data_protection_lead(client_for, world: World):
    """DSR-7: passed on, it leaves the teachers' list and the lead still has it."""
    with school_scope(world.a):
        asked = services.pupil_deletion_ask(actor=world.amy.user, pupil=world.amy)
        Membership.objects.create(school=world.a, user=world.colleague, role="dpo")
    teacher = client_for("teacher")
    response = teacher.post(url(world, "deletion_request_pass", deletion_request_id=asked.pk))
    assert response.status_code == 302
    with school_scope(world.a):
        assert not rights_selectors.pupil_deletion_requests_for(world.teacher).exists()
        asked.refresh_from_db()
        assert asked.stage == "received"
        assert AuditEvent.objects.filter(action="rights.request.passed_to_lead").exists()
    assert (
        client_for("colleague")
        .get(
            reverse("rights:detail", kwargs={"school_id": world.a.pk, "data_request_id": asked.pk})
        )
        .status_code
        == 200
    )
    assert (
        "No pupil of your classes" in teacher.get(url(world, "deletion_requests")).content.decode()
    )


def test_pupil_asks_through_the_api_and_the_teacher_deletes_through_it(client_for, world: World):
    """DSR-7: the API twins: ask (201), list (teacher), delete naming the request."""
    response = client_for("pupil").post(
        api(world, "/me/deletion-request"), json.dumps({}), content_type="application/json"
    )
    assert response.status_code == 201
    request_id = response.json()["id"]
    teacher = client_for("teacher")
    assert [r["pupil"] for r in teacher.get(api(world, "/deletion-requests")).json()] == [
        "Amy Adams"
    ]
    assert client_for("colleague").get(api(world, "/deletion-requests")).json() == []
    response = teacher.delete(api(world, f"/pupils/{world.amy.pk}?request_id={request_id}"))
    assert response.status_code == 204
    with school_scope(world.a):
        assert DataRequest.objects.get(pk=request_id).stage == "done"


def test_a_large_roster_is_deleted_in_resumable_batches_with_progress(
    client_for, world: World, monkeypatch
):
    """DSR-7: over the inline limit the page starts a background task; each batch
    commits, progress shows on the page and the API, and a run again resumes."""
    from markbook.rosters.tasks import run_roster_delete

    monkeypatch.setattr(services, "ROSTER_INLINE_MAX", 1)
    client = client_for("admin")
    path = url(world, "roster_delete")
    assert client.post(path, {"confirm_name": "Oakfield Academy"}).status_code == 302
    html = client.get(path).content.decode()
    assert "0 of 3 pupils so far" in html and "confirm_name" not in html
    assert client.post(path, {"confirm_name": "Oakfield Academy"}).status_code == 409  # running
    with school_scope(world.a):
        assert services.roster_delete_batch(actor=world.admin, school=world.a, limit=1) == 2
    body = client.get(api(world, "/roster/deletion")).json()
    assert body["in_progress"] and body["deleted_so_far"] == 1
    with school_scope(world.a):
        legal_hold_place(actor=world.admin, school=world.a, subject=world.cal, reason="A claim.")
    assert run_roster_delete.call(world.a.pk, world.admin.pk) == "refused"
    with school_scope(world.a):
        assert Pupil.objects.count() == 2
        from markbook.privacy.models import LegalHold

        hold = LegalHold.objects.get()
        from markbook.privacy.services import legal_hold_lift

        legal_hold_lift(actor=world.admin, hold=hold, reason="Settled.")
    assert run_roster_delete.call(world.a.pk, world.admin.pk) == "done"
    with school_scope(world.a):
        assert Pupil.objects.count() == 0 and TeachingClass.objects.count() == 0
        assert services.roster_delete_progress(school=world.a) is None
        assert AuditEvent.objects.filter(action="rosters.roster.deleted").count() == 1
    assert "Delete 0 pupils" in client.get(path).content.decode()
