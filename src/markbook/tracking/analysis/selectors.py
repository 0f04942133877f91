"""Reads for school analysis (ASM-5, SEC-6, TEN-3): one drop's grades against target,
split by subject, class, year group and pupil group, with gaps, movement between two
drops and a KS2 band x grade transition matrix.

`report_facts` reads everything a report needs in a fixed number of queries, whatever
the number of pupils: one row per pupil and subject with the grade's rank and common
band and the expected grade's rank, and the pupils' grouping fields, the encrypted
ones decrypted once per field and school (SEC-2), not per row. The tables are then
counted in Python from those rows, so every table of a page comes from one read.

Who sees what (TEN-3): school and trust administrators the whole school, with groups
smaller than the school's minimum shown as "fewer than N" (and a complementary cell
hidden where a total would give it away); a teacher only the pupils of their own
classes, in the subjects of those classes, in full. A teacher groups only by the pupil
fields the school shows teachers. Pupils are compared only within one school, or
across the schools of one trust for its administrators (SEC-6).

Restricted pupils (DSR-5) and pupils who have left are left out, in `_pupils`, through
privacy.restriction (the one place every consumer asks).

Expected grade: until the tracking module derives a flight path, the expected grade at
every drop is the target (a flat path); `_expected` is the one place that decides it.
"""

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from markbook.accounts.models import User
from markbook.admission import ADMINS, Access
from markbook.audit import services as audit
from markbook.core.fields import EncryptedTextField
from markbook.privacy.restriction import unrestricted_pupils
from markbook.rosters.models import Enrolment, Pupil, TeachingClass
from markbook.rosters.services import SENSITIVE_FIELDS
from markbook.schools.models import School
from markbook.tracking.analysis.groups import (
    ABOVE,
    BELOW,
    DIMENSIONS,
    KS2_BAND_LABELS,
    MIN_GROUP,
    NO_TARGET,
    NOT_RECORDED,
    ON,
    progress_status,
    suppressed_lines,
)
from markbook.tracking.models import (
    Band,
    DataDrop,
    DropField,
    Grade,
    Subject,
    Target,
    TrackingEntry,
)

STATUSES = (ABOVE, ON, BELOW, NO_TARGET)


class NotAvailable(Exception):
    """The viewer may not see this (answered as 404, TEN-3)."""


# --- Who is looking -------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """One viewer's rights in the analysis of one school (TEN-3, ASM-5)."""

    user: User
    school: School
    admin: bool  # the whole school, small groups hidden
    dimensions: tuple[str, ...]  # the groupings offered
    pupil_lists: frozenset[str]  # the groupings whose pupils may be listed

    @property
    def minimum(self) -> int | None:
        """The smallest group shown, or None: a teacher's own classes in full."""
        return minimum_group(self.school) if self.admin else None


def minimum_group(school: School) -> int:
    return max(MIN_GROUP, school.analysis_min_group or MIN_GROUP)


def viewer_for(user: User, access: Access) -> Viewer:
    """The viewer's analysis rights, or NotAvailable for anyone but staff (TEN-3).

    Groupings need the school to keep their fields (ROS-5). A teacher groups by the
    fields the school shows teachers (TEN-3) and gender; a trust administrator lists
    the pupils of every group but the encrypted ones, which only the school's own
    administrators see pupil by pupil (SEC-2)."""
    school = access.school
    if school is None or not access.has("teacher", *ADMINS):
        raise NotAvailable
    admin = access.has(*ADMINS)
    kept = [k for k in DIMENSIONS if all(school.keeps(f) for f in DIMENSIONS[k].fields)]
    if admin:
        dims = tuple(kept)
        if access.has("school_admin"):
            lists = frozenset(dims)
        else:
            lists = frozenset(k for k in dims if not DIMENSIONS[k].sensitive)
    else:
        shown = {*school.teacher_fields(), "sex"}
        dims = tuple(k for k in kept if all(f in shown for f in DIMENSIONS[k].fields))
        lists = frozenset(dims)
    return Viewer(user=user, school=school, admin=admin, dimensions=dims, pupil_lists=lists)


# --- What the report reads ------------------------------------------------------


