"""`GET /health` (markbook.health): 200 when the database answers and the scheduler and
the worker have shown they run; 503 naming what failed. No sign-in, no personal data."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from markbook.core.heartbeat import SCHEDULER, WORKER, heartbeat_at, heartbeat_record
from markbook.core.tasks import worker_heartbeat

pytestmark = pytest.mark.django_db


def _health(client):
    response = client.get(reverse("health"))
    return response.status_code, response.json()


def _all_well(minutes_ago: int = 1) -> None:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    heartbeat_record(component=SCHEDULER, now=at)
    heartbeat_record(component=WORKER, now=at)


def test_all_well_answers_200_to_anyone_without_signing_in(client):
    _all_well()
    status, body = _health(client)
    assert status == 200
    assert body["status"] == "ok" and "failing" not in body
    assert {name: c["ok"] for name, c in body["checks"].items()} == {
        "database": True,
        "scheduler": True,
        "worker": True,
    }
    assert body["checks"]["scheduler"]["minutes_ago"] == 1


def test_the_answer_is_not_cached_and_holds_no_personal_data(client, world):
    _all_well()
    response = client.get(reverse("health"))
    assert "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    for person in (world.admin, world.amy.user):
        assert person.email not in text or not person.email
        assert person.username not in text
    assert world.a.name not in text


def test_a_scheduler_that_never_ran_is_named(client):
    heartbeat_record(component=WORKER)
    status, body = _health(client)
    assert status == 503
    assert body["failing"] == ["scheduler"]
    assert body["checks"]["scheduler"]["detail"] == "the scheduled sweep has never run"


def test_a_scheduler_silent_too_long_is_named(client, settings):
    settings.MARKBOOK_HEALTH_SCHEDULER_MINUTES = 90
    _all_well()
    heartbeat_record(component=SCHEDULER, now=timezone.now() - timedelta(minutes=91))
    status, body = _health(client)
    assert status == 503 and body["failing"] == ["scheduler"]
    assert "91 minutes ago (limit 90)" in body["checks"]["scheduler"]["detail"]


def test_a_task_waiting_for_a_worker_too_long_fails_the_worker(client, settings):
    settings.MARKBOOK_HEALTH_WORKER_MINUTES = 10
    _all_well()
    worker_heartbeat.enqueue()
    assert _health(client)[0] == 200  # just enqueued: a worker has time to take it
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=11))
    status, body = _health(client)
    assert status == 503 and body["failing"] == ["worker"]
    assert body["checks"]["worker"]["detail"] == "a task has waited 11 minutes for a worker"
    assert body["checks"]["worker"]["tasks_waiting"] == 1
    # Once the worker has taken it, the worker is well again.
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)
    assert _health(client)[0] == 200


def test_a_worker_that_never_ran_the_heartbeat_is_named(client):
    heartbeat_record(component=SCHEDULER)
    status, body = _health(client)
    assert status == 503 and body["failing"] == ["worker"]
    assert body["checks"]["worker"]["detail"] == "no worker has ever run the heartbeat task"


def test_a_worker_heartbeat_older_than_both_limits_is_named(client, settings):
    settings.MARKBOOK_HEALTH_SCHEDULER_MINUTES = 90
    settings.MARKBOOK_HEALTH_WORKER_MINUTES = 10
    heartbeat_record(component=SCHEDULER)
    heartbeat_record(component=WORKER, now=timezone.now() - timedelta(minutes=101))
    status, body = _health(client)
    assert status == 503 and body["failing"] == ["worker"]
    assert "101 minutes ago (limit 100)" in body["checks"]["worker"]["detail"]


def test_a_database_that_does_not_answer_is_named(client):
    _all_well()
    with mock.patch(
        "markbook.health.connection.cursor", side_effect=OperationalError("server closed")
    ):
        status, body = _health(client)
    assert status == 503
    assert body["failing"] == ["database", "scheduler", "worker"]
    assert body["checks"]["database"]["detail"] == (
        "the database did not answer (OperationalError)"
    )


def test_the_sweep_records_the_scheduler_and_enqueues_the_workers_heartbeat(client):
    call_command("markbook_import_jobs_sweep", stdout=io.StringIO())
    assert heartbeat_at(SCHEDULER) is not None
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "markbook.core.tasks.worker_heartbeat"
    assert heartbeat_at(WORKER) is None
    # What `markbook db_worker` does with it (its tidying of connections would close
    # the test's transaction on PostgreSQL).
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, verbosity=0, startup_delay=False)
    assert heartbeat_at(WORKER) is not None
    assert _health(client)[0] == 200


def test_a_dry_run_of_the_sweep_records_nothing():
    call_command("markbook_import_jobs_sweep", dry_run=True, stdout=io.StringIO())
    assert heartbeat_at(SCHEDULER) is None
    assert not DBTaskResult.objects.exists()
