"""Writes on grade scales, common bands and subjects (ASM-4): keyword-only, atomic and
audited, inside the school's scope (TEN-4).

A scale's grades are given lowest first; their order is their rank. A school may
define its own scales (for example Emerging, Developing, Secure, Greater depth) and map
every grade of every scale onto one of its common bands.
"""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from markbook.audit import services as audit
from markbook.rosters.models import TeachingClass
from markbook.schools.models import School
from markbook.tracking.models import (
    HELD,
    Band,
    DropField,
    Grade,
    GradeScale,
    Subject,
    SubjectClass,
    Target,
    TrackingEntry,
)

LABEL_MAX = Grade._meta.get_field("label").max_length or 20
NAME_MAX = GradeScale._meta.get_field("name").max_length or 100


@dataclass(frozen=True)
class GradeSpec:
    """One grade of a scale being defined: its label, on a numeric scale the lowest
    number that counts as it, and the band it maps onto (by id; None keeps or leaves it
    unmapped)."""

    label: str
    minimum: Decimal | None = None
    band_id: int | None = None


def _names(items: Iterable[Any]) -> str:
    return ", ".join(sorted(str(item) for item in items))


def scale_check(
    *,
    name: str,
    grades: Sequence[GradeSpec],
    numeric: bool,
    minimum: Decimal | None,
    maximum: Decimal | None,
) -> dict[str, list[str]]:
    """What is wrong with a scale definition, by field (empty when it is valid)."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not name.strip():
        add("name", "Give the scale a name.")
    elif len(name) > NAME_MAX:
        add("name", f"A scale's name can be at most {NAME_MAX} characters.")
    labels = [g.label.strip() for g in grades]
    if len(grades) < 2:
        add("grades", "A scale needs at least 2 grades.")
    if any(not label for label in labels):
        add("grades", "Every grade needs a label.")
    long = [label for label in labels if len(label) > LABEL_MAX]
    if long:
        add("grades", f"A grade's label can be at most {LABEL_MAX} characters: {_names(long)}.")
    seen: set[str] = set()
    repeated: set[str] = set()
    for label in labels:
        if label.casefold() in seen:
            repeated.add(label)
        else:
            seen.add(label.casefold())
    if repeated:
        add("grades", f"Each grade's label must be different; repeated: {_names(repeated)}.")
    if not numeric:
        return errors
    if minimum is None or maximum is None:
        add("minimum", "A numeric scale needs a lowest and a highest number.")
        return errors
    if minimum >= maximum:
        add("maximum", "The highest number must be above the lowest.")
        return errors
    thresholds = [g.minimum for g in grades]
    if any(t is None for t in thresholds):
        add("grades", "On a numeric scale every grade needs the lowest number that counts as it.")
        return errors
    outside = [g.label for g in grades if not (minimum <= (g.minimum or 0) <= maximum)]
    if outside:
        add(
            "grades",
            f"Grade thresholds must be between {minimum} and {maximum}: {_names(outside)}.",
        )
    if any(b <= a for a, b in itertools.pairwise(thresholds)):  # type: ignore[operator]
        add("grades", "Each grade's threshold must be above the one before (lowest grade first).")
    if thresholds and thresholds[0] != minimum:
        add("grades", f"The lowest grade must start at the scale's lowest number ({minimum}).")
    return errors


def _bands(school: School, grades: Sequence[GradeSpec]) -> dict[int, Band]:
    ids = {g.band_id for g in grades if g.band_id}
    bands = {b.pk: b for b in Band.objects.filter(school=school, pk__in=ids)}
    if ids - set(bands):
        raise ValidationError(
            {"grades": ["A grade is mapped onto a band the school does not have."]}
        )
    return bands


@transaction.atomic
def scale_create(
    *,
    actor: Any,
    school: School,
    name: str,
    grades: Sequence[GradeSpec],
    numeric: bool = False,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
) -> GradeScale:
    """A school-defined scale with its grades, lowest first (ASM-4)."""
    name = name.strip()
    errors = scale_check(
        name=name, grades=grades, numeric=numeric, minimum=minimum, maximum=maximum
    )
    if GradeScale.objects.filter(school=school, name__iexact=name).exists():
        errors.setdefault("name", []).append(f"The school already has a scale called {name}.")
    if errors:
        raise ValidationError(errors)
    bands = _bands(school, grades)
    scale = GradeScale.objects.create(
        school=school,
        name=name,
        kind=GradeScale.Kind.CUSTOM,
        numeric=numeric,
        minimum=minimum if numeric else None,
        maximum=maximum if numeric else None,
    )
    # A grade given no band is spread evenly across the school's bands, lowest to
    # highest, so every grade maps onto one from the start (the school may change it).
    ladder = list(Band.objects.filter(school=school).order_by("rank"))
    top = max(1, len(grades) - 1)
    Grade.objects.bulk_create(
        Grade(
            school=school,
            scale=scale,
            label=g.label.strip(),
            rank=rank,
            minimum=g.minimum if numeric else None,
            band=bands.get(g.band_id or 0)
            or (ladder[round((rank - 1) * (len(ladder) - 1) / top)] if ladder else None),
        )
        for rank, g in enumerate(grades, start=1)
    )
    audit.record(
        actor=actor,
        school=school,
        action="tracking.scale.created",
        target=scale,
        data={"name": name, "grades": [g.label.strip() for g in grades]},
    )
    return scale


def _builtin(scale: GradeScale) -> None:
    if scale.kind != GradeScale.Kind.CUSTOM:
        raise ValidationError(
            f"{scale.name} is a built-in scale: its grades cannot be changed, but their "
            "bands can (on the bands page)."
        )


@transaction.atomic
def scale_update(
    *,
    actor: Any,
    scale: GradeScale,
    name: str,
    grades: Sequence[GradeSpec],
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
) -> GradeScale:
    """Rename a school-defined scale and set its grades (lowest first). Grades keep their
    rows by label, so entries and targets stay; a grade in use cannot be removed."""
    _builtin(scale)
    school = scale.school
    name = name.strip()
    errors = scale_check(
        name=name, grades=grades, numeric=scale.numeric, minimum=minimum, maximum=maximum
    )
    clash = GradeScale.objects.filter(school=school, name__iexact=name).exclude(pk=scale.pk)
    if clash.exists():
        errors.setdefault("name", []).append(f"The school already has a scale called {name}.")
    existing = {g.label: g for g in Grade.objects.filter(scale=scale)}
    wanted = [g.label.strip() for g in grades]
    removed = [g for label, g in existing.items() if label not in wanted]
    in_use = [g.label for g in removed if _grade_used(g)]
    if in_use:
        errors.setdefault("grades", []).append(
            f"These grades are in use by entries or targets and cannot be removed: {_names(in_use)}."
        )
    if errors:
        raise ValidationError(errors)
    bands = _bands(school, grades)
    ordered = sorted(existing.values(), key=lambda g: g.rank)
    before = {"name": scale.name, "grades": [g.label for g in ordered]}
    same = (
        name == scale.name
        and wanted == before["grades"]
        and all(
            not s.band_id or s.band_id == g.band_id for s, g in zip(grades, ordered, strict=False)
        )
        and (
            not scale.numeric
            or (
                [s.minimum for s in grades] == [g.minimum for g in ordered]
                and (minimum, maximum) == (scale.minimum, scale.maximum)
            )
        )
    )
    if same:
        return scale
    Grade.objects.filter(pk__in=[g.pk for g in removed]).delete()
    # Ranks are unique per scale: move the kept grades out of the way first.
    kept = [existing[label] for label in wanted if label in existing]
    for g in kept:
        g.rank = -g.rank - 1000
    Grade.objects.bulk_update(kept, ["rank"])
    new: list[Grade] = []
    for rank, spec in enumerate(grades, start=1):
        label = spec.label.strip()
        grade = existing.get(label) or Grade(school=school, scale=scale, label=label)
        grade.rank = rank
        grade.minimum = spec.minimum if scale.numeric else None
        if spec.band_id:
            grade.band = bands[spec.band_id]
        if grade.pk is None:
            new.append(grade)
    Grade.objects.bulk_update(kept, ["rank", "minimum", "band"])
    Grade.objects.bulk_create(new)
    scale.name = name
    if scale.numeric:
        scale.minimum, scale.maximum = minimum, maximum
    scale.save(update_fields=["name", "minimum", "maximum"])
    audit.record(
        actor=actor,
        school=school,
        action="tracking.scale.changed",
        target=scale,
        data={"old": before, "new": {"name": name, "grades": wanted}},
    )
    return scale


def _grade_used(grade: Grade) -> bool:
    return (
        TrackingEntry.objects.filter(grade=grade).exists()
        or Target.objects.filter(grade=grade).exists()
        or Target.objects.filter(starting_grade=grade).exists()
    )


def scale_users(scale: GradeScale) -> dict[str, list[str]]:
    """Who uses a scale: the subjects taught on it and the drops collecting on it."""
    subjects = list(Subject.objects.filter(scale=scale).values_list("name", flat=True))
    drops = list(
        DropField.objects.filter(scale=scale)
        .values_list("drop__name", flat=True)
        .distinct()
        .order_by("drop__name")
    )
    return {"subjects": sorted(subjects), "drops": drops}


@transaction.atomic
def scale_delete(*, actor: Any, scale: GradeScale) -> None:
    """Delete a school-defined scale no subject or drop uses (ASM-4)."""
    _builtin(scale)
    users = scale_users(scale)
    if users["subjects"]:
        raise ValidationError(
            f"{scale.name} is the scale of {_names(users['subjects'])}; give them another "
            "scale before deleting it."
        )
    if users["drops"]:
        raise ValidationError(
            f"{scale.name} is used by the data drops {_names(users['drops'])}; it cannot be deleted."
        )
    audit.record(
        actor=actor,
        school=scale.school,
        action="tracking.scale.deleted",
        target=scale,
        data={"name": scale.name},
    )
    scale.delete()


# --- Bands ---------------------------------------------------------------------


@transaction.atomic
def band_rename(*, actor: Any, band: Band, name: str) -> Band:
    """Rename one of the school's common bands."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the band a name."]})
    if len(name) > 50:
        raise ValidationError({"name": ["A band's name can be at most 50 characters."]})
    if Band.objects.filter(school=band.school, name__iexact=name).exclude(pk=band.pk).exists():
        raise ValidationError({"name": [f"Another band is already called {name}."]})
    if name == band.name:
        return band
    old, band.name = band.name, name
    band.save(update_fields=["name"])
    audit.record(
        actor=actor,
        school=band.school,
        action="tracking.band.renamed",
        target=band,
        data={"old": old, "new": name},
    )
    return band