@dataclass
class GradeInfo:
    label: str
    scale_id: int
    rank: int
    band: int | None


@dataclass
class Row:
    """One pupil in one subject at a drop."""

    pupil_id: int
    subject_id: int
    class_id: int | None
    grade_id: int
    status: str
    band: int | None


@dataclass
class Facts:
    drop: DataDrop | None
    field: DropField | None
    drops: list[DataDrop]
    field_keys: list[tuple[str, str]]
    rows: list[Row]
    pupils: dict[int, Pupil]
    subjects: dict[int, Subject]
    classes: dict[int, str]
    bands: dict[int, str]
    grades: dict[int, GradeInfo]
    targets: dict[tuple[int, int], int]


def _pupils(viewer: Viewer, fields: Iterable[str]) -> dict[int, Pupil]:
    """The pupils on roll the report may count, with their grouping fields; the
    encrypted ones decrypted once per field (one key fetch each), not per row (SEC-2)."""
    names = sorted({"school_id", "year_group", *fields})
    pupils = list(
        unrestricted_pupils(Pupil.objects.filter(status=Pupil.Status.ON_ROLL))
        .only(*names)
        .order_by("last_name", "pk")
    )
    for name in names:
        if name in SENSITIVE_FIELDS:
            cast(EncryptedTextField, Pupil._meta.get_field(name)).load_plaintext(pupils)
    return {p.pk: p for p in pupils}


def _grade_of(
    grades_by_scale: dict[int, list[tuple[Decimal, int]]], scale_id: int, value: Any
) -> int | None:
    """On a numeric scale, the highest grade whose minimum the number reaches."""
    found = None
    for minimum, grade_id in grades_by_scale.get(scale_id, ()):
        if value >= minimum:
            found = grade_id
    return found


def _expected(target_grade: GradeInfo | None, drop: DataDrop) -> GradeInfo | None:
    """The grade expected at `drop`: the target (a flat path) until tracking's flight
    paths land (ASM-4)."""
    return target_grade


def report_facts(viewer: Viewer, *, drop_id: int | None = None, field_key: str = "") -> Facts:
    """Everything a report of one drop and field needs, in a fixed number of queries
    (ASM-5): the latest drop and its working-at field unless others are asked for."""
    drops = list(DataDrop.objects.prefetch_related("fields").order_by("date", "pk"))
    drop = next((d for d in drops if d.pk == drop_id), None) if drop_id else None
    if drop_id and drop is None:
        raise NotAvailable
    drop = drop or (drops[-1] if drops else None)
    fields = list(drop.fields.all()) if drop else []
    chosen = next((f for f in fields if f.key == (field_key or DropField.WORKING_AT)), None)
    if field_key and chosen is None:
        raise NotAvailable
    chosen = chosen or (fields[0] if fields else None)
    subjects = {s.pk: s for s in Subject.objects.all()}
    bands = dict(Band.objects.values_list("rank", "name"))
    grades: dict[int, GradeInfo] = {}
    by_scale: dict[int, list[tuple[Decimal, int]]] = defaultdict(list)
    for pk, label, scale_id, rank, band, minimum in Grade.objects.values_list(
        "pk", "label", "scale_id", "rank", "band__rank", "minimum"
    ).order_by("scale_id", "rank"):
        grades[pk] = GradeInfo(label, scale_id, rank, band)
        if minimum is not None:
            by_scale[scale_id].append((minimum, pk))
    dims = [DIMENSIONS[k] for k in viewer.dimensions]
    pupils = _pupils(viewer, {f for d in dims for f in d.fields})
    # Which class each pupil is taught each subject in: a teacher only their own.
    enrolments = Enrolment.objects.filter(teaching_class__subject_links__isnull=False)
    if not viewer.admin:
        enrolments = enrolments.filter(teaching_class__teacher_links__teacher=viewer.user)
    placed: dict[tuple[int, int], int] = {}
    class_ids: set[int] = set()
    for pupil_id, class_id, subject_id in enrolments.values_list(
        "pupil_id", "teaching_class_id", "teaching_class__subject_links__subject_id"
    ):
        placed[(pupil_id, subject_id)] = class_id
        class_ids.add(class_id)
    classes = dict(
        TeachingClass.objects.filter(pk__in=class_ids).values_list("pk", "name").order_by("name")
    )
    targets = dict(
        ((p, s), g) for p, s, g in Target.objects.values_list("pupil_id", "subject_id", "grade_id")
    )
    rows: list[Row] = []
    if chosen is not None and drop is not None:
        entries = TrackingEntry.objects.filter(field=chosen).values_list(
            "pupil_id", "subject_id", "grade_id", "value"
        )
        for pupil_id, subject_id, grade_id, value in entries:
            if pupil_id not in pupils:
                continue
            taught_in = placed.get((pupil_id, subject_id))
            if not viewer.admin and taught_in is None:
                continue  # not a pupil of the teacher's classes in this subject (TEN-3)
            if grade_id is None and value is not None:
                scale_id = chosen.scale_id or subjects[subject_id].scale_id
                grade_id = _grade_of(by_scale, scale_id, value)
            if grade_id is None:
                continue
            grade = grades[grade_id]
            target_id = targets.get((pupil_id, subject_id))
            expected = _expected(grades.get(target_id) if target_id else None, drop)
            if expected is None:
                status = NO_TARGET
            elif expected.scale_id == grade.scale_id:
                status = progress_status(grade.rank, expected.rank)
            else:  # a field on a scale of its own: compared on the common bands
                status = progress_status(grade.band or 0, expected.band)
            rows.append(Row(pupil_id, subject_id, taught_in, grade_id, status, grade.band))
    return Facts(
        drop=drop,
        field=chosen,
        drops=drops,
        field_keys=[(f.key, f.label) for f in fields],
        rows=rows,
        pupils=pupils,
        subjects=subjects,
        classes=classes,
        bands=bands,
        grades=grades,
        targets=targets,
    )


