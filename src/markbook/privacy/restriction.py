"""The one place that says whose data may be processed (DSR-5).

A restricted person's data is kept but not processed: the school's and the trust's
analysis, exports to third parties (OneRoster), leaderboards and new automated
processing (targets set from KS2) all choose their people through these functions,
so a restriction placed here is honoured by every one of them, and a consumer added
later has one function to call. Run inside a school scope: the restrictions read are
the scope's schools' (TEN-4).
"""

from typing import TYPE_CHECKING

from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from markbook.privacy.models import Restriction

if TYPE_CHECKING:
    from markbook.accounts.models import User
    from markbook.rosters.models import Pupil


def _in_force() -> QuerySet[Restriction]:
    return Restriction.objects.filter(lifted_at__isnull=True)


def restricted_pupil_q(path: str = "pk") -> Q:
    """A Q that holds for rows whose pupil (`path` leads to the pupil's id) is
    restricted; `~restricted_pupil_q(...)` keeps the others. One EXISTS subquery."""
    return Q(Exists(_in_force().filter(pupil_id=OuterRef(path))))


def restricted_user_q(path: str = "pk") -> Q:
    """As restricted_pupil_q, for users (staff, parents)."""
    return Q(Exists(_in_force().filter(user_id=OuterRef(path))))


def unrestricted_pupils(queryset: "QuerySet[Pupil]") -> "QuerySet[Pupil]":
    """`queryset` of pupils without the restricted ones (DSR-5)."""
    return queryset.exclude(restricted_pupil_q())


def unrestricted_users(queryset: "QuerySet[User]") -> "QuerySet[User]":
    """`queryset` of users without the restricted ones (DSR-5)."""
    return queryset.exclude(restricted_user_q())


def unrestricted[M: Model](queryset: QuerySet[M], pupil: str) -> QuerySet[M]:
    """Rows of any model about a pupil (`pupil` is the path to the pupil's id, like
    "pupil_id"), without those about restricted pupils: marks, enrolments, targets."""
    return queryset.exclude(restricted_pupil_q(pupil))


def restricted_pupil_ids() -> set[int]:
    """Ids of the scope's restricted pupils, for code that works with ids already read."""
    return set(_in_force().filter(pupil__isnull=False).values_list("pupil_id", flat=True))


def restricted_count(queryset: "QuerySet[Pupil]") -> int:
    """How many pupils of `queryset` are restricted and so left out (for the pages'
    "N restricted pupils are left out")."""
    return queryset.filter(restricted_pupil_q()).count()


def leaderboard_pupils(queryset: "QuerySet[Pupil]") -> "QuerySet[Pupil]":
    """The pupils a leaderboard may show: never a restricted one (DSR-5). Leaderboards
    (and their consent check, CON-4) come later; they choose their pupils here."""
    return unrestricted_pupils(queryset)


def pupil_restriction(pupil: "Pupil") -> Restriction | None:
    """The restriction in force on a pupil, if any."""
    return _in_force().filter(pupil=pupil).select_related("placed_by").first()


def user_restriction(user: "User") -> Restriction | None:
    """The restriction in force on a user, if any."""
    return _in_force().filter(user=user).select_related("placed_by").first()
