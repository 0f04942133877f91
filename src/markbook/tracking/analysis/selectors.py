"""Reads for school analysis (ASM-5, SEC-6, TEN-3): one drop's grades against target,
split by subject, class, year group and pupil group, with gaps, movement between two
drops and a KS2 band x grade transition matrix.

`report_facts` reads what every table of a drop shares (the drops, subjects, grades and
bands) in a fixed number of queries; each table is then one aggregate query counted
by the database (analysis/queries.py), whatever the number of pupils. The pupils'
grouping fields are read only when a table splits by a pupil group, once per report,
the encrypted ones decrypted once per field and school (SEC-2), never per row.

Who sees what (TEN-3): school and trust administrators the whole school, with groups
smaller than the school's minimum shown as "fewer than N" (and a complementary cell
hidden where a total would give it away); a teacher only the pupils of their own
classes, in the subjects of those classes, in full. A teacher groups only by the pupil
fields the school shows teachers. Pupils are compared only within one school, or
across the schools of one trust for its administrators (SEC-6).

Restricted pupils (DSR-5) and pupils who have left are left out, in
`queries.report_pupils`, through privacy.restriction (the one place every consumer asks).

Expected grade: until the tracking module derives a flight path, the expected grade at
every drop is the target (a flat path); `queries.DIFF` is the one place that decides it.
"""

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, cast

from django.db.models import Count, QuerySet