# --- Tables ------------------------------------------------------------------------


@dataclass
class Line:
    """One row of a table: a group, its pupils and where they stand against target."""

    key: str
    label: str
    # pupil ids; across a trust (school id, pupil id), as ids restart in each school
    pupils: set[Hashable] = field(default_factory=set)
    entries: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    band_total: int = 0
    band_entries: int = 0
    hidden: str = ""  # "small": fewer than the minimum; "other": hidden beside one

    def add(self, row: Row) -> None:
        self.pupils.add(row.pupil_id)
        self.entries += 1
        self.counts[row.status] += 1
        if row.band is not None:
            self.band_total += row.band
            self.band_entries += 1

    def out(self, minimum: int | None) -> dict[str, Any]:
        """The row as pages, CSV and the API show it: numbers, or why they are hidden."""
        if self.hidden:
            return {
                "key": self.key,
                "label": self.label,
                "hidden": self.hidden,
                "shown_as": f"fewer than {minimum}" if self.hidden == "small" else "not shown",
                **dict.fromkeys(
                    ("pupils", "entries", *STATUSES, "on_or_above_percent", "mean_band"), None
                ),
            }
        with_target = self.entries - self.counts[NO_TARGET]
        on_or_above = self.counts[ABOVE] + self.counts[ON]
        return {
            "key": self.key,
            "label": self.label,
            "hidden": "",
            "shown_as": "",
            "pupils": len(self.pupils),
            "entries": self.entries,
            **self.counts,
            "on_or_above_percent": round(100 * on_or_above / with_target) if with_target else None,
            "mean_band": round(self.band_total / self.band_entries, 2)
            if self.band_entries
            else None,
        }


def grouping(facts: Facts, dimension: str) -> Any:
    if dimension == "subject":
        return lambda row: str(row.subject_id)
    if dimension == "class":
        return lambda row: str(row.class_id) if row.class_id else NOT_RECORDED
    values = DIMENSIONS[dimension].values
    assert values is not None
    by_pupil = {pk: values(p) for pk, p in facts.pupils.items()}
    return lambda row: by_pupil[row.pupil_id]


