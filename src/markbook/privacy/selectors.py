"""Reads of the privacy app: legal holds (RET-3) and the people they can be placed on."""

from django.db.models import QuerySet

from markbook.accounts.models import Membership, User
from markbook.privacy.models import LegalHold
from markbook.rosters.models import GuardianLink, Pupil


def legal_holds() -> QuerySet[LegalHold]:
    """The school's holds, in place first, newest first."""
    return LegalHold.objects.select_related("pupil", "user", "placed_by", "lifted_by").order_by(
        "lifted_at", "-placed_at", "-pk"
    )


def school_people() -> QuerySet[User]:
    """The school's staff and parents (accounts that are not pupils')."""
    members = Membership.objects.exclude(role=Membership.Role.PUPIL).values("user_id")
    parents = GuardianLink.objects.values("parent_id")
    return (
        User.objects.filter(pk__in=members)
        .union(User.objects.filter(pk__in=parents))
        .order_by("last_name", "first_name")
    )


def pupils() -> QuerySet[Pupil]:
    return Pupil.objects.select_related("school").order_by("last_name", "first_name", "pk")
