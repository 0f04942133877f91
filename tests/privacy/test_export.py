"""Subject access exports (DSR-2, DSR-9, SEC-1, SEC-2): complete from the inventory,
other people left out, deterministic, encrypted at rest, downloadable in a window."""

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils import timezone

from markbook.accounts.models import ApiToken, Membership, RegistrationRequest, SignInCode
from markbook.assessment.models import Assignment, Mark, TrustAssignment
from markbook.audit import services as audit
from markbook.audit.context import Origin, current
from markbook.audit.models import AuditEvent
from markbook.core.fields import Ciphertext
from markbook.core.tenancy import school_scope
from markbook.privacy.export import collect as collect_mod
from markbook.privacy.export.collect import REDACTED, WITHHELD, unreachable
from markbook.privacy.export.services import (
    ExportError,
    ExportUnavailable,
    export_download,
    export_run,
    export_start,
    exports_expire,
)
from markbook.privacy.inventory import REGISTRY, Declaration
from markbook.privacy.models import ExportArchive
from markbook.rosters.models import ClassTeacher, GuardianLink, ImportJob
from markbook.schools.models import TermsAcceptance, TrustAdmin
from markbook.tracking.models import DataDrop, Grade, Target, TrackingEntry
from tests.factories import markbook_assignment, markbook_drop


def _zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _export(world, *, pupil=None, user=None, by=None) -> tuple[ExportArchive, dict[str, bytes]]:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        item = export_start(
            school=world.a, requested_by=by or world.admin, pupil=pupil, user=user, enqueue=False
        )
        item = export_run(item.pk)
        assert item.state == ExportArchive.State.READY, item.error
        files = _zip(export_download(item=item, actor=by or world.admin).data)
    return item, files


def _rows(files: dict[str, bytes], label: str) -> list[dict[str, Any]]:
    name = f"json/{label.replace('.', '-').lower()}.json"
    if name not in files:
        return []
    return json.loads(files[name])["rows"]


