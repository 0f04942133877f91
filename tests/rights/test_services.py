"""The request workflow's services (DSR-6, DSR-8, DSR-9): stages as stored state, an
event row and an access-log event per change, clear refusals that change nothing,
handlers run in the background with failure and retry from where it stopped."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.rights import clocks, leads, services, terms
from markbook.rights.models import DataRequest, DataRequestEvent, SchoolCalendarPeriod

pytestmark = pytest.mark.django_db
S = DataRequest.Stage


def _parent_request(world, kind="access", received_on=None):  # type: ignore[no-untyped-def]
    return services.data_request_create(
        actor=world.parent,
        school=world.a,
        kind=kind,
        subject_pupil=world.amy,
        requester_kind="parent",
        requester_user=world.parent,
        channel="own_page",
        details="Everything you hold about Amy",
        received_on=received_on,
    )


def _approved(world, lead, kind="access"):  # type: ignore[no-untyped-def]
    r = _parent_request(world, kind)
    services.data_request_check_identity(actor=lead, data_request=r, method="signed_in")
    return services.data_request_approve(actor=lead, data_request=r)


def _snapshot(r: DataRequest) -> tuple:
    r.refresh_from_db()
    return (r.stage, r.due_on, r.extended_at, r.refusal_reason, DataRequestEvent.objects.count())


def test_a_parents_request_is_received_with_its_due_date_event_and_log(world):
    """DSR-6, DSR-8: due one calendar month after receipt; the subject (Amy) and the
    requester (her parent) are both recorded; the received event and the log entry."""
    with school_scope(world.a):
        r = _parent_request(world, received_on=date(2026, 1, 31))
        assert r.due_on == date(2026, 2, 28)
        assert (r.subject_pupil, r.requester_user, r.requester_kind) == (
            world.amy,
            world.parent,
            "parent",
        )
        assert r.subject_kind == "pupil" and r.stage == S.RECEIVED
        assert r.details == "Everything you hold about Amy"
        assert [(e.from_stage, e.to_stage) for e in r.events.all()] == [("", "received")]
        assert AuditEvent.objects.filter(action="rights.request.received").count() == 1


def test_the_educational_record_is_due_in_fifteen_school_days(world):
    """DSR-8: counted on England's pattern until the school enters its dates, then on
    its own dates (a closure entered moves open requests' due dates)."""
    with school_scope(world.a):
        received = date(2026, 10, 16)
        r = _parent_request(world, "educational_record", received_on=received)
        t, c = terms.calendar_for(received)
        assert r.due_on == clocks.school_days_due(received, t, c)
        autumn = clocks.Period(date(2026, 9, 3), date(2026, 12, 18))
        inset = clocks.Period(date(2026, 11, 2), date(2026, 11, 2))
        SchoolCalendarPeriod.objects.create(
            school=world.a, kind="term", name="Autumn", start=autumn.start, end=autumn.end
        )
        terms.calendar_period_add(
            actor=world.admin,
            school=world.a,
            kind="closure",
            name="Training day",
            start=inset.start,
            end=inset.end,
        )
        r.refresh_from_db()
        # 19-23 and 26-30 October (no half term entered), 3-6 and 9 November.
        assert r.due_on == clocks.school_days_due(received, [autumn], [inset]) == date(2026, 11, 9)


def test_only_a_parent_asks_for_the_educational_record_and_only_for_a_linked_child(world):
    """DSR-8: refused clearly, nothing written."""
    with school_scope(world.a):
        with pytest.raises(ValidationError, match="Only a parent"):
            services.data_request_create(
                actor=world.amy.user,
                school=world.a,
                kind="educational_record",
                subject_pupil=world.amy,
                requester_kind="self",
                requester_user=world.amy.user,
                channel="own_page",
            )
        with pytest.raises(ValidationError, match="not linked"):
            services.data_request_create(
                actor=world.parent,
                school=world.a,
                kind="access",
                subject_pupil=world.ben,
                requester_kind="parent",
                requester_user=world.parent,
                channel="own_page",
            )
        assert DataRequest.objects.count() == 0


def test_a_request_about_someone_not_in_the_school_is_refused(world):
    """DSR-8: another school's pupil, or a person with no membership here."""
    with school_scope([world.a.pk, world.b.pk]):
        with pytest.raises(ValidationError, match="not at this school"):
            services.data_request_create(
                actor=world.admin,
                school=world.a,
                kind="access",
                subject_pupil=world.dee,
                requester_kind="school",
                channel="letter",
            )
        with pytest.raises(ValidationError, match="not a parent or member of staff"):
            services.data_request_create(
                actor=world.admin,
                school=world.a,
                kind="access",
                subject_user=world.other_parent,
                requester_kind="self",
                channel="email",
            )
        assert DataRequest.objects.count() == 0


def test_a_handled_kind_runs_in_the_background_to_done(world, lead, handler):
    """DSR-9: approved -> queued task -> in progress -> done, each change an event (who,
    from, to) and a log entry; progress is saved by the handler."""
    seen = []

    def export(run):  # type: ignore[no-untyped-def]
        seen.append(run.request.stage)
        run.progress(1, 2, "records gathered")
        return {"files": 2}

    handler("access", export)
    with school_scope(world.a):
        r = _approved(world, lead)
        assert r.stage == S.APPROVED and not r.by_hand and r.attempt == 1
        assert DBTaskResult.objects.filter(id=r.task_id).exists()
        r = services.data_request_run(data_request=r)
        assert seen == [S.IN_PROGRESS]
        assert r.stage == S.DONE and r.result == {"files": 2} and r.closed_at
        assert (r.progress_done, r.progress_total) == (1, 2)
        assert [(e.from_stage, e.to_stage, e.actor) for e in r.events.all()] == [
            ("", "received", world.parent),
            ("received", "identity_checked", lead),
            ("identity_checked", "approved", lead),
            ("approved", "in_progress", None),
            ("in_progress", "done", None),
        ]
        actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
        assert [a for a in actions if a.startswith("rights.")] == [
            "rights.request.received",
            "rights.request.identity_checked",
            "rights.request.approved",
            "rights.request.started",
            "rights.request.done",
        ]


def test_the_task_runs_the_request_in_its_school(world, lead, handler):
    """DSR-9, TEN-4: the worker's task opens the school's scope itself."""
    from markbook.rights.tasks import run_data_request

    handler("access", lambda run: {"ok": 1})
    with school_scope(world.a):
        r = _approved(world, lead)
    assert run_data_request.call(world.a.pk, r.pk, r.attempt) == "done"


def test_a_failed_request_is_retried_from_where_it_stopped(world, lead, handler):
    """DSR-9: the failure and its error are stored; a retry queues the next attempt,
    which starts from what the failed one kept; the old attempt can no longer run."""
    calls = []

    def flaky(run):  # type: ignore[no-untyped-def]
        calls.append(dict(run.checkpoint))
        if not run.checkpoint:
            run.keep(part=1)
            raise RuntimeError("the disk was full")
        run.keep(part=2)
        return {"parts": 2}

    handler("access", flaky)
    with school_scope(world.a):
        r = _approved(world, lead, "access")
        r = services.data_request_run(data_request=r)
        assert (r.stage, r.failed_stage, r.error) == (S.FAILED, S.IN_PROGRESS, "the disk was full")
        assert r.checkpoint == {"part": 1}
        with pytest.raises(ValidationError, match=r"approved already|refused|done"):
            services.data_request_approve(actor=lead, data_request=r)
        r = services.data_request_retry(actor=lead, data_request=r)
        assert (r.stage, r.attempt) == (S.APPROVED, 2)
        # The first attempt's task, run late, does nothing.
        assert services.data_request_run(data_request=r, attempt=1).stage == S.APPROVED
        r = services.data_request_run(data_request=r)
        assert r.stage == S.DONE and r.error == "" and r.checkpoint == {"part": 2}
        assert calls == [{}, {"part": 1}]
        with pytest.raises(ValidationError, match="is done"):
            services.data_request_retry(actor=lead, data_request=r)


def test_no_stage_runs_twice(world, lead, handler):
    """DSR-9: a second run of the same attempt (a duplicate task, or one started from
    inside the first) finds the stage claimed and does nothing: the handler runs once."""
    calls = []

    def once(run):  # type: ignore[no-untyped-def]
        calls.append(run.attempt)
        again = services.data_request_run(data_request=DataRequest.objects.get(pk=run.request.pk))
        assert again.stage == S.IN_PROGRESS
        return {}

    handler("access", once)
    with school_scope(world.a):
        r = _approved(world, lead)
        assert services.data_request_run(data_request=r).stage == S.DONE
        assert services.data_request_run(data_request=r).stage == S.DONE
    assert calls == [1]


def test_a_stale_page_cannot_move_a_stage_twice(world, lead):
    """DSR-9: two people approving the same request from pages loaded before either
    acted: the second is refused, one approval event is written."""
    with school_scope(world.a):
        r = _parent_request(world)
        services.data_request_check_identity(actor=lead, data_request=r, method="signed_in")
        stale = DataRequest.objects.get(pk=r.pk)
        services.data_request_approve(actor=lead, data_request=r)
        with pytest.raises(ValidationError, match="approved already"):
            services.data_request_approve(actor=lead, data_request=stale)
        assert r.events.filter(to_stage="approved").count() == 1


def test_a_kind_with_no_handler_is_done_by_hand_with_a_note(world, lead):
    """DSR-9: approving says it is carried out by hand; the lead marks it done with a
    note (required); nothing is queued."""
    with school_scope(world.a):
        r = _approved(world, lead, "rectification")
        assert r.stage == S.APPROVED and r.by_hand and r.task_id == ""
        assert services.data_request_run(data_request=r).stage == S.APPROVED
        with pytest.raises(ValidationError, match="Say what was done"):
            services.data_request_complete(actor=lead, data_request=r, note="  ")
        r = services.data_request_complete(actor=lead, data_request=r, note="Stopped the emails")
        assert (r.stage, r.outcome_note) == (S.DONE, "Stopped the emails")


def test_refusals_change_nothing(world, lead):
    """DSR-6, DSR-9: approving before the identity check, refusing without a reason,
    extending without a reason, a second extension, approving a refused request,
    extending the educational record: each refused clearly, nothing changed."""
    with school_scope(world.a):
        r = _parent_request(world, received_on=timezone.localdate())
        before = _snapshot(r)
        with pytest.raises(ValidationError, match="identity was checked before"):
            services.data_request_approve(actor=lead, data_request=r)
        with pytest.raises(ValidationError, match="reason for refusing"):
            services.data_request_refuse(actor=lead, data_request=r, reason="")
        with pytest.raises(ValidationError, match="reason for the extension"):
            services.data_request_extend(actor=lead, data_request=r, reason=" ")
        assert _snapshot(r) == before
        r = services.data_request_extend(actor=lead, data_request=r, reason="Ten years of records")
        assert r.due_on == clocks.extended_due(r.received_on)
        before = _snapshot(r)
        with pytest.raises(ValidationError, match="extended once already"):
            services.data_request_extend(actor=lead, data_request=r, reason="Still more")
        assert _snapshot(r) == before
        r = services.data_request_refuse(actor=lead, data_request=r, reason="Manifestly unfounded")
        before = _snapshot(r)
        with pytest.raises(ValidationError, match="refused, so it cannot be approved"):
            services.data_request_approve(actor=lead, data_request=r)
        with pytest.raises(ValidationError, match="refused"):
            services.data_request_check_identity(actor=lead, data_request=r, method="signed_in")
        assert _snapshot(r) == before
        record = _parent_request(world, "educational_record")
        before = _snapshot(record)
        with pytest.raises(ValidationError, match=r"cannot be\s+extended"):
            services.data_request_extend(actor=lead, data_request=record, reason="Busy")
        assert _snapshot(record) == before


def test_the_lead_role_is_granted_to_staff_only(world):
    """DSR-6: a school administrator makes a member of staff the lead, and takes it
    back; a parent cannot be one; each change is logged."""
    with school_scope(world.a):
        assert leads.dpo_grant(actor=world.admin, school=world.a, user=world.teacher)
        assert not leads.dpo_grant(actor=world.admin, school=world.a, user=world.teacher)
        assert world.teacher.pk in leads.lead_ids()
        with pytest.raises(ValidationError, match="Only a member of staff"):
            leads.dpo_grant(actor=world.admin, school=world.a, user=world.parent)
        assert leads.dpo_revoke(actor=world.admin, school=world.a, user=world.teacher)
        assert leads.lead_ids() == set()
        assert AuditEvent.objects.filter(action__startswith="rights.dpo.").count() == 2


def test_englands_pattern_is_entered_once_for_the_current_year(world):
    """DSR-8: the default to edit; a second fill is refused, nothing added."""
    with school_scope(world.a):
        made = terms.calendar_default_fill(actor=world.admin, school=world.a)
        assert [p.kind for p in made].count("term") == 3
        with pytest.raises(ValidationError, match="already"):
            terms.calendar_default_fill(actor=world.admin, school=world.a)
        assert SchoolCalendarPeriod.objects.count() == 6
        with pytest.raises(ValidationError) as error:
            terms.calendar_period_add(
                actor=world.admin,
                school=world.a,
                kind="closure",
                name="",
                start=date(2026, 11, 2),
                end=date(2026, 11, 1),
            )
        assert set(error.value.message_dict) == {"name", "end"}


def test_a_stalled_request_is_retried_and_its_stale_run_stops(world, lead, handler):
    """DSR-9: a request left in progress by a worker that died (no progress saved for
    STALL_MINUTES) can be retried; the stale attempt's next progress or result is
    refused, so the two never both write. A live one cannot be retried."""
    from markbook.rights import handlers

    runs = []

    def stuck(run):  # type: ignore[no-untyped-def]
        runs.append(run)
        return {}

    handler("access", stuck)
    with school_scope(world.a):
        r = _approved(world, lead)
        DataRequest.objects.filter(pk=r.pk).update(stage=S.IN_PROGRESS)
        r.refresh_from_db()
        with pytest.raises(ValidationError, match="failed or stalled"):
            services.data_request_retry(actor=lead, data_request=r)
        stale = handlers.Run(request=r, attempt=r.attempt)
        old = timezone.now() - timedelta(minutes=services.STALL_MINUTES + 1)
        DataRequest.objects.filter(pk=r.pk).update(updated_at=old)
        r.refresh_from_db()
        assert services.is_stalled(r)
        r = services.data_request_retry(actor=lead, data_request=r)
        assert (r.stage, r.attempt) == (S.APPROVED, 2)
        with pytest.raises(handlers.Superseded):
            stale.progress(1, 2)
        assert services.data_request_run(data_request=r).stage == S.DONE
        assert [run.attempt for run in runs] == [2]


def test_handlers_are_registered_per_known_kind():
    """DSR-9: a handler registers for one of the request kinds; a typo is refused."""
    from markbook.rights import handlers

    with pytest.raises(ValueError, match="unknown request kind"):
        handlers.register("acess", lambda run: None)
    assert handlers.handler_for("acess") is None
