"""Background tasks of core, run by the django-tasks-db worker (`markbook db_worker`)."""

from django.tasks import task

from markbook.core.heartbeat import WORKER, heartbeat_record


@task()
def worker_heartbeat() -> str:
    """Record that a worker is taking tasks (the /health check reads it). The hourly
    sweep enqueues it; a second delivery only moves the time on."""
    heartbeat_record(component=WORKER)
    return "ok"
