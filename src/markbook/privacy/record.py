"""The record of processing and the privacy notice, generated from the inventory (DSR-1).

Both read the same rows, one per personal field, so neither can say anything the
inventory does not, and a new declaration appears in both without further work.
"""

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from markbook.core.spreadsheet import csv_for_people
from markbook.core.text import without_requirement_ids
from markbook.privacy.inventory import REGISTRY, Category, Declaration, Erasure

COLUMNS = (
    "model",
    "field",
    "category",
    "purpose",
    "basis",
    "visible to",
    "retention",
    "erasure",
    "encrypted",
)


@dataclass(frozen=True)
class Row:
    """One personal field as the record of processing states it."""

    model: str
    model_name: str
    field: str
    field_name: str
    category: Category
    purpose: str
    basis: str
    visible_to: str
    retention: str
    erasure: str
    encrypted: bool

    def cells(self) -> tuple[str, ...]:
        return (
            self.model,
            self.field,
            str(self.category),
            self.purpose,
            self.basis,
            self.visible_to,
            self.retention,
            self.erasure,
            "yes" if self.encrypted else "no",
        )


def _names(label: str, field: str) -> tuple[str, str]:
    """Readable names of a model and one of its fields (the label itself if unknown)."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return label, field.replace("_", " ")
    try:
        field_name = str(model._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:  # a stale declaration still prints; the meta-test flags it
        field_name = field.replace("_", " ")
    return str(model._meta.verbose_name), field_name


def processing_rows(registry: dict[str, Declaration] | None = None) -> list[Row]:
    """Every declared personal field, by model label then field name; the inventory's
    requirement citations are left out, for the people who read the record and notice."""
    registry = REGISTRY if registry is None else registry
    plain = without_requirement_ids
    rows = []
    for label, decl in sorted(registry.items()):
        for field, p in sorted(decl.personal.items()):
            model_name, field_name = _names(label, field)
            erasure = str(p.erasure)
            if p.erasure == Erasure.KEEP:
                erasure = f"{erasure}: {p.keep_reason}"
            rows.append(
                Row(
                    model=label,
                    model_name=model_name,
                    field=field,
                    field_name=field_name,
                    category=p.category,
                    purpose=plain(p.purpose),
                    basis=plain(str(p.basis)),
                    visible_to=plain(p.visible_to),
                    retention=plain(str(p.retention)),
                    erasure=plain(erasure),
                    encrypted=p.encrypted,
                )
            )
    return rows


def record_markdown(rows: list[Row]) -> str:
    """The record of processing as a Markdown table."""

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [line(COLUMNS), line(tuple("---" for _ in COLUMNS))]
    lines += [line(row.cells()) for row in rows]
    return "\n".join(lines) + "\n"


def record_csv(rows: list[Row]) -> str:
    """The record of processing as CSV, one row per personal field; opened in a
    spreadsheet, so written by csv_for_people (formula injection, SEC-1)."""
    return csv_for_people(COLUMNS, (row.cells() for row in rows), lineterminator="\n")


@dataclass(frozen=True)
class Section:
    category: Category
    rows: list[Row]


def notice_sections(registry: dict[str, Declaration] | None = None) -> list[Section]:
    """The privacy notice's sections: the personal fields grouped by category, in the
    inventory's order of categories."""
    rows = processing_rows(registry)
    return [
        Section(category, [r for r in rows if r.category == category])
        for category in Category
        if any(r.category == category for r in rows)
    ]
