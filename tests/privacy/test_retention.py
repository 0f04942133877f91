"""The retention engine (RET-1, RET-2, RET-3, RET-4): the rules as data, read by the
inventory, the notice and the engine alike; a school shortens a period, never
lengthens it; the dry run lists what would go and deletes nothing; a run deletes
exactly what is due, through the erasure engine, and a second run nothing more; legal
holds keep what they name; the access log gets counts, never contents; progress is
recorded as the run goes."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from markbook.privacy import services as privacy_services
from markbook.privacy.inventory import REGISTRY, Retention
from markbook.privacy.models import LegalHold, RetentionOverride, RetentionRun, RetentionWarning
from markbook.privacy.record import processing_rows
from markbook.privacy.retention import engine
from markbook.privacy.retention import rules as R
from markbook.privacy.retention.engine import RetentionBusy, retention_plan, retention_run
from markbook.privacy.retention.lifecycle import subscription_ended_on
from markbook.privacy.retention.logs import events_with_addresses_before
from markbook.privacy.retention.services import retention_override_clear, retention_override_set
from markbook.rosters.models import Enrolment, Pupil
from markbook.schools.models import School
from tests.conftest import World

# --- The rules (RET-1) -------------------------------------------------------------


def test_the_defaults_of_ret_1():
    expect = {
        R.LOGS: (R.Period(days=365), R.Trigger.EVENT),
        R.INACTIVE_ACCOUNTS: (R.Period(years=2), R.Trigger.LAST_SIGN_IN),
        R.PUPILS_LEFT: (R.Period(years=1), R.Trigger.PUPIL_LEFT),
        R.SUBSCRIPTION_ENDED: (R.Period(years=1), R.Trigger.SUBSCRIPTION_ENDED),
        R.MARKETING: (R.Period(years=3), R.Trigger.LAST_INTERACTION),
        R.CONTRACTS: (R.Period(years=7), R.Trigger.CONTRACT_ENDED),
        R.INVOICES: (R.Period(years=8), R.Trigger.ISSUED),
    }
    assert {k: (r.period, r.trigger) for k, r in R.RULES.items()} == expect
    assert R.RULES[R.INACTIVE_ACCOUNTS].warn_days == 30
    assert R.RULES[R.PUPILS_LEFT].school_sets
    # Markbook holds no marketing contacts or invoices: the rules are stated anyway.
    assert not R.RULES[R.MARKETING].held and not R.RULES[R.INVOICES].held
    assert "Markbook holds none" in R.RULES[R.INVOICES].text()
    assert "8 years" in R.RULES[R.INVOICES].text()


def test_a_period_of_years_is_calendar_years():
    assert R.Period(years=1).before(date(2026, 12, 2)) == date(2025, 12, 2)
    assert R.Period(years=1).before(date(2028, 2, 29)) == date(2027, 2, 28)
    assert R.Period(days=365).before(date(2026, 12, 2)) == date(2025, 12, 2)
    with pytest.raises(ValueError, match="not both"):
        R.Period(days=1, years=1)


def test_every_declaration_names_a_structured_rule():
    """Inventory consistency: no free-text retention is left; the notice's and the
    record's words are the rule's text; the engine reads the very same rule objects."""
    free = [
        f"{label}.{name}"
        for label, decl in REGISTRY.items()
        for name, p in decl.personal.items()
        if not isinstance(p.retention, R.RetentionRule) or not p.rule.key
    ]
    assert free == []
    rows = {(r.model, r.field): r.retention for r in processing_rows()}
    from markbook.core.text import without_requirement_ids

    for label, decl in REGISTRY.items():
        for name, p in decl.personal.items():
            assert rows[(label, name)] == without_requirement_ids(p.rule.text())
    assert REGISTRY["audit.AuditEvent"].personal["ip"].rule is R.RULES[R.LOGS]
    assert (
        REGISTRY["schools.TermsAcceptance"].personal["accepted_by_name"].rule
        is (R.RULES[R.CONTRACTS])
    )
    # Lifetime rules are generated from the period rules that end them.
    assert R.RULES[R.PUPILS_LEFT].text() in Retention.PUPIL.text()
    assert R.RULES[R.INACTIVE_ACCOUNTS].text() in Retention.ACCOUNT.text()
    # The import sweep deletes job records after the logs rule's period.
    from markbook.rosters.imports.stalled import JOB_RETENTION_DAYS

    assert R.RULES[R.LOGS].period.days == JOB_RETENTION_DAYS  # type: ignore[union-attr]


def test_a_rule_in_words_only_is_caught():
    from markbook.privacy.inventory import Basis, Category, Erasure, Personal

    p = Personal(Category.IDENTITY, "x", Basis.PUBLIC_TASK, "x", "for a while", Erasure.BLANK)
    assert p.rule.key == "" and p.rule.text() == "for a while"


# --- Shortening, never lengthening (RET-2) -------------------------------------------

SHORTENABLE = [r.key for r in R.shortenable()]


def test_what_a_school_may_shorten():
    assert SHORTENABLE == [R.LOGS, R.INACTIVE_ACCOUNTS, R.PUPILS_LEFT, R.SUBSCRIPTION_ENDED]


@given(key=st.sampled_from(sorted(R.RULES)), days=st.integers(-10, 4000))
def test_an_accepted_override_never_lengthens(key: str, days: int):
    rule = R.RULES[key]
    problem = R.override_problem(key, days)
    today = date(2026, 12, 2)
    if problem:
        # Refused: the default cutoff applies.
        assert R.cutoff(rule, today, days) == rule.period.before(today)  # type: ignore[union-attr]
        return
    assert key in SHORTENABLE and days >= 1
    # Never longer: the school's cutoff is never earlier than the default's.
    for day in (today, date(2028, 2, 29), date(2027, 3, 1)):
        assert R.cutoff(rule, day, days) >= rule.period.before(day)  # type: ignore[union-attr]


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_the_longest_override_is_never_longer_than_the_default(day: date):
    for rule in R.shortenable():
        assert rule.period is not None
        assert R.cutoff(rule, day, rule.period.longest_days) >= rule.period.before(day)


def test_a_longer_period_is_refused_with_a_clear_error(world: World):
    with school_scope(world.a):
        with pytest.raises(ValidationError) as refused:
            retention_override_set(actor=world.admin, school=world.a, key=R.PUPILS_LEFT, days=400)
        assert "400 days is longer than the default" in str(refused.value)
        assert "never lengthen" in str(refused.value)
        with pytest.raises(ValidationError, match="no such retention rule"):
            retention_override_set(actor=world.admin, school=world.a, key=R.CONTRACTS, days=10)
        assert not RetentionOverride.objects.exists()
        retention_override_set(actor=world.admin, school=world.a, key=R.PUPILS_LEFT, days=90)
        seq = AuditEvent.objects.count()
        # Saved unchanged: nothing changes, nothing is logged.
        retention_override_set(actor=world.admin, school=world.a, key=R.PUPILS_LEFT, days=90)
        assert AuditEvent.objects.count() == seq
        assert RetentionOverride.objects.get().days == 90
        assert retention_override_clear(actor=world.admin, school=world.a, key=R.PUPILS_LEFT)
        assert not RetentionOverride.objects.exists()


def test_api_refuses_a_longer_period_with_422(world: World, client_for):
    url = f"/api/schools/{world.a.pk}/privacy/retention/pupils_left"
    admin = client_for("admin")
    response = admin.put(url, {"days": 9999}, content_type="application/json")
    assert response.status_code == 422
    assert "longer than the default" in response.content.decode()
    response = admin.put(url, {"days": 30}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["school_days"] == 30
    assert response.json()["in_force"] == "30 days after the pupil left"
    rules = admin.get(f"/api/schools/{world.a.pk}/privacy/retention").json()["rules"]
    assert {r["key"]: r["school_days"] for r in rules}[R.PUPILS_LEFT] == 30
    assert admin.delete(url).json()["school_days"] is None


def test_page_refuses_a_longer_period_and_saves_a_shorter_one(world: World, client_for):
    url = reverse("school_privacy:retention", kwargs={"school_id": world.a.pk})
    admin = client_for("admin")
    response = admin.post(url, {"key": R.LOGS, "days": "500"})
    assert response.status_code == 400
    assert "500 days is longer than the default" in response.content.decode()
    assert admin.post(url, {"key": R.LOGS, "days": "abc"}).status_code == 400
    assert admin.post(url, {"key": R.LOGS, "days": "200"}).status_code == 302
    with school_scope(world.a):
        assert RetentionOverride.objects.get(key=R.LOGS).days == 200
    assert "200 days after the event" in admin.get(url).content.decode()


def test_the_data_protection_lead_sees_the_pages(world: World, client_for):
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=world.colleague, role="dpo")
    lead = client_for("colleague")
    for name in ("school_privacy:retention", "school_privacy:retention_due"):
        assert lead.get(reverse(name, kwargs={"school_id": world.a.pk})).status_code == 200


# --- The engine (RET-1, RET-3, RET-4) ---------------------------------------------


def _left(pupil: Pupil, days_ago: int) -> None:
    Pupil.objects.filter(pk=pupil.pk).update(
        status=Pupil.Status.LEFT, left_on=timezone.localdate() - timedelta(days=days_ago)
    )


@pytest.fixture
def leavers(world: World) -> World:
    """Amy left 400 days ago (due under the 1-year default); Ben 100 days ago (not)."""
    with school_scope(world.a):
        _left(world.amy, 400)
        _left(world.ben, 100)
    return world


def _exists(model, pk: int) -> bool:  # type: ignore[no-untyped-def]
    with all_schools():
        return model._default_manager.filter(pk=pk).exists()


def test_dry_run_lists_what_would_go_and_deletes_nothing(leavers: World):
    w = leavers
    with school_scope(w.a):
        plan = retention_plan(school=w.a)
        assert [p.pk for p in plan.categories[R.PUPILS_LEFT].people] == [w.amy.pk]
        assert plan.counts()[R.PUPILS_LEFT] == 1
        run = retention_run(school=w.a, dry_run=True)
    assert run.dry_run and run.state == RetentionRun.State.DONE
    assert run.counts[R.PUPILS_LEFT] == 1
    assert _exists(Pupil, w.amy.pk) and _exists(User, w.amy.user_id)
    with school_scope(w.a):
        assert not AuditEvent.objects.filter(action="privacy.retention.run").exists()


def test_dry_run_page_names_who_would_go(leavers: World, client_for):
    url = reverse("school_privacy:retention_due", kwargs={"school_id": leavers.a.pk})
    html = client_for("admin").get(url).content.decode()
    assert "Amy Adams" in html
    assert "Ben Brown" not in html
    assert "Markbook holds none" in html
    due = client_for("admin").get(f"/api/schools/{leavers.a.pk}/privacy/retention/due").json()
    left = next(c for c in due["categories"] if c["key"] == R.PUPILS_LEFT)
    assert left["people"] == [{"kind": "pupil", "id": leavers.amy.pk, "name": "Amy Adams"}]
    assert _exists(Pupil, leavers.amy.pk)


def test_run_deletes_exactly_what_is_due_through_the_erasure_engine(leavers: World):
    w = leavers
    with school_scope(w.a):
        run = retention_run(school=w.a)
    assert run.state == RetentionRun.State.DONE
    assert run.counts[R.PUPILS_LEFT] == 1 and run.counts["rows_deleted"] >= 2
    assert not _exists(Pupil, w.amy.pk)
    assert not _exists(User, w.amy.user_id)  # her account went with her
    for kept in (w.ben, w.cal, w.dee):
        assert _exists(Pupil, kept.pk)
    for user in (w.teacher, w.parent, w.admin, w.colleague):
        assert _exists(User, user.pk)
    with school_scope(w.a):
        # The erasure engine's own record, with a pseudonym, and the engine's counts.
        assert AuditEvent.objects.filter(action="privacy.erasure.done").count() == 1
        assert Enrolment.objects.filter(pupil=w.ben).exists()


def test_a_second_run_deletes_nothing_more(leavers: World):
    w = leavers
    with school_scope(w.a):
        retention_run(school=w.a)
        logged = AuditEvent.objects.filter(action="privacy.retention.run").count()
        pupils = Pupil.objects.count()
        again = retention_run(school=w.a)
        assert sum(v for k, v in again.counts.items() if k in R.RULES) == 0
        assert Pupil.objects.count() == pupils
        assert AuditEvent.objects.filter(action="privacy.retention.run").count() == logged


def test_a_shorter_period_of_the_school_deletes_sooner(leavers: World):
    w = leavers
    with school_scope(w.a):
        retention_override_set(actor=w.admin, school=w.a, key=R.PUPILS_LEFT, days=90)
        run = retention_run(school=w.a)
    assert run.counts[R.PUPILS_LEFT] == 2
    assert not _exists(Pupil, w.ben.pk)
    with school_scope(w.b):  # another school's shorter period is its own
        assert not RetentionOverride.objects.exists()


@pytest.mark.parametrize("held", ["person", "class", "school"])
def test_a_legal_hold_keeps_what_it_names(leavers: World, held: str):
    w = leavers
    with school_scope(w.a):
        _left(w.cal, 500)  # Cal (7B) is due too
        kwargs: dict = {
            "person": {"subject": w.amy},
            "class": {"teaching_class": w.class_7a},
            "school": {"whole_school": True},
        }[held]
        privacy_services.legal_hold_place(
            actor=w.admin, school=w.a, reason="A claim is pending.", **kwargs
        )
        run = retention_run(school=w.a)
    assert _exists(Pupil, w.amy.pk)
    if held == "school":
        assert _exists(Pupil, w.cal.pk)
        assert run.counts[R.PUPILS_LEFT] == 0
        assert run.held[R.PUPILS_LEFT] == 2
    else:
        assert not _exists(Pupil, w.cal.pk)  # not held: goes
        assert run.counts[R.PUPILS_LEFT] == 1
        assert run.held == {R.PUPILS_LEFT: 1}
    with school_scope(w.a):
        LegalHold.objects.update(lifted_at=timezone.now())
        after = retention_run(school=w.a)
    assert after.counts[R.PUPILS_LEFT] >= 1 and not _exists(Pupil, w.amy.pk)


def test_counts_in_the_log_never_contents(leavers: World):
    w = leavers
    with school_scope(w.a):
        retention_run(school=w.a)
        event = AuditEvent.objects.get(action="privacy.retention.run")
    assert event.data["deleted"][R.PUPILS_LEFT] == 1
    text = json.dumps(event.data).lower()
    for value in ("amy", "adams", "amy.adams", "oakfield.sch.uk"):
        assert value not in text
    assert event.actor_id is None and event.target_id == ""


def test_progress_is_recorded_as_the_run_goes(leavers: World):
    w = leavers
    seen: list[tuple[str, int, int]] = []
    with school_scope(w.a):
        _left(w.cal, 500)
        run = retention_run(
            school=w.a, progress=lambda r: seen.append((r.state, r.progress_done, r.progress_total))
        )
        stored = RetentionRun.objects.get(pk=run.pk)
    assert seen[0] == ("running", 0, 4)  # two pupils, the log, the contract records
    assert ("running", 1, 4) in seen and ("running", 2, 4) in seen
    assert (stored.state, stored.progress_done, stored.progress_total) == ("done", 4, 4)
    assert stored.finished_at is not None


def test_a_stalled_run_is_marked_failed_and_a_live_one_blocks(world: World):
    with school_scope(world.a):
        old = timezone.now() - timedelta(hours=2)
        dead = RetentionRun.objects.create(school=world.a, started_at=old, heartbeat_at=old)
        retention_run(school=world.a)
        dead.refresh_from_db()
        assert dead.state == RetentionRun.State.FAILED
        RetentionRun.objects.create(
            school=world.a, started_at=timezone.now(), heartbeat_at=timezone.now()
        )
        with pytest.raises(RetentionBusy):
            retention_run(school=world.a)
        retention_run(school=world.a, dry_run=True)  # a dry run deletes nothing: allowed


def test_a_dead_run_s_counts_go_to_the_log_when_it_is_marked_failed(world: World):
    """What a run killed midway had deleted, saved as it went, is logged once the next
    run finds it dead (tests/core/test_worker_killed.py kills a real one)."""
    with school_scope(world.a):
        old = timezone.now() - timedelta(hours=2)
        counts = {R.PUPILS_LEFT: 2, "rows_deleted": 9}
        dead = RetentionRun.objects.create(
            school=world.a, started_at=old, heartbeat_at=old, counts=counts
        )
        retention_run(school=world.a)
        retention_run(school=world.a)  # marked once, logged once
        dead.refresh_from_db()
        event = AuditEvent.objects.get(action="privacy.retention.stopped")
    assert dead.state == RetentionRun.State.FAILED and dead.counts == counts
    assert event.data["deleted"][R.PUPILS_LEFT] == 2 and event.data["rows_deleted"] == 9


def test_a_run_that_fails_midway_keeps_and_logs_what_it_deleted(leavers: World, monkeypatch):
    w = leavers
    real = engine._erase
    calls: list[int] = []

    def erase_then_fail(school, subject, plan):  # type: ignore[no-untyped-def]
        calls.append(subject.pk)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real(school, subject, plan)

    monkeypatch.setattr(engine, "_erase", erase_then_fail)
    with school_scope(w.a):
        _left(w.cal, 500)
        with pytest.raises(RuntimeError):
            retention_run(school=w.a)
        run = RetentionRun.objects.get()
        event = AuditEvent.objects.get(action="privacy.retention.stopped")
        assert Pupil.objects.filter(pk__in=[w.amy.pk, w.cal.pk]).count() == 1
    assert (run.state, run.error, run.progress_done) == ("failed", "RuntimeError", 1)
    assert run.counts[R.PUPILS_LEFT] == 1 and event.data["deleted"][R.PUPILS_LEFT] == 1


def test_the_runs_page_shows_a_running_one_s_progress(world: World, client_for):
    with school_scope(world.a):
        RetentionRun.objects.create(
            school=world.a,
            started_at=timezone.now(),
            heartbeat_at=timezone.now(),
            progress_done=3,
            progress_total=7,
        )
    url = reverse("school_privacy:retention", kwargs={"school_id": world.a.pk})
    html = client_for("admin").get(url).content.decode()
    assert "3 of 7 done" in html and 'hx-trigger="every 2s"' in html


def test_inactive_accounts_go_after_a_warning(world: World):
    w = world
    now = timezone.now()
    User.objects.filter(pk=w.colleague.pk).update(last_login=now - timedelta(days=800))
    User.objects.filter(pk=w.teacher.pk).update(last_login=now - timedelta(days=720))
    with school_scope(w.a):
        plan = retention_plan(school=w.a)
        assert [u.pk for u in plan.categories[R.INACTIVE_ACCOUNTS].people] == [w.colleague.pk]
        assert [u.pk for u, _ in plan.warnings] == [w.teacher.pk]
        run = retention_run(school=w.a)
        assert run.counts[R.INACTIVE_ACCOUNTS] == 1 and run.counts["warned"] == 1
        assert not _exists(User, w.colleague.pk)
        assert _exists(User, w.teacher.pk)
        warning = RetentionWarning.objects.get()
        assert warning.user_id == w.teacher.pk
        assert warning.due_on == timezone.localdate() + timedelta(days=10)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["admin@oakfield.sch.uk"]
    assert "1 account" in mail.outbox[0].body and "Teacher" not in mail.outbox[0].subject
    with school_scope(w.a):
        retention_run(school=w.a)
        assert len(mail.outbox) == 1  # told once
        User.objects.filter(pk=w.teacher.pk).update(last_login=now)  # signs in again
        retention_run(school=w.a)
        assert not RetentionWarning.objects.exists()


def test_a_pupil_on_roll_is_not_deleted_for_an_unused_account(world: World):
    User.objects.filter(pk=world.ben.user_id).update(
        last_login=timezone.now() - timedelta(days=1000)
    )
    with school_scope(world.a):
        plan = retention_plan(school=world.a)
    assert plan.categories[R.INACTIVE_ACCOUNTS].people == []


def test_a_school_whose_subscription_ended_goes_a_year_later(world: World):
    ended = timezone.localdate() - timedelta(days=400)
    school = School.objects.get(pk=world.a.pk)
    school.status, school.subscription_ends = School.Status.ENDED, ended
    if hasattr(school, "ended_on"):  # the lifecycle's own field, once merged
        school.ended_on = ended
    assert subscription_ended_on(school) == ended
    with school_scope(school):
        plan = retention_plan(school=school)
        due = plan.categories[R.SUBSCRIPTION_ENDED]
        assert {p.pk for p in due.people if isinstance(p, Pupil)} == {
            world.amy.pk,
            world.ben.pk,
            world.cal.pk,
        }
        assert world.admin in due.people and world.parent in due.people
        assert plan.categories[R.CONTRACTS].count == 0  # 7 years, not yet
    # An active school's date is a renewal date, not an end.
    assert subscription_ended_on(world.b) is None
    world.b.status = School.Status.ENDED
    world.b.ended_on = timezone.localdate() - timedelta(days=3)  # type: ignore[attr-defined]
    assert subscription_ended_on(world.b) == timezone.localdate() - timedelta(days=3)


def test_log_entries_due_are_counted_until_the_chain_can_drop_them(world: World):
    with school_scope(world.a):
        audit.record(actor=world.admin, school=world.a, action="privacy.erasure.checked")
        later = timezone.now() + timedelta(days=400)
        assert events_with_addresses_before(school_id=world.a.pk, before=later) >= 1
        plan = retention_plan(school=world.a, now=later)
        assert plan.categories[R.LOGS].count >= 1
        before = AuditEvent.objects.filter(actor_id__isnull=False).count()
        run = retention_run(school=world.a, now=later)
        assert run.counts[R.LOGS] >= 1
        assert AuditEvent.objects.filter(actor_id__isnull=False).count() < before


def test_the_command_runs_dry_and_for_real(leavers: World):
    out = StringIO()
    call_command("retention_run", "--dry-run", "--school", str(leavers.a.pk), stdout=out)
    said = out.getvalue()
    assert f"due (pupils_left): pupil {leavers.amy.pk}" in said
    assert "retention: due pupils left: 1" in said
    assert "Amy" not in said  # ids, not names, in cron's mail
    assert "dry run, nothing changed" in said
    assert _exists(Pupil, leavers.amy.pk)
    out = StringIO()
    call_command("retention_run", "--school", str(leavers.a.pk), stdout=out)
    assert "retention: deleted pupils left: 1" in out.getvalue()
    assert not _exists(Pupil, leavers.amy.pk)
    with pytest.raises(CommandError, match="no school with id"):
        call_command("retention_run", "--school", "999999")


def test_the_hourly_sweep_runs_the_retention_rules(leavers: World):
    out = StringIO()
    call_command("markbook_import_jobs_sweep", stdout=out)
    assert not _exists(Pupil, leavers.amy.pk)
    assert f"school {leavers.a.pk} ({leavers.a.name}) retention: deleted" in out.getvalue()


def test_a_class_under_a_hold_is_not_deleted_and_the_roster_deletion_says_so(world: World):
    """RET-3: a hold on a class keeps the class too; lifted, the hold outlives it."""
    from markbook.rosters.services import class_delete
    from markbook.rosters.services.deletions import roster_delete_impact

    with school_scope(world.a):
        hold = privacy_services.legal_hold_place(
            actor=world.admin, school=world.a, teaching_class=world.class_7a, reason="Inquiry."
        )
        with pytest.raises(ValidationError, match="lift the hold first"):
            class_delete(actor=world.admin, teaching_class=world.class_7a)
        assert roster_delete_impact(school=world.a).holds == ["Class 7A Maths: Inquiry."]
        privacy_services.legal_hold_lift(actor=world.admin, hold=hold, reason="Closed.")
        class_delete(actor=world.admin, teaching_class=world.class_7a)
        hold.refresh_from_db()
        assert hold.teaching_class_id is None and hold.lifted_at is not None


def test_holds_page_places_a_whole_school_hold(world: World, client_for):
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=world.colleague, role="dpo")
    url = reverse("school_privacy:holds", kwargs={"school_id": world.a.pk})
    lead = client_for("colleague")
    assert lead.post(url, {"person": "school", "reason": "Police inquiry."}).status_code == 302
    assert (
        lead.post(url, {"person": f"class:{world.class_7b.pk}", "reason": "Claim."}).status_code
        == 302
    )
    html = lead.get(url).content.decode()
    assert "The whole school" in html and "Class 7B Maths" in html
    with school_scope(world.a):
        assert LegalHold.objects.filter(whole_school=True).count() == 1
        plan = retention_plan(school=world.a)
    assert plan.categories[R.LOGS].rows == 0  # the whole school is held: its log too


def test_the_class_deletion_page_says_a_hold_keeps_the_class(world: World, client_for):
    with school_scope(world.a):
        privacy_services.legal_hold_place(
            actor=world.admin, school=world.a, teaching_class=world.class_7b, reason="Claim."
        )
    url = reverse(
        "rosters:class_delete", kwargs={"school_id": world.a.pk, "class_id": world.class_7b.pk}
    )
    response = client_for("admin").post(url, follow=True)
    assert "A legal hold keeps this class" in response.content.decode()
    with school_scope(world.a):
        assert Enrolment.objects.filter(teaching_class=world.class_7b).exists()
