"""Writes on accounts: pupil sign-in codes, passwords, sign-in records, API tokens (ACC-2, ACC-5).

Keyword-only, atomic and audited. The pupil functions run inside the request's
school scope (TEN-4) and never filter by school themselves. No password or code
ever reaches the audit log.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from markbook.accounts import throttle
from markbook.accounts.models import ApiToken, Membership, SignInCode, User, token_digest
from markbook.accounts.preferences import DisplayPreferences
from markbook.audit import services as audit
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from markbook.schools.models import School

# No 0/O, 1/I/L: a code is read off paper by children.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_LIFETIME = timedelta(days=7)


def normalise_code(code: str) -> str:
    """What the pupil typed, without spaces or dashes, in capitals."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def school_signin_refusal(school: School) -> str | None:
    """Why nobody may sign in on this school's page now, or None (TEN-1, TEN-7, ACC-6):
    the pupils' and registration pages, where nobody is an administrator."""
    from markbook.schools.lifecycle import signin_refusal

    if refusal := signin_refusal(school, roles=()):
        return refusal
    if not school.terms_accepted(settings.MARKBOOK_TERMS_VERSION):
        return (
            f"{school.name} has not finished setting up Markbook yet, so nobody can sign in. "
            "Please speak to your teacher."
        )
    return None


def staff_signin_refusal(user: User) -> str | None:
    """Why this person may not sign in now (TEN-1, ACC-6), or None: when every school
    they belong to refuses them (a suspended or ended subscription lets only its
    administrators in; an emergency suspension too, so that they can lift it). Someone
    of no school (platform staff) is never refused here."""
    from markbook.admission import school_access, user_schools
    from markbook.schools.lifecycle import signin_refusal

    refusals = []
    for school in user_schools(user):
        with school_scope(school):
            roles = school_access(user, school).roles
        refusal = signin_refusal(school, roles=roles)
        if refusal is None:
            return None
        refusals.append(refusal)
    return refusals[0] if refusals else None


# --- Sign-in codes (ACC-2) ---------------------------------------------------


@transaction.atomic
def pupil_signin_code_issue(*, actor: User, pupil: Pupil) -> str:
    """Reset a pupil's password: issue a new one-time sign-in code and return it.

    The code is shown once and stored only as an HMAC. The pupil's password and
    every earlier code stop working at once (which also ends their sessions). The
    caller has checked the actor may do this (a teacher of the pupil or an admin).
    """
    if pupil.status != Pupil.Status.ON_ROLL:
        raise ValidationError(
            {"pupil": [f"{pupil.display_name} has left the school and cannot sign in."]}
        )
    if pupil.user is None:
        raise ValidationError({"pupil": [f"{pupil.display_name} has no account to sign in to."]})
    return pupil_signin_codes_issue(actor=actor, pupils=[pupil])[pupil.pk]


def signin_code_issuable(pupil: Pupil) -> bool:
    """Whether a sign-in code can be issued to this pupil: on roll, with an account."""
    return pupil.status == Pupil.Status.ON_ROLL and pupil.user_id is not None