def _populate(world) -> None:  # type: ignore[no-untyped-def]
    """Amy with a row of every declared model that can be about a person, every personal
    field filled; references to a person point at Amy herself where the model allows."""
    amy, user, school = world.amy, world.amy.user, world.a
    user.first_name, user.last_name, user.email = "Amy", "Adams", "amy.adams@oakfield.sch.uk"
    user.last_login = timezone.now()
    user.display_preferences = {"text_size": "large"}
    user.save()
    group = Group.objects.create(name="Unused group")
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.first())
    from allauth.account.models import EmailAddress, EmailConfirmation
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount, SocialToken
    from django_tasks_db.models import DBTaskResult

    address = EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    EmailConfirmation.objects.create(email_address=address, key="k" * 20, sent=timezone.now())
    social = SocialAccount.objects.create(
        user=user, provider="google", uid="g-123", extra_data={"name": "Amy"}
    )
    SocialAccount.objects.filter(pk=social.pk).update(last_login=timezone.now())
    SocialToken.objects.create(account=social, token="secret-token", token_secret="ts")
    Authenticator.objects.create(
        user=user, type="totp", data={"secret": "S"}, last_used_at=timezone.now()
    )
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session.create()
    ApiToken.objects.create(
        user=user, name="t", digest="d" * 64, prefix="mb_abcd", last_used_at=timezone.now()
    )
    TrustAdmin.objects.create(trust=school.trust, user=user)
    TrustAssignment.objects.create(trust=school.trust, title="Mock", max_mark=10, created_by=user)
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="markbook.rosters.tasks.run_import_job",
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
        return_value="done",
        exception_class_path="",
        traceback="no error",
    )
    grade_scale_drop = markbook_drop(world.class_7a, name="Autumn")
    assignment = markbook_assignment(world.class_7a, title="Fractions test")
    with school_scope(school):
        amy.pseudonym, amy.upn, amy.upn_hash = "Blue Fox", "A801200000001", "h" * 16
        amy.mis_id, amy.oneroster_id, amy.uln = "M1", "or-1", "1234567890"
        amy.date_of_birth, amy.year_group, amy.registration_group = dt.date(2014, 1, 2), "7", "7R"
        amy.status, amy.left_on, amy.ks2_reading, amy.ks2_maths = "left", dt.date(2027, 7, 20), 3, 4
        amy.sex, amy.eal, amy.gifted_talented = "F", True, False
        amy.fsm, amy.disadvantaged, amy.sen_provision = True, True, "K"
        amy.sen_need, amy.ethnicity, amy.medical_notes = "SPLD", "WBRI", "Asthma: inhaler"
        amy.save()
        Membership.objects.filter(user=user).update()
        SignInCode.objects.create(
            school=school,
            user=user,
            digest="c" * 64,
            issued_by=user,
            expires_at=timezone.now(),
            used_at=timezone.now(),
        )
        RegistrationRequest.objects.create(
            school=school,
            user=user,
            email=user.email,
            first_name="Amy",
            last_name="Adams",
            role="pupil",
            year_group="7",
            parental_consent_at=timezone.now(),
            decided_by=user,
        )
        Assignment.objects.filter(pk=assignment.pk).update(created_by=user)
        Mark.objects.create(
            school=school,
            assignment=assignment,
            pupil=amy,
            score=Decimal("17"),
            status="marked",
            feedback="Well reasoned; check your units.",
            updated_by=user,
        )
        ClassTeacher.objects.create(school=school, teaching_class=world.class_7b, teacher=user)
        ImportJob.objects.create(
            school=school,
            kind="mis",
            status="done",
            filename="amy.csv",
            created_by=user,
            task_id=str(task.id),
        )
        job = ImportJob.objects.get(created_by=user)
        job.upload = "aGVsbG8="
        job.save()
        TermsAcceptance.objects.create(
            school=school, version="1", accepted_by=user, accepted_by_name="Amy Adams"
        )
        drop = DataDrop.objects.get(pk=grade_scale_drop.pk)
        drop.locked_by, drop.locked_at = user, timezone.now()
        drop.save()
        field = drop.fields.first()
        subject = field.drop.entries.model._meta.get_field("subject").related_model.objects.first()
        grade = Grade.objects.filter(scale=subject.scale).order_by("rank").first()
        Target.objects.create(
            school=school,
            pupil=amy,
            subject=subject,
            grade=grade,
            source="teacher",
            path="stepped",
            starting_grade=grade,
            set_by=user,
        )
        TrackingEntry.objects.create(
            school=school,
            drop=drop,
            field=field,
            pupil=amy,
            subject=subject,
            grade=grade,
            value=Decimal("5.5"),
            updated_by=user,
        )
        token = current.set(Origin(ip="192.0.2.7"))
        try:
            audit.record(
                actor=user,
                school=school,
                action="rosters.pupil.changed",
                target=amy,
                data={"year_group": ["6", "7"]},
            )
        finally:
            current.reset(token)
        earlier = ExportArchive.objects.create(
            school=school, pupil=amy, requested_by=user, created_at=timezone.now()
        )
        earlier.archive = "b2xk"
        earlier.downloads = 2
        earlier.save()
        # An earlier export of her account (exactly one subject per export).
        ExportArchive.objects.create(
            school=school, user=user, requested_by=user, created_at=timezone.now()
        )
        GuardianLink.objects.filter(pupil=amy).update(relationship="mother")
        _populate_rights(world, school, amy, user)
        _populate_practice(school, amy, user, assignment)
        _populate_platform(school, user)


