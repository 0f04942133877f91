"""A database still locked after the busy timeout answers 503 "try again", not a 500.

SQLite (the embedded default) lets one writer at a time; a second waits up to the busy
timeout (settings.DATABASES) and then fails with `OperationalError: database is locked`.
That is not a bug to report but a moment to wait: pages answer a 503 page, the API a
503 JSON error, both saying so.

A database server that went away (PostgreSQL restarted, the connection killed or
refused) is a moment to wait too: the same 503, saying the database is unavailable.
The request's atomic block was rolled back with the connection (nothing half-written:
tests/core/test_database_failure.py), and Django opens a fresh connection for the next
request. Any other error is the plain 500 page (templates/500.html), never a traceback.
"""

import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error

BUSY_MESSAGE = "The database is busy; try again in a moment."
UNAVAILABLE_MESSAGE = "The database is unavailable; try again in a moment."
SERVER_ERROR_MESSAGE = "Something went wrong on our side; it has been logged."
RETRY_AFTER_SECONDS = 5


def is_database_busy(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) is SQLite's lock timeout."""
    while error is not None:
        if isinstance(error, OperationalError) and "database is locked" in str(error).lower():
            return True
        error = error.__cause__ or error.__context__
    return False


# SQL states of a connection lost: class 08 (connection exception) and 57P (the server
# shut down, crashed, or terminated this connection). Other errors keep their 500.
LOST_SQLSTATES = ("08", "57P")


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) is the database server gone: the driver's
    connection error (closed, refused, terminated) on a server database."""
    while error is not None:
        if isinstance(error, (OperationalError, InterfaceError)):
            return connection.vendor != "sqlite" and _connection_lost(error.__cause__)
        error = error.__cause__ or error.__context__
    return False


def _connection_lost(driver_error: BaseException | None) -> bool:
    if driver_error is None:
        return False  # raised by Markbook or Django, not by the connection
    state = getattr(driver_error, "sqlstate", None)
    # No SQL state: the failure was the connection's own (closed, broken, refused).
    return state is None or str(state).startswith(LOST_SQLSTATES)


def busy_response(request: HttpRequest, message: str = BUSY_MESSAGE) -> HttpResponse:
    """The 503 answer: JSON for the API (the ErrorOut shape), a short page otherwise."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        # No base template: it reads the database, which is what is busy.
        template = "core/busy.html" if message == BUSY_MESSAGE else "core/unavailable.html"
        response = HttpResponse(render_to_string(template, {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """A view that meets a locked database answers 503 (busy_response)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_busy(exception):
            return busy_response(request)
        if is_database_unavailable(exception):
            return busy_response(request, UNAVAILABLE_MESSAGE)
        return None


def server_error_or_busy(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: a lock or a lost database met outside a view (a middleware saving
    the session, say) answers 503 too; anything else is the plain 500 page."""
    error = sys.exc_info()[1]
    if is_database_busy(error):
        return busy_response(request)
    if is_database_unavailable(error):
        return busy_response(request, UNAVAILABLE_MESSAGE)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": SERVER_ERROR_MESSAGE}, status=500)
    return server_error(request, template_name)
