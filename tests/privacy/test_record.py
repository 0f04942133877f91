"""The record of processing (`privacy_record`) and the public privacy notice are
generated from the data inventory (DSR-1): what is declared appears in both."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from markbook.privacy.inventory import (
    REGISTRY,
    Basis,
    Category,
    Declaration,
    Erasure,
    Personal,
)
from markbook.privacy.record import COLUMNS, processing_rows

NEW = Personal(
    category=Category.CONTACT,
    purpose="send the trust's newsletter XYZZY",
    basis=Basis.CONSENT,
    visible_to="the trust's office PLUGH",
    retention="3 years after last interaction FROBOZZ",
    erasure=Erasure.KEEP,
    keep_reason="a reason QUUX",
)


@pytest.fixture
def new_declaration(monkeypatch):  # type: ignore[no-untyped-def]
    """A declaration added for one test only (the registry is restored afterwards)."""
    monkeypatch.setitem(
        REGISTRY,
        "schools.Trust",
        Declaration("schools.Trust", "self", {"name": NEW}, frozenset({"id", "created_at"})),
    )


def record(*args: str) -> str:
    out = io.StringIO()
    call_command("privacy_record", *args, stdout=out)
    return out.getvalue()


def test_record_has_one_row_per_declared_personal_field():
    rows = list(csv.reader(io.StringIO(record("--format", "csv"))))
    assert tuple(rows[0]) == COLUMNS
    expected = sum(len(d.personal) for d in REGISTRY.values())
    assert len(rows) - 1 == expected
    by_field = {(r[0], r[1]): r for r in rows[1:]}
    medical = by_field[("rosters.Pupil", "medical_notes")]
    assert medical[2] == "special category"
    assert "9(2)(g)" in medical[4]
    assert medical[5] == "school administrators only"
    assert medical[8] == "yes"
    assert by_field[("rosters.Pupil", "first_name")][8] == "no"
    assert ("schools.School", "name") not in by_field  # not personal data


def test_record_in_markdown_is_a_table_with_every_row():
    lines = record().splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |"
    assert lines[1].startswith("| --- |")
    assert len(lines) - 2 == len(processing_rows())
    assert any(line.startswith("| audit.AuditEvent | ip | technical and usage |") for line in lines)


def test_kept_fields_state_their_reason_in_the_record():
    rows = {(r.model, r.field): r for r in processing_rows()}
    kept = rows[("schools.TermsAcceptance", "accepted_by_name")]
    assert kept.erasure.startswith("keep, for the stated reason: evidence of who accepted")


def test_new_declaration_appears_in_the_record(new_declaration):
    markdown = record()
    assert (
        "| schools.Trust | name | contact details | send the trust's newsletter XYZZY |" in markdown
    )
    assert "keep, for the stated reason: a reason QUUX" in markdown
    assert "schools.Trust,name,contact details" in record("--format", "csv")


def test_new_declaration_appears_in_the_notice(client, db, new_declaration):
    html = client.get(reverse("privacy:notice")).content.decode()
    for text in ("Send the trust", "newsletter XYZZY", "PLUGH", "FROBOZZ", "a reason QUUX"):
        assert text in html


def test_without_the_declaration_neither_mentions_it(client, db):
    assert "XYZZY" not in record()
    assert "XYZZY" not in client.get(reverse("privacy:notice")).content.decode()


def test_notice_is_public_and_grouped_by_category(client, db):
    response = client.get(reverse("privacy:notice"))
    assert response.status_code == 200
    html = response.content.decode()
    headings = [f'<h2 id="{c.name.lower()}-h">' for c in Category]
    positions = [html.index(h) for h in headings if h in html]
    assert len(positions) >= 8 and positions == sorted(positions)
    special = html[html.index('id="special-h"') : html.index('id="technical-h"')]
    assert "Medical notes" in special and "Ethnicity" in special
    assert "First name" not in special
    assert "encrypted" in special


def test_notice_says_who_sees_what_from_the_inventory(client, db):
    html = client.get(reverse("privacy:notice")).content.decode()
    assert "School administrators only" in html  # sensitive pupil fields
    assert "365 days after the event (IP addresses and user ids in logs)" in html  # log retention
