"""SQLite as the embedded default under concurrent use: WAL, a busy timeout, IMMEDIATE
transactions, and a clear "busy" answer when a lock outlasts the timeout."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from markbook.core.busy import (
    BUSY_MESSAGE,
    DatabaseBusyMiddleware,
    is_database_busy,
    server_error_or_busy,
)

ROOT = Path(__file__).resolve().parents[2]
sqlite_only = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].startswith("markbook.core.sqlite"),
    reason="the embedded SQLite default",
)


@sqlite_only
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_immediate_transactions():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 10
    assert "journal_mode=WAL" in options["init_command"].replace(" ", "")


@sqlite_only
def test_import_worker_writes_while_pages_are_read_and_a_second_write_waits(tmp_path):
    """A long import in one transaction on a file database (tests/core/sqlite_concurrency.py,
    in its own process): pages that only read answer 200 meanwhile, the system checks pass
    (Django's JSONField probe once took the lock timeout for "SQLite does not support
    JSONFields"), a page that must write and outwaits a short busy timeout answers 503
    "busy", and a second writer waits for the import and then succeeds."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    run = subprocess.run(
        [sys.executable, "-m", "tests.core.sqlite_concurrency", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["errors"] == []
    assert (seen["journal_mode"], seen["busy_timeout_ms"]) == ("wal", 20_000)
    assert seen["statuses"] == {"dashboard": 200, "classes": 200}
    assert seen["read_during_import"] == 1  # the reader sees the roster before the import
    assert seen["checks"] == []
    assert seen["busy_status"] == 503
    assert BUSY_MESSAGE in seen["busy_text"]
    # The second writer waited: it had not finished while the import held the lock, and
    # inside its own transaction it saw the whole import committed.
    assert seen["writer_done_before_import"] is False
    assert seen["import_committed"] is True
    assert seen["writer_saw_pupils"] == 1 + 3000 + 1
    assert seen["writer_pupil"] == "eve.evans"
    assert seen["pupils_after"] == 3002


def _locked() -> OperationalError:
    return OperationalError("database is locked")


def test_a_lock_timeout_in_a_page_answers_503_busy_not_500():
    request = RequestFactory().get("/s/1/roster/pupils/")
    middleware = DatabaseBusyMiddleware(lambda r: HttpResponse())
    response = middleware.process_exception(request, _locked())
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"]
    assert BUSY_MESSAGE in response.content.decode()


def test_a_lock_timeout_in_the_api_answers_503_json():
    request = RequestFactory().post("/api/schools/1/pupils")
    response = DatabaseBusyMiddleware(lambda r: HttpResponse()).process_exception(
        request, _locked()
    )
    assert response is not None
    assert response.status_code == 503
    assert json.loads(response.content) == {"detail": BUSY_MESSAGE}


def test_other_database_errors_are_not_called_busy():
    request = RequestFactory().get("/")
    middleware = DatabaseBusyMiddleware(lambda r: HttpResponse())
    assert middleware.process_exception(request, OperationalError("no such table: x")) is None
    assert middleware.process_exception(request, ValueError("database is locked")) is None
    wrapped = RuntimeError("while importing")
    wrapped.__cause__ = _locked()
    assert is_database_busy(wrapped)


def test_a_lock_met_outside_a_view_answers_503_through_handler500():
    """A middleware (saving the session, say) meeting the lock: Django calls handler500
    inside its `except`, where the lock error is the exception being handled."""
    request = RequestFactory().get("/s/1/")
    try:
        raise _locked()
    except OperationalError:
        response = server_error_or_busy(request)
    assert response.status_code == 503
    try:
        raise OperationalError("disk I/O error")
    except OperationalError:
        assert server_error_or_busy(request).status_code == 500