def _populate_platform(school, user) -> None:  # type: ignore[no-untyped-def]
    """Rows naming her account in the breach register and a support grant (SEC-3,
    TEN-6): as if she were the staff member or administrator they name."""
    from markbook.breaches.models import Breach, BreachSchool, BreachUpdate
    from markbook.support.models import SupportGrant

    now = timezone.now()
    breach = Breach.objects.create(
        reference="BR-2026-0099", title="T", detected_at=now, description="D", recorded_by=user
    )
    BreachSchool.objects.create(school=school, breach=breach, acknowledged_by=user)
    BreachUpdate.objects.create(breach=breach, at=now, by=user, text="Contained.")
    SupportGrant.objects.create(
        school=school,
        staff=user,
        granted_by=user,
        revoked_by=user,
        reason="Ticket 1",
        areas=["roster"],
        granted_at=now,
        expires_at=now,
    )


def _populate_practice(school, amy, user, assignment) -> None:  # type: ignore[no-untyped-def]
    """Amy's practice: a set written by her account (so its author field is hers), an
    attempt as homework with one answered question, a fair-use decision and her row on
    the leaderboards (ASM-2, ASM-6, ASM-7)."""
    from markbook.practice.models import (
        Attempt,
        BoardEntry,
        FairUseEvent,
        Item,
        PromptMedia,
        Question,
        QuestionSet,
        Standing,
    )

    now = timezone.now()
    practice_set = QuestionSet.objects.create(
        school=school, title="Sevens", kind="times_tables", created_by=user
    )
    question = Question.objects.create(
        school=school, question_set=practice_set, position=1, kind="numeric", prompt="7 x 8?"
    )
    PromptMedia.objects.create(
        school=school,
        token="t" * 32,
        kind="audio",
        content_type="audio/mpeg",
        size=10,
        original_name="amy-recording.mp3",
        file="practice/x",
        uploaded_by=user,
    )
    attempt = Attempt.objects.create(
        school=school,
        pupil=amy,
        question_set=practice_set,
        assignment=assignment,
        mode="trial",
        total=25,
        seconds_per_question=6,
        answered=1,
        correct_count=1,
        points=10,
        seed=7,
        started_at=now,
        last_active_at=now,
        finished_at=now,
        state="finished",
    )
    Item.objects.create(
        school=school,
        attempt=attempt,
        pupil=amy,
        position=1,
        question=question,
        fact="7x8",
        style="x7",
        prompt="7 x 8",
        expected="56",
        asked_at=now,
        deadline=now,
        answered_at=now,
        response="56",
        correct=True,
        timed_out=False,
        response_ms=1800,
        points=10,
    )
    FairUseEvent.objects.create(
        school=school, pupil=amy, kind="reinstatement", reason="Checked", attempt=attempt, by=user
    )
    # Her running practice state: points, fair-use window, hard facts (ASM-2, ASM-7).
    standing = Standing.objects.create(
        school=school,
        pupil=amy,
        day=now.date(),
        day_points=10,
        week=now.date(),
        week_points=10,
        styles={"x7": 1},
        run_type="set:1",
        run_ms=[1800],
        warnings=1,
        suspended=False,
        weak={"7x8": 3},
    )
    Attempt.objects.filter(pk=attempt.pk).update(
        standing=standing, current=Item.objects.filter(attempt=attempt).first()
    )
    # Her standing on the leaderboards, the declared projection (ASM-6).
    BoardEntry.objects.create(
        school=school,
        pupil=amy,
        trust=school.trust,
        period="week",
        starts=now.date(),
        name="Amy A.",
        school_name=school.name,
        points=10,
        trial_correct=1,
        trial_ms=1800,
        on_trust=True,
        on_global=True,
    )


