"""Which area of a school each URL belongs to, for support grants (TEN-6).

A grant opens only the areas it names. A URL of no known area is closed to support
staff (a new app must be placed here before support can reach it), and the grants'
own pages are never open to them: staff cannot grant themselves more.
"""

import re

# First path segment after /s/<id>/ (pages) or /api/schools/<id>/ (API) -> area.
AREAS = {
    # Pupils, staff, classes, imports.
    "roster": "roster",
    "accounts": "roster",
    "pupils": "roster",
    "classes": "roster",
    "staff": "roster",
    "imports": "roster",
    "exports": "roster",
    "academic-years": "roster",
    "phase": "roster",
    "registration-requests": "roster",
    "deletion-requests": "roster",
    "people": "roster",
    # Assessment.
    "markbook": "assessment",
    "assessment": "assessment",
    "assignments": "assessment",
    "tracking": "assessment",
    "analysis": "assessment",
    "practice": "assessment",
    "boards": "assessment",
    # Settings and the register of online services.
    "settings": "settings",
    "terms": "settings",
    "consent": "settings",
    # Privacy records.
    "audit": "privacy",
    "requests": "privacy",
    "data-requests": "privacy",
    "data-protection-leads": "privacy",
    "term-dates": "privacy",
    "restrictions": "privacy",
    "notice-changes": "privacy",
    "data-exports": "privacy",
    "privacy": "privacy",
    "breaches": "privacy",
    "retention": "privacy",
}
HOME = ""  # the school's home page: open under any live grant

_PATH = re.compile(r"^/(?:api/schools|s)/\d+/?([^/]*)")


def area_of(path: str) -> str | None:
    """The area of a school URL; HOME for the school's page; None: closed to support."""
    match = _PATH.match(path)
    if match is None:
        return None
    segment = match.group(1)
    if segment == "":
        return HOME if not path.startswith("/api/") else None
    return AREAS.get(segment)