@transaction.atomic
def band_mapping_update(*, actor: Any, school: School, mapping: dict[int, int | None]) -> int:
    """Map grades (by id) onto bands (by id); the number of grades whose band changed.
    Every change is in the access log with its old and new band."""
    grades = {g.pk: g for g in Grade.objects.filter(pk__in=mapping).select_related("scale")}
    bands = {b.pk: b for b in Band.objects.filter(school=school)}
    unknown = [gid for gid in mapping if gid not in grades]
    unknown_bands = [bid for bid in mapping.values() if bid and bid not in bands]
    if unknown or unknown_bands:
        raise ValidationError({"mapping": ["Some grades or bands are not the school's."]})
    changed: list[Grade] = []
    changes: list[dict[str, Any]] = []
    for gid, bid in mapping.items():
        grade = grades[gid]
        if grade.band_id == (bid or None):
            continue
        changes.append(
            {
                "scale": grade.scale.name,
                "grade": grade.label,
                "old": bands[grade.band_id].name if grade.band_id in bands else None,
                "new": bands[bid].name if bid else None,
            }
        )
        grade.band_id = bid or None
        changed.append(grade)
    if changed:
        Grade.objects.bulk_update(changed, ["band"])
        audit.record(
            actor=actor,
            school=school,
            action="tracking.bands.mapped",
            data={"changes": changes},
        )
    return len(changed)


