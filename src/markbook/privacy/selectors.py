"""Reads of the privacy app (DSR-3, DSR-5, DSR-10); run in the request's school scope."""

from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Field, QuerySet

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core.fields import EncryptedTextField
from markbook.privacy.corrections import value_decode
from markbook.privacy.models import Correction, ExportArchive, LegalHold, NoticeVersion, Restriction
from markbook.rosters.models import GuardianLink, Pupil


def restrictions(*, active: bool | None = None) -> QuerySet[Restriction]:
    """The school's restrictions, newest first; `active` True for those in force,
    False for those lifted, None for all."""
    rows = Restriction.objects.select_related("pupil__school", "user", "placed_by", "lifted_by")
    if active is not None:
        rows = rows.filter(lifted_at__isnull=active)
    return rows.order_by("-placed_at", "-pk")


def person_find(text: str) -> Pupil | User:
    """The person a DPO names: a pupil's username or UPN, or the email of a member of
    staff or parent of the school. A clear error when there is none."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"person": ["Enter a pupil's username or UPN, or an email address."]})
    pupil = (
        Pupil.objects.select_related("school").filter(username__iexact=text).first()
        or Pupil.objects.select_related("school").filter(upn=text.upper()).first()
    )
    if pupil is not None:
        return pupil
    member = (
        Membership.objects.filter(user__email__iexact=text)
        .exclude(role=Membership.Role.PUPIL)
        .select_related("user")
        .first()
    )
    if member is not None:
        return member.user
    raise ValidationError(
        {"person": [f"No pupil, member of staff or parent of this school is {text!r}."]}
    )


def person_label(subject: Pupil | User) -> str:
    if isinstance(subject, Pupil):
        return f"{subject.display_name} (pupil, {subject.get_year_group_display()})"
    return f"{subject.get_full_name() or subject.email} ({subject.email})"


@dataclass(frozen=True)
class CorrectionRow:
    correction: Correction
    field: str
    old: Any
    new: Any


def _shown(value: Any, choices: dict[Any, str]) -> Any:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return choices.get(value, value)


def corrections_of(subject: Pupil | User) -> list[CorrectionRow]:
    """A person's corrections, newest first, with their values decrypted and readable
    (field names and census codes in words)."""
    is_pupil = isinstance(subject, Pupil)
    rows = list(
        Correction.objects.filter(**({"pupil": subject} if is_pupil else {"user": subject}))
        .select_related("corrected_by")
        .order_by("-corrected_at", "-pk")
    )
    model = Pupil if is_pupil else User
    for name in ("old_value", "new_value"):
        cast(EncryptedTextField, Correction._meta.get_field(name)).load_plaintext(rows)
    shown = []
    for row in rows:
        try:
            field = cast(Field, model._meta.get_field(row.field))
            label = str(field.verbose_name)
            choices = dict(field.choices or [])
        except Exception:  # a field removed since: its name as stored
            label, choices = row.field.replace("_", " "), {}
        shown.append(
            CorrectionRow(
                row,
                label[:1].upper() + label[1:],
                _shown(value_decode(row.old_value), choices),
                _shown(value_decode(row.new_value), choices),
            )
        )
    return shown


def corrections_read_logged(*, actor: User, school: Any, subject: Pupil | User) -> None:
    """A read of a person's corrections (their old and new values) is recorded (SEC-1)."""
    audit.record(actor=actor, school=school, action="privacy.corrections.viewed", target=subject)


def restrictions_read_logged(*, actor: User, school: Any, count: int) -> None:
    audit.record(
        actor=actor, school=school, action="privacy.restrictions.listed", data={"count": count}
    )


def notice_versions() -> QuerySet[NoticeVersion]:
    return NoticeVersion.objects.defer("html", "text", "rows").order_by("-published_at", "-pk")


def passed_on_services(subject: Pupil | User) -> list[Any]:
    """The services on the school's register that received this person's data, for an
    outcome page to list so the school can pass the change on (DSR-10). For a pupil,
    the register's own answer (data shared, year group, consent); for a parent or a
    member of staff, the approved services of their section of the register."""
    # The register lives in the consent app, which builds on this one's inventory.
    from markbook.consent import selectors as register
    from markbook.consent.models import ServiceEntry

    if isinstance(subject, Pupil):
        return list(register.services_receiving(subject))
    staff = subject.memberships.filter(role__in=("teacher", "school_admin")).exists()
    section = ServiceEntry.Section.MANAGEMENT if staff else ServiceEntry.Section.PUPILS_PARENTS
    return list(
        register.entries().filter(
            risk_status=ServiceEntry.Status.APPROVED, builtin=False, section=section
        )
    )


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


def legal_holds() -> QuerySet[LegalHold]:
    """The school's holds, in place first, newest first."""
    return LegalHold.objects.select_related(
        "pupil", "user", "teaching_class", "placed_by", "lifted_by"
    ).order_by("lifted_at", "-placed_at", "-pk")


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


def hold_label(hold: LegalHold) -> str:
    """What a hold keeps, in words: the person, the class, or the whole school (RET-3)."""
    if hold.whole_school:
        return "The whole school"
    if hold.teaching_class_id is not None:
        assert hold.teaching_class is not None
        return f"Class {hold.teaching_class.name}"
    if hold.pupil is not None:
        return hold.pupil.display_name
    return hold.user.display_name if hold.user is not None else "A class since deleted"
