"""A database still locked after the busy timeout answers 503 "try again", not a 500.

SQLite (the embedded default) lets one writer at a time; a second waits up to the busy
timeout (settings.DATABASES) and then fails with `OperationalError: database is locked`.
That is not a bug to report but a moment to wait: pages answer a 503 page, the API a
503 JSON error, both saying so.
"""

import sys
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error

BUSY_MESSAGE = "The database is busy; try again in a moment."
RETRY_AFTER_SECONDS = 5


def is_database_busy(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) is SQLite's lock timeout."""
    while error is not None:
        if isinstance(error, OperationalError) and "database is locked" in str(error).lower():
            return True
        error = error.__cause__ or error.__context__
    return False


def busy_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer: JSON for the API (the ErrorOut shape), a short page otherwise."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": BUSY_MESSAGE}, status=503)
    else:
        # No base template: it reads the database, which is what is busy.
        response = HttpResponse(
            render_to_string("core/busy.html", {"message": BUSY_MESSAGE}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """A view that meets a locked database answers 503 (busy_response)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return busy_response(request) if is_database_busy(exception) else None


def server_error_or_busy(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: a lock met outside a view (a middleware saving the session, say)
    answers 503 too; anything else is Django's plain 500."""
    if is_database_busy(sys.exc_info()[1]):
        return busy_response(request)
    return server_error(request, template_name)