# --- Subjects ------------------------------------------------------------------


def _subject_check(school: School, name: str, code: str, exclude: int | None = None) -> None:
    errors: dict[str, list[str]] = {}
    same_name = Subject.objects.filter(school=school, name__iexact=name)
    if not name:
        errors["name"] = ["Give the subject a name."]
    elif len(name) > 100:
        errors["name"] = ["A subject's name can be at most 100 characters."]
    elif same_name.exclude(pk=exclude).exists() if exclude is not None else same_name.exists():
        errors["name"] = [f"The school already has a subject called {name}."]
    if len(code) > 20:
        errors["code"] = ["A subject's code can be at most 20 characters."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def subject_create(
    *, actor: Any, school: School, name: str, scale: GradeScale, code: str = ""
) -> Subject:
    """A subject of the school, taught on one scale (ASM-4)."""
    name, code = name.strip(), code.strip()
    _subject_check(school, name, code)
    subject = Subject.objects.create(school=school, name=name, code=code, scale=scale)
    audit.record(
        actor=actor,
        school=school,
        action="tracking.subject.created",
        target=subject,
        data={"name": name, "scale": scale.name},
    )
    return subject


@transaction.atomic
def subject_update(
    *,
    actor: Any,
    subject: Subject,
    name: str | None = None,
    code: str | None = None,
    scale: GradeScale | None = None,
) -> Subject:
    """Rename a subject or move it to another scale (refused once it has grades on its
    scale: they would not be on the new one)."""
    name = subject.name if name is None else name.strip()
    code = subject.code if code is None else code.strip()
    _subject_check(subject.school, name, code, exclude=subject.pk)
    if (
        scale is not None
        and scale.pk != subject.scale_id
        and (
            TrackingEntry.objects.filter(subject=subject, grade__scale_id=subject.scale_id).exists()
            or Target.objects.filter(subject=subject).exists()
        )
    ):
        raise ValidationError(
            {"scale": [f"{subject.name} has targets or grades on its scale; it cannot change."]}
        )
    old = {"name": subject.name, "code": subject.code, "scale": subject.scale.name}
    subject.name, subject.code = name, code
    if scale is not None:
        subject.scale = scale
    new = {"name": subject.name, "code": subject.code, "scale": subject.scale.name}
    if old == new:
        return subject
    subject.save(update_fields=["name", "code", "scale"])
    audit.record(
        actor=actor,
        school=subject.school,
        action="tracking.subject.changed",
        target=subject,
        data={"old": old, "new": new},
    )
    return subject


def subject_holdings(subject: Subject) -> dict[str, int]:
    """What deleting a subject would delete with it: its pupils' targets, the grades
    entered at its drops, and its links to classes (the classes themselves stay)."""
    return {
        "targets": Target.objects.filter(subject=subject).count(),
        "entries": TrackingEntry.objects.filter(HELD, subject=subject).count(),
        "classes": SubjectClass.objects.filter(subject=subject).count(),
    }


def holdings_text(held: dict[str, int]) -> str:
    """'3 targets and 12 drop grades': the data a delete would take, for messages."""
    words = {"targets": ("target", "targets"), "entries": ("drop grade", "drop grades")}
    parts = [
        f"{held[key]} {one if held[key] == 1 else many}"
        for key, (one, many) in words.items()
        if held.get(key)
    ]
    return " and ".join(parts)


@transaction.atomic
def subject_delete(*, actor: Any, subject: Subject, confirm: bool = False) -> dict[str, int]:
    """Delete a subject and its links to classes (ASM-4). One holding targets or drop
    grades is deleted, with them, only when `confirm` is given; one whose scale an
    assignment's grade boundaries use is refused. Returns what was deleted."""
    held = subject_holdings(subject)
    used_by = subject.assignments.count()
    if used_by:
        raise ValidationError(
            f"{used_by} assignment{'s' if used_by != 1 else ''} use {subject.name} for their "
            "grades; give them another subject before deleting it."
        )
    if (held["targets"] or held["entries"]) and not confirm:
        raise ValidationError(
            f"{subject.name} holds {holdings_text(held)}; confirm to delete them with it."
        )
    audit.record(
        actor=actor,
        school=subject.school,
        action="tracking.subject.deleted",
        target=subject,
        data={"name": subject.name, **held},
    )
    subject.delete()
    return held


@transaction.atomic
def subject_class_link(*, actor: Any, subject: Subject, teaching_class: TeachingClass) -> bool:
    """Track a class in a subject (a class has one subject); whether anything changed."""
    link = SubjectClass.objects.filter(teaching_class=teaching_class).first()
    if link is not None and link.subject_id == subject.pk:
        return False
    old = link.subject.name if link is not None else None
    if link is None:
        SubjectClass.objects.create(
            school=subject.school, subject=subject, teaching_class=teaching_class
        )
    else:
        link.subject = subject
        link.save(update_fields=["subject"])
    audit.record(
        actor=actor,
        school=subject.school,
        action="tracking.subject.class_linked",
        target=teaching_class,
        data={"class": teaching_class.name, "old": old, "new": subject.name},
    )
    return True


@transaction.atomic
def subject_class_unlink(*, actor: Any, subject: Subject, teaching_class: TeachingClass) -> bool:
    deleted, _ = SubjectClass.objects.filter(
        subject=subject, teaching_class=teaching_class
    ).delete()
    if deleted:
        audit.record(
            actor=actor,
            school=subject.school,
            action="tracking.subject.class_unlinked",
            target=teaching_class,
            data={"class": teaching_class.name, "subject": subject.name},
        )
    return bool(deleted)


@transaction.atomic
def subject_autolink(
    *, actor: Any, school: School, matches: Sequence[tuple[TeachingClass, Subject]]
) -> int:
    """Link each class to the subject its own subject name matched (see
    selectors.subject_autolink_preview); the number of classes linked."""
    links = [SubjectClass(school=school, subject=s, teaching_class=c) for c, s in matches]
    SubjectClass.objects.bulk_create(links)
    if links:
        audit.record(
            actor=actor,
            school=school,
            action="tracking.subject.autolinked",
            data={"links": [[c.name, s.name] for c, s in matches]},
        )
    return len(links)
