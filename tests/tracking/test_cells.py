"""Drop entry cells (ASM-4 on ASM-3's grid): grades checked against the field's scale,
locked drops refused, versions as for marks, every change audited (DSR-3)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.tracking.cells import tracking_cell_save
from markbook.tracking.models import DataDrop, DropField, Subject, TrackingEntry
from tests import factories as f


def _save(world, drop, value, version=None, key="working_at"):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        field = DropField.objects.select_related("scale").get(drop=drop, key=key)
        subject = Subject.objects.select_related("scale").get(
            class_links__teaching_class=world.class_7a
        )
        return tracking_cell_save(
            actor=world.teacher,
            drop=DataDrop.objects.get(pk=drop.pk),
            field=field,
            pupil=world.amy,
            subject=subject,
            value=value,
            version=version,
        )


def test_a_grade_on_the_subjects_scale_is_saved_and_audited(world):
    drop = f.markbook_drop(world.class_7a)
    first = _save(world, drop, "5")
    assert (first.outcome, first.value, first.version) == ("saved", "5", 1)
    second = _save(world, drop, "u", version=1)
    assert (second.outcome, second.value, second.version) == ("saved", "U", 2)
    with school_scope(world.a):
        entry = TrackingEntry.objects.select_related("grade").get()
        events = [
            e.data
            for e in AuditEvent.objects.filter(action="tracking.entry.changed").order_by("seq")
        ]
    assert entry.grade.label == "U"
    assert events[1]["old"] == {"grade": "5", "value": None}
    assert events[1]["new"] == {"grade": "U", "value": None}


def test_a_grade_not_on_the_scale_is_refused_naming_the_cell(world):
    drop = f.markbook_drop(world.class_7a)
    result = _save(world, drop, "A*")
    assert result.outcome == "invalid"
    assert result.message.startswith("Amy Adams, Working at: A* is not a grade on GCSE 9-1")
    with school_scope(world.a):
        assert not TrackingEntry.objects.exists()


def test_a_numeric_scale_takes_numbers_in_its_range(world):
    drop = f.markbook_drop(world.class_7a, scale_name="KS2 scaled score")
    ok = _save(world, drop, "104")
    assert ok.outcome == "saved"
    with school_scope(world.a):
        assert TrackingEntry.objects.get().value == Decimal("104")
    refused = _save(world, drop, "121", version=ok.version)
    assert refused.outcome == "invalid"
    assert "121 is outside 80 to 120" in refused.message


def test_a_locked_drop_refuses_writes(world):
    drop = f.markbook_drop(world.class_7a)
    with school_scope(world.a):
        DataDrop.objects.filter(pk=drop.pk).update(locked_at=timezone.now())
    result = _save(world, drop, "5")
    assert (result.outcome, result.message) == (
        "invalid",
        "Autumn is locked; its grades can no longer be changed.",
    )
    with school_scope(world.a):
        assert not TrackingEntry.objects.exists()


def test_an_old_version_is_a_conflict(world):
    drop = f.markbook_drop(world.class_7a)
    _save(world, drop, "5")
    _save(world, drop, "6", version=1)
    late = _save(world, drop, "7", version=1)
    assert (late.outcome, late.value, late.version) == ("conflict", "6", 2)


@pytest.mark.parametrize("value", ["", " "])
def test_clearing_keeps_the_row_so_a_stale_write_is_told(world, value):
    """ASM-3, ASM-4: a cleared cell keeps its row with no grade, its version goes on,
    and a write based on the grade it held is a conflict; it counts as not entered."""
    from markbook.assessment.grid import drop_grid
    from markbook.tracking.models import HELD

    drop = f.markbook_drop(world.class_7a)
    _save(world, drop, "5")
    cleared = _save(world, drop, value, version=1)
    assert (cleared.outcome, cleared.value, cleared.version) == ("saved", "", 2)
    late = _save(world, drop, "7", version=1)
    assert (late.outcome, late.value, late.version) == ("conflict", "", 2)
    with school_scope(world.a):
        entry = TrackingEntry.objects.get()
        assert (entry.grade_id, entry.value, entry.version) == (None, None, 2)
        assert not TrackingEntry.objects.filter(HELD).exists()
        subject = Subject.objects.get(class_links__teaching_class=world.class_7a)
        grid = drop_grid(world.class_7a, DataDrop.objects.get(pk=drop.pk), subject)
        assert grid["columns"][0]["completion"].startswith("0 of ")
        events = list(AuditEvent.objects.filter(action="tracking.entry.changed").order_by("seq"))
    assert events[-1].data["new"] is None
    again = _save(world, drop, "7", version=2)
    assert (again.outcome, again.value, again.version) == ("saved", "7", 3)
