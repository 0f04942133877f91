"""No stage runs twice at once (DSR-9), on real concurrent connections: two workers
given the same attempt run the handler once; two leads approving the same request at
once give one approval and one clear refusal. On SQLite (a file database, in its own
process) and on PostgreSQL (row locks: SELECT ... FOR UPDATE, then a conditional
UPDATE on the stage)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from markbook.accounts.models import Membership
from markbook.core.tenancy import school_scope
from tests.rights.rights_concurrency import race

ROOT = Path(__file__).resolve().parents[2]


def _check(seen: dict) -> None:  # type: ignore[type-arg]
    assert seen["errors"] == []
    assert seen["handler_calls"] == 1
    assert seen["run_stage"] == "done"
    assert seen["run_events"] == ["received", "identity_checked", "approved", "in_progress", "done"]
    assert seen["approve_events"] == 1
    assert seen["approvals"][0] == "approved"
    assert seen["approvals"][1].startswith("refused: ")
    assert "approved already" in seen["approvals"][1] or "changed meanwhile" in seen["approvals"][1]


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].startswith("markbook.core.sqlite"),
    reason="the embedded SQLite default",
)
def test_no_stage_runs_twice_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    run = subprocess.run(
        [sys.executable, "-m", "tests.rights.rights_concurrency", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["vendor"] == "sqlite"
    _check(seen)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_stage_runs_twice_on_postgresql(world):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's row locks")
    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=world.colleague, role="dpo")
    _check(race(world.a, world.colleague, world.parent, world.amy))
