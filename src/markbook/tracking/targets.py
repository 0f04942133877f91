"""Targets (ASM-4): derived from KS2 prior attainment by the school's TargetRule table,
imported from a CSV (FFT-style estimates, matched on UPN), or set by a teacher; every
override is in the access log with the old and the new grade. And the expected grade
at a drop: the target (flat) or a flight path from a starting grade (stepped).

The default rules are a starting point for the school to edit, not an official
estimate: a KS2 average (reading and maths) of 100 is the expected standard, so it
maps onto a middle grade, and every few points above or below onto the next grade.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from markbook.audit import services as audit
from markbook.privacy.restriction import restricted_count, unrestricted_pupils
from markbook.rosters.models import Pupil
from markbook.rosters.services import upn_digest
from markbook.schools.models import School
from markbook.tracking.models import (
    DataDrop,
    Grade,
    GradeScale,
    Subject,
    Target,
    TargetRule,
)

# KS2 average scaled score from which each grade is the target (lowest first).
DEFAULT_RULES: dict[str, tuple[tuple[int, str], ...]] = {
    "GCSE 9-1": (
        (80, "1"),
        (88, "2"),
        (93, "3"),
        (97, "4"),
        (100, "5"),
        (104, "6"),
        (107, "7"),
        (110, "8"),
        (114, "9"),
    ),
    "A level A*-E": ((80, "E"), (96, "D"), (100, "C"), (104, "B"), (108, "A"), (112, "A*")),
    "BTEC": ((80, "P"), (98, "M"), (105, "D"), (111, "D*")),
}

KS2_MIN, KS2_MAX = 80, 120
IMPORT_MAX_ROWS = 20_000


def ks2_average(pupil: Pupil) -> Decimal | None:
    """The mean of the pupil's KS2 reading and maths scaled scores (either alone if the
    other is missing), or None with neither."""
    scores = [s for s in (pupil.ks2_reading, pupil.ks2_maths) if s is not None]
    if not scores:
        return None
    return Decimal(sum(scores)) / len(scores)


def target_rules_install_defaults(*, actor: Any, school: School) -> int:
    """Give each built-in scale with no rules yet the default KS2 table; idempotent."""
    scales = GradeScale.objects.filter(school=school, name__in=list(DEFAULT_RULES)).exclude(
        target_rules__isnull=False
    )
    rules: list[TargetRule] = []
    for scale in scales:
        grades = {g.label: g for g in Grade.objects.filter(scale=scale)}
        rules += [
            TargetRule(school=school, scale=scale, ks2_minimum=score, grade=grades[label])
            for score, label in DEFAULT_RULES[scale.name]
            if label in grades
        ]
    TargetRule.objects.bulk_create(rules)
    if rules:
        audit.record(
            actor=actor,
            school=school,
            action="tracking.target_rules.installed",
            data={"rules": len(rules)},
        )
    return len(rules)


@transaction.atomic
def target_rules_set(
    *, actor: Any, scale: GradeScale, rows: Sequence[tuple[int, Grade]]
) -> list[TargetRule]:
    """Replace a scale's KS2 table: each row the lowest KS2 average for a grade."""
    errors: list[str] = []
    scores = [score for score, _ in rows]
    if any(not (KS2_MIN <= s <= KS2_MAX) for s in scores):
        errors.append(f"KS2 scores run from {KS2_MIN} to {KS2_MAX}.")
    if len(set(scores)) != len(scores):
        errors.append("Each KS2 score may appear once.")
    if any(g.scale_id != scale.pk for _, g in rows):
        errors.append(f"Every target must be a grade of {scale.name}.")
    if errors:
        raise ValidationError({"rules": errors})
    old = [[r.ks2_minimum, r.grade.label] for r in scale.target_rules.select_related("grade")]
    TargetRule.objects.filter(scale=scale).delete()
    rules = TargetRule.objects.bulk_create(
        TargetRule(school=scale.school, scale=scale, ks2_minimum=s, grade=g)
        for s, g in sorted(rows, key=lambda row: row[0])
    )
    new = [[r.ks2_minimum, r.grade.label] for r in rules]
    if old != new:
        audit.record(
            actor=actor,
            school=scale.school,
            action="tracking.target_rules.changed",
            target=scale,
            data={"old": old, "new": new},
        )
    return rules


