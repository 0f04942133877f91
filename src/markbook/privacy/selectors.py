"""Reads of the privacy app (DSR-2): subject access exports and the people they can be
about. Run inside the request's school scope (TEN-4)."""

from django.db.models import QuerySet

from markbook.accounts.models import Membership, User
from markbook.privacy.models import ExportArchive
from markbook.rosters.models import Pupil


def exports() -> QuerySet[ExportArchive]:
    """The school's exports, newest first, without their archives (kept encrypted)."""
    return (
        ExportArchive.objects.select_related("pupil", "user", "requested_by")
        .defer("archive")
        .order_by("-created_at", "-pk")
    )


def exportable_pupils() -> QuerySet[Pupil]:
    return Pupil.objects.order_by("last_name", "first_name", "pk")


def exportable_people() -> QuerySet[User]:
    """Members of the school other than pupils: parents and staff."""
    ids = Membership.objects.exclude(role=Membership.Role.PUPIL).values("user_id")
    return User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "email")