from markbook.accounts.models import User
from markbook.admission import ADMINS, Access
from markbook.audit import services as audit
from markbook.core import keys
from markbook.core.fields import Ciphertext, EncryptedTextField
from markbook.rosters.models import Pupil, TeachingClass
from markbook.rosters.services import SENSITIVE_FIELDS
from markbook.schools.models import School
from markbook.tracking.analysis import queries
from markbook.tracking.analysis.groups import (
    ABOVE,
    BELOW,
    DIMENSIONS,
    KS2_BAND_LABELS,
    MIN_GROUP,
    NO_TARGET,
    NOT_RECORDED,
    ON,
    pinned,
    progress_status,
    suppressed_lines,
)
from markbook.tracking.models import (
    Band,
    DataDrop,
    DropField,
    Grade,
    Subject,
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
class Facts:
    """One drop field's report for one viewer: what every table is counted from, in
    SQL (queries.report_entries), table by table. The pupils' grouping fields are
    read only when a table splits by a pupil group, once per report, each encrypted
    field decrypted once (one key fetch), never per row (SEC-2)."""

    viewer: Viewer
    drop: DataDrop | None
    field: DropField | None
    drops: list[DataDrop]
    field_keys: list[tuple[str, str]]
    subjects: dict[int, Subject]
    bands: dict[int, str]
    grades: dict[int, GradeInfo]
    thresholds: queries.Thresholds
    _cache: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def entries(self, *, lean: bool = False) -> QuerySet[Any]:
        """The entries the report counts (none before the first drop); `lean`: without
        the grade's and target's figures, for counting pupils."""
        if self.field is None or self.drop is None:
            # Before the first drop: none, annotated as the tables read them.
            return queries.report_entries(self.viewer, DropField(), {}, {}, lean=lean)
        return queries.report_entries(
            self.viewer, self.field, self.subjects, self.thresholds, lean=lean
        )

    def at(self, drop: DataDrop, field_key: str) -> "Facts":
        """The same report at another drop (the same field), without reading again what
        does not change."""
        chosen = next((f for f in drop.fields.all() if f.key == field_key), None)
        if chosen is None:
            raise NotAvailable
        return replace(
            self,
            drop=drop,
            field=chosen,
            field_keys=[(f.key, f.label) for f in drop.fields.all()],
            _cache={k: v for k, v in self._cache.items() if k in ("classes", "pupils")},
        )

    @property
    def classes(self) -> dict[int, str]:
        """The names of the classes tracked in a subject (a teacher: their own)."""
        if "classes" not in self._cache:
            found = TeachingClass.objects.filter(subject_links__isnull=False)
            if not self.viewer.admin:
                found = found.filter(teacher_links__teacher=self.viewer.user)
            self._cache["classes"] = dict(
                found.values_list("pk", "name").order_by("name", "pk").distinct()
            )
        return cast(dict[int, str], self._cache["classes"])

    def pupils(self) -> dict[int, "PupilFields"]:
        """The report's pupils with the grouping fields the viewer may use, read once as
        plain values (no model instances); encrypted ones still ciphertext until
        `values_of` decrypts them."""
        if "pupils" not in self._cache:
            dims = [DIMENSIONS[k] for k in self.viewer.dimensions]
            names = sorted({"school_id", "year_group", *(f for d in dims for f in d.fields)})
            found = queries.report_pupils(self.viewer).values_list("pk", *names)
            self._cache["pupils"] = {
                row[0]: PupilFields(dict(zip(names, row[1:], strict=True))) for row in found
            }
            self._cache["decrypted"] = set()
        return cast(dict[int, PupilFields], self._cache["pupils"])

    def values_of(self, dimension: str) -> dict[int, str]:
        """Each pupil's group in a pupil dimension; its encrypted fields decrypted once
        per report, with one key fetch per field and school (SEC-2)."""
        pupils = self.pupils()
        done: set[str] = self._cache["decrypted"]
        for name in DIMENSIONS[dimension].fields:
            if name in SENSITIVE_FIELDS and name not in done:
                _decrypt_all(name, pupils.values())
                done.add(name)
        values = DIMENSIONS[dimension].values
        assert values is not None
        return {pk: values(p) for pk, p in pupils.items()}

    def by_pupil(self) -> dict[int, dict[str, Any]]:
        """Each pupil's counts (one aggregate query per report), for the pupil groups."""
        if "by_pupil" not in self._cache:
            self._cache["by_pupil"] = {
                row["pupil_id"]: row
                for row in self.entries()
                .values("pupil_id")
                .annotate(**queries.counting())
                .order_by()
            }
        return cast(dict[int, dict[str, Any]], self._cache["by_pupil"])

    def pupil_total(self) -> int:
        """How many pupils have a grade in the report: the per-pupil counts' pupils when
        read already, or one count."""
        if "pupil_total" not in self._cache and "by_pupil" in self._cache:
            self._cache["pupil_total"] = len(self._cache["by_pupil"])
        if "pupil_total" not in self._cache:
            self._cache["pupil_total"] = self.entries(lean=True).aggregate(
                n=Count("pupil_id", distinct=True)
            )["n"]
        return cast(int, self._cache["pupil_total"])


class PupilFields:
    """One pupil's grouping fields as read (`getattr` as on a Pupil, for the dimensions'
    `values`), without the cost of a model instance per pupil."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _decrypt_all(name: str, pupils: Iterable[PupilFields]) -> None:
    """Decrypt one encrypted pupil field of many pupils: each school's key fetched once
    (SEC-2), as EncryptedTextField.load_plaintext does for instances."""
    field = cast(EncryptedTextField, Pupil._meta.get_field(name))
    decrypters: dict[int, Any] = {}
    for pupil in pupils:
        value = pupil.__dict__[name]
        if isinstance(value, Ciphertext):
            decrypt = decrypters.get(pupil.school_id)  # type: ignore[attr-defined]
            if decrypt is None:
                school_id = pupil.school_id  # type: ignore[attr-defined]
                decrypt = decrypters[school_id] = keys.decrypter(school_id, field.context)
            pupil.__dict__[name] = field.decode(decrypt(value))


def _numeric_thresholds() -> tuple[dict[int, GradeInfo], queries.Thresholds]:
    grades: dict[int, GradeInfo] = {}
    thresholds: queries.Thresholds = defaultdict(list)
    for pk, label, scale_id, rank, band, minimum in Grade.objects.values_list(
        "pk", "label", "scale_id", "rank", "band__rank", "minimum"
    ).order_by("scale_id", "rank"):
        grades[pk] = GradeInfo(label, scale_id, rank, band)
        if minimum is not None:
            thresholds[scale_id].append((minimum, pk, rank, band))
    return grades, dict(thresholds)


def status_of(grade: GradeInfo, expected: GradeInfo | None) -> str:
    """Above, on or below the expected grade (the target: a flat path until flight paths
    land, ASM-4), as queries.DIFF works it out in SQL: by rank on one scale, by common
    band across scales."""
    if expected is None:
        return NO_TARGET
    if expected.scale_id == grade.scale_id:
        return progress_status(grade.rank, expected.rank)
    return progress_status(grade.band or 0, expected.band)


def report_facts(viewer: Viewer, *, drop_id: int | None = None, field_key: str = "") -> Facts:
    """What a report of one drop and field counts from, in a fixed number of queries
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
    grades, thresholds = _numeric_thresholds()
    return Facts(
        viewer=viewer,
        drop=drop,
        field=chosen,
        drops=drops,
        field_keys=[(f.key, f.label) for f in fields],
        subjects={s.pk: s for s in Subject.objects.all()},
        bands=dict(Band.objects.values_list("rank", "name")),
        grades=grades,
        thresholds=thresholds,
    )


# --- Tables ------------------------------------------------------------------------


@dataclass
class Line:
    """One row of a table: a group, its pupils and where they stand against target."""

    key: str
    label: str
    pupils: int = 0
    entries: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    band_total: int = 0
    band_entries: int = 0
    hidden: str = ""  # "small": fewer than the minimum; "other": hidden beside one

    def add(self, row: dict[str, Any], *, pupils: int) -> None:
        """Add one aggregate row (queries.counting) and its pupils."""
        self.pupils += pupils
        self.entries += row["entries"]
        for status in STATUSES:
            self.counts[status] += row[status]
        self.band_total += row["band_total"] or 0
        self.band_entries += row["band_entries"]

    def add_pair(self, facts: "Facts", gid: int, target_id: int | None, n: int) -> None:
        """Add `n` entries of one grade against one target grade (as many pupils)."""
        grade = facts.grades[gid]
        self.pupils += n
        self.entries += n
        self.counts[status_of(grade, facts.grades.get(target_id) if target_id else None)] += n
        if grade.band is not None:
            self.band_total += grade.band * n
            self.band_entries += n

    def add_line(self, other: "Line") -> None:
        self.pupils += other.pupils
        self.entries += other.entries
        for status in STATUSES:
            self.counts[status] += other.counts[status]
        self.band_total += other.band_total
        self.band_entries += other.band_entries

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
            "pupils": self.pupils,
            "entries": self.entries,
            **self.counts,
            "on_or_above_percent": round(100 * on_or_above / with_target) if with_target else None,
            "mean_band": round(self.band_total / self.band_entries, 2)
            if self.band_entries
            else None,
        }


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


