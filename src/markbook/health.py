"""`GET /health`: whether this Markbook can serve and its background parts are running.

For the proxy, a monitor or a load balancer (docs/deployment.md). No sign-in, and no
school's or person's data in the answer: only what was checked and how it went.

- database: one query answers;
- scheduler: the hourly sweep (cron) recorded a run within
  MARKBOOK_HEALTH_SCHEDULER_MINUTES (90);
- worker: no task has waited for a worker longer than MARKBOOK_HEALTH_WORKER_MINUTES
  (10), and the worker ran the sweep's heartbeat task within both limits together.

200 `{"status": "ok", "checks": {...}}` when all pass; 503 with `"status": "failing"`
and `"failing": [...]` naming those that did not, each check saying why.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from markbook.core.heartbeat import SCHEDULER, WORKER, heartbeat_at


def _minutes(since: datetime, now: datetime) -> int:
    return int((now - since).total_seconds() // 60)


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return {"ok": False, "detail": f"the database did not answer ({type(error).__name__})"}
    return {"ok": True}


def check_scheduler(now: datetime) -> dict[str, Any]:
    limit = settings.MARKBOOK_HEALTH_SCHEDULER_MINUTES
    last = heartbeat_at(SCHEDULER)
    if last is None:
        return {"ok": False, "detail": "the scheduled sweep has never run"}
    age = _minutes(last, now)
    result = {"ok": age <= limit, "last_run": last.isoformat(), "minutes_ago": age}
    if age > limit:
        result["detail"] = f"the scheduled sweep last ran {age} minutes ago (limit {limit})"
    return result


def check_worker(now: datetime) -> dict[str, Any]:
    from django.db.models import Q
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    limit = settings.MARKBOOK_HEALTH_WORKER_MINUTES
    since = now - timedelta(minutes=limit)
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, enqueued_at__lte=since
    ).filter(Q(run_after=get_date_max()) | Q(run_after__lte=since))
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    last = heartbeat_at(WORKER)
    result: dict[str, Any] = {
        "ok": True,
        "last_heartbeat": last.isoformat() if last else None,
        "tasks_waiting": waiting.count(),
    }
    heartbeat_limit = limit + settings.MARKBOOK_HEALTH_SCHEDULER_MINUTES
    if oldest is not None:
        age = _minutes(oldest, now)
        result |= {"ok": False, "detail": f"a task has waited {age} minutes for a worker"}
    elif last is None:
        result |= {"ok": False, "detail": "no worker has ever run the heartbeat task"}
    elif (age := _minutes(last, now)) > heartbeat_limit:
        result |= {
            "ok": False,
            "detail": f"the worker last ran the heartbeat task {age} minutes ago "
            f"(limit {heartbeat_limit})",
        }
    return result


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """The checks above as JSON: 200 when all pass, else 503 naming what failed."""
    now = timezone.now()
    checks = {"database": check_database()}
    if checks["database"]["ok"]:
        checks["scheduler"] = check_scheduler(now)
        checks["worker"] = check_worker(now)
    else:
        # Both are read from the database, which did not answer.
        unknown = {"ok": False, "detail": "not checked: the database did not answer"}
        checks["scheduler"] = checks["worker"] = unknown
    failing = [name for name, result in checks.items() if not result["ok"]]
    body: dict[str, Any] = {"status": "failing" if failing else "ok", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
