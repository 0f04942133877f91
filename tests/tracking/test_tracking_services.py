"""ASM-4: scales, subjects, drops and targets through their services."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from markbook.admission import school_access
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.rosters import services as roster_services
from markbook.tracking import drops, scales, selectors, targets
from markbook.tracking.models import DropField, Grade, GradeScale, Target, TrackingEntry
from tests.factories import tracking_world, valid_upn

pytestmark = pytest.mark.django_db
G = scales.GradeSpec


def _check(**kw):  # type: ignore[no-untyped-def]
    values = {
        "name": "S",
        "grades": [G("A"), G("B")],
        "numeric": False,
        "minimum": None,
        "maximum": None,
    }
    return scales.scale_check(**{**values, **kw})


def test_scale_rules():
    """ASM-4: 2+ grades, unique labels, numeric min < max, thresholds in range and order."""
    assert _check() == {}
    assert "at least 2" in _check(grades=[G("A")])["grades"][0]
    assert "repeated: a" in _check(grades=[G("A"), G("a")])["grades"][0].lower()
    assert (
        "above the lowest"
        in _check(numeric=True, minimum=Decimal(5), maximum=Decimal(5))["maximum"][0]
    )
    inside = {"numeric": True, "minimum": Decimal(0), "maximum": Decimal(100)}
    assert _check(grades=[G("Lo", Decimal(0)), G("Hi", Decimal(50))], **inside) == {}
    assert "between" in " ".join(
        _check(grades=[G("Lo", Decimal(0)), G("Hi", Decimal(150))], **inside)["grades"]
    )
    assert "above the one before" in " ".join(
        _check(grades=[G("Lo", Decimal(0)), G("Mid", Decimal(60)), G("Hi", Decimal(50))], **inside)[
            "grades"
        ]
    )


def test_school_defined_scale_is_created_edited_and_its_delete_refused_while_used(world):
    """ASM-4: a scale in use by a subject cannot be deleted; the message names it."""
    made = tracking_world(world)
    with school_scope(world.a):
        scale = made["scale"]
        assert list(scale.grades.order_by("rank").values_list("label", flat=True)) == [
            "Emerging",
            "Developing",
            "Secure",
            "Greater depth",
        ]
        # Grades given no band are spread across the bands, lowest to highest.
        ranks = list(scale.grades.order_by("rank").values_list("band__rank", flat=True))
        assert ranks == [1, 2, 4, 5]
        scales.subject_create(actor=world.admin, school=world.a, name="Phonics", scale=scale)
        with pytest.raises(ValidationError, match="Phonics"):
            scales.scale_delete(actor=world.admin, scale=scale)
        specs = [G("Emerging"), G("Secure"), G("Mastery")]
        scales.scale_update(actor=world.admin, scale=scale, name=scale.name, grades=specs)
        assert list(Grade.objects.filter(scale=scale).values_list("label", flat=True)) == [
            "Emerging",
            "Secure",
            "Mastery",
        ]
        with pytest.raises(ValidationError, match="built-in"):
            scales.scale_delete(actor=world.admin, scale=GradeScale.objects.get(name="GCSE 9-1"))


def test_band_mapping_changes_are_audited_with_old_and_new(world):
    made = tracking_world(world)
    with school_scope(world.a):
        grade = made["scale"].grades.get(label="Secure")
        from markbook.tracking.models import Band

        top = Band.objects.get(rank=5)
        assert (
            scales.band_mapping_update(
                actor=world.admin, school=world.a, mapping={grade.pk: top.pk}
            )
            == 1
        )
        event = AuditEvent.objects.filter(action="tracking.bands.mapped").latest("pk")
        assert event.data["changes"][0]["new"] == top.name


def test_autolink_preview_matches_classes_by_subject_name(world):
    with school_scope(world.a):
        tracking_world(world)
        scales.subject_class_unlink(
            actor=None, subject=tracking_world(world)["subject"], teaching_class=world.class_7b
        )
        preview = selectors.subject_autolink_preview()
        assert [(c.name, s.name) for c, s in preview] == [("7B Maths", "Maths")]


def test_drop_lock_and_unlock_are_audited(world):
    made = tracking_world(world)
    with school_scope(world.a):
        drop = made["drop"]
        drops.drop_lock(actor=world.admin, drop=drop)
        assert drop.locked_at is not None
        drops.drop_unlock(actor=world.admin, drop=drop)
        actions = list(
            AuditEvent.objects.filter(target_id=str(drop.pk)).values_list("action", flat=True)
        )
        assert "tracking.drop.locked" in actions and "tracking.drop.unlocked" in actions


def test_completion_counts_expected_and_entered_in_fixed_queries(world):
    """ASM-4: expected = pupils x fields; entered counts filled cells; 3 queries."""
    made = tracking_world(world)
    with school_scope(world.a):
        drop, subject = made["drop"], made["subject"]
        field = DropField.objects.get(drop=drop, key="working_at")
        TrackingEntry.objects.create(
            school=world.a,
            drop=drop,
            field=field,
            pupil=world.amy,
            subject=subject,
            grade=Grade.objects.get(scale=subject.scale, label="5"),
        )
        access = school_access(world.admin, world.a)
        with CaptureQueriesContext(connection) as queries:
            rows = selectors.drop_completion(drop, world.admin, access)
        assert len(queries) == 3
        by_class = {r.teaching_class.name: (r.expected, r.entered) for r in rows}
        assert by_class == {"7A Maths": (4, 1), "7B Maths": (2, 0)}
        teacher_rows = selectors.drop_completion(
            drop, world.teacher, school_access(world.teacher, world.a)
        )
        assert [r.teaching_class.name for r in teacher_rows] == ["7A Maths"]


def _upns(world):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        for n, pupil in enumerate((world.amy, world.ben), start=1):
            roster_services.pupil_update(actor=None, pupil=pupil, upn=valid_upn(n))
    return valid_upn(1), valid_upn(2)


def test_targets_csv_is_all_or_nothing_with_errors_by_row(world):
    """ASM-4: unknown UPNs, subjects and grades are reported by row; nothing is written."""
    made = tracking_world(world)
    amy, ben = _upns(world)
    text = f"UPN,Subject,Target grade\n{amy},Maths,6\nA999999999999,Maths,5\n{ben},Latin,5\n{ben},Maths,11\n"
    with school_scope(world.a):
        preview = targets.targets_import_preview(school=world.a, text=text)
        assert [e.split(":")[0] for e in preview.errors] == ["Row 3", "Row 4", "Row 5"]
        assert "A999999999999" in preview.errors[0] and "Latin" in preview.errors[1]
        assert "11 is not a grade of GCSE 9-1" in preview.errors[2]
        with pytest.raises(ValidationError):
            targets.targets_import(actor=world.admin, school=world.a, text=text)
        assert not Target.objects.exists()
        good = f"UPN,Subject,Target\n{amy},Maths,6\n{ben},Ma,7\n"
        assert targets.targets_import(actor=world.admin, school=world.a, text=good)["created"] == 2
        assert Target.objects.get(pupil=world.amy).grade.label == "6"
        assert made["subject"].targets.count() == 2


def test_targets_csv_matches_a_pseudonymising_schools_upn_hashes(world):
    """ACC-3: a school keeping only UPN hashes still matches the CSV's UPNs."""
    tracking_world(world)
    amy, _ = _upns(world)
    with school_scope(world.a):
        type(world.amy).objects.filter(pk=world.amy.pk).update(upn=None)
        preview = targets.targets_import_preview(
            school=world.a, text=f"UPN,Subject,Target\n{amy},Maths,4\n"
        )
        assert preview.errors == [] and preview.rows[0].pupil_id == world.amy.pk


