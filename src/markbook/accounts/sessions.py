"""When a session signed in (ACC-6): a school's emergency suspension ends every
session signed in before it (`School.sessions_valid_after`).

The time is kept in the session itself when Django signs someone in (every way in:
the sign-in form, a pupil's page, Google or Microsoft), so checking it costs no query.
A session from before this was kept reads as signed in at the epoch: older than any
suspension.
"""

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest

SIGNED_IN_AT = "markbook_signed_in_at"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def remember_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """`user_logged_in` receiver: note in the session when it signed in."""
    from django.utils import timezone

    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = timezone.now().timestamp()


def signed_in_at(request: HttpRequest) -> datetime:
    """When the request's credentials were issued: its API token's creation, or its
    session's sign-in (the epoch when unknown)."""
    token = getattr(request, "api_token", None)
    if token is not None:
        return token.created_at
    session = getattr(request, "session", None)
    stamp = session.get(SIGNED_IN_AT) if session is not None else None
    if not isinstance(stamp, int | float):
        return EPOCH
    return datetime.fromtimestamp(stamp, tz=UTC)
