"""Heartbeats of the background parts, read by the /health endpoint (markbook.health).

The scheduler's is written by the hourly sweep (`markbook_import_jobs_sweep`, from
cron) when it has run; the sweep then enqueues `core.tasks.worker_heartbeat`, which
writes the worker's when `markbook db_worker` runs it. So a scheduler heartbeat older
than an hour and a bit means cron stopped; a heartbeat task left waiting means no
worker is taking tasks.
"""

from datetime import datetime

from django.utils import timezone

from markbook.core.models import Heartbeat

SCHEDULER = "scheduler"
WORKER = "worker"


def heartbeat_record(*, component: str, now: datetime | None = None) -> None:
    """Record that `component` is alive now (one row per component, overwritten)."""
    Heartbeat.objects.update_or_create(
        component=component, defaults={"beat_at": now or timezone.now()}
    )


def heartbeat_at(component: str) -> datetime | None:
    """When `component` last showed it is alive; None if never."""
    return Heartbeat.objects.filter(component=component).values_list("beat_at", flat=True).first()
