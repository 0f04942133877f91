"""The analysis as CSV (every table, formula-neutralised through csv_for_people) and
as a printable PDF summary for governors (ASM-5)."""

import io
from typing import Any

from markbook.core.spreadsheet import csv_for_people
from markbook.tracking.analysis.groups import STATUS_COLOURS, STATUS_LABELS

TABLES = ("progress", "gaps", "movement", "matrix")
_STATUS = ("above", "on", "below", "no_target")


def _num(row: dict[str, Any], name: str) -> object:
    return row["shown_as"] if row.get("hidden") else row[name]


def table_csv(result: dict[str, Any], which: str) -> str:
    """One table of the report as CSV; hidden cells say why ("fewer than 5")."""
    if which == "progress":
        t = result["table"]
        header = [t["label"], "Pupils", "Grades", *(STATUS_LABELS[s] for s in _STATUS)]
        header += ["On or above target %", "Mean common band"]
        names = ["pupils", "entries", *_STATUS, "on_or_above_percent", "mean_band"]
        rows = [[r["label"], *(_num(r, n) for n in names)] for r in [*t["rows"], t["total"]]]
        return csv_for_people(header, rows)
    if which == "gaps":
        header = ["Group", "Pupils in group", "Pupils not in group", "Group on or above %"]
        header += ["Others on or above %", "Gap (points)", "Group mean band", "Others mean band"]
        header += ["Gap in mean band"]
        rows = []
        for g in result["gaps"]:
            yes, no = g["group"], g["others"]
            if g["hidden"]:
                shown = yes["shown_as"] or no["shown_as"]
                rows.append([g["label"], *[shown] * 8])
                continue
            rows.append(
                [
                    g["label"],
                    yes["pupils"],
                    no["pupils"],
                    yes["on_or_above_percent"],
                    no["on_or_above_percent"],
                    g["gap_on_or_above_percent"],
                    yes["mean_band"],
                    no["mean_band"],
                    g["gap_mean_band"],
                ]
            )
        return csv_for_people(header, rows)
    if which == "movement":
        moved = result["movement"] or {"rows": []}
        header = ["Subject", "Pupils", "Moved up", "Stayed", "Moved down"]
        rows = [
            [r["label"], *(_num(r, n) for n in ("pupils", "up", "same", "down"))]
            for r in moved["rows"]
        ]
        return csv_for_people(header, rows)
    matrix = result["matrix"] or {"columns": [], "rows": []}
    header = ["KS2 prior attainment", *(c["label"] for c in matrix["columns"])]
    rows = [
        [r["label"], *(c["shown_as"] or c["count"] for c in r["cells"])] for r in matrix["rows"]
    ]
    return csv_for_people(header, rows)


def governors_pdf(*, school_name: str, result: dict[str, Any]) -> bytes:
    """A printable summary for governors: progress against target by the chosen table,
    as a chart and a table, and the gaps; small groups hidden as on the page."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    facts = result["facts"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=f"{school_name}: progress against target")
    story: list[Any] = [
        Paragraph(f"{school_name}: progress against target", styles["Title"]),
        Paragraph(
            f"{facts.drop.name if facts.drop else 'No data drop yet'}"
            f"{' (' + facts.field.label + ')' if facts.field else ''}. "
            + (
                f"Groups of fewer than {result['minimum']} pupils are not shown."
                if result["minimum"]
                else ""
            ),
            styles["Normal"],
        ),
        Spacer(1, 12),
    ]
    t = result["table"]
    shown = [r for r in t["rows"] if not r["hidden"]]
    if shown:
        height = 40 + 18 * len(shown)
        drawing = Drawing(460, height)
        chart = HorizontalBarChart()
        chart.x, chart.y, chart.width, chart.height = 120, 20, 320, height - 30
        chart.data = [[r[s] or 0 for r in shown] for s in ("above", "on", "below")]
        chart.categoryAxis.categoryNames = [r["label"][:22] for r in shown]
        chart.categoryAxis.reverseDirection = True
        chart.categoryAxis.style = "stacked"
        chart.valueAxis.valueMin = 0
        for i, s in enumerate(("above", "on", "below")):
            chart.bars[i].fillColor = colors.HexColor(STATUS_COLOURS[s])
        drawing.add(chart)
        drawing.add(
            String(120, 5, "Green: above target; amber: on target; red: below target", fontSize=8)
        )
        story += [Paragraph(f"By {t['label'].lower()}", styles["Heading2"]), drawing]
    header = [t["label"], "Pupils", "Above", "On", "Below", "On or above %"]
    body = [
        [
            r["label"],
            *(_num(r, n) for n in ("pupils", "above", "on", "below", "on_or_above_percent")),
        ]
        for r in [*t["rows"], t["total"]]
    ]
    grid = Table([header, *[[str("" if c is None else c) for c in row] for row in body]])
    grid.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
            ]
        )
    )
    story += [Spacer(1, 12), grid]
    if result["gaps"]:
        story += [Spacer(1, 12), Paragraph("Gaps between groups", styles["Heading2"])]
        rows = [["Group", "In group", "Others", "Group on or above %", "Others %", "Gap"]]
        for g in result["gaps"]:
            if g["hidden"]:
                rows.append([g["label"], *["not shown"] * 5])
            else:
                rows.append(
                    [
                        g["label"],
                        str(g["group"]["pupils"]),
                        str(g["others"]["pupils"]),
                        str(g["group"]["on_or_above_percent"]),
                        str(g["others"]["on_or_above_percent"]),
                        str(g["gap_on_or_above_percent"]),
                    ]
                )
        gap_table = Table(rows)
        gap_table.setStyle(
            TableStyle(
                [("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 8)]
            )
        )
        story.append(gap_table)
    doc.build(story)
    return out.getvalue()
