"""A trust's analysis (ASM-5, SEC-6): the same table for each of the trust's schools
side by side, and across the trust. Only the schools of the one trust in the URL ever
appear; each school is read in its own scope, at its own latest drop.

The small-group rule runs over the whole grid: each school's column adds up to its
total and each row adds up across the schools to the trust's figure, so a hidden cell
is hidden among at least two in both directions (no school's small group can be worked
out from the trust's total minus the other schools).
"""

from typing import Any, TypedDict

from markbook.accounts.models import User
from markbook.admission import Access
from markbook.core.tenancy import school_scope
from markbook.schools.models import School, Trust
from markbook.tracking.analysis import selectors
from markbook.tracking.analysis.groups import DIMENSIONS, suppressed_lines
from markbook.tracking.models import DataDrop

# Subjects are matched across schools by name; classes are a school's own.
TRUST_DIMENSIONS = tuple(k for k in DIMENSIONS if k != "class")


class _Column(TypedDict):
    """One school's column: the school, the drop it is read at and its raw table."""

    school: School
    drop: DataDrop | None
    raw: dict[str, selectors.Line]


def trust_report(*, user: User, trust: Trust, dimension: str) -> dict[str, Any]:
    """Each school's rows of one table (pupils, percentage on or above target), side
    by side, with the trust's combined figures; audited in each school's log (SEC-1)."""
    if dimension not in TRUST_DIMENSIONS:
        raise selectors.NotAvailable
    schools = list(trust.schools.order_by("name"))
    columns: list[_Column] = []
    minimum = 0
    for school in schools:
        with school_scope(school):
            access = Access(school=school, trust=trust, roles=frozenset({"trust_admin"}))
            viewer = selectors.viewer_for(user, access)
            minimum = max(minimum, selectors.minimum_group(school))
            if dimension not in viewer.dimensions:
                continue
            facts = selectors.report_facts(viewer)
            raw = _raw_table(facts, dimension)
            columns.append({"school": school, "drop": facts.drop, "raw": raw})
            selectors.analysis_read_logged(
                viewer=viewer,
                action="tracking.analysis.viewed",
                facts=facts,
                data={"report": "trust", "dimension": dimension, "trust": trust.pk},
            )
    keys: dict[str, str] = {}
    for column in columns:
        for key, line in column["raw"].items():
            keys.setdefault(key, line.label)
    counts = {
        (i, key): column["raw"][key].pupils if key in column["raw"] else 0
        for i, column in enumerate(columns)
        for key in keys
    }
    lines = [[(i, k) for k in keys] for i in range(len(columns))]
    lines += [[(i, k) for i in range(len(columns))] for k in keys]
    hidden = suppressed_lines(counts, lines, minimum=minimum)
    for i, column in enumerate(columns):
        total = sum(line.pupils for line in column["raw"].values())
        if 0 < total < minimum:
            hidden |= {(i, k) for k in keys}
    combined: dict[str, selectors.Line] = {}
    for key, label in keys.items():
        line = combined[key] = selectors.Line(key, label)
        for column in columns:
            part = column["raw"].get(key)
            if part is None:
                continue
            line.add_line(part)  # pupils of different schools are different pupils
    # The trust's figure of a row gives a school's hidden cell away when it is the only
    # hidden one of the row; the trust's column then needs the rule too.
    trust_hidden = {
        k
        for k in keys
        if sum((i, k) in hidden for i in range(len(columns))) == 1
        or 0 < combined[k].pupils < minimum
    }
    trust_counts = {k: line.pupils for k, line in combined.items()}
    trust_hidden |= suppressed_lines(
        {k: (minimum - 1 if k in trust_hidden else n) for k, n in trust_counts.items()},
        [list(keys)],
        minimum=minimum,
    )
    rows = []
    for key, label in keys.items():
        cells = []
        for i, column in enumerate(columns):
            line = column["raw"].get(key) or selectors.Line(key, label)
            if (i, key) in hidden:
                line.hidden = "small" if counts[(i, key)] < minimum else "other"
            cells.append(line.out(minimum))
        if key in trust_hidden:
            combined[key].hidden = "small" if trust_counts[key] < minimum else "other"
        rows.append(
            {"key": key, "label": label, "cells": cells, "trust": combined[key].out(minimum)}
        )
    return {
        "trust": trust,
        "dimension": dimension,
        "label": DIMENSIONS[dimension].label,
        "minimum": minimum,
        "schools": [
            {
                "id": c["school"].pk,
                "name": c["school"].name,
                "drop": c["drop"].name if c["drop"] else "",
            }
            for c in columns
        ],
        "rows": rows,
    }


def _raw_table(facts: selectors.Facts, dimension: str) -> dict[str, selectors.Line]:
    """One school's lines of a table before the small-group rule, keyed for matching
    across schools (subjects by name)."""
    found, _ = selectors.lines(facts, dimension)
    out: dict[str, selectors.Line] = {}
    for key, part in found.items():
        if dimension == "subject":
            key = part.label.casefold()
        line = out.get(key)
        if line is None:
            line = out[key] = selectors.Line(key, part.label)
        line.add_line(part)
    return out


def trust_report_json(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "trust"} | {"trust": result["trust"].pk}
