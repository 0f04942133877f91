"""Markbook's engines carry out approved requests (DSR-2, DSR-5, DSR-9): an access
request runs the inventory's export for the requester to download; a restriction or
objection request places the restriction; a failed run retried picks up what the first
attempt made instead of making a second."""

import pytest

from markbook.core.tenancy import school_scope
from markbook.privacy import restriction
from markbook.privacy.models import ExportArchive, Restriction
from markbook.rights import handlers, services
from markbook.rights.models import DataRequest

pytestmark = pytest.mark.django_db
S = DataRequest.Stage


def _approved(world, lead, kind):  # type: ignore[no-untyped-def]
    r = services.data_request_create(
        actor=world.parent,
        school=world.a,
        kind=kind,
        subject_pupil=world.amy,
        requester_kind="parent",
        requester_user=world.parent,
        channel="own_page",
        details="Please stop using Amy's data for analysis.",
    )
    services.data_request_check_identity(actor=lead, data_request=r, method="signed_in")
    return services.data_request_approve(actor=lead, data_request=r)


@pytest.mark.parametrize("kind", ["access", "portability", "educational_record"])
def test_an_access_request_makes_the_export_for_the_requester(world, lead, kind):
    """DSR-2: approved, the request is queued (not by hand); its run builds Amy's export
    for her parent (the requester) to download, tied to the request."""
    with school_scope(world.a):
        r = _approved(world, lead, kind)
        assert not r.by_hand and r.task_id
        r = services.data_request_run(data_request=r)
        assert r.stage == S.DONE
        item = ExportArchive.objects.get(request_id=r.pk)
        assert r.result["export"] == item.pk
        assert (item.pupil, item.requested_by, item.state) == (world.amy, world.parent, "ready")


def test_the_request_page_offers_the_download_to_the_requester_only(world, lead, client):
    """DSR-9: the requester's page links to the copy; a teacher who may not see the
    request gets 404, and the link's download answers only the requester and the lead."""
    with school_scope(world.a):
        r = services.data_request_run(data_request=_approved(world, lead, "access"))
        item = ExportArchive.objects.get(request_id=r.pk)
    client.force_login(world.parent)
    page = client.get(f"/s/{world.a.pk}/requests/{r.pk}/").content.decode()
    download = f"/s/{world.a.pk}/privacy/exports/{item.pk}/download/"
    assert download in page
    assert client.get(download).status_code == 200
    client.force_login(world.teacher)
    assert client.get(f"/s/{world.a.pk}/requests/{r.pk}/").status_code == 404
    assert client.get(download).status_code == 404


def test_a_failed_export_run_retried_resumes_the_same_export(world, lead, monkeypatch):
    """DSR-9: the first attempt makes the export, then fails; the retry finishes that
    export rather than starting a second."""
    from markbook.rights import engines

    real = engines.export

    def failing(run):  # type: ignore[no-untyped-def]
        from markbook.privacy.export.services import export_start

        made = export_start(
            school=run.request.school,
            requested_by=run.request.requester_user,
            pupil=run.request.subject_pupil,
            request_id=run.request.pk,
            enqueue=False,
        )
        run.keep(export=made.pk)
        raise RuntimeError("The worker stopped.")

    with school_scope(world.a):
        with handlers.replaced("access", failing):
            r = services.data_request_run(data_request=_approved(world, lead, "access"))
        assert r.stage == S.FAILED and r.checkpoint["export"]
        with handlers.replaced("access", real):
            r = services.data_request_retry(actor=lead, data_request=r)
            r = services.data_request_run(data_request=r)
        assert r.stage == S.DONE
        assert ExportArchive.objects.filter(request_id=r.pk).count() == 1
        assert ExportArchive.objects.get().state == "ready"


