"""API: who am I, personal API tokens and display preferences (ACC-2, ACC-7, SEC-1)."""

from datetime import datetime
from typing import Annotated, Literal

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from markbook.accounts import selectors, services
from markbook.accounts.preferences import HELP_KEY, MAX_HELP_READ, DisplayPreferences
from markbook.admission import AccessRequest
from markbook.core.api import responses

router = Router(tags=["me"])


class SchoolRolesOut(Schema):
    id: int
    name: str
    roles: list[str]


class TrustOut(Schema):
    id: int
    name: str


class MeOut(Schema):
    id: int
    name: str
    email: str
    is_platform_staff: bool
    schools: list[SchoolRolesOut]
    trusts: list[TrustOut]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str


class TokenIn(Schema):
    name: str


class PreferencesIO(Schema):
    """Display preferences (ACC-7); `read_help` names the help blocks hidden as read."""

    text_size: Literal["normal", "large", "larger"] = "normal"
    dyslexia_font: bool = False
    high_contrast: bool = False
    reduced_motion: bool = False
    read_help: list[Annotated[str, Field(pattern=HELP_KEY.pattern)]] = Field(
        default_factory=list, max_length=MAX_HELP_READ
    )


@router.get("/me", response=responses(MeOut), summary="Who am I")
def me(request: AccessRequest) -> dict:
    """The signed-in person: their schools with roles, and the trusts they administer."""
    user = request.user
    return {
        "id": user.pk,
        "name": user.display_name,
        "email": user.email,
        "is_platform_staff": user.is_platform_staff,
        "schools": [
            {"id": row.school.pk, "name": row.school.name, "roles": sorted(row.roles)}
            for row in selectors.schools_with_roles(user)
        ],
        "trusts": list(selectors.trusts_of(user)),
    }


@router.get("/me/tokens", response=responses(list[TokenOut]), summary="List my API tokens")
def tokens(request: AccessRequest) -> list:
    return list(selectors.api_tokens_of(request.user))


@router.post(
    "/me/tokens", response=responses(TokenCreatedOut, status=201), summary="Create an API token"
)
def token_create(request: AccessRequest, payload: TokenIn) -> Status:
    """Create a personal token; `token` is the secret, shown in this answer only.

    Only a signed-in session may create one, so a leaked token cannot mint others."""
    if getattr(request, "api_token", None) is not None:
        raise HttpError(403, "Create API tokens from a signed-in session, not with a token.")
    token, secret = services.api_token_create(user=request.user, name=payload.name)
    out = TokenOut.model_validate(token).model_dump() | {"token": secret}
    return Status(201, out)


@router.delete(
    "/me/tokens/{token_id}", response=responses(None, status=204), summary="Revoke an API token"
)
def token_revoke(request: AccessRequest, token_id: int) -> Status:
    token = selectors.api_token_of(request.user, token_id)
    if token is None:
        raise Http404
    services.api_token_revoke(actor=request.user, token=token)
    return Status(204, None)


@router.get(
    "/me/preferences", response=responses(PreferencesIO), summary="Read my display preferences"
)
def preferences(request: AccessRequest) -> dict:
    return selectors.display_preferences_of(request.user).to_data()


@router.put(
    "/me/preferences", response=responses(PreferencesIO), summary="Set my display preferences"
)
def preferences_set(request: AccessRequest, payload: PreferencesIO) -> dict:
    """Replace the signed-in person's display preferences; every page follows them."""
    saved = services.display_preferences_set(
        user=request.user,
        preferences=DisplayPreferences.from_data(payload.model_dump()),
    )
    return saved.to_data()