def target_for_ks2(rules: Sequence[TargetRule], score: Decimal | None) -> Grade | None:
    """The grade of the highest rule whose KS2 minimum the score reaches (the lowest
    rule's grade below all of them); None without a score or rules."""
    if score is None or not rules:
        return None
    ordered = sorted(rules, key=lambda r: r.ks2_minimum)
    chosen = ordered[0]
    for rule in ordered:
        if score >= rule.ks2_minimum:
            chosen = rule
    return chosen.grade


def _audit_changes(actor: Any, school: School, changes: list[tuple[Target, dict]]) -> None:
    if changes:
        audit.record_many(
            actor=actor,
            school=school,
            events=[("tracking.target.changed", t, data) for t, data in changes],
        )


@dataclass
class _Writer:
    """Creates and overrides targets in bulk, keeping the old and new of each override."""

    school: School
    actor: Any
    source: str
    existing: dict[tuple[int, int], Target]
    created: list[Target] = field(default_factory=list)
    changed: list[tuple[Target, dict]] = field(default_factory=list)

    def put(self, pupil_id: int, subject: Subject, grade: Grade) -> None:
        target = self.existing.get((pupil_id, subject.pk))
        if target is None:
            self.created.append(
                Target(
                    school=self.school,
                    pupil_id=pupil_id,
                    subject=subject,
                    grade=grade,
                    source=self.source,
                    set_by=self.actor,
                )
            )
            return
        if target.grade_id == grade.pk and target.source == self.source:
            return
        data = {
            "pupil": pupil_id,
            "subject": subject.name,
            "old": target.grade.label,
            "old_source": target.source,
            "new": grade.label,
            "new_source": self.source,
        }
        target.grade, target.source, target.set_by = grade, self.source, self.actor
        target.updated_at = timezone.now()
        self.changed.append((target, data))

    def save(self) -> dict[str, int]:
        Target.objects.bulk_create(self.created)
        Target.objects.bulk_update(
            [t for t, _ in self.changed], ["grade", "source", "set_by", "updated_at"]
        )
        _audit_changes(self.actor, self.school, self.changed)
        return {"created": len(self.created), "changed": len(self.changed)}


def _existing(subjects: Sequence[Subject]) -> dict[tuple[int, int], Target]:
    rows = Target.objects.filter(subject__in=subjects).select_related("grade")
    return {(t.pupil_id, t.subject_id): t for t in rows}


@transaction.atomic
def targets_from_ks2(
    *,
    actor: Any,
    school: School,
    subjects: Sequence[Subject] | None = None,
    overwrite: bool = False,
) -> dict[str, int]:
    """Targets from KS2 prior attainment for the pupils of each subject's classes, by the
    school's rules for the subject's scale. Targets imported or set by a teacher are
    kept unless `overwrite`; every overridden target is audited with old and new."""
    subjects = list(subjects if subjects is not None else Subject.objects.select_related("scale"))
    rules: dict[int, list[TargetRule]] = {}
    for rule in TargetRule.objects.filter(scale__in={s.scale_id for s in subjects}).select_related(
        "grade"
    ):
        rules.setdefault(rule.scale_id, []).append(rule)
    writer = _Writer(school, actor, Target.Source.KS2, _existing(subjects))
    taught = Pupil.objects.filter(
        enrolments__teaching_class__subject_links__subject__in=subjects,
        status=Pupil.Status.ON_ROLL,
    )
    # No new automated processing of a restricted pupil's data (DSR-5): left out, counted.
    restricted = restricted_count(taught.distinct())
    pupils = unrestricted_pupils(taught).values_list(
        "pk", "ks2_reading", "ks2_maths", "enrolments__teaching_class__subject_links__subject"
    )
    by_id = {s.pk: s for s in subjects}
    skipped = 0
    for pupil_id, reading, maths, subject_id in pupils.distinct():
        subject = by_id[subject_id]
        score = ks2_average(Pupil(ks2_reading=reading, ks2_maths=maths))
        grade = target_for_ks2(rules.get(subject.scale_id, []), score)
        current = writer.existing.get((pupil_id, subject_id))
        if grade is None or (
            current is not None and current.source != Target.Source.KS2 and not overwrite
        ):
            skipped += 1
            continue
        writer.put(pupil_id, subject, grade)
    counts = writer.save()
    counts["skipped"] = skipped
    counts["restricted"] = restricted
    audit.record(actor=actor, school=school, action="tracking.targets.from_ks2", data=counts)
    return counts


