"""Writes on schools and trusts: creating a school, accepting terms (TEN-1, TEN-7)."""

from collections.abc import Collection
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from markbook.accounts.credentials import user_has_totp, user_with_temporary_password
from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core import keys
from markbook.core.tenancy import all_schools, school_scope
from markbook.core.validators import text_too_long
from markbook.schools import selectors
from markbook.schools.models import (
    KEEPABLE_PUPIL_FIELDS,
    SIGNIN_METHODS,
    TEACHER_VISIBLE_PUPIL_FIELDS,
    School,
    TermsAcceptance,
    Trust,
    TrustAdmin,
)


@dataclass(frozen=True)
class NewSchool:
    school: School
    admin: User
    temporary_password: str


def validate_email_address(value: str) -> None:
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(
            {"admin_email": [f"{value!r} is not a valid email address."]}
        ) from None


@transaction.atomic
def school_create(
    *,
    name: str,
    admin_email: str,
    admin_first_name: str = "",
    admin_last_name: str = "",
    urn: str | None = None,
    trust: Trust | None = None,
    email_domains: list[str] | None = None,
    status: str = School.Status.TRIAL,
    actor: User | None = None,
) -> NewSchool:
    """Create a school with its data key and first administrator, who gets a
    temporary password to change at first sign-in (TEN-1, ACC-2, SEC-2)."""
    admin_email = admin_email.strip().lower()
    if problems := text_too_long(
        User, {"email": admin_email, "first_name": admin_first_name, "last_name": admin_last_name}
    ):
        raise ValidationError({f"admin_{name}": messages for name, messages in problems.items()})
    if User.objects.filter(email__iexact=admin_email).exists():
        raise ValidationError(
            {
                "admin_email": [
                    f"{admin_email} already has an account; a staff account belongs to one school."  # TEN-2
                ]
            }
        )
    validate_email_address(admin_email)
    school = School(
        name=name,
        urn=urn or None,
        trust=trust,
        email_domains=[d.lower() for d in (email_domains or [])],
        status=status,
    )
    school.full_clean()
    school.save()
    with all_schools():
        keys.school_key_create(school_id=school.pk)
    admin, password = user_with_temporary_password(
        email=admin_email, first_name=admin_first_name, last_name=admin_last_name
    )
    with school_scope(school):
        Membership.objects.create(school=school, user=admin, role=Membership.Role.SCHOOL_ADMIN)
        audit.record(actor=actor, school=school, action="schools.school.created", target=school)
    return NewSchool(school=school, admin=admin, temporary_password=password)


@transaction.atomic
def terms_accept(*, school: School, user: User, version: str) -> TermsAcceptance:
    """Record that a school administrator accepted the data-protection terms (TEN-7)."""
    acceptance, _ = TermsAcceptance.objects.get_or_create(
        school=school,
        version=version,
        defaults={"accepted_by": user, "accepted_by_name": user.display_name},
    )
    audit.record(
        actor=user,
        school=school,
        action="schools.terms.accepted",
        target=acceptance,
        data={"version": version},
    )
    return acceptance


class PupilFieldsInUse(Exception):
    """Unticking kept pupil fields would delete values some pupils hold (ROS-5): the
    caller must ask first and call again with `blank_confirmed` naming the fields."""

    def __init__(self, held: dict[str, int]) -> None:
        self.held = held  # field -> how many pupils hold a value in it
        super().__init__(self.message)

    @property
    def deletions(self) -> list[str]:
        """Each deletion in words, like "ULN on 1,001 pupils"."""
        return [
            f"{KEEPABLE_PUPIL_FIELDS[name]} on {count:,} pupil{'' if count == 1 else 's'}"
            for name, count in self.held.items()
        ]

    @property
    def message(self) -> str:
        return (
            "Not keeping these fields deletes "
            + "; ".join(self.deletions)
            + ". This cannot be undone."
        )


def _forget_pupil_fields(school: School, names: list[str]) -> None:
    """Blank fields the school stopped keeping on all its pupils (ROS-5)."""
    from markbook.rosters.models import Pupil  # rosters builds on schools, not the reverse

    blank = {name: "" if not Pupil._meta.get_field(name).null else None for name in sorted(names)}
    with school_scope(school):
        Pupil.objects.update(**blank)


