"""The published register and consent state (CON-3): one template rendered as the
HTML page and, through WeasyPrint, as the PDF, so both say what is stored."""

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from markbook.consent import selectors
from markbook.schools.models import School


def publication_context(school: School) -> dict[str, Any]:
    counts = {(c.target.kind, c.target.pk): c for c in selectors.consent_counts()}
    return {
        "school": school,
        "shown": selectors.register_shown(),
        "counts": counts,
        "service_counts": [c for key, c in counts.items() if key[0] == "service"],
        "purpose_counts": [c for key, c in counts.items() if key[0] == "purpose"],
        "generated_at": timezone.localtime(),
    }


def publication_pdf(school: School) -> bytes:
    """The publication as a PDF (WeasyPrint renders the same body as the page)."""
    from weasyprint import HTML  # imported here: it loads pango, which pages never need

    html = render_to_string("consent/publication_doc.html", publication_context(school))
    return bytes(HTML(string=html).write_pdf())
