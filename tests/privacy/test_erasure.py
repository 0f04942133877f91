"""Erasure (DSR-4, DSR-7, RET-3): a pupil with marks, drop grades, a target, a parent,
log entries and an import history is erased as the data inventory says; the
whole-database scan then finds nothing of them; other pupils' data is intact; the
access log's chain still verifies; a re-import of the old MIS file does not bring
them back; a legal hold or new data since approval stops it, with nothing changed; a
failure half-way leaves everything as it was."""

from decimal import Decimal

import pytest

from markbook.accounts.models import Membership, User
from markbook.assessment.models import Mark
from markbook.assessment.services import mark_record
from markbook.audit import services as audit
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from markbook.core.validators import upn_check_letter
from markbook.privacy import services
from markbook.privacy.erasure import (
    ErasureRefused,
    database_scan,
    erasure_execute,
    erasure_impact,
    person_of,
)
from markbook.privacy.erasure import execute as execute_module
from markbook.privacy.models import LegalHold, Suppression
from markbook.rosters.imports.mis import mis_import
from markbook.rosters.models import Enrolment, GuardianLink, ImportJob, Pupil
from markbook.rosters.services import enrolment_add
from markbook.tracking.models import Target, TrackingEntry
from markbook.tracking.targets import target_set
from tests import factories as f
from tests.conftest import World


def upn(body: str) -> str:
    return upn_check_letter(body) + body


UPN = upn("801200026001")
MIS_FILE = (
    f"Legal Surname,Forename,UPN,Admission No,Year Group\nEvanson,Evelyn,{UPN},A001,7\n"
).encode()


def _everything(world: World) -> Pupil:
    """Evelyn Evanson: imported from the MIS, in 7A with marks, a drop grade, a target,
    a parent, a sign-in account and log entries (reads of her record, her changes)."""
    with school_scope(world.a):
        result = mis_import(
            actor=world.admin, school=world.a, data=MIS_FILE, filename="mis.csv", confirm=True
        )
        assert result.ok, result.errors
        ImportJob.objects.create(
            school=world.a,
            kind="mis",
            status="done",
            filename="mis.csv",
            created_by=world.admin,
            summary={"rows": 1, "added": 1},
        )
        eve = Pupil.objects.get(upn=UPN)
        eve.email = "evelyn.evanson@oakfield.sch.uk"
        eve.save()
        assert eve.user is not None  # the import made her sign-in account
        assert Membership.objects.filter(user=eve.user, role=Membership.Role.PUPIL).exists()
        enrolment_add(actor=world.teacher, teaching_class=world.class_7a, pupil=eve)
    assignment = f.markbook_assignment(world.class_7a)
    made = f.tracking_world(world)
    with school_scope(world.a):
        mark_record(actor=world.teacher, assignment=assignment, pupil=eve, score=Decimal(15))
        mark_record(actor=world.teacher, assignment=assignment, pupil=world.ben, score=Decimal(12))
        grade = made["subject"].scale.grades.order_by("rank").first()
        target_set(actor=world.teacher, pupil=eve, subject=made["subject"], grade=grade)
        from markbook.tracking.cells import tracking_cell_save

        drop = made["drop"]
        field = drop.fields.first()
        for pupil in (eve, world.ben):
            tracking_cell_save(
                actor=world.teacher,
                drop=drop,
                field=field,
                pupil=pupil,
                subject=made["subject"],
                value=grade.label,
                version=None,
            )
        audit.record(actor=world.teacher, school=world.a, action="rosters.pupil.viewed", target=eve)
        audit.record(actor=eve.user, school=world.a, action="assessment.results.viewed", target=eve)
        # Her school record changed (DSR-3), and a parent asked about her by email.
        audit.record(
            actor=world.admin,
            school=world.a,
            action="rosters.pupil.changed",
            target=eve,
            data={"first_name": {"old": "Evie", "new": "Evelyn"}},
        )
        audit.record(
            actor=None,
            school=world.a,
            action="accounts.signin.failed",
            data={"username": "evelyn.evanson@oakfield.sch.uk"},
        )
    f.link_parent(world.parent, eve)
    with school_scope(world.a):
        return Pupil.objects.get(pk=eve.pk)


def _erase(world: World, eve: Pupil):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        plan = erasure_impact(school=world.a, subject=eve)
        return plan, erasure_execute(
            school=world.a, subject=eve, approved_plan=plan, by=world.admin
        )


