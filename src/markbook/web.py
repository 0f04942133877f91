"""Small helpers every app's pages share: reading an htmx request and a posted id.

Role checks and the request's school are admission's (`admin_post`, `require_role`,
`school_of` in markbook.admission); this module knows nothing of schools.
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (it then wants a page's section, not the page)."""
    return request.headers.get("HX-Request") == "true"


def posted_id(value: str | None) -> int:
    """A posted object id, or 0 (which matches nothing) for anything but digits."""
    return int(value) if value and value.isdigit() else 0


def error_messages(error: ValidationError) -> list[str]:
    """Every message of a service's ValidationError, for a page to show."""
    return [m for msgs in error.message_dict.values() for m in msgs]
