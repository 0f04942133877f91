"""Template tags that say on a page where a restriction applies (DSR-5), and a school's
notices of a changed privacy notice (DSR-10). Each runs in the request's school scope."""

from typing import Any

from django import template

from markbook.privacy import restriction
from markbook.privacy.models import NoticeAlert, Restriction
from markbook.rosters.models import Pupil

register = template.Library()


@register.simple_tag
def restricted_pupils_left_out() -> int:
    """How many pupils on roll in the scope are restricted, and so left out of what the
    page shows (analysis, exports)."""
    return restriction.restricted_count(Pupil.objects.filter(status=Pupil.Status.ON_ROLL))


@register.simple_tag
def restriction_of(pupil: Pupil) -> Restriction | None:
    """The restriction in force on `pupil`, if any."""
    return restriction.pupil_restriction(pupil)


@register.simple_tag
def notice_alerts() -> list[NoticeAlert]:
    """The school's notices of a changed privacy notice not yet dismissed."""
    return list(NoticeAlert.objects.filter(dismissed_at__isnull=True).select_related("version"))


@register.inclusion_tag("privacy/_restricted_left_out.html")
def restricted_note(what: str = "these figures") -> dict[str, Any]:
    """ "N restricted pupils are left out of <what>", or nothing when there are none."""
    return {"count": restricted_pupils_left_out(), "what": what}


@register.filter
def who(user: Any) -> str:
    """A decision-maker's name, or their email, or a dash when there is none (Markbook
    itself, or an account since removed)."""
    if user is None:
        return "—"
    return str(user.get_full_name() or user.email or "—")


@register.filter
def manages_privacy(access: Any) -> bool:
    """Whether the request's user manages restrictions and corrections (privacy.access)."""
    from markbook.privacy.access import MANAGERS

    return bool(access is not None and access.has(*MANAGERS))