@transaction.atomic
def school_settings_update(
    *,
    actor: User,
    school: School,
    email_domains: list[str],
    pseudonymise_pupils: bool,
    require_admin_2fa: bool | None = None,
    kept_pupil_fields: list[str] | None = None,
    signin_methods: list[str] | None = None,
    teacher_pupil_fields: list[str] | None = None,
    analysis_min_group: int | None = None,
    boards_trust: bool | None = None,
    boards_global: bool | None = None,
    blank_confirmed: Collection[str] = (),
) -> School:
    """Change the school's own settings (TEN-1 domains, ACC-3 pseudonyms, ACC-5
    two-factor sign-in for administrators, ROS-5 kept pupil fields, ACC-1 sign-in
    methods, TEN-3 the pupil fields teachers see for their own classes, ASM-6 whether
    its pupils join the trust and global leaderboards), audited when something changed.
    A change to the boards or to pseudonyms rewrites the school's leaderboard rows, so an
    opted-out school leaves the shared boards at once.

    Fields no longer kept are blanked on every pupil at once, but only those named in
    `blank_confirmed` when pupils hold values in them: otherwise PupilFieldsInUse says
    what would be deleted, and nothing is saved. The event records which fields were
    blanked and on how many pupils."""
    domains = sorted({d.strip().lower().lstrip("@") for d in email_domains if d.strip()})
    for domain in domains:
        if "." not in domain or " " in domain or "@" in domain:
            raise ValidationError(
                {"email_domains": [f"{domain!r} is not a domain like school.sch.uk."]}
            )
    if require_admin_2fa is None:
        require_admin_2fa = school.require_admin_2fa
    if require_admin_2fa and not school.require_admin_2fa and not user_has_totp(actor):
        # Otherwise the administrator turning it on is sent away from this page at once.
        raise ValidationError(
            {
                "require_admin_2fa": [
                    "Set up two-factor sign-in for your own account first "
                    "(Your account, Two-factor sign-in), then require it for administrators."
                ]
            }
        )
    if kept_pupil_fields is None:
        kept = list(school.kept_pupil_fields)
    else:
        unknown = sorted(set(kept_pupil_fields) - set(KEEPABLE_PUPIL_FIELDS))
        if unknown:
            raise ValidationError(
                {"kept_pupil_fields": [f"Not an optional pupil field: {', '.join(unknown)}."]}
            )
        kept = [name for name in KEEPABLE_PUPIL_FIELDS if name in kept_pupil_fields]
    methods = _signin_methods(school, signin_methods)
    teacher_fields = _teacher_pupil_fields(school, teacher_pupil_fields)
    min_group = _analysis_min_group(school, analysis_min_group)
    dropped = [name for name in school.kept_pupil_fields if name not in kept]
    held, pupils = selectors.pupil_values_held(school, dropped)
    unconfirmed = {n: c for n, c in held.items() if c and n not in blank_confirmed}
    if unconfirmed:
        raise PupilFieldsInUse({n: c for n, c in held.items() if c})
    before = {
        "email_domains": school.email_domains,
        "pseudonymise_pupils": school.pseudonymise_pupils,
        "require_admin_2fa": school.require_admin_2fa,
        "kept_pupil_fields": school.kept_pupil_fields,
        "signin_methods": school.signin_methods,
        "teacher_pupil_fields": school.teacher_pupil_fields,
        "analysis_min_group": school.analysis_min_group,
        "boards_trust": school.boards_trust,
        "boards_global": school.boards_global,
    }
    after = {
        "email_domains": domains,
        "pseudonymise_pupils": pseudonymise_pupils,
        "require_admin_2fa": require_admin_2fa,
        "kept_pupil_fields": kept,
        "signin_methods": methods,
        "teacher_pupil_fields": teacher_fields,
        "analysis_min_group": min_group,
        "boards_trust": school.boards_trust if boards_trust is None else boards_trust,
        "boards_global": school.boards_global if boards_global is None else boards_global,
    }
    changed: dict = {k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]}
    if not changed:
        return school  # saved unchanged: nothing written, nothing logged
    for name in changed:
        setattr(school, name, after[name])
    school.save(update_fields=list(changed))
    if dropped:
        _forget_pupil_fields(school, dropped)
        changed["pupil_fields_blanked"] = {"fields": held, "pupils": pupils}
    audit.record(
        actor=actor, school=school, action="schools.settings.changed", target=school, data=changed
    )
    if {"boards_trust", "boards_global", "pseudonymise_pupils"} & set(changed):
        from markbook.practice.boards import boards_rebuild

        boards_rebuild(school=school, actor=actor)
    return school


