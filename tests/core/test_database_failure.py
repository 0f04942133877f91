"""The database failing mid-request (core/busy.py): a clean error page, never a
traceback, and nothing half-written, as the service's atomic block is rolled back.

The service is `schools.services.terms_accept` (TEN-7): it writes the acceptance,
then its audit event, in one transaction; the failure is made to happen between the
two. On PostgreSQL the connection is really killed (pg_terminate_backend), so the
write after it meets a server that has gone: 503 "unavailable"; an OperationalError
raised with the connection still working is a 500.
"""

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django.urls import reverse

from markbook.audit import services as audit
from markbook.core.busy import server_error_or_busy
from markbook.core.tenancy import school_scope
from markbook.schools.models import TermsAcceptance

NEW_TERMS = "2099-01"


def _admin_client(world) -> Client:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)
    client.force_login(world.admin)
    return client


def _accepted(world) -> bool:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return TermsAcceptance.objects.filter(school=world.a, version=NEW_TERMS).exists()


def _accept(world):  # type: ignore[no-untyped-def]
    url = reverse("schools:terms", kwargs={"school_id": world.a.pk})
    return _admin_client(world).post(url, {"accept": "yes"})


def test_an_error_inside_a_service_gives_the_500_page_and_writes_nothing(world, settings):
    settings.MARKBOOK_TERMS_VERSION = NEW_TERMS
    failing = mock.patch.object(
        audit, "record", side_effect=OperationalError("could not write the audit event")
    )
    with failing:
        response = _accept(world)
    assert response.status_code == 500
    text = response.content.decode()
    assert "<h1>Something went wrong</h1>" in text
    assert "Traceback" not in text and "OperationalError" not in text
    assert not _accepted(world)  # the acceptance written before the failure rolled back
    # Without the failure the same request works, so the test above could fail.
    assert _accept(world).status_code == 302
    assert _accepted(world)


def test_an_api_error_answers_500_json_without_a_traceback():
    request = RequestFactory().get("/api/schools/1/pupils")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error_or_busy(request)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert b"a bug" not in response.content and b"Traceback" not in response.content


def _kill_own_connection() -> None:
    """Terminate this test's PostgreSQL backend from a second connection."""
    import psycopg

    pid = connection.connection.info.backend_pid
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"],
        host=params["HOST"],
        port=params["PORT"] or 5432,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a database server to lose")
@pytest.mark.django_db(transaction=True)
def test_the_connection_killed_mid_request_gives_503_and_writes_nothing(world, settings):
    settings.MARKBOOK_TERMS_VERSION = NEW_TERMS
    record = audit.record

    def killed_then_record(**kwargs):  # type: ignore[no-untyped-def]
        _kill_own_connection()
        return record(**kwargs)

    with mock.patch.object(audit, "record", side_effect=killed_then_record):
        response = _accept(world)
    assert response.status_code == 503
    text = response.content.decode()
    assert "The database is unavailable; try again in a moment." in text
    assert "Traceback" not in text and "terminating connection" not in text
    assert response["Retry-After"] == "5"
    connection.close()  # the test client keeps Django from tidying it after a request
    assert not _accepted(world)
    # A fresh connection serves the next request.
    assert _accept(world).status_code == 302
    assert _accepted(world)


@pytest.mark.parametrize(
    ("driver_error", "lost"),
    [
        ("AdminShutdown", True),  # 57P01: the connection terminated
        ("ConnectionFailure", True),  # 08006
        (None, True),  # no SQL state: closed, broken or refused
        ("DeadlockDetected", False),  # 40P01: a real error, the connection fine
        ("QueryCanceled", False),  # 57014: a statement timeout
    ],
)
def test_only_a_lost_connection_is_called_unavailable(driver_error, lost):
    import psycopg
    from psycopg import errors

    from markbook.core.busy import is_database_unavailable

    cause = (
        psycopg.OperationalError("server closed the connection unexpectedly")
        if driver_error is None
        else getattr(errors, driver_error)("x")
    )
    wrapped = OperationalError(str(cause))
    wrapped.__cause__ = cause
    with mock.patch("markbook.core.busy.connection", mock.Mock(vendor="postgresql")):
        assert is_database_unavailable(wrapped) is lost
        assert is_database_unavailable(OperationalError("no cause")) is False
    # SQLite is a file, not a server: its errors are never "unavailable".
    with mock.patch("markbook.core.busy.connection", mock.Mock(vendor="sqlite")):
        assert is_database_unavailable(wrapped) is False
