"""Tracking for the demo schools (ASM-4): subjects on the right scales, classes linked,
three data drops with working-at, predicted and effort for every pupil, and targets
from KS2; for a primary school a school-defined scale.

Made in bulk (a few seconds for a thousand pupils). Grades are realistic rather than
random: working-at sits around the target with noise and improves a little from drop
to drop; disadvantaged and SEN pupils sit slightly lower, so the analysis pages show
real differences between groups.
"""

import random
from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from markbook.accounts.models import Membership
from markbook.rosters.models import ClassTeacher, Enrolment, Pupil, TeachingClass
from markbook.schools.models import School
from markbook.schools.years import academic_year_for
from markbook.tracking import drops as drop_services
from markbook.tracking import scales as scale_services
from markbook.tracking import targets as target_services
from markbook.tracking.models import (
    Band,
    DataDrop,
    DropField,
    Grade,
    GradeScale,
    Subject,
    SubjectClass,
    Target,
    TargetRule,
    TrackingEntry,
)
from markbook.tracking.selectors import subject_autolink_preview
from markbook.tracking.services import tracking_setup

CORE = {"Maths": "Ma", "English": "En", "Science": "Sc"}
KS3 = {
    "History": "Hi",
    "Geography": "Gg",
    "French": "Fr",
    "Computing": "Cp",
    "Art and Design": "Ar",
    "Religious Studies": "Rs",
    "Music": "Mu",
}
KS4_OPTIONS = {
    "History": "Hi",
    "Geography": "Gg",
    "French": "Fr",
    "Spanish": "Sp",
    "Computing": "Cp",
    "Art and Design": "Ar",
    "Religious Studies": "Rs",
    "Music": "Mu",
    "Health and Social Care": "Hs",
}
BTEC_SUBJECTS = {"Health and Social Care"}
A_LEVELS = {"A level Mathematics": "AMa", "A level Biology": "ABi", "A level History": "AHi"}
# How subjects differ on average from their targets, in grades (some departments do better).
SUBJECT_SHIFT = {"Maths": -0.3, "Science": -0.2, "Art and Design": 0.4, "French": -0.4}
PRIMARY_SCALE = ("Emerging", "Developing", "Secure", "Greater depth")
PRIMARY_BANDS = (1, 2, 3, 4)  # the default bands' ranks each maps onto


@dataclass
class _Drops:
    drops: list[DataDrop]
    fields: dict[int, list[DropField]]


def _academic_start(school: School) -> int:
    year = TeachingClass.objects.values_list("academic_year__name", flat=True).first()
    return int(year[:4]) if year else date.today().year


def _drops(school: School, start: int, effort: GradeScale, years: list[str]) -> _Drops:
    made = []
    for name, on, locked in (
        ("Autumn", date(start, 10, 17), True),
        ("Spring", date(start + 1, 2, 6), True),
        ("Summer", date(start + 1, 6, 12), False),
    ):
        drop = DataDrop.objects.filter(name=name).first() or drop_services.drop_create(
            actor=None,
            school=school,
            name=name,
            date=on,
            year_groups=years,
            deadline=date.fromordinal(on.toordinal() + 7),
            fields=(
                *drop_services.DEFAULT_FIELDS,
                drop_services.FieldSpec("Effort", DropField.EFFORT, effort),
            ),
        )
        if locked:
            drop_services.drop_lock(actor=None, drop=drop)
        made.append(drop)
    fields: dict[int, list[DropField]] = {}
    for f in DropField.objects.filter(drop__in=made).select_related("scale"):
        fields.setdefault(f.drop_id, []).append(f)
    return _Drops(made, fields)


def _effort_scale(school: School) -> GradeScale:
    existing = GradeScale.objects.filter(name="Effort 1-4").first()
    if existing:
        return existing
    specs = [scale_services.GradeSpec(str(n)) for n in range(1, 5)]
    return scale_services.scale_create(actor=None, school=school, name="Effort 1-4", grades=specs)


def _subjects(school: School, names: dict[str, GradeScale]) -> dict[str, Subject]:
    have = {s.name: s for s in Subject.objects.all()}
    for name, scale in names.items():
        if name not in have:
            have[name] = scale_services.subject_create(
                actor=None, school=school, name=name, scale=scale
            )
    return have