@transaction.atomic
def pupil_signin_codes_issue(*, actor: User, pupils: list[Pupil]) -> dict[int, str]:
    """Issue each pupil a new one-time sign-in code, as pupil_signin_code_issue does
    for one, in a fixed number of queries (a class's sign-in cards); pupil id -> code.

    Pupils who have left or have no account get none (signin_code_issuable). Their
    earlier codes and passwords stop working at once; each pupil's reset is audited."""
    pupils = [p for p in pupils if signin_code_issuable(p)]
    if not pupils:
        return {}
    now = timezone.now()
    users = [p.user for p in pupils if p.user is not None]  # all: signin_code_issuable
    SignInCode.objects.filter(user__in=users, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    codes = {p.pk: _new_code() for p in pupils}
    SignInCode.objects.bulk_create(
        SignInCode(
            school=p.school,
            user=p.user,
            digest=SignInCode.digest_of(normalise_code(codes[p.pk])),
            issued_by=actor,
            expires_at=now + CODE_LIFETIME,
        )
        for p in pupils
    )
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_update(users, ["password"])
    audit.record_many(
        actor=actor,
        school=pupils[0].school,
        events=[
            ("accounts.signin_code.issued", p, {"expires_in_days": CODE_LIFETIME.days})
            for p in pupils
        ],
    )
    return codes


def pupil_by_username(username: str) -> Pupil | None:
    """The on-roll pupil of the school in scope with this sign-in username."""
    return (
        Pupil.objects.select_related("user", "school")
        .filter(username__iexact=username.strip(), status=Pupil.Status.ON_ROLL, user__isnull=False)
        .first()
    )


def pupil_signin_code_check(*, username: str, code: str) -> SignInCode | None:
    """The live (unused, unexpired) code matching this username and code, or None."""
    pupil = pupil_by_username(username)
    if pupil is None or not normalise_code(code):
        return None
    return (
        SignInCode.objects.select_related("user")
        .filter(
            user=pupil.user,
            digest=SignInCode.digest_of(normalise_code(code)),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )


@transaction.atomic
def pupil_signin_code_redeem(*, code_id: int, password: str) -> User:
    """Use a checked sign-in code once: the pupil's own new password replaces it (ACC-2).

    Raises ValidationError if the code has been used, replaced or has expired
    since it was checked, or if the password is not acceptable.
    """
    code = (
        SignInCode.objects.select_for_update()
        .select_related("user", "school")
        .filter(pk=code_id)
        .first()
    )
    if code is None or code.used_at is not None or code.expires_at <= timezone.now():
        raise ValidationError(
            {"code": ["That sign-in code is no longer valid. Ask your teacher for a new one."]}
        )
    user = code.user
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    code.used_at = timezone.now()
    code.save(update_fields=["used_at"])
    audit.record(
        actor=user, school=code.school, action="accounts.signin_code.redeemed", target=user
    )
    return user


# --- Passwords (ACC-2) -------------------------------------------------------


@transaction.atomic
def user_password_set(*, user: User, password: str) -> User:
    """Set a user's own new password, ending any temporary-password state (ACC-2).

    Called by allauth (change, set and reset password) through the account
    adapter; the form has already checked the old password and the rules.
    """
    was_temporary = user.must_change_password
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    school = user_school(user)
    if school is not None:
        audit.record(
            actor=user,
            school=school,
            action="accounts.password.changed",
            target=user,
            data={"temporary_password_replaced": was_temporary},
        )
    return user


def user_school(user: User) -> School | None:
    """The school of a user (the first of their memberships), whatever scope the caller
    is in; None for a user of no school."""
    from markbook.admission import user_schools

    schools = user_schools(user)
    if not schools:
        return None
    with school_scope(schools):
        membership = Membership.objects.select_related("school").filter(user=user).first()
    return membership.school if membership else None


# --- Sign-in records (SEC-1, ACC-5) ------------------------------------------


@dataclass(frozen=True)
class SignInAttempt:
    school: School | None
    user: User | None
    method: str  # "password", "code" or "staff"
    username: str


def signin_record(*, attempt: SignInAttempt, succeeded: bool, reason: str = "") -> None:
    """Write a sign-in or a failed sign-in to the school's access log (SEC-1).

    Only the username typed and why it failed; never the password or code.
    """
    school = attempt.school or (user_school(attempt.user) if attempt.user else None)
    if school is None:
        return
    data: dict[str, Any] = {"method": attempt.method, "username": attempt.username[:150]}
    if reason:
        data["reason"] = reason
    audit.record(
        actor=attempt.user if succeeded else None,
        school=school,
        action="accounts.signin.succeeded" if succeeded else "accounts.signin.failed",
        target=attempt.user,
        data=data,
    )


# --- Pupil sign-in (ACC-2, ACC-5) --------------------------------------------


@dataclass(frozen=True)
class SignInOutcome:
    """A pupil sign-in attempt: the user on success; `retry_after` seconds when throttled."""

    user: User | None = None
    code: SignInCode | None = None
    retry_after: int = 0


def pupil_password_signin(
    *, request: HttpRequest, school: School, username: str, password: str
) -> SignInOutcome:
    """Check a pupil's username and password on their school's page, throttled per
    school + username and per address (ACC-5), every outcome audited (SEC-1).

    `request` gives the address for throttling and is passed to the backend; the
    caller logs the user in.
    """
    if throttle.pupil_blocked(request, school_id=school.pk, username=username):
        key = throttle.pupil_key(school.pk, username)
        return SignInOutcome(
            retry_after=throttle.retry_after(request, action=throttle.PUPIL_ACTION, key=key)
        )
    user = authenticate(request, school=school, pupil_username=username, password=password)
    attempt_user = user
    if user is None:
        throttle.pupil_failed(request, school_id=school.pk, username=username)
        pupil = pupil_by_username(username)
        attempt_user = pupil.user if pupil else None
    signin_record(
        attempt=SignInAttempt(
            school=school, user=attempt_user, method="password", username=username
        ),
        succeeded=user is not None,
        reason="" if user else ("wrong password" if attempt_user else "unknown username"),
    )
    return SignInOutcome(user=user)


def pupil_code_signin(
    *, request: HttpRequest, school: School, username: str, code: str
) -> SignInOutcome:
    """Check a pupil's username and one-time sign-in code, throttled and audited like
    a password; the code is used only when the pupil has set their password."""
    if throttle.pupil_blocked(request, school_id=school.pk, username=username):
        key = throttle.pupil_key(school.pk, username)
        return SignInOutcome(
            retry_after=throttle.retry_after(request, action=throttle.PUPIL_ACTION, key=key)
        )
    found = pupil_signin_code_check(username=username, code=code)
    if found is None:
        throttle.pupil_failed(request, school_id=school.pk, username=username)
        pupil = pupil_by_username(username)
        signin_record(
            attempt=SignInAttempt(
                school=school, user=pupil.user if pupil else None, method="code", username=username
            ),
            succeeded=False,
            reason="wrong, used or expired code" if pupil else "unknown username",
        )
    return SignInOutcome(code=found)


# --- Personal API tokens (SEC-1, ACC-2) --------------------------------------
# A token's secret is returned once, when it is created, and never stored: only its
# SHA-256 digest is kept. Creating and revoking a token is recorded on the platform's
# audit chain (school=None): a token belongs to a person, not to one school.

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


# --- Display preferences (ACC-7) ---------------------------------------------


@transaction.atomic
def display_preferences_set(*, user: User, preferences: DisplayPreferences) -> DisplayPreferences:
    """Remember a person's display preferences on their account (ACC-7).

    A changed setting is recorded on the platform's audit chain (it is the person's,
    not one school's) by name only; hiding a help block that was read is not recorded."""
    before = DisplayPreferences.from_data(user.display_preferences)
    if before == preferences:
        return preferences
    user.display_preferences = preferences.to_data()
    user.save(update_fields=["display_preferences"])
    changed = sorted(
        name
        for name, value in preferences.to_data().items()
        if name != "read_help" and before.to_data()[name] != value
    )
    if changed:
        audit.record(
            actor=user,
            school=None,
            action="accounts.display_preferences.changed",
            target=user,
            data={"changed": changed},
        )
    return preferences