def labels_of(facts: Facts, dimension: str) -> dict[str, str]:
    if dimension == "subject":
        return {str(pk): s.name for pk, s in facts.subjects.items()}
    if dimension == "class":
        return {**{str(pk): n for pk, n in facts.classes.items()}, NOT_RECORDED: "No class"}
    if dimension == "year_group":
        return {NOT_RECORDED: "Not recorded"}
    if dimension == "ethnicity":
        from markbook.rosters import codes

        return {**codes.ETHNICITY, NOT_RECORDED: "Not recorded"}
    return dict(DIMENSIONS[dimension].value_labels)


def _hide(lines: list[Line], total: Line, minimum: int | None) -> None:
    """The small-group rule on one table whose rows add up to `total` (ASM-5)."""
    if minimum is None:
        return
    if 0 < len(total.pupils) < minimum:
        for line in [*lines, total]:
            line.hidden = "small"
        return
    counts = {line.key: len(line.pupils) for line in lines}
    hidden = suppressed_lines(counts, [list(counts)], minimum=minimum)
    for line in lines:
        if line.key in hidden:
            line.hidden = "small" if counts[line.key] < minimum else "other"


def _order(dimension: str, labels: dict[str, str], key: str) -> tuple:
    if dimension == "year_group":
        return (key == NOT_RECORDED, key not in ("N1", "N2", "R"), key.zfill(2))
    order = list(labels)
    return (
        key == NOT_RECORDED,
        order.index(key) if key in order else len(order),
        labels.get(key, key),
    )


def table(facts: Facts, viewer: Viewer, dimension: str) -> dict[str, Any]:
    """Progress against target and attainment (mean common band) by one dimension."""
    if dimension not in viewer.dimensions:
        raise NotAvailable
    key_of = grouping(facts, dimension)
    labels = labels_of(facts, dimension)
    lines: dict[str, Line] = {}
    total = Line("all", "All pupils")
    for row in facts.rows:
        key = key_of(row)
        line = lines.get(key)
        if line is None:
            line = lines[key] = Line(key, labels.get(key, key))
        line.add(row)
        total.add(row)
    ordered = sorted(lines.values(), key=lambda ln: _order(dimension, labels, ln.key))
    _hide(ordered, total, viewer.minimum)
    return {
        "dimension": dimension,
        "label": DIMENSIONS[dimension].label,
        "rows": [line.out(viewer.minimum) for line in ordered],
        "total": total.out(viewer.minimum),
        "pupil_lists": dimension in viewer.pupil_lists,
    }


def gaps(facts: Facts, viewer: Viewer) -> list[dict[str, Any]]:
    """Gap analysis: for each yes/no group the viewer may use, the group against the
    others (pupils with the group recorded as no): pupil counts, percentage on or
    above target and mean band, and the gap between them. Hidden when either side is."""
    out = []
    for key in viewer.dimensions:
        if not DIMENSIONS[key].binary:
            continue
        t = table(facts, viewer, key)
        rows = {r["key"]: r for r in t["rows"]}
        yes, no = rows.get("yes"), rows.get("no")
        if yes is None or no is None:
            continue
        hidden = bool(yes["hidden"] or no["hidden"])

        def gap(name: str, yes: dict = yes, no: dict = no, hidden: bool = hidden) -> float | None:
            if hidden or yes[name] is None or no[name] is None:
                return None
            return round(yes[name] - no[name], 2)

        out.append(
            {
                "dimension": key,
                "label": DIMENSIONS[key].label,
                "group": yes,
                "others": no,
                "hidden": hidden,
                "gap_on_or_above_percent": gap("on_or_above_percent"),
                "gap_mean_band": gap("mean_band"),
                "pupil_lists": t["pupil_lists"],
            }
        )
    return out