@pytest.mark.parametrize("kind", ["restriction", "objection"])
def test_a_restriction_request_places_the_restriction(world, lead, kind):
    """DSR-5: approved and run, Amy is restricted (the request's words as the reason),
    and every consumer leaves her out from then on."""
    with school_scope(world.a):
        r = services.data_request_run(data_request=_approved(world, lead, kind))
        assert r.stage == S.DONE
        placed = Restriction.objects.get(request_id=r.pk)
        assert (placed.pupil, placed.kind, placed.placed_by) == (world.amy, kind, lead)
        assert placed.reason == "Please stop using Amy's data for analysis."
        assert restriction.pupil_restriction(world.amy) == placed


def test_a_restriction_already_in_force_answers_the_request(world, lead):
    """DSR-5: one restriction is in force per person; a request for one already placed
    is done with it, not failed."""
    from markbook.privacy.services import restriction_place

    with school_scope(world.a):
        before = restriction_place(
            school=world.a, subject=world.amy, kind="restriction", reason="Earlier", by=lead
        )
        r = services.data_request_run(data_request=_approved(world, lead, "restriction"))
        assert r.stage == S.DONE and r.result["restriction"] == before.pk
        assert Restriction.objects.count() == 1


def test_rectification_stays_with_the_lead(world, lead):
    """DSR-3: what to correct is in the request's words: the lead carries it out by hand
    on the corrections page."""
    with school_scope(world.a):
        r = _approved(world, lead, "rectification")
        assert r.by_hand and r.stage == S.APPROVED


def test_an_erasure_request_erases_as_approved_and_keeps_the_request(world, lead):
    """DSR-4, DSR-9, DSR-10: the approval keeps the impact check the lead saw; the run
    erases Amy; the request stays as the school's record, unlinked from her, naming
    the services to tell."""
    from markbook.rosters.models import Pupil

    with school_scope(world.a):
        r = _approved(world, lead, "erasure")
        assert r.checkpoint["plan"]["fingerprint"]
        r = services.data_request_run(data_request=r)
        assert r.stage == S.DONE, r.error
        assert not Pupil.objects.filter(pk=world.amy.pk).exists()
        assert r.subject_pupil_id is None and r.result["erased"].startswith("Erased")
        assert r.result["services"] == []


def test_an_erasure_under_a_legal_hold_is_not_approved(world, lead):
    """RET-3: approving the erasure of a held pupil is refused with the hold's reason,
    and nothing changes."""
    from django.core.exceptions import ValidationError

    from markbook.privacy.services import legal_hold_place

    with school_scope(world.a):
        legal_hold_place(actor=lead, school=world.a, subject=world.amy, reason="A claim")
        r = services.data_request_create(
            actor=world.parent,
            school=world.a,
            kind="erasure",
            subject_pupil=world.amy,
            requester_kind="parent",
            requester_user=world.parent,
            channel="own_page",
        )
        r = services.data_request_check_identity(actor=lead, data_request=r, method="signed_in")
        with pytest.raises(ValidationError, match="hold"):
            services.data_request_approve(actor=lead, data_request=r)
        r.refresh_from_db()
        assert r.stage == S.IDENTITY_CHECKED and r.checkpoint == {}


def test_new_data_since_the_approval_stops_the_erasure_until_retried(world, lead):
    """DSR-4, DSR-9: a mark entered after the approval: the run fails saying what
    changed and nothing is erased; the lead's retry erases on the impact as it is."""
    from markbook.rosters.models import Pupil
    from tests.factories import markbook_assignment

    with school_scope(world.a):
        r = _approved(world, lead, "erasure")
        from markbook.assessment.models import Mark

        assignment = markbook_assignment(world.class_7a, title="Late test")
        Mark.objects.create(
            school=world.a, assignment=assignment, pupil=world.amy, score=3, status="marked"
        )
        r = services.data_request_run(data_request=r)
        assert r.stage == S.FAILED and "changed after the erasure was approved" in r.error
        assert Pupil.objects.filter(pk=world.amy.pk).exists()
        r = services.data_request_run(
            data_request=services.data_request_retry(actor=lead, data_request=r)
        )
        assert r.stage == S.DONE, r.error
        assert not Pupil.objects.filter(pk=world.amy.pk).exists()
