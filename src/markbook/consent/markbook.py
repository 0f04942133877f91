"""Markbook's own entry on every school's register (CON-1), generated from the data
inventory (DSR-1) when shown: the categories of data it holds and what for come from
`privacy.record.processing_rows`, so a new declaration shows here with no further work
(tests/consent/test_register.py fails if a category of the inventory is missing)."""

from dataclasses import dataclass

from markbook.privacy.inventory import REGISTRY, Category, Declaration
from markbook.privacy.record import processing_rows

NAME = "Markbook"
PROVIDER = "Markbook (the school's processor)"
WEBSITE = ""


@dataclass(frozen=True)
class CategoryUse:
    category: str
    purposes: list[str]


@dataclass(frozen=True)
class Profile:
    """What the register shows for Markbook."""

    purpose: str
    categories: list[str]
    uses: list[CategoryUse]
    bases: list[str]


def profile(registry: dict[str, Declaration] | None = None) -> Profile:
    """Markbook's purpose and data shared, from the inventory's rows."""
    rows = processing_rows(REGISTRY if registry is None else registry)
    order = {c: i for i, c in enumerate(Category)}
    by_category: dict[Category, list[str]] = {}
    for row in rows:
        purposes = by_category.setdefault(row.category, [])
        if row.purpose not in purposes:
            purposes.append(row.purpose)
    categories = sorted(by_category, key=lambda c: order[c])
    bases = sorted({row.basis for row in rows})
    purpose = (
        "Markbook holds the school's assessment records: marks, grades and tracking of "
        "pupils' attainment, with the accounts and class lists they need "
        f"({len(rows)} kinds of personal data in {len(categories)} categories)."
    )
    return Profile(
        purpose=purpose,
        categories=[str(c) for c in categories],
        uses=[CategoryUse(str(c), sorted(by_category[c])) for c in categories],
        bases=bases,
    )
