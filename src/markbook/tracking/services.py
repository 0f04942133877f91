"""Writes on tracking (ASM-4): keyword-only, atomic and audited, run inside the
school's scope (TEN-4)."""

from typing import Any

from django.db import transaction

from markbook.audit import services as audit
from markbook.schools.models import School
from markbook.tracking.builtin import BANDS, SCALES
from markbook.tracking.models import Band, Grade, GradeScale
from markbook.tracking.targets import target_rules_install_defaults


@transaction.atomic
def tracking_setup(*, school: School, actor: Any = None) -> dict[str, int]:
    """Give the school the default common bands, the built-in grade scales it lacks
    (matched by name, so a school's edits are kept and running it twice adds nothing)
    and the default KS2 target rules of scales that have none."""
    bands = {band.rank: band for band in Band.objects.filter(school=school)}
    new_bands = [
        Band(school=school, rank=rank, name=name) for rank, name in BANDS if rank not in bands
    ]
    for band in Band.objects.bulk_create(new_bands):
        bands[band.rank] = band
    have = set(GradeScale.objects.filter(school=school).values_list("name", flat=True))
    grades: list[Grade] = []
    added = 0
    for spec in SCALES:
        if spec.name in have:
            continue
        scale = GradeScale.objects.create(
            school=school,
            name=spec.name,
            kind=spec.kind,
            numeric=spec.numeric,
            minimum=spec.minimum,
            maximum=spec.maximum,
        )
        added += 1
        for rank, (label, band_rank) in enumerate(spec.grades, start=1):
            minimum = spec.thresholds[rank - 1] if spec.thresholds else None
            grades.append(
                Grade(
                    school=school,
                    scale=scale,
                    label=label,
                    rank=rank,
                    minimum=minimum,
                    band=bands.get(band_rank),
                )
            )
    Grade.objects.bulk_create(grades)
    counts = {"bands": len(new_bands), "scales": added, "grades": len(grades)}
    counts["target_rules"] = target_rules_install_defaults(actor=actor, school=school)
    if new_bands or added:
        audit.record(actor=actor, school=school, action="tracking.setup", data=counts)
    return counts
