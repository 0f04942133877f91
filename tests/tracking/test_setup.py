"""ASM-4: every school starts with the built-in scales mapped onto common bands."""

import pytest

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.tracking.models import Band, Grade, GradeScale
from markbook.tracking.services import tracking_setup

pytestmark = pytest.mark.django_db


def test_setup_installs_bands_and_scales_once(world):
    school = world.a
    with school_scope(school):
        first = tracking_setup(school=school)
        again = tracking_setup(school=school)
        assert first["bands"] == 5 and first["scales"] == 6
        assert again == {"bands": 0, "scales": 0, "grades": 0, "target_rules": 0}
        assert first["target_rules"] > 0
        gcse = GradeScale.objects.get(name="GCSE 9-1")
        labels = list(Grade.objects.filter(scale=gcse).values_list("label", flat=True))
        assert labels == ["U", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
        assert not Grade.objects.filter(band__isnull=True).exists()
        ks2 = GradeScale.objects.get(name="KS2 scaled score")
        assert ks2.numeric and ks2.minimum == 80 and ks2.maximum == 120
        expected = Grade.objects.get(scale=ks2, minimum=100)
        assert expected.band == Band.objects.get(rank=3)
        assert AuditEvent.objects.filter(school=school, action="tracking.setup").count() == 1


def test_setup_keeps_a_schools_renamed_band(world):
    school = world.a
    with school_scope(school):
        tracking_setup(school=school)
        Band.objects.filter(rank=3).update(name="Secure")
        tracking_setup(school=school)
        assert Band.objects.get(rank=3).name == "Secure"
        assert Band.objects.count() == 5
