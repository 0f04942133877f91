"""Staff and pupil self-registration on a school's registration page (ACC-4).

- A teacher who signs in with the school's Google or Microsoft accounts and a verified
  address in one of the school's domains is approved at once: the provider's verified
  address is the proof. The account has no password of its own.
- A teacher registering with an email address and password gets an inactive account
  and a pending request, which a school administrator approves or refuses. When the
  address is in one of the school's domains, a link sent to it approves the request
  instead: following it proves the address (registration_email_confirm).
- A pupil registering on their own must confirm their parent or carer agrees; the time
  of that confirmation is recorded. Their request waits for an administrator, whose
  approval creates the pupil's record and account (they then get a sign-in code).

Keyword-only, atomic and audited; run inside the school's scope.
"""

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import Membership, RegistrationRequest, User
from markbook.accounts.sso import method_label
from markbook.audit import services as audit
from markbook.core.validators import text_too_long
from markbook.privacy.suppression import suppressed
from markbook.schools.models import School

Role = RegistrationRequest.Role
Status = RegistrationRequest.Status


def _clean_names(first_name: str, last_name: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not first_name.strip():
        errors["first_name"] = ["Enter your first name."]
    if not last_name.strip():
        errors["last_name"] = ["Enter your last name."]
    return errors


def _check_email_free(email: str) -> None:
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [f"{email!r} is not a valid email address."]}) from None
    if suppressed(email=email):
        # Erased at the school's request (DSR-4): no account is made for it again.
        raise ValidationError(
            {
                "email": [
                    f"{email} cannot register: its data was erased at the school's request. "
                    "Ask your school administrator if you want to join again."
                ]
            }
        )
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {
                "email": [
                    f"{email} already has a Markbook account. Sign in instead, or ask your "
                    "school administrator for help."
                ]
            }
        )
    if RegistrationRequest.objects.filter(email__iexact=email, status=Status.PENDING).exists():
        raise ValidationError(
            {"email": [f"{email} has already asked to join; the school will reply."]}
        )


def _audit(request: RegistrationRequest, action: str, actor: User | None) -> None:
    audit.record(
        actor=actor,
        school=request.school,
        action=f"accounts.registration.{action}",
        target=request,
        data={"email": request.email, "role": request.role, "method": request.method},
    )


@transaction.atomic
def registration_request_create(
    *,
    school: School,
    role: str,
    email: str,
    first_name: str,
    last_name: str,
    password: str = "",
    year_group: str = "",
    parental_consent: bool = False,
) -> RegistrationRequest:
    """Ask to join a school with an email address (ACC-4): always waits for a school
    administrator. A teacher's account is made now, inactive, with their password;
    a pupil must confirm their parent or carer agrees."""
    email = email.strip().lower()
    errors = _clean_names(first_name, last_name)
    errors |= text_too_long(
        RegistrationRequest,
        {
            "email": email,
            "first_name": first_name.strip(),
            "last_name": last_name.strip(),
            "year_group": year_group.strip(),
        },
    )
    if role not in Role.values:
        errors["role"] = ["Choose teacher or pupil."]
    if role == Role.PUPIL and not parental_consent:
        errors["parental_consent"] = [
            "Tick the box to confirm your parent or carer agrees to you using Markbook."
        ]
    if role == Role.PUPIL and not year_group.strip():
        errors["year_group"] = ["Enter your year group, for example 7."]
    if role == Role.TEACHER and not school.allows_signin("password"):
        methods = " or ".join(method_label(m) for m in school.signin_methods)
        errors["email"] = [
            f"{school.name} does not use Markbook passwords: register with {methods} instead."
        ]
    if errors:
        raise ValidationError(errors)
    _check_email_free(email)
    user = None
    if role == Role.TEACHER:
        user = User(
            username=email,
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            is_active=False,
        )
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from None
        user.set_password(password)
        user.save()
    request = RegistrationRequest.objects.create(
        school=school,
        user=user,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        year_group=year_group.strip().upper() if role == Role.PUPIL else "",
        method="password",
        parental_consent_at=timezone.now() if role == Role.PUPIL else None,
    )
    _audit(request, "requested", actor=user)
    return request


CONFIRM_SALT = "markbook.accounts.registration.confirm"
CONFIRM_MAX_AGE = 3 * 24 * 60 * 60  # three days


def registration_confirm_token(request: RegistrationRequest) -> str:
    """A signed, expiring token naming the request and the address it was sent to."""
    return signing.dumps({"r": request.pk, "e": request.email}, salt=CONFIRM_SALT)


