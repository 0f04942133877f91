"""Writes on accounts: personal API tokens (SEC-1, ACC-2).

A token's secret is returned once, when it is created, and never stored: only its
SHA-256 digest is kept. Creating and revoking a token is recorded on the platform's
audit chain (school=None): a token belongs to a person, not to one school.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import ApiToken, User, token_digest
from markbook.audit import services as audit

MAX_ACTIVE_TOKENS = 20


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; returns it and its secret, to be shown once."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the token a name, such as the laptop it is for."]})
    if len(name) > 100:
        raise ValidationError({"name": ["Use at most 100 characters."]})
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {"name": [f"You already have {MAX_ACTIVE_TOKENS} tokens; revoke one first."]}
        )
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=user, name=name, digest=token_digest(secret), prefix=secret[:8]
    )
    audit.record(
        actor=user,
        school=None,
        action="accounts.api_token.created",
        target=token,
        data={"name": name, "prefix": token.prefix},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token: it stops working at once; revoking twice changes nothing."""
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        actor=actor,
        school=None,
        action="accounts.api_token.revoked",
        target=token,
        data={"name": token.name, "prefix": token.prefix},
    )
    return token
