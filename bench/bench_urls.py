"""Markbook's URLs plus two benchmark views (loaded only through bench_settings).

- `GET /bench/bare`: the floor, a bare Django JSON view behind every middleware;
- `POST /api/bench/answer`: the placeholder for the practice app's answer endpoint
  (bench/answers.py): one INSERT into `bench_answer` per request, for the API token's
  user, answered with the row's id and the next question.
"""

import json
import random

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from markbook.urls import handler500  # noqa: F401  (the same error pages)
from markbook.urls import urlpatterns as markbook_urlpatterns

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS bench_answer (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL,
    question text NOT NULL,
    answer integer NOT NULL,
    correct boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


@require_GET
def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@require_POST
def answer(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Sign in first."}, status=401)
    try:
        posted = json.loads(request.body)
        a, b = (int(n) for n in str(posted["question"]).split("x"))
        given = int(posted["answer"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "Send question (like 7x8) and answer."}, status=422)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_answer (user_id, question, answer, correct)"
            " VALUES (%s, %s, %s, %s) RETURNING id",
            [request.user.pk, f"{a}x{b}", given, given == a * b],
        )
        (row_id,) = cursor.fetchone()
    nxt = f"{random.randint(2, 12)}x{random.randint(2, 12)}"
    return JsonResponse({"id": row_id, "user": request.user.pk, "next": nxt}, status=201)


urlpatterns = [
    path("bench/bare", bare),
    path("api/bench/answer", answer),
    *markbook_urlpatterns,
]
