"""Helpers for roster tests: run code inside a school's scope, read the access log,
make an Excel upload."""

import io

import pytest
from openpyxl import Workbook

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope


@pytest.fixture
def in_a(world):  # type: ignore[no-untyped-def]
    """Run the test body inside School A's scope, as a request would."""
    with school_scope(world.a):
        yield world


def actions(school, action: str | None = None) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with all_schools():
        events = AuditEvent.objects.filter(school_id=school.pk).order_by("seq")
        if action:
            events = events.filter(action=action)
        return list(events)


def xlsx(rows: list[list[object]]) -> bytes:
    """An .xlsx workbook whose first sheet holds `rows`."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