def _populate_rights(world, school, amy, user) -> None:  # type: ignore[no-untyped-def]
    """Amy's rows of the rights, consent and privacy records: a consent answer, her
    corrections and restrictions (as a pupil and as an account, one lifted), her
    requests (about her record and her account) with a stage change, and a notice of a
    changed privacy notice she dismissed (DSR-2, DSR-3, DSR-5, CON-2)."""
    from markbook.consent.models import ConsentDecision
    from markbook.privacy.models import Correction, NoticeAlert, NoticeVersion, Restriction
    from markbook.rights.models import DataRequest, DataRequestEvent
    from tests.factories import consent_world

    now = timezone.now()
    made_register = consent_world(world)
    ConsentDecision.objects.create(
        school=school,
        pupil=amy,
        purpose=made_register["purpose"],
        version=1,
        answer="refused",
        paper_form_from="Mrs Adams",
        decided_by=user,
        decided_at=now,
    )
    ConsentDecision.objects.create(
        school=school,
        pupil=amy,
        service=made_register["service"],
        version=1,
        answer="given",
        decided_by=user,
        decided_at=now,
    )
    for whose in ({"pupil": amy}, {"user": user}):
        Correction.objects.create(
            school=school,
            field="first_name",
            sensitive=True,
            old_value="Aimee",
            new_value="Amy",
            source="request",
            corrected_by=user,
            corrected_at=now,
            request_id=1,
            **whose,
        )
    Restriction.objects.create(
        school=school,
        pupil=amy,
        kind="objection",
        reason="Objects to profiling.",
        placed_by=user,
        placed_at=now,
        lifted_by=user,
        lifted_at=now,
        lift_reason="Withdrawn.",
        request_id=1,
    )
    Restriction.objects.create(
        school=school,
        user=user,
        reason="Contests her record.",
        placed_by=user,
        placed_at=now,
        lift_reason="",
    )
    version = NoticeVersion.objects.create(
        digest="d" * 64, rows=[], html="<p>Notice</p>", text="Notice", published_at=now
    )
    NoticeAlert.objects.create(
        school=school, version=version, created_at=now, dismissed_by=user, dismissed_at=now
    )
    made = []
    for whose in ({"subject_pupil": amy}, {"subject_user": user}):
        made.append(
            DataRequest.objects.create(
                school=school,
                kind="access",
                subject_kind="pupil",
                requester_kind="self",
                requester_user=user,
                requester_name="Amy Adams",
                channel="own_page",
                recorded_by=user,
                details="Everything, please.",
                received_on=now.date(),
                due_on=now.date(),
                extended_by=user,
                extension_reason="Complex",
                identity_method="signed_in",
                identity_checked_by=user,
                identity_note="Signed in.",
                decided_by=user,
                refusal_reason="None given",
                outcome_note="Sent.",
                error="Stopped once.",
                **whose,
            )
        )
    from markbook.privacy.models import LegalHold, Suppression
    from markbook.privacy.suppression import digest_of

    for whose in ({"pupil": amy}, {"user": user}):
        LegalHold.objects.create(
            school=school,
            reason="A claim against the school.",
            placed_by=user,
            lifted_by=user,
            lifted_at=now,
            lift_reason="The claim was settled.",
            **whose,
        )
    Suppression.objects.create(
        school=school, kind="email", digest=digest_of("email", user.email), created_at=now
    )
    from markbook.privacy.models import RetentionWarning

    # An account due for deletion soon for not being used (RET-1).
    RetentionWarning.objects.create(school=school, user=user, due_on=now.date(), warned_at=now)
    audit.record(
        actor=None,
        school=school,
        action="accounts.user.changed",
        target=user,
        data={"email": ["old", "new"]},
    )
    from markbook.rights.models import ServiceTold

    changes = [
        {"request": made[0]},
        {"restriction": Restriction.objects.filter(pupil=amy).first()},
        {"correction": Correction.objects.filter(pupil=amy).first()},
    ]
    for change in changes:
        ServiceTold.objects.create(
            school=school,
            service=made_register["service"],
            service_called="Reading Eggs",
            told_by=user,
            told_at=now,
            note="Emailed their support desk.",
            **change,
        )
    DataRequestEvent.objects.create(
        school=school,
        request=made[0],
        at=now,
        actor=user,
        from_stage="received",
        to_stage="identity_checked",
        note="Checked in person.",
    )