def _counts(world: World) -> dict[str, int]:
    with school_scope(world.a):
        return {
            "pupils": Pupil.objects.count(),
            "marks": Mark.objects.count(),
            "entries": TrackingEntry.objects.count(),
            "targets": Target.objects.count(),
            "links": GuardianLink.objects.count(),
            "enrolments": Enrolment.objects.count(),
            "users": User.objects.count(),
            "holds": LegalHold.objects.count(),
            "suppressed": Suppression.objects.count(),
            "redacted": AuditEvent.objects.filter(redacted_at__isnull=False).count(),
        }


def test_the_impact_check_says_what_goes_what_stays_and_why(world: World):
    """DSR-4: per model, rows deleted and fields removed, with counts; what stays with its
    reason (the access log); nothing is changed by looking."""
    eve = _everything(world)
    before = _counts(world)
    with school_scope(world.a):
        plan = erasure_impact(school=world.a, subject=eve)
    goes = {(s.model, s.action): s.count for s in plan.goes}
    assert goes[("assessment.Mark", "delete")] == 1
    assert goes[("tracking.TrackingEntry", "delete")] == 1
    assert goes[("tracking.Target", "delete")] == 1
    assert goes[("rosters.GuardianLink", "delete")] == 1
    assert goes[("rosters.Enrolment", "delete")] == 1
    assert goes[("rosters.Pupil", "delete")] == 1
    assert goes[("accounts.User", "delete")] == 1
    assert goes[("accounts.Membership", "delete")] == 1
    stays = {k.what: k for k in plan.stays}
    assert stays["access-log entries"].count >= 4
    assert "tamper-evident chain" in stays["access-log entries"].reason
    assert plan.eligible and plan.pseudonym.startswith("Erased pupil ")
    assert "Evanson" not in plan.pseudonym
    assert _counts(world) == before


def test_erasure_leaves_nothing_for_the_whole_database_scan(world: World):
    """DSR-4: after erasing a pupil with marks, drop grades, a target, a parent, log
    entries and an import history, a scan of every table finds nothing of them; other
    pupils' data is intact; the chain verifies; the suppression list has them."""
    eve = _everything(world)
    with school_scope(world.a):
        person = person_of(school=world.a, subject=eve)
        assert database_scan(person), "the scan finds her before the erasure"
        ben_marks = Mark.objects.filter(pupil=world.ben).count()
        ben_entries = TrackingEntry.objects.filter(pupil=world.ben).count()
    plan, outcome = _erase(world, eve)
    assert outcome.rows_deleted >= 8 and outcome.log_events_redacted >= 4
    with school_scope(world.a):
        hits = database_scan(person)
        assert hits == [], [str(h) for h in hits]
        assert not Pupil.objects.filter(pk=eve.pk).exists()
        assert not User.objects.filter(pk=eve.user_id).exists()
        assert Mark.objects.filter(pupil=world.ben).count() == ben_marks == 1
        assert TrackingEntry.objects.filter(pupil=world.ben).count() == ben_entries == 1
        assert Pupil.objects.filter(pk__in=[world.amy.pk, world.ben.pk]).count() == 2
        assert GuardianLink.objects.filter(pupil=world.amy, parent=world.parent).exists()
        assert set(Suppression.objects.values_list("kind", flat=True)) >= {"email", "upn", "mis_id"}
        done = AuditEvent.objects.get(action="privacy.erasure.done")
        assert done.data["erased"] == plan.pseudonym
        # Her events stay, with her identifiers gone and the pseudonym in their data.
        failed = AuditEvent.objects.get(action="accounts.signin.failed")
        assert failed.data == {"redacted": True, "erased": plan.pseudonym}
        changed = AuditEvent.objects.get(action="rosters.pupil.changed", actor_id=world.admin.pk)
        assert changed.target_id == "" and changed.data["erased"] == plan.pseudonym
    assert audit.chains_verify().breaks == []


def test_a_reimport_of_the_old_mis_file_does_not_bring_them_back(world: World):
    """DSR-4: the suppression list tells the MIS import; the row is reported, not added,
    unless the school asks to bring them back."""
    eve = _everything(world)
    _erase(world, eve)
    with school_scope(world.a):
        result = mis_import(
            actor=world.admin, school=world.a, data=MIS_FILE, filename="mis.csv", confirm=True
        )
        assert result.ok
        assert result.added == []
        assert [(p.row, p.message) for p in result.warnings if p.row != 1] == [
            (2, "Not re-created: erased at the school's request.")
        ]
        assert result.suppressed == [2]
        assert not Pupil.objects.filter(upn=UPN).exists()
        back = mis_import(
            actor=world.admin,
            school=world.a,
            data=MIS_FILE,
            filename="mis.csv",
            confirm=True,
            restore_erased=True,
        )
        assert len(back.added) == 1 and Pupil.objects.filter(upn=UPN).exists()


