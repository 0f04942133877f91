"""When a school's subscription ended, for the retention rule of RET-1 (everything 1
year after the end; contract records 7 years).

The school lifecycle (its states and end date) is being built separately; this is the
one place the retention engine reads it, so it changes in one place when that lands.
"""

from datetime import date

from django.utils import timezone

from markbook.schools.models import School


def subscription_ended_on(school: School) -> date | None:
    """The day the school's subscription ended, or None: not ended, or no end recorded.

    The lifecycle (being merged from another branch) records the end as
    `School.ended_on` with the status "ended" (schools.lifecycle); this reads that field
    when it exists, then `subscription_ends_on` if a lifecycle names it so. Without
    either (this branch), `subscription_ends`, but only for a school whose status is
    "ended": an active school's date is its renewal date, not an end."""
    today = timezone.localdate()
    ended_status = getattr(school, "status", None) == "ended"
    for name in ("ended_on", "subscription_ends_on"):
        if hasattr(school, name):
            ended = getattr(school, name)
            if name == "ended_on" and not ended_status:
                return None
            return ended if isinstance(ended, date) and ended <= today else None
    if not ended_status:
        return None
    ends = getattr(school, "subscription_ends", None)
    return ends if isinstance(ends, date) and ends <= today else None
