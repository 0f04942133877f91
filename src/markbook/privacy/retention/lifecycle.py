"""When a school's subscription ended, for the retention rule of RET-1 (everything 1
year after the end; contract records 7 years).

The school lifecycle (its states and end date) is being built separately; this is the
one place the retention engine reads it, so it changes in one place when that lands.
"""

from datetime import date

from django.utils import timezone

from markbook.schools.models import School


def subscription_ended_on(school: School) -> date | None:
    """The day the school's subscription ended, or None: still running, or no end
    recorded. Reads `School.subscription_ends_on` when the lifecycle adds it; until
    then, today's `subscription_ends`, but only for a school whose status is "ended"
    (an active school's date is its renewal date, not an end)."""
    today = timezone.localdate()
    if hasattr(school, "subscription_ends_on"):
        ended = school.subscription_ends_on
        return ended if isinstance(ended, date) and ended <= today else None
    if getattr(school, "status", None) != "ended":
        return None
    ends = getattr(school, "subscription_ends", None)
    return ends if isinstance(ends, date) and ends <= today else None