def test_a_legal_hold_refuses_the_erasure_and_nothing_changes(world: World):
    """RET-3, DSR-4: a hold placed after the impact check stops the erasure, clearly."""
    eve = _everything(world)
    with school_scope(world.a):
        plan = erasure_impact(school=world.a, subject=eve)
        services.legal_hold_place(
            actor=world.admin, school=world.a, subject=eve, reason="Insurance claim pending."
        )
    before = _counts(world)
    with school_scope(world.a), pytest.raises(ErasureRefused, match="legal hold"):
        erasure_execute(school=world.a, subject=eve, approved_plan=plan, by=world.admin)
    assert _counts(world) == before
    with school_scope(world.a):
        again = erasure_impact(school=world.a, subject=eve)
    assert not again.eligible and "Insurance claim pending." in again.refusals[0]


def test_new_data_since_approval_refuses_the_erasure_and_nothing_changes(world: World):
    """DSR-4: a mark added after the plan was approved: refused, naming what changed."""
    eve = _everything(world)
    with school_scope(world.a):
        plan = erasure_impact(school=world.a, subject=eve)
    second = f.markbook_assignment(world.class_7a, title="Test 2")
    with school_scope(world.a):
        mark_record(actor=world.teacher, assignment=second, pupil=eve, score=Decimal(3))
    before = _counts(world)
    with school_scope(world.a), pytest.raises(ErasureRefused, match=r"marks: 1 then, 2 now"):
        erasure_execute(school=world.a, subject=eve, approved_plan=plan, by=world.admin)
    assert _counts(world) == before


def test_a_failure_half_way_leaves_all_of_it_in_place(world: World, monkeypatch):
    """DSR-4: one transaction: a crash after some steps leaves every table as it was."""
    eve = _everything(world)
    before = _counts(world)
    steps = []

    def crash(step):  # type: ignore[no-untyped-def]
        steps.append(step)
        if len(steps) == 3:
            raise RuntimeError("the database went away")

    monkeypatch.setattr(execute_module, "after_step", crash)
    with pytest.raises(RuntimeError):
        _erase(world, eve)
    assert len(steps) == 3
    assert _counts(world) == before
    assert audit.chains_verify().breaks == []


def test_erasing_someone_of_another_school_is_refused(world: World):
    """DSR-4: another school's pupil is not this school's to erase."""
    with school_scope(world.a), pytest.raises(ErasureRefused, match="not one of the school's"):
        erasure_impact(school=world.a, subject=world.other_teacher)


def test_erasing_a_teacher_keeps_their_marks_without_their_name(world: World):
    """DSR-4: the marks a teacher entered are the pupils' records: they stay, no longer
    pointing at the teacher; the teacher's log entries stay with who did it blanked."""
    eve = _everything(world)
    with school_scope(world.a):
        person = person_of(school=world.a, subject=world.teacher)
        plan = erasure_impact(school=world.a, subject=world.teacher)
        updates = {s.model: s for s in plan.goes if s.action == "update"}
        assert updates["assessment.Mark"].count == 2 and not updates["assessment.Mark"].about
        erasure_execute(school=world.a, subject=world.teacher, approved_plan=plan, by=world.admin)
        assert Mark.objects.filter(pupil=eve).get().updated_by is None
        hits = database_scan(person)
    assert hits == [], [str(h) for h in hits]
    assert audit.chains_verify().breaks == []
    with all_schools():
        assert AuditEvent.objects.filter(actor_id=world.teacher.pk).count() == 0


def test_the_scan_reports_a_mention_in_someone_elses_record(world: World):
    """DSR-4: a name in another pupil's free text (a teacher's note on Ben) is Ben's
    record, not hers: the erasure leaves it and the scan reports it, for the data
    protection lead to judge."""
    eve = _everything(world)
    with school_scope(world.a):
        person = person_of(school=world.a, subject=eve)
        audit.record(
            actor=world.admin,
            school=world.a,
            action="rosters.pupil.changed",
            target=world.ben,
            data={"medical_notes": "changed", "note": "sits by Evelyn Evanson"},
        )
    _erase(world, eve)
    with school_scope(world.a):
        hits = database_scan(person)
    assert [(h.table, h.column) for h in hits] == [("audit_auditevent", "data")]