def test_every_declared_personal_field_of_a_fully_populated_pupil_is_in_the_export(world):
    """DSR-2: walks the inventory, so a new declaration or field is covered without
    changing this test; fails listing every declared model or field missing."""
    _populate(world)
    _, files = _export(world, pupil=world.amy)
    missing = []
    for label, decl in sorted(REGISTRY.items()):
        if not decl.personal:
            continue
        rows = _rows(files, label)
        if not rows:
            missing.append(f"{label}: no row in the export")
            continue
        for name in sorted(decl.personal):
            if not any(row.get(name) not in (None, "", [], {}) for row in rows):
                missing.append(f"{label}.{name}")
    assert missing == [], "missing from the export (DSR-2):\n" + "\n".join(missing)


def test_decrypted_values_and_teacher_comment_appear_credentials_do_not(world):
    """DSR-2, SEC-2: encrypted fields are decrypted; the teacher's comment keeps its
    text; secrets used for signing in are listed but never released."""
    _populate(world)
    _, files = _export(world, pupil=world.amy)
    pupil = _rows(files, "rosters.Pupil")[0]
    assert pupil["medical_notes"] == "Asthma: inhaler"
    assert pupil["fsm"] is True and pupil["sen_need"] == "SPLD"
    assert _rows(files, "assessment.Mark")[0]["feedback"] == "Well reasoned; check your units."
    assert _rows(files, "accounts.User")[0]["password"] == WITHHELD
    everything = b"".join(files.values())
    assert b"secret-token" not in everything
    assert b"k" * 20 not in everything
    assert b"aGVsbG8=" not in everything  # an import's file holds other pupils' records


def test_other_peoples_data_is_left_out(world):
    """DSR-2: Amy's export names neither Ben (in her class, audited beside her) nor her
    teacher (who entered her mark) nor her parent; the mark's comment stays."""
    assignment = markbook_assignment(world.class_7a, title="Algebra")
    with school_scope(world.a):
        for pupil in (world.amy, world.ben):
            Mark.objects.create(
                school=world.a,
                assignment=assignment,
                pupil=pupil,
                score=Decimal("12"),
                status="marked",
                feedback=f"Comment for {pupil.first_name}",
                updated_by=world.teacher,
            )
        audit.record(
            actor=world.teacher, school=world.a, action="rosters.pupil.viewed", target=world.amy
        )
        audit.record(
            actor=world.teacher, school=world.a, action="rosters.pupil.viewed", target=world.ben
        )
    _, files = _export(world, pupil=world.amy)
    text = b"".join(files.values()).decode()
    for other in ("Ben", "Brown", world.teacher.email, world.teacher.last_name, world.parent.email):
        assert other not in text, other
    marks = _rows(files, "assessment.Mark")
    assert [m["feedback"] for m in marks] == ["Comment for Amy"]
    assert marks[0]["updated_by"] == REDACTED
    assert marks[0]["assignment_label"] == "Algebra"
    events = _rows(files, "audit.AuditEvent")
    viewed = [e for e in events if e["action"] == "rosters.pupil.viewed"]
    assert len(viewed) == 1 and viewed[0]["actor_label"] == REDACTED
    links = _rows(files, "rosters.GuardianLink")
    assert links and links[0]["parent"] == REDACTED


def test_a_teachers_export_has_their_marks_entered_but_not_the_pupils_results(world):
    """DSR-2: a row reached through the teacher (who changed a mark) shows that, not the
    pupil's score or comment."""
    assignment = markbook_assignment(world.class_7a, title="Algebra")
    with school_scope(world.a):
        Mark.objects.create(
            school=world.a,
            assignment=assignment,
            pupil=world.amy,
            score=Decimal("12"),
            status="marked",
            feedback="Secret comment",
            updated_by=world.teacher,
        )
    _, files = _export(world, user=world.teacher)
    marks = _rows(files, "assessment.Mark")
    assert len(marks) == 1
    assert marks[0]["updated_by"] == world.teacher.pk
    assert marks[0]["feedback"] == REDACTED and marks[0]["score"] == REDACTED
    assert marks[0]["pupil"] == REDACTED
    assert "Amy" not in b"".join(files.values()).decode()
    assert _rows(files, "accounts.User")[0]["email"] == world.teacher.email