def movement(facts: Facts, earlier: Facts, viewer: Viewer) -> dict[str, Any]:
    """Drop against drop, by subject: how many pupils moved up, stayed or moved down
    a grade (on the common bands when the two grades are on different scales)."""
    before = {(r.pupil_id, r.subject_id): r for r in earlier.rows}
    lines: dict[int, dict[str, Any]] = {}
    for row in facts.rows:
        old = before.get((row.pupil_id, row.subject_id))
        if old is None:
            continue
        new_g, old_g = facts.grades[row.grade_id], facts.grades[old.grade_id]
        if new_g.scale_id == old_g.scale_id:
            step = new_g.rank - old_g.rank
        else:
            step = (new_g.band or 0) - (old_g.band or 0)
        line = lines.setdefault(row.subject_id, {"up": 0, "same": 0, "down": 0, "pupils": set()})
        line["up" if step > 0 else "down" if step < 0 else "same"] += 1
        line["pupils"].add(row.pupil_id)
    minimum = viewer.minimum
    counts = {str(k): len(v["pupils"]) for k, v in lines.items()}
    total_pupils = set().union(*(v["pupils"] for v in lines.values())) if lines else set()
    if minimum is not None and 0 < len(total_pupils) < minimum:
        hidden = set(counts)
    else:
        hidden = suppressed_lines(counts, [list(counts)], minimum=minimum) if minimum else set()
    rows: list[dict[str, Any]] = []
    for subject_id, line in sorted(lines.items(), key=lambda kv: facts.subjects[kv[0]].name):
        k = str(subject_id)
        if k in hidden:
            rows.append(
                {
                    "key": k,
                    "label": facts.subjects[subject_id].name,
                    "hidden": "small" if counts[k] < (minimum or 0) else "other",
                    "shown_as": f"fewer than {minimum}"
                    if counts[k] < (minimum or 0)
                    else "not shown",
                    "pupils": None,
                    "up": None,
                    "same": None,
                    "down": None,
                }
            )
        else:
            rows.append(
                {
                    "key": k,
                    "label": facts.subjects[subject_id].name,
                    "hidden": "",
                    "shown_as": "",
                    "pupils": counts[k],
                    "up": line["up"],
                    "same": line["same"],
                    "down": line["down"],
                }
            )
    return {
        "from": earlier.drop.name if earlier.drop else "",
        "to": facts.drop.name if facts.drop else "",
        "rows": rows,
    }


def transition_matrix(
    facts: Facts, viewer: Viewer, *, subject_id: int | None = None
) -> dict[str, Any]:
    """KS2 prior attainment band (rows) x common band of the grade (columns): how many
    pupils (in one subject, or pupil-subjects across all) reached each band. Cells of
    fewer than the minimum are hidden, and another in their row or column where the
    totals would give them away."""
    if "ks2_band" not in viewer.dimensions:
        raise NotAvailable
    key_of = grouping(facts, "ks2_band")
    row_keys = [*KS2_BAND_LABELS, NOT_RECORDED]
    col_keys = sorted(facts.bands)
    counts: dict[tuple[str, int], int] = {(r, c): 0 for r in row_keys for c in col_keys}
    for row in facts.rows:
        if subject_id is not None and row.subject_id != subject_id:
            continue
        if row.band is None:
            continue
        counts[(key_of(row), row.band)] = counts.get((key_of(row), row.band), 0) + 1
    minimum = viewer.minimum
    hidden: set = set()
    if minimum is not None:
        lines = [[(r, c) for c in col_keys] for r in row_keys]
        lines += [[(r, c) for r in row_keys] for c in col_keys]
        hidden = suppressed_lines(counts, lines, minimum=minimum)
    labels = {**KS2_BAND_LABELS, NOT_RECORDED: "Not recorded"}

    def cell(r: str, c: int) -> dict[str, Any]:
        n = counts[(r, c)]
        if (r, c) in hidden:
            small = n < (minimum or 0)
            return {"count": None, "shown_as": f"fewer than {minimum}" if small else "not shown"}
        return {"count": n, "shown_as": ""}

    return {
        "subject": facts.subjects[subject_id].name if subject_id in facts.subjects else "",
        "columns": [{"key": c, "label": facts.bands[c]} for c in col_keys],
        "rows": [
            {"key": r, "label": labels[r], "cells": [cell(r, c) for c in col_keys]}
            for r in row_keys
        ],
    }


