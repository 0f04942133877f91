"""The published register and consent state (CON-3): the HTML page and the PDF say
what is stored: every entry's service, provider and risk assessment, and per service
and purpose the numbers consented, refused and not answered."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from markbook.consent import selectors, services
from markbook.consent.models import ServiceEntry
from markbook.core.tenancy import school_scope
from tests.factories import consent_world

pytestmark = pytest.mark.django_db


def _world_with_answers(world):  # type: ignore[no-untyped-def]
    made = consent_world(world)
    with school_scope(world.a):
        services.service_create(
            actor=None,
            school=world.a,
            name="Google Classroom",
            provider="Google Ireland Limited",
            data_shared=["identity", "contact details"],
            risk_status=ServiceEntry.Status.NOT_APPROVED,
            consent_needed=True,
        )
        services.consent_decide(
            actor=world.parent, pupil=world.amy, answer="given", service=made["service"]
        )
        services.consent_decide(
            actor=world.parent, pupil=world.ben, answer="refused", purpose=made["purpose"]
        )
    return made


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _expected(world) -> tuple[list[ServiceEntry], list[selectors.Counts]]:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return list(selectors.entries()), selectors.consent_counts()


def test_the_pdf_matches_what_is_stored(world, client_for):
    """CON-3: the PDF's text holds every entry's name, provider and risk status, and a
    row per service and purpose with its stored counts (Reading Eggs: 1 consented, 0
    refused, 2 not answered: Ben and Cal, the other pupils of Year 7)."""
    _world_with_answers(world)
    response = client_for("admin").get(reverse("consent:published_pdf", args=[world.a.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = _flat(" ".join(page.extract_text() for page in reader.pages))
    entries, counts = _expected(world)
    assert len(entries) == 3
    for entry in entries:
        assert entry.name in text
        assert _flat(entry.provider) in text
        assert entry.get_risk_status_display() in text
    assert counts
    for row in counts:
        assert f"{row.target.name} {row.given} {row.refused} {row.unanswered}" in text, row
    reading = next(c for c in counts if c.target.name == "Reading Eggs")
    assert (reading.given, reading.refused, reading.unanswered) == (1, 0, 2)
    # A service the risk assessment refused does not ask parents, so it has no row.
    assert "Google Classroom 0" not in text


def test_the_page_matches_what_is_stored(world, client_for):
    """CON-3: the HTML page is the same document: entries and counts as stored."""
    _world_with_answers(world)
    html = client_for("parent").get(reverse("consent:published", args=[world.a.pk])).content
    text = _flat(re.sub(r"<[^>]+>", " ", html.decode()))
    entries, counts = _expected(world)
    for entry in entries:
        assert entry.name in text and entry.get_risk_status_display() in text
    for row in counts:
        assert f"{row.target.name} {row.given} {row.refused} {row.unanswered}" in text


def test_the_api_publishes_the_same_counts(world, client_for):
    """CON-3: the published register in the API, counts as the selectors give them."""
    _world_with_answers(world)
    data = client_for("teacher").get(f"/api/schools/{world.a.pk}/consent/published").json()
    _, counts = _expected(world)
    assert [
        (c["name"], c["consented"], c["refused"], c["not_answered"]) for c in data["consent"]
    ] == [(c.target.name, c.given, c.refused, c.unanswered) for c in counts]
    assert {s["name"] for s in data["services"]} == {"Markbook", "Reading Eggs", "Google Classroom"}


def test_the_pdf_check_can_fail(world, client_for):
    """CON-3: a count changed after the PDF was made is not in it (the comparison above
    reads the document, not the database)."""
    made = _world_with_answers(world)
    response = client_for("admin").get(reverse("consent:published_pdf", args=[world.a.pk]))
    text = _flat(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages))
    with school_scope(world.a):
        services.consent_decide(
            actor=world.parent, pupil=world.ben, answer="given", service=made["service"]
        )
    _, counts = _expected(world)
    reading = next(c for c in counts if c.target.name == "Reading Eggs")
    assert f"Reading Eggs {reading.given} {reading.refused} {reading.unanswered}" not in text