def test_summary_page_and_manifest_come_from_the_inventory(world):
    """DSR-2: the summary says what is held, why, on what basis, who sees it and how long."""
    _, files = _export(world, pupil=world.amy)
    summary = files["summary.html"].decode()
    assert "Your data held by Oakfield Academy" in summary
    manifest = json.loads(files["manifest.json"])
    assert [m["model"] for m in manifest["models"]] == sorted(REGISTRY)
    assert "csv/rosters-pupil.csv" in files
    pupil_csv = files["csv/rosters-pupil.csv"].decode().splitlines()
    assert pupil_csv[0].startswith("id,school,")
    assert "Amy" in pupil_csv[1]
    purpose = REGISTRY["rosters.Pupil"].personal["first_name"].purpose
    assert purpose[0].upper() + purpose[1:] in summary
    assert "Public task" in summary and "While the pupil is on roll" in summary


def test_a_retried_export_gives_the_same_bytes(world):
    """DSR-9: a failed export, retried, resumes and produces the same archive; a second
    run of a ready one changes nothing."""
    with school_scope(world.a):
        first = export_start(
            school=world.a, requested_by=world.admin, pupil=world.amy, enqueue=False
        )
        first = export_run(first.pk)
        one = export_download(item=first, actor=world.admin).data
        second = export_start(
            school=world.a, requested_by=world.admin, pupil=world.amy, enqueue=False
        )
        # The first attempt fails part way; more log events are written meanwhile.
        calls = {"n": 0}
        real = collect_mod.collect_table

        def failing(decl: Declaration, person: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 5:
                raise RuntimeError("worker lost")
            return real(decl, person)

        collect_mod.collect_table = failing  # type: ignore[assignment]
        try:
            failed = export_run(second.pk)
        finally:
            collect_mod.collect_table = real  # type: ignore[assignment]
        assert failed.state == ExportArchive.State.FAILED
        # Progress was saved as it went (at most twice a second), short of the total.
        assert 1 <= failed.progress_done < 5 and failed.progress_total == len(REGISTRY)
        audit.record(
            actor=world.admin, school=world.a, action="rosters.pupil.viewed", target=world.amy
        )
        retried = export_run(second.pk)
        assert retried.state == ExportArchive.State.READY and retried.attempts == 2
        assert retried.progress_done == retried.progress_total == len(REGISTRY)
        again = export_run(second.pk)
        assert again.digest == retried.digest and again.attempts == 2
        two = export_download(item=retried, actor=world.admin).data
    # The first export is part of the second's data (an earlier export of Amy), so
    # compare the second with a rebuild of itself: same rows, same bytes.
    with school_scope(world.a):
        ExportArchive.objects.filter(pk=second.pk).update(state="failed")
        rebuilt = export_run(second.pk)
        three = export_download(item=rebuilt, actor=world.admin).data
    assert two == three
    assert one != two  # the second export lists the first


def test_archive_is_encrypted_at_rest(world):
    """SEC-2: the stored column is ciphertext under the school's key, not a zip."""
    item, _ = _export(world, pupil=world.amy)
    # Inside the school's scope: on PostgreSQL row-level security hides the row outside.
    with school_scope(world.a), connection.cursor() as cursor:
        cursor.execute("SELECT archive FROM privacy_exportarchive WHERE id = %s", [item.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("v1:")
    assert b"PK" not in stored.encode()[:8]
    assert "manifest" not in stored


def test_download_window_is_enforced_and_expiry_deletes_the_bytes(world):
    """DSR-9: downloadable until expires_at (7 days), then refused; the sweep deletes it."""
    item, _ = _export(world, pupil=world.amy)
    assert item.expires_at is not None and item.ready_at is not None
    assert item.expires_at - item.ready_at == dt.timedelta(days=7)
    with school_scope(world.a):
        later = item.expires_at + dt.timedelta(seconds=1)
        with pytest.raises(ExportUnavailable) as refused:
            export_download(item=item, actor=world.admin, now=later)
        assert refused.value.gone
        item.refresh_from_db()  # asked for after the window: deleted there and then
        assert item.state == ExportArchive.State.EXPIRED and item.archive is None
        ExportArchive.objects.filter(pk=item.pk).update(state="ready", archive=Ciphertext("v1:x"))
        assert exports_expire(school=world.a, now=item.expires_at - dt.timedelta(hours=1)) == 0
        assert exports_expire(school=world.a, now=later) == 1
        assert exports_expire(school=world.a, now=later) == 0
        item.refresh_from_db()
        assert item.state == ExportArchive.State.EXPIRED and item.archive is None
        assert AuditEvent.objects.filter(action="privacy.export.expired").count() == 1


def test_each_download_is_in_the_access_log(world):
    """SEC-1: a download is recorded, with who did it; the count goes up."""
    item, _ = _export(world, pupil=world.amy)
    with school_scope(world.a):
        export_download(item=item, actor=world.admin)
        item.refresh_from_db()
        assert item.downloads == 2
        assert (
            AuditEvent.objects.filter(
                action="privacy.export.downloaded", actor_id=world.admin.pk
            ).count()
            == 2
        )


def test_bad_requests_are_refused_with_a_clear_message(world):
    """DSR-2: someone not in the school, or no one, is refused; nothing is written."""
    with school_scope(world.a):
        with pytest.raises(ExportError, match="not a member of this school"):
            export_start(school=world.a, requested_by=world.admin, user=world.other_parent)
        with pytest.raises(ExportError, match="Name one person"):
            export_start(school=world.a, requested_by=world.admin)
        assert not ExportArchive.objects.exists()
    with school_scope(world.b), pytest.raises(ExportError, match="not in this school"):
        export_start(school=world.b, requested_by=world.other_admin, pupil=world.amy)


def test_every_declaration_can_be_reached(world):
    """DSR-2: every declaration holding personal data leads to a person, by a relation or
    a finder; one that does not is named."""
    assert unreachable() == []
    fake = {
        "rosters.GuardianLink": Declaration(
            "rosters.GuardianLink",
            "relationship",
            {"relationship": REGISTRY["rosters.GuardianLink"].personal["relationship"]},
        )
    }
    assert unreachable(fake) == [
        "rosters.GuardianLink: its subject 'relationship' leads to no person and has no finder"
    ]


def test_export_of_a_pupil_reads_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    """DSR-2: the export reads a fixed number of queries per declared model, not per row."""
    assignment = markbook_assignment(world.class_7a, title="Algebra")
    with school_scope(world.a):
        for i in range(30):
            a = Assignment.objects.create(
                school=world.a, teaching_class=world.class_7a, title=f"T{i}", max_mark=10
            )
            Mark.objects.create(
                school=world.a, assignment=a, pupil=world.amy, score=1, status="marked"
            )
        Mark.objects.create(
            school=world.a, assignment=assignment, pupil=world.amy, score=1, status="marked"
        )
        item = export_start(
            school=world.a, requested_by=world.admin, pupil=world.amy, enqueue=False
        )
        with django_assert_max_num_queries(6 * len(REGISTRY) + 40):
            export_run(item.pk)


def test_guardian_link_is_in_the_parents_export_without_the_childs_details(world):
    """DSR-2: a parent's export has their link, not the child's record."""
    _, files = _export(world, user=world.parent)
    links = _rows(files, "rosters.GuardianLink")
    assert len(links) == 1 and links[0]["parent"] == world.parent.pk
    assert links[0]["pupil"] == REDACTED
    assert _rows(files, "rosters.Pupil") == []
    assert GuardianLink.objects is not None


def test_expiry_command_and_the_hourly_sweep_delete_expired_archives(world):
    """DSR-9: `markbook privacy_exports_expire`, and the import sweep, delete the bytes."""
    from django.core.management import call_command

    first, _ = _export(world, pupil=world.amy)
    second, _ = _export(world, pupil=world.ben)
    with school_scope(world.a):
        past = timezone.now() - dt.timedelta(minutes=1)
        ExportArchive.objects.filter(pk=first.pk).update(expires_at=past)
    out = io.StringIO()
    call_command("privacy_exports_expire", stdout=out)
    assert "done: 1 expired exports deleted" in out.getvalue()
    with school_scope(world.a):
        ExportArchive.objects.filter(pk=second.pk).update(expires_at=past)
    out = io.StringIO()
    call_command("markbook_import_jobs_sweep", stdout=out)
    assert "expired subject access exports deleted: 1" in out.getvalue()
    with school_scope(world.a):
        states = set(ExportArchive.objects.values_list("state", "archive"))
    assert states == {("expired", None)}


def test_the_background_worker_builds_a_queued_export(world):
    """DSR-2: export_start queues the task; the django-tasks-db worker builds it in the
    school's scope; a task delivered again changes nothing."""
    from tests.rosters.test_import_jobs import run_worker

    with school_scope(world.a):
        item = export_start(school=world.a, requested_by=world.admin, pupil=world.amy)
    assert item.task_id
    run_worker()
    with school_scope(world.a):
        item.refresh_from_db()
        assert item.state == ExportArchive.State.READY and item.attempts == 1
    from markbook.privacy.tasks import run_export

    assert run_export.call(world.a.pk, item.pk) == "ready"
    with school_scope(world.a):
        item.refresh_from_db()
        assert item.attempts == 1


def test_a_stalled_export_is_queued_again_and_given_up_after_max_attempts(world):
    """DSR-2, DSR-9: an export whose worker died (running, silent for STALE_MINUTES) is
    queued again with a new task, the dead task marked failed; a live one is left alone;
    one that has stopped MAX_ATTEMPTS times is failed. tests/core/test_worker_killed.py
    kills a real worker."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from markbook.privacy.export import services as exports

    old = timezone.now() - dt.timedelta(minutes=exports.STALE_MINUTES + 1)
    with school_scope(world.a):
        dead, live, tired = (
            export_start(school=world.a, requested_by=world.admin, pupil=p)
            for p in (world.amy, world.ben, world.cal)
        )
        DBTaskResult.objects.filter(id=dead.task_id).update(status=TaskResultStatus.RUNNING)
        ExportArchive.objects.filter(pk__in=[dead.pk, tired.pk]).update(
            state=ExportArchive.State.RUNNING, heartbeat_at=old, attempts=1, progress_done=9
        )
        ExportArchive.objects.filter(pk=tired.pk).update(attempts=exports.MAX_ATTEMPTS)
        ExportArchive.objects.filter(pk=live.pk).update(
            state=ExportArchive.State.RUNNING, heartbeat_at=timezone.now(), attempts=1
        )
        assert exports.exports_requeue_stalled(school=world.a) == 1
        assert exports.exports_requeue_stalled(school=world.a) == 0  # once
        states = {
            pk: (state, done)
            for pk, state, done in ExportArchive.objects.values_list("pk", "state", "progress_done")
        }
        assert states[dead.pk] == ("queued", 0)
        assert states[live.pk][0] == "running"
        assert states[tired.pk][0] == "failed"
        requeued = ExportArchive.objects.get(pk=dead.pk)
        assert requeued.task_id != dead.task_id
        assert AuditEvent.objects.get(action="privacy.export.requeued").data == {"archives": 1}
        assert AuditEvent.objects.filter(action="privacy.export.failed", target_id=str(tired.pk))
        assert ExportArchive.objects.get(pk=tired.pk).error == exports.STALLED
        built = export_run(dead.pk)
    assert built.state == ExportArchive.State.READY and built.attempts == 2
    assert DBTaskResult.objects.get(id=dead.task_id).status == TaskResultStatus.FAILED
    with school_scope(world.b):  # another school's exports are its own
        assert exports.exports_requeue_stalled(school=world.b) == 0