@transaction.atomic
def target_set(
    *,
    actor: Any,
    pupil: Pupil,
    subject: Subject,
    grade: Grade,
    path: str | None = None,
    starting_grade: Grade | None = None,
) -> Target:
    """A teacher's target for a pupil in a subject, with its path; the override is
    audited with old and new (ASM-4)."""
    errors: dict[str, list[str]] = {}
    if grade.scale_id != subject.scale_id:
        errors["grade"] = [f"{grade.label} is not a grade of {subject.name}'s scale."]
    if starting_grade is not None and starting_grade.scale_id != subject.scale_id:
        errors["starting_grade"] = [
            f"{starting_grade.label} is not a grade of {subject.name}'s scale."
        ]
    if path is not None and path not in Target.Path.values:
        errors["path"] = ["The path is flat or stepped."]
    if path == Target.Path.STEPPED and starting_grade is None:
        errors["starting_grade"] = ["A stepped path needs a starting grade."]
    if errors:
        raise ValidationError(errors)
    target = (
        Target.objects.filter(pupil=pupil, subject=subject)
        .select_related("grade", "starting_grade")
        .first()
    )
    old = None
    if target is None:
        target = Target(school=pupil.school, pupil=pupil, subject=subject)
    else:
        old = {
            "grade": target.grade.label,
            "source": target.source,
            "path": target.path,
            "starting_grade": target.starting_grade.label if target.starting_grade else None,
        }
    target.grade, target.source, target.set_by = grade, Target.Source.TEACHER, actor
    if path is not None:
        target.path = path
    target.starting_grade = starting_grade if target.path == Target.Path.STEPPED else None
    new = {
        "grade": grade.label,
        "source": target.source,
        "path": target.path,
        "starting_grade": target.starting_grade.label if target.starting_grade else None,
    }
    if old == new:
        return target
    target.save()
    audit.record(
        actor=actor,
        school=pupil.school,
        action="tracking.target.changed",
        target=target,
        data={"pupil": pupil.pk, "subject": subject.name, "old": old, "new": new},
    )
    return target


# --- Importing targets ------------------------------------------------------------

UPN_HEADERS = ("upn",)
SUBJECT_HEADERS = ("subject", "subject name")
GRADE_HEADERS = ("target", "target grade", "estimate", "grade")


