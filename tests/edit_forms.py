"""What the "saved unchanged changes nothing" tests share (ROS-1, SEC-1): a world whose
every field holds a value, a snapshot of every stored row, and a finder of the forms
on a page that show stored values (edit forms).

Used by tests/browser/test_edit_forms.py (saves each edit form unchanged in chromium)
and tests/test_edit_forms.py (fails when a page has an edit form that the browser test
does not cover).
"""

import random
from datetime import date
from html.parser import HTMLParser
from typing import Any

from django.apps import apps
from django.db import models

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from markbook.core.validators import random_uln
from markbook.rosters import services
from markbook.schools.models import KEEPABLE_PUPIL_FIELDS, School

# Audit events a page view writes (SEC-1): reads, not changes.
READ_ACTIONS = (".viewed", ".listed", ".fields_read")
# Not stored values: the session of the signed-in browser, the access log (checked on
# its own: only read events may be added), and the task queue.
NOT_SNAPSHOT = {"sessions.session", "audit.auditevent", "django_tasks_db.dbtaskresult"}


def fill_every_field(world: Any) -> None:
    """Give Amy a value in every pupil field (the optional and the encrypted ones too),
    and her class and teacher theirs, so a form that loses a value on save is seen."""
    assert set(KEEPABLE_PUPIL_FIELDS) <= set(services.PUPIL_FIELDS)
    with school_scope(world.a):
        services.pupil_update(
            actor=None,
            pupil=world.amy,
            pseudonym="Comet",
            mis_id="A1001",
            registration_group="7AD",
            sex="F",
            date_of_birth=date(2014, 5, 11),
            uln=random_uln(random.Random(7)),
            eal=False,
            gifted_talented=True,
            ks2_reading=104,
            ks2_maths=99,
            left_on=date(2026, 7, 22),
            fsm=True,
            disadvantaged=False,
            sen_provision="K",
            sen_need="SPLD",
            ethnicity="WBRI",
            medical_notes="Asthma: inhaler in the office.\nNut allergy.",
        )
        services.class_update(actor=None, teaching_class=world.class_7a, subject="Mathematics")
    # The subscription's dates, which the platform's page of the school edits (TEN-1).
    School.objects.filter(pk=world.a.pk).update(
        trial_ends=date(2026, 9, 30), subscription_ends=date(2027, 8, 31)
    )


def _row(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def stored_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table but NOT_SNAPSHOT, field by field (encrypted fields as
    their plaintext), by model label."""
    with all_schools():
        return {
            model._meta.label_lower: [_row(o) for o in model._base_manager.order_by("pk")]
            for model in apps.get_models()
            if model._meta.label_lower not in NOT_SNAPSHOT and not model._meta.proxy
        }


def rows_changed(before: dict[str, list[dict]], after: dict[str, list[dict]]) -> list[str]:
    """What differs between two stored_rows() snapshots, one line per field or row."""
    changes = []
    for label in sorted(set(before) | set(after)):
        old = {r["id"]: r for r in before.get(label, [])} if before.get(label) else {}
        new = {r["id"]: r for r in after.get(label, [])} if after.get(label) else {}
        for pk in sorted(set(old) | set(new), key=str):
            if pk not in new:
                changes.append(f"{label} {pk} deleted")
            elif pk not in old:
                changes.append(f"{label} {pk} added")
            else:
                changes += [
                    f"{label} {pk}.{name}: {old[pk][name]!r} -> {new[pk][name]!r}"
                    for name in old[pk]
                    if old[pk][name] != new[pk][name]
                ]
    return changes


def last_audit_seq() -> int:
    with all_schools():
        return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def audit_changes_since(pk: int) -> list[str]:
    """Actions of events after `pk` that are not reads (READ_ACTIONS)."""
    with all_schools():
        actions = AuditEvent.objects.filter(pk__gt=pk).values_list("action", flat=True)
        return [a for a in actions if not a.endswith(READ_ACTIONS)]


class _PostForms(HTMLParser):
    """Counts, per <form method="post">, the controls that show a value: a filled text
    input, a ticked box or radio, a textarea with text."""

    SHOWN = {"text", "email", "number", "date", "datetime-local", "tel", "url", "search"}

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[int] = []
        self._open = False
        self._textarea = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._open = (a.get("method") or "get").lower() == "post"
            if self._open:
                self.forms.append(0)
        elif not self._open:
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if (kind in self.SHOWN and a.get("value")) or (
                kind in ("checkbox", "radio") and "checked" in a
            ):
                self.forms[-1] += 1
        elif tag == "textarea":
            self._textarea = True

    def handle_data(self, data: str) -> None:
        if self._open and self._textarea and data.strip():
            self.forms[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = False
        elif tag == "textarea":
            self._textarea = False


def shows_stored_values(html: str) -> bool:
    """Whether the page has a POST form showing values (an edit form, or a form with
    defaults that the caller must list as not one)."""
    parser = _PostForms()
    parser.feed(html)
    return any(parser.forms)
