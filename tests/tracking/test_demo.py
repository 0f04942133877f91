"""ASM-4: the demo seed gives both schools real tracking data."""

import io

import pytest
from django.core.management import call_command

from markbook.core.tenancy import school_scope
from markbook.rosters.management.commands.markbook_demo import SCHOOLS
from markbook.rosters.models import Pupil
from markbook.schools.models import School
from markbook.tracking.models import DataDrop, GradeScale, Subject, Target, TrackingEntry

pytestmark = pytest.mark.django_db


def test_demo_seeds_subjects_drops_targets_and_grades(tmp_path):
    call_command(
        "markbook_demo",
        "--pupils",
        "120",
        "--seed",
        "7",
        "--credentials-file",
        str(tmp_path / "c.txt"),
        stdout=io.StringIO(),
    )
    secondary = School.objects.get(urn=SCHOOLS[0].urn)
    primary = School.objects.get(urn=SCHOOLS[1].urn)
    with school_scope(secondary):
        subjects = {s.name: s.scale.name for s in Subject.objects.select_related("scale")}
        assert len(subjects) == 12
        assert subjects["Maths"] == "GCSE 9-1"
        assert subjects["Health and Social Care"] == "BTEC"
        assert DataDrop.objects.count() == 3
        with_ks2 = Pupil.objects.filter(ks2_reading__isnull=False).count()
        maths = Subject.objects.get(name="Maths")
        assert Target.objects.filter(subject=maths).count() == with_ks2
        entries = TrackingEntry.objects.filter(subject=maths, field__key="working_at")
        assert entries.values("pupil").distinct().count() == Pupil.objects.count()
        # Disadvantaged pupils sit lower on average (the analysis shows a gap).
        rows = list(entries.select_related("pupil", "grade"))
        dis = [e.grade.rank for e in rows if e.pupil.disadvantaged]
        other = [e.grade.rank for e in rows if not e.pupil.disadvantaged]
        assert dis and other and sum(dis) / len(dis) < sum(other) / len(other)
    with school_scope(primary):
        scale = GradeScale.objects.get(name="Emerging to Greater depth")
        labels = list(scale.grades.order_by("rank").values_list("label", flat=True))
        assert labels == ["Emerging", "Developing", "Secure", "Greater depth"]
        assert Subject.objects.filter(scale=scale).count() == 2
        assert TrackingEntry.objects.filter(grade__scale=scale).exists()