@dataclass
class ImportRow:
    line: int
    upn: str
    subject: str
    grade: str
    pupil_id: int | None = None
    subject_obj: Subject | None = None
    grade_obj: Grade | None = None


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    errors: list[str]  # "Row 4: ..." each, in file order

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _column(header: list[str], names: Sequence[str]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def targets_import_preview(*, school: School, text: str) -> ImportPreview:
    """Read an FFT-style CSV (UPN, subject, target grade): each row checked against the
    school's pupils (matched on UPN through its keyed hash, as rosters do, so a school
    that keeps only hashes matches too), subjects (by name or code) and the subject's
    scale. Writes nothing."""
    # Any line ending (a lone carriage return too, which csv refuses unquoted).
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    cols = [_column(header, names) for names in (UPN_HEADERS, SUBJECT_HEADERS, GRADE_HEADERS)]
    if None in cols:
        return ImportPreview(
            [], ["The file needs the columns UPN, Subject and Target (or Target grade)."]
        )
    u, s, g = (c or 0 for c in cols)
    rows: list[ImportRow] = []
    errors: list[str] = []
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= IMPORT_MAX_ROWS:
            errors.append(f"The file has more than {IMPORT_MAX_ROWS:,} rows; split it.")
            break
        cells = [*record, "", "", ""]
        rows.append(ImportRow(line, cells[u].strip().upper(), cells[s].strip(), cells[g].strip()))
    if not rows and not errors:
        errors.append("The file has no rows.")
    hashes = {upn_digest(r.upn): r.upn for r in rows if r.upn}
    pupils: dict[str, int] = {}
    for pk, upn, upn_hash in Pupil.objects.filter(
        Q(upn_hash__in=list(hashes)) | Q(upn__in=list(hashes.values()))
    ).values_list("pk", "upn", "upn_hash"):
        if upn:
            pupils[upn] = pk
        if upn_hash in hashes:
            pupils[hashes[upn_hash]] = pk
    subjects: dict[str, Subject] = {}
    for subject in Subject.objects.select_related("scale"):
        subjects[subject.name.casefold()] = subject
        if subject.code:
            subjects.setdefault(subject.code.casefold(), subject)
    grades: dict[int, dict[str, Grade]] = {}
    for grade in Grade.objects.filter(scale__in={s.scale_id for s in subjects.values()}):
        grades.setdefault(grade.scale_id, {})[grade.label.casefold()] = grade
    seen: dict[tuple[int, int], int] = {}
    for row in rows:
        problems = []
        row.pupil_id = pupils.get(row.upn)
        if not row.upn:
            problems.append("no UPN")
        elif row.pupil_id is None:
            problems.append(f"no pupil of the school has the UPN {row.upn}")
        row.subject_obj = subjects.get(row.subject.casefold())
        if row.subject_obj is None:
            problems.append(f"the school has no subject {row.subject or '(blank)'}")
        else:
            scale = row.subject_obj.scale
            row.grade_obj = grades.get(scale.pk, {}).get(row.grade.casefold())
            if row.grade_obj is None:
                problems.append(f"{row.grade or '(blank)'} is not a grade of {scale.name}")
        if row.pupil_id and row.subject_obj:
            key = (row.pupil_id, row.subject_obj.pk)
            if key in seen:
                problems.append(f"the same pupil and subject as row {seen[key]}")
            seen.setdefault(key, row.line)
        if problems:
            errors.append(f"Row {row.line}: {'; '.join(problems)}.")
    return ImportPreview(rows, errors)


@transaction.atomic
def targets_import(*, actor: Any, school: School, text: str) -> dict[str, int]:
    """Import targets from a CSV, all or nothing: any row in error and nothing is
    written. Overridden targets are audited with old and new."""
    preview = targets_import_preview(school=school, text=text)
    if not preview.ok:
        raise ValidationError({"file": preview.errors or ["The file has no rows."]})
    subjects = list(
        {r.subject_obj.pk: r.subject_obj for r in preview.rows if r.subject_obj}.values()
    )
    writer = _Writer(school, actor, Target.Source.IMPORTED, _existing(subjects))
    for row in preview.rows:
        assert row.pupil_id and row.subject_obj and row.grade_obj
        writer.put(row.pupil_id, row.subject_obj, row.grade_obj)
    counts = writer.save()
    audit.record(
        actor=actor,
        school=school,
        action="tracking.targets.imported",
        data={**counts, "rows": len(preview.rows)},
    )
    return counts


# --- Expected grades -------------------------------------------------------------


def expected_grade(
    target: Target,
    drop: DataDrop,
    drops: Sequence[DataDrop],
    grades: Sequence[Grade] | None = None,
) -> Grade:
    """The grade a pupil is expected to be working at by `drop` (ASM-4).

    Flat: the target at every drop. Stepped: a flight path from the starting grade at
    the first of the year's `drops` (by date) to the target at the last, moving evenly
    through the scale's grades in between (rounded towards the start, so never ahead
    of the path). `grades` is the scale's grades (read from the target's scale if not
    given); a drop not among `drops` is placed by its date.
    """
    start = target.starting_grade
    if target.path != Target.Path.STEPPED or start is None:
        return target.grade
    ordered = sorted(drops, key=lambda d: (d.date, d.pk or 0))
    if len(ordered) <= 1:
        return target.grade
    ids = [d.pk for d in ordered]
    if drop.pk is not None and drop.pk in ids:
        index = ids.index(drop.pk)
    else:
        index = max(0, sum(1 for d in ordered if d.date <= drop.date) - 1)
    scale = list(grades) if grades is not None else list(target.grade.scale.grades.all())
    scale.sort(key=lambda g: g.rank)
    ranks = [g.rank for g in scale]
    s, t = ranks.index(start.rank), ranks.index(target.grade.rank)
    steps = (
        (t - s) * index // (len(ordered) - 1)
        if t >= s
        else -((s - t) * index // (len(ordered) - 1))
    )
    return scale[s + steps]