def lines(facts: Facts, dimension: str) -> tuple[dict[str, Line], Line]:
    """A table's lines by one dimension and its whole-school line, before the
    small-group rule (ASM-5): by subject one aggregate query; by class the entries'
    grades and targets with the pupil -> class map (two queries, no per-entry
    subquery); by a pupil group the per-pupil counts (one aggregate query per report)
    split in Python over the report's pupils."""
    key = f"lines:{dimension}"
    if key in facts._cache:
        return cast(tuple[dict[str, Line], Line], facts._cache[key])
    labels = labels_of(facts, dimension)
    found: dict[str, Line] = {}
    total = Line("all", "All pupils")

    def line(k: str) -> Line:
        if k not in found:
            found[k] = Line(k, labels.get(k, k))
        return found[k]

    if dimension == "subject":
        # By grade and target grade: the status and band of each pair from the grades
        # read once, so the query joins no grade (the figures the floor of bench/report.py
        # joins for). One entry per pupil and subject: a subject's pupils are its entries.
        pairs = (
            queries.with_target(facts.entries(lean=True))
            .values("subject_id", "gid", "t_gid")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in pairs:
            line(str(row["subject_id"])).add_pair(facts, row["gid"], row["t_gid"], row["n"])
        for ln in found.values():
            total.add_line(ln)
        total.pupils = facts.pupil_total() if found else 0
    elif dimension == "class":
        # Each entry's class from the pupil -> class map read once (no per-entry
        # subquery), its status and band from the grades read once, as by subject.
        classes = queries.class_map(None if facts.viewer.admin else facts.viewer.user)
        counted: dict[tuple[str, int, int | None], int] = defaultdict(int)
        pupils: dict[str, set[int]] = defaultdict(set)
        rows = queries.with_target(facts.entries(lean=True)).values_list(
            "pupil_id", "subject_id", "gid", "t_gid"
        )
        for pupil_id, subject_id, gid, t_gid in rows.order_by():
            c = classes.get((pupil_id, subject_id))
            k = str(c) if c else NOT_RECORDED
            counted[(k, gid, t_gid)] += 1
            pupils[k].add(pupil_id)  # pupils of no class may be in several subjects
        for (k, gid, t_gid), n in counted.items():
            line(k).add_pair(facts, gid, t_gid, n)
        for k, ln in found.items():
            ln.pupils = len(pupils[k])
            total.add_line(ln)
        total.pupils = facts.pupil_total() if found else 0
    else:
        values = facts.values_of(dimension)
        for pupil_id, row in facts.by_pupil().items():
            line(values.get(pupil_id, NOT_RECORDED)).add(row, pupils=1)
        for ln in found.values():
            total.add_line(ln)
    facts._cache[key] = (found, total)
    return found, total


def _hide(lines: list[Line], total: Line, minimum: int | None) -> None:
    """The small-group rule on one table whose rows add up to `total` (ASM-5)."""
    if minimum is None:
        return
    if 0 < total.pupils < minimum:
        for line in [*lines, total]:
            line.hidden = "small"
        return
    counts = {line.key: line.pupils for line in lines}
    hidden = suppressed_lines(counts, [list(counts)], minimum=minimum)
    for line in lines:
        if line.key in hidden:
            line.hidden = "small" if counts[line.key] < minimum else "other"
    if pinned(list(counts), counts, hidden, minimum):
        total.hidden = "other"  # every group hidden and the total would still tell


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
    found, whole = lines(facts, dimension)
    labels = labels_of(facts, dimension)
    ordered = [
        replace(ln)
        for ln in sorted(found.values(), key=lambda ln: _order(dimension, labels, ln.key))
    ]
    total = replace(whole)
    _hide(ordered, total, viewer.minimum)
    return {
        "dimension": dimension,
        "label": DIMENSIONS[dimension].label,
        "rows": [line.out(viewer.minimum) for line in ordered],
        "total": total.out(viewer.minimum),
        "pupil_lists": dimension in viewer.pupil_lists,
    }


def _hidden_side(row: dict[str, Any]) -> dict[str, Any]:
    """One side of a gap hidden with the other (ASM-5): a shown side beside a hidden one
    is hidden as "not shown" (its figures and the table's total would give the other)."""
    if row["hidden"]:
        return row
    hidden = {k: None for k in row} | {"key": row["key"], "label": row["label"]}
    return hidden | {"hidden": "other", "shown_as": "not shown"}


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
        if hidden:  # both sides: the group against the rest gives a small side away
            yes, no = _hidden_side(yes), _hidden_side(no)

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


def _step(facts: Facts, new: int, old: int) -> int:
    new_g, old_g = facts.grades[new], facts.grades[old]
    if new_g.scale_id == old_g.scale_id:
        return new_g.rank - old_g.rank
    return (new_g.band or 0) - (old_g.band or 0)


def movement(facts: Facts, earlier: Facts, viewer: Viewer) -> dict[str, Any]:
    """Drop against drop, by subject: how many pupils moved up, stayed or moved down
    a grade (on the common bands when the two grades are on different scales); one
    aggregate query by subject and the two grades."""
    lines: dict[int, dict[str, int]] = {}
    if earlier.field is not None and facts.field is not None:
        # The same pupil and subject at the earlier drop, joined once (no per-row
        # subquery); the pupil is one the report counts already.
        pairs = (
            queries.with_earlier(
                facts.entries(lean=True), earlier.field, earlier.subjects, earlier.thresholds
            )
            .filter(before__isnull=False)
            .values("subject_id", "gid", "before")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in pairs:
            step = _step(facts, row["gid"], row["before"])
            line = lines.setdefault(row["subject_id"], {"up": 0, "same": 0, "down": 0})
            line["up" if step > 0 else "down" if step < 0 else "same"] += row["n"]
    minimum = viewer.minimum
    # One entry per pupil and subject: a subject's pupils are its entries. When the
    # pupils in all are fewer than the minimum, so is every subject: all are hidden.
    counts = {str(k): sum(v.values()) for k, v in lines.items()}
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
    pupils (in one subject, or pupil-subjects across all) reached each band, counted
    in one aggregate query. Cells of fewer than the minimum are hidden, and another in
    their row or column where the totals would give them away."""
    if "ks2_band" not in viewer.dimensions:
        raise NotAvailable
    row_keys = [*KS2_BAND_LABELS, NOT_RECORDED]
    col_keys = sorted(facts.bands)
    counts: dict[tuple[str, int], int] = {(r, c): 0 for r in row_keys for c in col_keys}
    # By KS2 band and grade, the grade's common band from the grades read once: no
    # target and no grade joined.
    entries = facts.entries(lean=True)
    if subject_id is not None:
        entries = entries.filter(subject_id=subject_id)
    for row in queries.with_ks2(entries).values("ks2", "gid").annotate(n=Count("pk")).order_by():
        band = facts.grades[row["gid"]].band
        if band is None:
            continue
        at = (row["ks2"] or NOT_RECORDED, band)
        counts[at] = counts.get(at, 0) + row["n"]
    minimum = viewer.minimum
    hidden: set = set()
    if minimum is not None:
        grid = [[(r, c) for c in col_keys] for r in row_keys]
        grid += [[(r, c) for r in row_keys] for c in col_keys]
        hidden = suppressed_lines(counts, grid, minimum=minimum)
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
    entries = facts.entries().annotate(
        group=queries.class_of(None if viewer.admin else viewer.user)
    )
    if key != "all":
        if dimension == "subject":
            entries = entries.filter(subject_id=int(key))
        elif dimension == "class":
            entries = entries.filter(
                group__isnull=key == NOT_RECORDED,
                **({} if key == NOT_RECORDED else {"group": int(key)}),
            )
        else:
            values = facts.values_of(dimension)
            entries = entries.filter(pupil_id__in=[p for p, v in values.items() if v == key])
    if status:
        entries = entries.filter(queries.STATUS_FILTERS[status])
    out: list[dict[str, Any]] = []
    for row in entries.values("pupil_id", "subject_id", "group", "gid", "t_gid", "diff"):
        d = row["diff"]
        out.append(
            {
                "pupil_id": row["pupil_id"],
                "subject": facts.subjects[row["subject_id"]].name,
                "class": facts.classes.get(row["group"] or 0, ""),
                "grade": facts.grades[row["gid"]].label,
                "target": facts.grades[row["t_gid"]].label if row["t_gid"] else "",
                "status": NO_TARGET if d is None else ABOVE if d > 0 else BELOW if d < 0 else ON,
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
        moved = movement(facts, facts.at(earlier_drop, facts.field.key), viewer)
    if subject_id is not None and subject_id not in facts.subjects:
        raise NotAvailable
    # The gaps first: their per-pupil counts also give the table's pupil total.
    gap_rows = gaps(facts, viewer)
    return {
        "facts": facts,
        "minimum": viewer.minimum,
        "table": table(facts, viewer, dimension),
        "gaps": gap_rows,
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