def pupils_behind(
    facts: Facts, viewer: Viewer, *, dimension: str, key: str, status: str = ""
) -> list[dict[str, Any]]:
    """The pupils behind one number of a table (ASM-5): those of one group (and one
    status), as far as the viewer may see them pupil by pupil (TEN-3); never for a
    group the report hides."""
    if dimension not in viewer.pupil_lists or (status and status not in STATUSES):
        raise NotAvailable
    t = table(facts, viewer, dimension)
    shown = {r["key"]: r for r in t["rows"]}
    if key != "all" and (key not in shown or shown[key]["hidden"]):
        raise NotAvailable
    if key == "all" and t["total"]["hidden"]:
        raise NotAvailable
    key_of = grouping(facts, dimension)
    out: list[dict[str, Any]] = []
    for row in facts.rows:
        if key != "all" and key_of(row) != key:
            continue
        if status and row.status != status:
            continue
        target_id = facts.targets.get((row.pupil_id, row.subject_id))
        out.append(
            {
                "pupil_id": row.pupil_id,
                "subject": facts.subjects[row.subject_id].name,
                "class": facts.classes.get(row.class_id or 0, ""),
                "grade": facts.grades[row.grade_id].label,
                "target": facts.grades[target_id].label if target_id else "",
                "status": row.status,
            }
        )
    names = pupil_names(r["pupil_id"] for r in out)
    for r in out:
        r["pupil"] = names[r["pupil_id"]]
    out.sort(
        key=lambda r: (r["subject"], r["pupil"].last_name, r["pupil"].first_name, r["pupil_id"])
    )
    return out


def analysis_read_logged(
    *,
    viewer: Viewer,
    action: str,
    facts: Facts | None,
    data: dict[str, Any],
    pupils: Iterable[int] = (),
) -> None:
    """The report view or export as a staff read in the access log (SEC-1): what was
    read, of which drop, and, for a list, which pupils."""
    detail = dict(data)
    if facts is not None and facts.drop is not None:
        detail["drop"] = facts.drop.pk
        detail["field"] = facts.field.key if facts.field else ""
    ids = sorted(set(pupils))
    if ids:
        detail["pupils"] = ids
    audit.record(actor=viewer.user, school=viewer.school, action=action, data=detail)


def pupil_names(ids: Iterable[int]) -> dict[int, Pupil]:
    """Names of the listed pupils, in one query."""
    return {
        p.pk: p
        for p in Pupil.objects.filter(pk__in=list(ids)).only(
            "school_id", "first_name", "last_name", "pseudonym", "year_group"
        )
    }


def report(
    viewer: Viewer,
    *,
    drop_id: int | None = None,
    field_key: str = "",
    compare_id: int | None = None,
    dimension: str = "subject",
    subject_id: int | None = None,
) -> dict[str, Any]:
    """The whole analysis of one drop, as the page, the PDF and the API show it."""
    facts = report_facts(viewer, drop_id=drop_id, field_key=field_key)
    if dimension not in viewer.dimensions:
        raise NotAvailable
    earlier_drop = None
    if facts.drop is not None:
        earlier = [
            d
            for d in facts.drops
            if d.date < facts.drop.date or (d.date == facts.drop.date and d.pk < facts.drop.pk)
        ]
        if compare_id:
            earlier_drop = next((d for d in facts.drops if d.pk == compare_id), None)
            if earlier_drop is None:
                raise NotAvailable
        elif earlier:
            earlier_drop = earlier[-1]
    moved = None
    if earlier_drop is not None and facts.field is not None:
        before = report_facts(viewer, drop_id=earlier_drop.pk, field_key=facts.field.key)
        moved = movement(facts, before, viewer)
    if subject_id is not None and subject_id not in facts.subjects:
        raise NotAvailable
    return {
        "facts": facts,
        "minimum": viewer.minimum,
        "table": table(facts, viewer, dimension),
        "gaps": gaps(facts, viewer),
        "movement": moved,
        "matrix": transition_matrix(facts, viewer, subject_id=subject_id)
        if "ks2_band" in viewer.dimensions
        else None,
    }


def report_json(result: dict[str, Any]) -> dict[str, Any]:
    """The report without model instances, for the API and the charts."""
    facts: Facts = result["facts"]
    return {
        "drop": {"id": facts.drop.pk, "name": facts.drop.name, "date": facts.drop.date.isoformat()}
        if facts.drop
        else None,
        "field": facts.field.key if facts.field else None,
        "minimum_group": result["minimum"],
        "table": result["table"],
        "gaps": result["gaps"],
        "movement": result["movement"],
        "matrix": result["matrix"],
    }