# The smallest group analysis shows (ASM-5): 5 at least, as the national statistics
# practice of not publishing groups of fewer than five pupils; a school may raise it.
ANALYSIS_MIN_GROUP = (5, 100)


def _analysis_min_group(school: School, wanted: int | None) -> int:
    """The smallest group school-wide analysis shows, checked: 5 to 100 (ASM-5)."""
    if wanted is None:
        return school.analysis_min_group
    low, high = ANALYSIS_MIN_GROUP
    if not low <= wanted <= high:
        raise ValidationError(
            {
                "analysis_min_group": [
                    f"The smallest group shown in analysis must be between {low} and {high}."
                ]
            }
        )
    return wanted


def _teacher_pupil_fields(school: School, wanted: list[str] | None) -> list[str]:
    """The pupil fields teachers are to see for their own classes, checked (TEN-3)."""
    if wanted is None:
        return list(school.teacher_pupil_fields)
    unknown = sorted(set(wanted) - set(TEACHER_VISIBLE_PUPIL_FIELDS))
    if unknown:
        raise ValidationError(
            {"teacher_pupil_fields": [f"Not a field teachers can be shown: {', '.join(unknown)}."]}
        )
    return [name for name in TEACHER_VISIBLE_PUPIL_FIELDS if name in wanted]


def _signin_methods(school: School, wanted: list[str] | None) -> list[str]:
    """The sign-in methods asked for, checked: known ones, at least one (ACC-1)."""
    if wanted is None:
        return list(school.signin_methods)
    unknown = sorted(set(wanted) - set(SIGNIN_METHODS))
    if unknown:
        raise ValidationError({"signin_methods": [f"Not a sign-in method: {', '.join(unknown)}."]})
    if not wanted:
        raise ValidationError(
            {
                "signin_methods": [
                    "Choose at least one way to sign in, or nobody at the school could sign in."
                ]
            }
        )
    return [name for name in SIGNIN_METHODS if name in wanted]


@transaction.atomic
def trust_create(*, name: str, actor: User | None = None) -> Trust:
    """Create a multi-academy trust (TEN-1); recorded in the platform's access log."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Enter the trust's name."]})
    if problems := text_too_long(Trust, {"name": name}):
        raise ValidationError(problems)
    trust = Trust.objects.create(name=name)
    audit.record(
        actor=actor, school=None, action="schools.trust.created", target=trust, data={"name": name}
    )
    return trust


@transaction.atomic
def trust_admin_create(
    *,
    trust: Trust,
    email: str,
    first_name: str = "",
    last_name: str = "",
    actor: User | None = None,
) -> tuple[User, str]:
    """Give a trust a new administrator account (TEN-2), with a one-time temporary
    password to change at first sign-in (ACC-2). Returns the user and that password."""
    email = email.strip().lower()
    if problems := text_too_long(
        User, {"email": email, "first_name": first_name.strip(), "last_name": last_name.strip()}
    ):
        raise ValidationError(problems)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [f"{email!r} is not a valid email address."]}) from None
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": [f"{email} already has a Markbook account."]})
    user, password = user_with_temporary_password(
        email=email, first_name=first_name.strip(), last_name=last_name.strip()
    )
    TrustAdmin.objects.create(trust=trust, user=user)
    audit.record(
        actor=actor,
        school=None,
        action="schools.trust.admin_added",
        target=trust,
        data={"user": user.pk, "email": email},
    )
    return user, password


FAMILY_TRACKING = ("families_see_working_at", "families_see_predicted", "families_see_targets")


@transaction.atomic
def school_family_view_update(
    *,
    actor: User,
    school: School,
    working_at: bool | None = None,
    predicted: bool | None = None,
    targets: bool | None = None,
) -> School:
    """Decide what pupils and parents see of tracking on their results pages (ASM-3,
    TEN-3): working-at grades, predicted grades, targets. None leaves one unchanged;
    audited when something changed."""
    after = dict(zip(FAMILY_TRACKING, (working_at, predicted, targets), strict=True))
    changed = {
        name: {"old": getattr(school, name), "new": value}
        for name, value in after.items()
        if value is not None and getattr(school, name) != value
    }
    if not changed:
        return school
    for name, change in changed.items():
        setattr(school, name, change["new"])
    school.save(update_fields=list(changed))
    audit.record(actor=actor, school=school, action="schools.settings.changed", data=changed)
    return school
