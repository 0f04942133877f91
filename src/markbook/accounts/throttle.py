"""Failed sign-in throttling per account and per address (ACC-5, SEC-4), and limits on
costly actions per person (SEC-4: data exports started and downloaded).

Built on allauth's rate limiter, with the rates in settings.ACCOUNT_RATE_LIMITS:
allauth's own "login_failed" for staff sign-in, and "pupil_login_failed" for the
pupil sign-in page and code entry (keyed on school + username, and on address).
Only failures are counted: each attempt first asks whether the limit is already
reached (dry run), and a failure then uses one unit.
"""

import math
import time

from allauth.core import ratelimit
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PUPIL_ACTION = "pupil_login_failed"
# Wrong codes typed in the "find your school's sign-in page" box, per address: the
# sign-in addresses are secret, and this keeps anyone from guessing them (ACC-2).
SCHOOL_FIND_ACTION = "school_code_failed"
ALLAUTH_APP = "allauth.account"
# Subject access exports (DSR-2) per person: each start builds a whole archive of
# someone's data, each download reads and decrypts it (SEC-4).
EXPORT_START_ACTION = "privacy_export_start"
EXPORT_DOWNLOAD_ACTION = "privacy_export_download"


def pupil_key(school_id: int, username: str) -> str:
    return f"pupil:{school_id}:{username.strip().lower()}"


def pupil_blocked(request: HttpRequest, *, school_id: int, username: str) -> bool:
    """Whether this account or this address has used up its failed sign-ins."""
    return not ratelimit.consume(
        request, action=PUPIL_ACTION, key=pupil_key(school_id, username), dry_run=True
    )


def pupil_failed(request: HttpRequest, *, school_id: int, username: str) -> None:
    """Count one failed pupil sign-in against the account and the address."""
    ratelimit.consume(request, action=PUPIL_ACTION, key=pupil_key(school_id, username))


def school_find_blocked(request: HttpRequest) -> bool:
    """Whether this address has used up its wrong school codes."""
    return not ratelimit.consume(request, action=SCHOOL_FIND_ACTION, dry_run=True)


def school_find_failed(request: HttpRequest) -> None:
    """Count one wrong school code against the address."""
    ratelimit.consume(request, action=SCHOOL_FIND_ACTION)


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


def use(request: HttpRequest, *, action: str, key: str) -> int:
    """Use one of `action`'s limits for `key` (GET requests count too): 0 when allowed,
    else the seconds until one more is (nothing used then)."""
    from allauth.core.internal import ratelimit as impl

    if impl.consume(request, app=ALLAUTH_APP, action=action, key=key, limit_get=True):
        return 0
    return retry_after(request, action=action, key=key)


def retry_after(request: HttpRequest, *, action: str, key: str | None) -> int:
    """Seconds until the first exhausted limit for this key and address lets one more try.

    allauth keeps, per limit, the recent timestamps newest first in the cache; the
    oldest one still counting must leave the window.
    """
    # allauth's public helper does not say how long is left; its internals do.
    from allauth.core.internal import ratelimit as impl

    now = time.time()
    wait = 0.0
    for rate in impl.get_rates(app=ALLAUTH_APP, action=action):
        cache_key = impl.get_cache_key(request, app=ALLAUTH_APP, action=action, rate=rate, key=key)
        live = [t for t in cache.get(cache_key, []) if t > now - rate.duration]
        if len(live) >= rate.amount:
            wait = max(wait, live[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(wait))


def message(seconds: int, what: str = "failed sign-ins") -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes > 120:  # a daily limit: hours, not hundreds of minutes
        hours = math.ceil(minutes / 60)
        return f"Too many {what}; try again in {hours} hours."
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many {what}; try again in {minutes} {unit}."


def too_many(request: HttpRequest, seconds: int, what: str = "failed sign-ins") -> HttpResponse:
    """The 429 page, with Retry-After."""
    response = render(
        request, "accounts/throttled.html", {"message": message(seconds, what)}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response