def test_targets_from_ks2_then_teacher_override_is_audited(world):
    """ASM-4: KS2 average 105 -> 6 by the default GCSE rules; the teacher's override keeps old and new."""
    made = tracking_world(world)
    with school_scope(world.a):
        type(world.amy).objects.filter(pk=world.amy.pk).update(ks2_reading=104, ks2_maths=106)
        counts = targets.targets_from_ks2(actor=world.admin, school=world.a)
        assert counts["created"] == 1  # Ben and Cal have no KS2 results
        target = Target.objects.get(pupil=world.amy)
        assert (target.grade.label, target.source) == ("6", "ks2")
        grades = {g.label: g for g in Grade.objects.filter(scale=made["subject"].scale)}
        amy = type(world.amy).objects.get(pk=world.amy.pk)
        targets.target_set(
            actor=world.teacher,
            pupil=amy,
            subject=made["subject"],
            grade=grades["7"],
            path="stepped",
            starting_grade=grades["5"],
        )
        event = AuditEvent.objects.filter(action="tracking.target.changed").latest("pk")
        assert event.data["old"]["grade"] == "6" and event.data["new"]["grade"] == "7"
        # A later KS2 run keeps the teacher's target.
        assert targets.targets_from_ks2(actor=world.admin, school=world.a)["changed"] == 0
        assert Target.objects.get(pupil=world.amy).grade.label == "7"


def test_deleting_what_holds_grades_needs_the_confirmation_and_says_how_much(world):
    """ASM-4: a drop or subject holding grades is refused without `confirm`, the message
    counting them; with it, it goes with its grades and the log records how many."""
    made = tracking_world(world)
    with school_scope(world.a):
        drop, subject = made["drop"], made["subject"]
        TrackingEntry.objects.create(
            school=world.a,
            drop=drop,
            field=drop.fields.get(key="working_at"),
            pupil=world.amy,
            subject=subject,
            grade=Grade.objects.get(scale=subject.scale, label="5"),
        )
        with pytest.raises(ValidationError) as refused:
            drops.drop_delete(actor=world.admin, drop=drop)
        assert "holds 1 entry for 1 pupil" in str(refused.value)
        with pytest.raises(ValidationError) as refused:
            scales.subject_delete(actor=world.admin, subject=subject)
        assert "holds 1 drop grade" in str(refused.value)
        assert scales.subject_delete(actor=world.admin, subject=subject, confirm=True) == {
            "targets": 0,
            "entries": 1,
            "classes": 2,
        }
        assert drops.drop_delete(actor=world.admin, drop=drop) == {
            "entries": 0,
            "pupils": 0,
            "subjects": 0,
        }
    (event,) = [e for e in _events(world, "tracking.subject.deleted")]
    assert event.data["entries"] == 1


def _events(world, action: str):  # type: ignore[no-untyped-def]
    from markbook.core.tenancy import all_schools

    with all_schools():
        return list(AuditEvent.objects.filter(school_id=world.a.pk, action=action))
