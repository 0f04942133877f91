"""Reads about the signed-in person: their schools, roles, trusts and API tokens."""

from dataclasses import dataclass

from django.db.models import QuerySet

from markbook.accounts.models import ApiToken, User
from markbook.accounts.preferences import DisplayPreferences
from markbook.admission import school_access, user_schools
from markbook.core.tenancy import school_scope
from markbook.schools.models import School, Trust


@dataclass(frozen=True)
class SchoolRoles:
    school: School
    roles: frozenset[str]


def schools_with_roles(user: User) -> list[SchoolRoles]:
    """Each school the user may open, with their roles in it (TEN-2)."""
    rows = []
    for school in user_schools(user):
        with school_scope(school):
            rows.append(SchoolRoles(school, school_access(user, school).roles))
    return rows


def school_by_signin_code(code: str) -> School | None:
    """The school whose secret sign-in address is `code`, or ends with it (ACC-2).

    Only an exact match: nothing here lists schools or matches part of an address."""
    code = code.strip().rstrip("/")
    if "/signin/" in code:  # a whole address was pasted
        code = code.rsplit("/signin/", 1)[1].split("/", 1)[0]
    if not code:
        return None
    return School.objects.filter(signin_slug=code).first()


def trusts_of(user: User) -> QuerySet[Trust]:
    return Trust.objects.filter(admins__user=user).order_by("name")


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first (revoked ones too, so the history is visible)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def api_token_of(user: User, token_id: int) -> ApiToken | None:
    """One of the user's own tokens; another person's token is simply not found."""
    return api_tokens_of(user).filter(pk=token_id).first()


def display_preferences_of(user: User) -> DisplayPreferences:
    """A person's display preferences (ACC-7); read with the user, so no query."""
    return DisplayPreferences.from_data(user.display_preferences)
