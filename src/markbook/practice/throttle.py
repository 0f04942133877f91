"""Rate limits on answer submission (SEC-4), per pupil and per address.

Counted in Django's cache (shared by every server process: Redis in production) in
fixed one-minute windows, with the limits in settings
(MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE and ..._PER_ADDRESS; 0 is no limit). Two cache
round trips per answer (read both counters, write both), so the hot path stays lean;
two answers racing may both be counted as one, which a limit this coarse can bear.
The sign-in limits (accounts/throttle.py) count failures with allauth's limiter; this
counts every answer, so it has its own counter, with the same message wording.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from markbook.accounts import throttle as sign_in_throttle
from markbook.audit.context import client_ip

WINDOW_S = 60


def answer_throttled(request: HttpRequest) -> int | None:
    """Count one answer; the seconds to wait if a limit was already reached, else None."""
    limits = {}
    window = int(time.time() // WINDOW_S)
    if settings.MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE:
        key = f"practice:answers:pupil:{request.user.pk}:{window}"
        limits[key] = settings.MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE
    ip = client_ip(request)
    if ip and settings.MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE_PER_ADDRESS:
        limits[f"practice:answers:ip:{ip}:{window}"] = (
            settings.MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE_PER_ADDRESS
        )
    if not limits:
        return None
    counts = cache.get_many(list(limits))
    if any(counts.get(key, 0) >= limit for key, limit in limits.items()):
        return max(1, math.ceil((window + 1) * WINDOW_S - time.time()))
    cache.set_many({key: counts.get(key, 0) + 1 for key in limits}, timeout=2 * WINDOW_S)
    return None


def message(seconds: int) -> str:
    return sign_in_throttle.message(seconds, "answers in a short time")