def _new_classes(
    school: School, start: int, rng: random.Random, pupils: list[Pupil]
) -> list[tuple[TeachingClass, list[Pupil], str]]:
    """Foundation subjects by form in years 7-9, four options each in 10-11, A levels
    in the sixth form; (class, pupils, subject) not saved yet."""
    academic_year = academic_year_for(school, f"{start}/{str(start + 1)[2:]}")
    made: list[tuple[TeachingClass, list[Pupil], str]] = []

    def add(name: str, subject: str, year: str, members: list[Pupil]) -> None:
        if members:
            made.append(
                (
                    TeachingClass(
                        school=school,
                        name=name,
                        subject=subject,
                        year_group=year,
                        academic_year=academic_year,
                    ),
                    members,
                    subject,
                )
            )

    by_year: dict[str, list[Pupil]] = {}
    for p in pupils:
        by_year.setdefault(p.year_group, []).append(p)
    for year, cohort in sorted(by_year.items()):
        number = int(year) if year.isdigit() else 0
        if 7 <= number <= 9:
            forms: dict[str, list[Pupil]] = {}
            for p in cohort:
                forms.setdefault(p.registration_group or year, []).append(p)
            for form, members in sorted(forms.items()):
                for subject, code in KS3.items():
                    add(f"{form} {code}", subject, year, members)
        elif number in (10, 11):
            chosen: dict[str, list[Pupil]] = {}
            for p in cohort:
                for subject in rng.sample(list(KS4_OPTIONS), 4):
                    chosen.setdefault(subject, []).append(p)
            for subject, members in chosen.items():
                half = (len(members) + 1) // 2 if len(members) > 32 else len(members)
                for i, group in enumerate((members[:half], members[half:]), start=1):
                    add(f"{year}{KS4_OPTIONS[subject]}{i}", subject, year, group)
        elif number in (12, 13):
            for subject, code in A_LEVELS.items():
                add(f"{year}{code}", subject, year, rng.sample(cohort, max(1, len(cohort) // 3)))
    return made


def _save_classes(school: School, made: list[tuple[TeachingClass, list[Pupil], str]]) -> None:
    taken = set(TeachingClass.objects.values_list("academic_year", "name"))
    made = [m for m in made if (m[0].academic_year, m[0].name) not in taken]
    TeachingClass.objects.bulk_create([c for c, _, _ in made])
    teachers = list(
        Membership.objects.filter(role=Membership.Role.TEACHER).values_list("user_id", flat=True)
    )
    Enrolment.objects.bulk_create(
        [
            Enrolment(school=school, teaching_class=c, pupil=p)
            for c, members, _ in made
            for p in members
        ]
    )
    if teachers:
        ClassTeacher.objects.bulk_create(
            [
                ClassTeacher(
                    school=school, teaching_class=c, teacher_id=teachers[i % len(teachers)]
                )
                for i, (c, _, _) in enumerate(made)
            ]
        )


def _clamp(rank: float, low: int, high: int) -> int:
    return max(low, min(high, round(rank)))


def _entries(
    school: School,
    rng: random.Random,
    drops: _Drops,
    targets: dict[tuple[int, int], Target],
    subjects: dict[int, Subject],
    grades: dict[int, list[Grade]],
    pupils: dict[int, Pupil],
    primary: bool,
) -> list[TrackingEntry]:
    rows: list[TrackingEntry] = []
    links = SubjectClass.objects.values_list("subject_id", "teaching_class__enrolments__pupil_id")
    seen: set[tuple[int, int]] = set()
    last = drops.drops[-1]
    for subject_id, pupil_id in links:
        if pupil_id is None or (subject_id, pupil_id) in seen:
            continue
        seen.add((subject_id, pupil_id))
        subject, pupil = subjects[subject_id], pupils[pupil_id]
        scale = grades[subject.scale_id]
        target = targets.get((pupil_id, subject_id))
        centre = (target.grade.rank if target else len(scale) // 2 + 1) + SUBJECT_SHIFT.get(
            subject.name, 0.0
        )
        shift = -0.6 if pupil.disadvantaged else 0.0
        shift -= 0.5 if pupil.sen_provision in ("K", "E") else 0.0
        shift += 0.25 if pupil.sex == "F" and subject.name == "English" else 0.0
        ability = rng.gauss(0, 0.8)
        # Some classes do not finish the current drop: the completion page shows gaps.
        lagging = rng.random() < 0.15
        for k, drop in enumerate(drops.drops):
            if drop is last and lagging and rng.random() < 0.6:
                continue
            progress = (k - len(drops.drops) + 1) * (0.15 if primary else 0.35)
            for f in drops.fields[drop.pk]:
                if f.key == DropField.EFFORT:
                    assert f.scale is not None
                    effort = grades[f.scale.pk]
                    g = effort[_clamp(3 + shift / 2 + rng.gauss(0, 0.7), 1, 4) - 1]
                elif f.key == DropField.PREDICTED:
                    value = centre + shift * 0.6 + ability * 0.7 + rng.gauss(0, 0.4)
                    g = scale[_clamp(value, 1, len(scale)) - 1]
                else:
                    value = centre + shift + ability + progress + rng.gauss(0, 0.5)
                    g = scale[_clamp(value, 1, len(scale)) - 1]
                rows.append(
                    TrackingEntry(
                        school=school,
                        drop=drop,
                        field=f,
                        pupil_id=pupil_id,
                        subject=subject,
                        grade=g,
                    )
                )
    return rows


def demo_tracking(school: School, seed: int = 10) -> dict[str, int]:
    """Seed tracking for a demo school, inside its scope; the counts made."""
    rng = random.Random(seed)
    tracking_setup(school=school)
    target_services.target_rules_install_defaults(actor=None, school=school)
    start = _academic_start(school)
    pupils = list(Pupil.objects.filter(status=Pupil.Status.ON_ROLL).select_related("school"))
    years = sorted({p.year_group for p in pupils if p.year_group}, key=lambda y: (len(y), y))
    primary = not any(p.year_group.isdigit() and int(p.year_group) >= 7 for p in pupils)
    scales = {s.name: s for s in GradeScale.objects.all()}
    effort = _effort_scale(school)
    if primary:
        scale = scales.get("Emerging to Greater depth") or scale_services.scale_create(
            actor=None,
            school=school,
            name="Emerging to Greater depth",
            grades=[scale_services.GradeSpec(label) for label in PRIMARY_SCALE],
        )
        bands: dict[int, int | None] = dict(
            zip(
                Grade.objects.filter(scale=scale).order_by("rank").values_list("pk", flat=True),
                Band.objects.filter(rank__in=PRIMARY_BANDS)
                .order_by("rank")
                .values_list("pk", flat=True),
                strict=False,
            )
        )
        scale_services.band_mapping_update(actor=None, school=school, mapping=bands)
        wanted = dict.fromkeys(("English", "Maths"), scale)
    else:
        gcse, btec = scales["GCSE 9-1"], scales["BTEC"]
        wanted = {name: gcse for name in (*CORE, *KS4_OPTIONS)}
        wanted.update(dict.fromkeys(BTEC_SUBJECTS, btec))
        if any(p.year_group in ("12", "13") for p in pupils):
            wanted.update(dict.fromkeys(A_LEVELS, scales["A level A*-E"]))
        _save_classes(school, _new_classes(school, start, rng, pupils))
    subjects = _subjects(school, wanted)
    scale_services.subject_autolink(actor=None, school=school, matches=subject_autolink_preview())
    drops = _drops(school, start, effort, years)
    if primary:
        _primary_targets(school, rng, subjects)
    else:
        target_services.targets_from_ks2(actor=None, school=school)
    targets = {(t.pupil_id, t.subject_id): t for t in Target.objects.select_related("grade")}
    grades: dict[int, list[Grade]] = {}
    for g in Grade.objects.order_by("rank"):
        grades.setdefault(g.scale_id, []).append(g)
    TrackingEntry.objects.filter(drop__in=drops.drops).delete()
    rows = _entries(
        school,
        rng,
        drops,
        targets,
        {s.pk: s for s in subjects.values()},
        grades,
        {p.pk: p for p in pupils},
        primary,
    )
    TrackingEntry.objects.bulk_create(rows, batch_size=5000)
    return {
        "subjects": len(subjects),
        "drops": len(drops.drops),
        "targets": len(targets),
        "entries": len(rows),
    }


def _primary_targets(school: School, rng: random.Random, subjects: dict[str, Subject]) -> None:
    """Primary pupils have no KS2 result yet: their teachers set end-of-year targets."""
    have = set(Target.objects.values_list("pupil_id", "subject_id"))
    rows = []
    for subject in subjects.values():
        scale = list(Grade.objects.filter(scale=subject.scale).order_by("rank"))
        pupil_ids = (
            Pupil.objects.filter(Q(enrolments__teaching_class__subject_links__subject=subject))
            .values_list("pk", flat=True)
            .distinct()
        )
        for pupil_id in pupil_ids:
            if (pupil_id, subject.pk) in have:
                continue
            roll = rng.random()
            grade = scale[3] if roll > 0.8 else scale[1] if roll < 0.1 else scale[2]
            rows.append(
                Target(
                    school=school,
                    pupil_id=pupil_id,
                    subject=subject,
                    grade=grade,
                    source=Target.Source.TEACHER,
                )
            )
    Target.objects.bulk_create(rows)


def demo_tracking_wipe(school_ids: list[int]) -> None:
    """Delete the demo schools' tracking rows, dependents first (grades and scales are
    protected while entries, targets and subjects point at them, subjects while
    assignments do); called inside the demo command's unscoped wipe."""
    from markbook.assessment.models import Assignment

    for model in (
        Assignment,
        TrackingEntry,
        Target,
        TargetRule,
        DropField,
        DataDrop,
        SubjectClass,
        Subject,
        Grade,
        GradeScale,
        Band,
    ):
        model.objects.filter(school_id__in=school_ids).delete()