def registration_email_send(*, request: RegistrationRequest, confirm_url: str) -> bool:
    """Send an in-domain teacher the link that confirms their address (ACC-4).
    Returns whether a link was sent (only for teachers in the school's domains)."""
    if request.role != Role.TEACHER or not request.school.has_domain(request.email):
        return False
    send_mail(
        subject=f"Confirm your Markbook account at {request.school.name}",
        message=(
            f"Hello {request.first_name},\n\nYou asked to join {request.school.name} on "
            f"Markbook. Follow this link within three days to confirm your address and "
            f"start using Markbook:\n\n{confirm_url}\n\nIf you did not ask, ignore this "
            "message: nothing happens without the link."
        ),
        from_email=None,
        recipient_list=[request.email],
    )
    return True


def registration_request_for_token(token: str) -> RegistrationRequest | None:
    """The pending in-domain teacher request a confirmation token names, or None when
    the token is not valid, has expired, or the request has been answered."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    request = (
        RegistrationRequest.objects.select_related("school", "user")
        .filter(pk=data.get("r"), email=data.get("e"), status=Status.PENDING, role=Role.TEACHER)
        .first()
    )
    if request is None or request.user is None or not request.school.has_domain(request.email):
        return None
    return request


@transaction.atomic
def registration_email_confirm(*, request: RegistrationRequest) -> User:
    """The teacher followed the link sent to their school address: approved (ACC-4)."""
    request = RegistrationRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != Status.PENDING or request.user is None:
        raise ValidationError({"request": ["This request has already been answered."]})
    user = request.user
    user.is_active = True
    user.save(update_fields=["is_active"])
    Membership.objects.create(school=request.school, user=user, role=Membership.Role.TEACHER)
    request.status = Status.APPROVED
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    _audit(request, "approved_by_email", actor=user)
    return user


@transaction.atomic
def registration_sso_teacher(
    *, school: School, provider_id: str, email: str, first_name: str, last_name: str
) -> User:
    """A teacher registers with the school's Google or Microsoft accounts (ACC-4).

    The caller has checked the provider verified the address and that it is in the
    school's domain, and that the school allows the provider: the account is approved
    at once, a teacher of the school, without a password of its own.
    """
    email = email.strip().lower()
    _check_email_free(email)
    user = User(
        username=email,
        email=email,
        first_name=(first_name or "").strip()[:150],
        last_name=(last_name or "").strip()[:150],
    )
    user.set_unusable_password()
    user.save()
    Membership.objects.create(school=school, user=user, role=Membership.Role.TEACHER)
    request = RegistrationRequest.objects.create(
        school=school,
        user=user,
        email=email,
        first_name=user.first_name,
        last_name=user.last_name,
        role=Role.TEACHER,
        method=provider_id,
        status=Status.APPROVED,
        decided_at=timezone.now(),
    )
    _audit(request, "approved_automatically", actor=user)
    return user


def registration_requests_pending() -> list[RegistrationRequest]:
    """The school's requests waiting for an administrator (in the school's scope)."""
    return list(RegistrationRequest.objects.filter(status=Status.PENDING))


@transaction.atomic
def registration_request_decide(
    *, actor: User, request: RegistrationRequest, approve: bool
) -> RegistrationRequest:
    """A school administrator approves or refuses a pending request (ACC-4).

    Approving a teacher activates their account and makes them a teacher of the
    school; approving a pupil creates their pupil record and account, to which a
    teacher then gives a sign-in code. Refusing a teacher deletes the inactive account.
    """
    request = RegistrationRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != Status.PENDING:
        raise ValidationError(
            {"request": [f"{request.display_name}'s request has already been answered."]}
        )
    user = request.user
    if approve and request.role == Role.TEACHER:
        if user is None:
            raise ValidationError({"request": ["The account for this request no longer exists."]})
        user.is_active = True
        user.save(update_fields=["is_active"])
        Membership.objects.create(school=request.school, user=user, role=Membership.Role.TEACHER)
    elif approve:
        from markbook.rosters.services import pupil_create

        pupil = pupil_create(
            actor=actor,
            school=request.school,
            first_name=request.first_name,
            last_name=request.last_name,
            year_group=request.year_group,
            email=request.email,
        )
        request.user = pupil.user
    elif user is not None and not user.is_active:
        request.user = None
        user.delete()
    request.status = Status.APPROVED if approve else Status.REFUSED
    request.decided_at = timezone.now()
    request.decided_by = actor
    request.save(update_fields=["status", "decided_at", "decided_by", "user"])
    _audit(request, "approved" if approve else "refused", actor=actor)
    return request
