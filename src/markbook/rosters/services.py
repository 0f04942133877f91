"""Writes on rosters: pupils, staff, classes, enrolments, parents (ROS-1, TEN-2, DSR-3).

Every function is keyword-only, atomic and audited, and runs inside the request's
school scope (TEN-4): none filters by school itself. Bad input raises
`ValidationError({field: [message]})` naming what is wrong, and nothing is written.
Pages and the JSON API call these same functions.
"""

import functools
import hmac
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core.rows import insert_rows, unusable_passwords
from markbook.core.validators import uln_problem, upn_problem
from markbook.rosters.models import ClassTeacher, Enrolment, GuardianLink, Pupil, TeachingClass
from markbook.schools import years
from markbook.schools.models import AcademicYear, School
from markbook.schools.services import user_with_temporary_password

# Encrypted with the school's key (SEC-2): the audit log records only that they changed.
SENSITIVE_FIELDS = (
    "fsm",
    "disadvantaged",
    "sen_provision",
    "sen_need",
    "ethnicity",
    "medical_notes",
)
# Optional MIS fields of ROS-2 that pupil_create/pupil_update accept.
MIS_FIELDS = (
    "mis_id",
    "registration_group",
    "sex",
    "date_of_birth",
    "uln",
    "eal",
    "gifted_talented",
    "ks2_reading",
    "ks2_maths",
    "status",
    "left_on",
    *SENSITIVE_FIELDS,
)
BASIC_FIELDS = ("first_name", "last_name", "pseudonym", "username", "email", "upn", "year_group")
PUPIL_FIELDS = (*BASIC_FIELDS, *MIS_FIELDS)
# DfE Common Basic Data Set codes (shared/domain.md, Codes).
SEN_PROVISION_CODES = ("N", "K", "E")
SEN_NEED_CODES = (
    "SPLD",
    "MLD",
    "SLD",
    "PMLD",
    "SEMH",
    "SLCN",
    "HI",
    "VI",
    "MSI",
    "PD",
    "ASD",
    "OTH",
)
ETHNICITY_CODES = (
    "WBRI",
    "WIRI",
    "WIRT",
    "WROM",
    "WOTH",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
)
STAFF_ROLES = (Membership.Role.TEACHER, Membership.Role.SCHOOL_ADMIN)
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def current_academic_year(today: date | None = None) -> str:
    """The English school year containing `today`, like "2026/27" (years start 1 September)."""
    today = today or timezone.localdate()
    start = today.year if today.month >= 9 else today.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def upn_digest(upn: str) -> str:
    """The keyed hash of a UPN (ACC-3): imports match on it; it cannot be turned back."""
    key = settings.MARKBOOK_HASH_KEY.encode()
    return hmac.digest(key, upn.strip().upper().encode(), "sha256").hex()


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


# --- Pupils -----------------------------------------------------------------


_NOT_IN_USERNAME = re.compile(r"[^a-z0-9-]")


@functools.lru_cache(maxsize=4096)  # names repeat: an import asks for the same ones often
def _username_part(value: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _NOT_IN_USERNAME.sub("", ascii_.lower().replace(" ", "-")).strip("-")


def username_base(first_name: str, last_name: str) -> str:
    """ "Amy", "O'Neil-Smith" -> "amy.oneil-smith": ASCII, lower case (ACC-3)."""
    joined = ".".join(p for p in (_username_part(first_name), _username_part(last_name)) if p)
    return joined[:140] or "pupil"


def pupil_username_generate(
    *, first_name: str, last_name: str, taken: set[str] | None = None, known: bool = False
) -> str:
    """A username unique in the school: "amy.adams", then "amy.adams2", ... (ACC-3).

    `taken` lets a bulk import reserve the names it is about to use; with `known` it
    holds every username of the school (lower case) and the database is not asked."""
    base = username_base(first_name, last_name)
    used = (
        set()
        if known
        else {
            u.lower()
            for u in Pupil.objects.filter(username__startswith=base).values_list(
                "username", flat=True
            )
        }
    )
    used |= taken or set()
    if base not in used:
        return base
    n = 2
    while f"{base}{n}" in used:
        n += 1
    return f"{base}{n}"


def pupil_values_normalise(values: dict[str, Any]) -> dict[str, Any]:
    """`values` (pupil field -> value) as pupil_create and pupil_update store them: text
    stripped, email and username in lower case, UPN and census codes in upper case, a
    blank UPN, census code or medical note made None. Changes `values` and returns it."""
    for name in ("first_name", "last_name", "pseudonym", "email", "mis_id", "registration_group"):
        if name in values and values[name] is not None:
            values[name] = str(values[name]).strip()
    if values.get("email"):
        values["email"] = values["email"].lower()
    if "username" in values and values["username"] is not None:
        values["username"] = str(values["username"]).strip().lower()
    if "upn" in values:
        values["upn"] = (str(values["upn"]).strip().upper() or None) if values["upn"] else None
    for name in ("sen_provision", "sen_need", "ethnicity"):
        if name in values and isinstance(values[name], str):
            values[name] = values[name].strip().upper() or None
    if values.get("medical_notes") == "":
        values["medical_notes"] = None
    if "uln" in values:
        values["uln"] = (values["uln"] or "").strip()
    return values


def pupil_validate(pupil: Pupil, changed: set[str], *, taken: set[str] | None = None) -> None:
    """Collect every problem with a pupil about to be saved, keyed by field (ROS-3).

    `changed` names the fields being set: only they are checked against the school's
    kept fields (ROS-5), the census codes, ULN and KS2 score ranges, and a changed
    username or UPN for being valid and unused in the school; the field formats and
    names are checked on the whole pupil. Raises one ValidationError naming them all.

    `taken`, when given, holds every username (lower case) of the school's other pupils:
    a changed username is checked against it, without asking the database (imports)."""
    errors: dict[str, list[str]] = {}
    for name in sorted(changed):
        value = getattr(pupil, name)
        if value not in (None, "") and not pupil.school.keeps(name):
            _add(errors, name, "The school does not keep this field (school settings, ROS-5).")
    exclude = [f.name for f in Pupil._meta.fields if f.name not in PUPIL_FIELDS]
    try:
        pupil.clean_fields(exclude=exclude)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                _add(errors, field, message)
    if not pupil.pseudonym:
        if not pupil.first_name:
            _add(errors, "first_name", "Enter the pupil's first name (or a pseudonym).")
        if not pupil.last_name:
            _add(errors, "last_name", "Enter the pupil's last name (or a pseudonym).")
    if "username" in changed and "username" not in errors:
        if not USERNAME_PATTERN.match(pupil.username):
            _add(
                errors,
                "username",
                f"{pupil.username!r} is not a valid username: use letters, digits, '.', '-' or '_'.",
            )
        elif (
            pupil.username.lower() in taken
            if taken is not None
            else Pupil.objects.filter(username__iexact=pupil.username).exclude(pk=pupil.pk).exists()
        ):
            _add(
                errors,
                "username",
                f"The username {pupil.username!r} is already used in this school.",
            )
    if "upn" in changed and pupil.upn and "upn" not in errors:
        problem = upn_problem(pupil.upn)
        if problem:
            _add(errors, "upn", f"{pupil.upn!r} is not a valid UPN: {problem}.")
        elif Pupil.objects.filter(upn=pupil.upn).exclude(pk=pupil.pk).exists():
            _add(
                errors,
                "upn",
                f"The UPN {pupil.upn} already belongs to another pupil in this school.",
            )
    if "uln" in changed and pupil.uln:
        problem = uln_problem(pupil.uln)
        if problem:
            _add(errors, "uln", f"{pupil.uln!r} is not a valid ULN: {problem}.")
    for name, codes in (
        ("sen_provision", SEN_PROVISION_CODES),
        ("sen_need", SEN_NEED_CODES),
        ("ethnicity", ETHNICITY_CODES),
    ):
        value = getattr(pupil, name)
        if name in changed and value and value not in codes:
            _add(errors, name, f"{value!r} is not a census code; use one of {', '.join(codes)}.")
    for name in ("ks2_reading", "ks2_maths"):
        value = getattr(pupil, name)
        if name in changed and value is not None and not 80 <= int(value) <= 120:
            _add(errors, name, f"A KS2 scaled score is 80 to 120, not {value}.")
    _raise_if(errors)


def pupil_user_handle(school_id: int, username: str) -> str:
    """The User.username of a pupil's account: "pupil.<school id>.<username>" (ACC-3).

    User.username is a global, internal handle; pupils sign in with Pupil.username."""
    return f"pupil.{school_id}.{username}"


def pupil_change_logged(old: Any, new: Any, *, sensitive: bool) -> dict[str, Any]:
    """How a changed pupil field appears in a `rosters.pupil.changed` event (SEC-1):
    old and new values, or only that it changed for a sensitive field (SEC-2)."""
    if sensitive:
        return {"changed": True}
    as_json = [v.isoformat() if isinstance(v, date) else v for v in (old, new)]
    return {"old": as_json[0], "new": as_json[1]}


def pupil_new(
    *,
    school: School,
    first_name: str,
    last_name: str,
    year_group: str,
    username: str | None = None,
    upn: str | None = None,
    email: str = "",
    pseudonym: str = "",
    taken: set[str] | None = None,
    **optional: Any,
) -> Pupil:
    """The pupil pupil_create adds, normalised and validated, not saved (ROS-3, ACC-3).

    With `taken` (every username of the school, lower case) the username is generated
    and checked against it without asking the database, and added to it (imports)."""
    unknown = sorted(set(optional) - set(MIS_FIELDS))
    _raise_if({name: ["This is not a pupil field."] for name in unknown})
    values = pupil_values_normalise(
        {
            "first_name": first_name,
            "last_name": last_name,
            "year_group": str(year_group).strip().upper(),
            "username": username,
            "upn": upn,
            "email": email or "",
            "pseudonym": pseudonym or "",
            **optional,
        }
    )
    if not values["username"]:
        values["username"] = pupil_username_generate(
            first_name=values["first_name"] or values["pseudonym"],
            last_name=values["last_name"],
            taken=taken,
            known=taken is not None,
        )
    pupil = Pupil(school=school, **values)
    pupil_validate(pupil, set(values), taken=taken)
    pupil.upn_hash = upn_digest(pupil.upn) if pupil.upn else ""
    if taken is not None:
        taken.add(pupil.username.lower())
    return pupil


def pupil_created_logged(pupil: Pupil) -> dict[str, Any]:
    """The data of a `rosters.pupil.created` event (SEC-1)."""
    return {"username": pupil.username, "year_group": pupil.year_group}


@transaction.atomic
def pupil_create(
    *,
    actor: User | None,
    school: School,
    first_name: str,
    last_name: str,
    year_group: str,
    **fields: Any,
) -> Pupil:
    """Add a pupil with a sign-in account that has no password yet (ROS-1, ACC-2, ACC-3).

    `fields` are pupil_new's: username, upn, email, pseudonym and the MIS fields. The
    username is generated when missing; the UPN is validated (ROS-3). No password hash
    is computed: the pupil signs in with a code from their teacher."""
    pupil = pupil_new(
        school=school, first_name=first_name, last_name=last_name, year_group=year_group, **fields
    )
    user = User(
        username=pupil_user_handle(school.pk, pupil.username),
        first_name=pupil.first_name[:150],
        last_name=pupil.last_name[:150],
    )
    user.set_unusable_password()  # no hash computed (ACC-2)
    user.save()
    Membership.objects.create(school=school, user=user, role=Membership.Role.PUPIL)
    pupil.user = user
    pupil.save()
    audit.record(
        actor=actor,
        school=school,
        action="rosters.pupil.created",
        target=pupil,
        data=pupil_created_logged(pupil),
    )
    return pupil


@transaction.atomic
def pupil_update(*, actor: User | None, pupil: Pupil, **changes: Any) -> Pupil:
    """Change a pupil's details; old and new values go to the access log (ROS-1, DSR-3).

    For encrypted fields (SEC-2) the log records only that the value changed."""
    changed = pupil_changes_apply(pupil, changes)
    if not changed:
        return pupil
    extra = ["upn_hash"] if "upn" in changed else []
    pupil.save(update_fields=[*changed, *extra, "updated_at"])
    if pupil.user_id and {"username", "first_name", "last_name"} & set(changed):
        user = pupil.user
        user.username = pupil_user_handle(pupil.school_id, pupil.username)
        user.first_name, user.last_name = pupil.first_name[:150], pupil.last_name[:150]
        user.save(update_fields=["username", "first_name", "last_name"])
    audit.record(
        actor=actor,
        school=pupil.school_id,
        action="rosters.pupil.changed",
        target=pupil,
        data=pupil_changes_logged(pupil, changed),
    )
    return pupil


def pupil_changes_apply(pupil: Pupil, changes: dict[str, Any]) -> dict[str, Any]:
    """Set `changes` on `pupil` as pupil_update does, normalised and validated, without
    saving (a changed UPN sets upn_hash too); the changed fields and their old values.
    When they are not valid the pupil is left as it was and a ValidationError raised."""
    unknown = sorted(set(changes) - set(PUPIL_FIELDS))
    _raise_if({name: ["This is not a pupil field that can be changed."] for name in unknown})
    if "year_group" in changes and changes["year_group"] is not None:
        changes["year_group"] = str(changes["year_group"]).strip().upper()
    changes = pupil_values_normalise(dict(changes))
    changed: dict[str, Any] = {}
    for name, new in changes.items():
        old = getattr(pupil, name)
        if old != new and not (old in (None, "") and new in (None, "")):
            changed[name] = old
            setattr(pupil, name, new)
    if not changed:
        return changed
    try:
        pupil_validate(pupil, set(changed))
    except ValidationError:
        for name, old in changed.items():
            setattr(pupil, name, old)
        raise
    if "upn" in changed:
        pupil.upn_hash = upn_digest(pupil.upn) if pupil.upn else ""
    return changed


def pupil_changes_logged(pupil: Pupil, changed: dict[str, Any]) -> dict[str, Any]:
    """The data of a `rosters.pupil.changed` event for `changed` (field -> old value)."""
    return {
        name: pupil_change_logged(old, getattr(pupil, name), sensitive=name in SENSITIVE_FIELDS)
        for name, old in changed.items()
    }


@transaction.atomic
def pupil_delete(*, actor: User | None, pupil: Pupil) -> None:
    """Remove a pupil, their enrolments, parent links and sign-in account (ROS-1, DSR-7)."""
    audit.record(
        actor=actor,
        school=pupil.school_id,
        action="rosters.pupil.deleted",
        target=pupil,
        data={"username": pupil.username},
    )
    user = pupil.user
    pupil.delete()
    if user is not None:
        user.delete()


# --- Staff ------------------------------------------------------------------


def _staff_roles(user: User) -> set[str]:
    return set(
        Membership.objects.filter(user=user, role__in=STAFF_ROLES).values_list("role", flat=True)
    )


def staff_role_validate(role: str) -> None:
    """Raise a ValidationError on "role" unless `role` is a staff role (ROS-1)."""
    if role not in STAFF_ROLES:
        raise _fail("role", f"{role!r} is not a staff role; choose teacher or school_admin.")


def email_validate(email: str, *, field: str = "email") -> None:
    """Raise a ValidationError on `field` unless `email` is a valid email address."""
    try:
        validate_email(email)
    except ValidationError:
        raise _fail(field, f"{email!r} is not a valid email address.") from None


@transaction.atomic
def staff_create(
    *,
    actor: User | None,
    school: School,
    email: str,
    first_name: str,
    last_name: str,
    role: str = Membership.Role.TEACHER,
) -> tuple[User, str]:
    """Add a teacher or school administrator (ROS-1, TEN-2, ACC-2).

    Returns the user and a one-time temporary password to show once ("" when an
    existing user of this school, such as a parent, is given a staff role). An
    address that belongs to an account outside this school is refused: a teacher
    account belongs to exactly one school."""
    email = email.strip().lower()
    email_validate(email)
    staff_role_validate(role)
    errors: dict[str, list[str]] = {}
    if not first_name.strip():
        _add(errors, "first_name", "Enter the first name.")
    if not last_name.strip():
        _add(errors, "last_name", "Enter the last name.")
    _raise_if(errors)
    existing = User.objects.filter(email__iexact=email).first()
    password = ""
    if existing is not None:
        if not Membership.objects.filter(user=existing).exists():
            raise _fail(
                "email",
                f"{email} already has a Markbook account outside this school. A teacher account "
                "belongs to exactly one school (TEN-2): use the address the school gave them.",
            )
        if _staff_roles(existing):
            raise _fail("email", f"{email} is already a member of staff here.")
        user = existing
    else:
        user, password = user_with_temporary_password(
            email=email, first_name=first_name.strip(), last_name=last_name.strip()
        )
    Membership.objects.create(school=school, user=user, role=role)
    audit.record(
        actor=actor,
        school=school,
        action="rosters.staff.created",
        target=user,
        data={"email": email, "role": role},
    )
    return user, password


def _require_staff(user: User, field: str = "user") -> set[str]:
    roles = _staff_roles(user)
    if not roles:
        raise _fail(field, "This person is not a member of staff of this school.")
    return roles


def _admins_other_than(user: User) -> bool:
    return Membership.objects.filter(role=Membership.Role.SCHOOL_ADMIN).exclude(user=user).exists()


@transaction.atomic
def staff_update(*, actor: User | None, school: School, user: User, **changes: Any) -> User:
    """Change a staff member's name, email or role (ROS-1); never demotes the last
    school administrator. Old and new values are logged (DSR-3)."""
    unknown = sorted(set(changes) - {"first_name", "last_name", "email", "role"})
    _raise_if({name: ["This is not a staff field that can be changed."] for name in unknown})
    roles = _require_staff(user)
    data: dict[str, Any] = {}
    if "email" in changes:
        email = str(changes["email"]).strip().lower()
        if email != user.email:
            email_validate(email)
            if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                raise _fail("email", f"{email} already belongs to another account.")
            data["email"] = {"old": user.email, "new": email}
            user.email = email
            if user.username == data["email"]["old"]:
                user.username = email
    for name in ("first_name", "last_name"):
        if name in changes:
            value = str(changes[name]).strip()
            if not value:
                raise _fail(name, "This cannot be blank.")
            if value != getattr(user, name):
                data[name] = {"old": getattr(user, name), "new": value}
                setattr(user, name, value)
    if "role" in changes:
        role = changes["role"]
        staff_role_validate(role)
        if roles != {role}:
            if role == Membership.Role.TEACHER and not _admins_other_than(user):
                raise _fail("role", "The school must keep at least one school administrator.")
            Membership.objects.filter(user=user, role__in=STAFF_ROLES).exclude(role=role).delete()
            Membership.objects.get_or_create(school=school, user=user, role=role)
            data["role"] = {"old": sorted(roles), "new": role}
    if not data:
        return user
    user.save(update_fields=["email", "username", "first_name", "last_name"])
    audit.record(actor=actor, school=school, action="rosters.staff.changed", target=user, data=data)
    return user


@transaction.atomic
def staff_remove(*, actor: User | None, school: School, user: User) -> None:
    """Remove a member of staff from the school and from their classes (ROS-1).

    The last school administrator is never removed. An account left with no role in
    the school is deactivated (kept, so the access log still names who did what)."""
    roles = _require_staff(user)
    if Membership.Role.SCHOOL_ADMIN in roles and not _admins_other_than(user):
        raise _fail("user", "This is the school's last administrator; add another one first.")
    classes = list(
        ClassTeacher.objects.filter(teacher=user).values_list("teaching_class_id", flat=True)
    )
    ClassTeacher.objects.filter(teacher=user).delete()
    Membership.objects.filter(user=user, role__in=STAFF_ROLES).delete()
    if not Membership.objects.filter(user=user).exists() and not user.trust_roles.exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
    audit.record(
        actor=actor,
        school=school,
        action="rosters.staff.removed",
        target=user,
        data={"roles": sorted(roles), "classes": classes},
    )


# --- Classes ----------------------------------------------------------------


def class_validate(
    teaching_class: TeachingClass,
    *,
    taken: set[tuple[str, str]] | None = None,
    year_problems: Sequence[str] = (),
) -> None:
    """Strip a class's name and subject and collect every problem with it, keyed by
    field (ROS-1, ROS-3): one ValidationError naming them all. Its academic year must
    be open: an archived year's classes are read-only.

    `taken`, when given, holds (academic year name, casefolded name) of every other
    class of the school: the name is checked against it, without asking the database
    (imports). `year_problems` are why the year asked for could not be found."""
    errors: dict[str, list[str]] = {"academic_year": list(year_problems)} if year_problems else {}
    teaching_class.name = teaching_class.name.strip()
    teaching_class.subject = teaching_class.subject.strip()
    try:
        teaching_class.clean_fields(exclude=["school", "academic_year"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                _add(errors, field, message)
    year = getattr(teaching_class, "academic_year", None)  # None: not found
    if year is None:
        _raise_if(errors or {"academic_year": ["Choose the academic year."]})
        return
    if year.archived:
        _add(errors, "academic_year", f"{year.name} is archived: its classes are read-only.")
    if "name" not in errors and (
        (year.name, teaching_class.name.casefold()) in taken
        if taken is not None
        else TeachingClass.objects.filter(academic_year=year, name__iexact=teaching_class.name)
        .exclude(pk=teaching_class.pk)
        .exists()
    ):
        _add(errors, "name", f"There is already a class {teaching_class.name!r} in {year.name}.")
    _raise_if(errors)


def class_year(school: School, academic_year: AcademicYear | str | None) -> AcademicYear:
    """The school's academic year a class goes into: the one given, the one named
    ("2026/27", made if new), or the current year when none is given."""
    if isinstance(academic_year, AcademicYear):
        return academic_year
    return years.academic_year_for(school, academic_year)


def class_writable(teaching_class: TeachingClass, field: str = "teaching_class") -> None:
    """Refuse a change to a class of an archived year: it is kept read-only."""
    if teaching_class.archived:
        raise _fail(
            field,
            f"{teaching_class.name} is archived with {teaching_class.academic_year.name}: "
            "it is read-only, so no one can be enrolled in it or taken out of it.",
        )


@transaction.atomic
def class_create(
    *,
    actor: User | None,
    school: School,
    name: str,
    subject: str = "",
    year_group: str = "",
    academic_year: AcademicYear | str | None = None,
) -> TeachingClass:
    """Add a teaching class (ROS-1) to an open academic year, the current one unless
    another is given; names are unique within an academic year."""
    teaching_class = class_new(
        school=school,
        name=name,
        subject=subject,
        year_group=year_group,
        academic_year=academic_year,
    )
    teaching_class.save()
    audit.record(
        actor=actor,
        school=school,
        action="rosters.class.created",
        target=teaching_class,
        data=class_created_logged(teaching_class),
    )
    return teaching_class


def class_new(
    *,
    school: School,
    name: str,
    subject: str = "",
    year_group: str = "",
    academic_year: AcademicYear | str | None = None,
    taken: set[tuple[str, str]] | None = None,
) -> TeachingClass:
    """The class class_create adds, validated, not saved. With `taken` (class_validate)
    its name is checked without a query and added to it (imports)."""
    teaching_class = TeachingClass(
        school=school,
        name=name,
        subject=subject or "",
        year_group=(year_group or "").strip().upper(),
    )
    year_problems: list[str] = []
    try:
        teaching_class.academic_year = class_year(school, academic_year)
    except ValidationError as error:
        year_problems = error.message_dict["academic_year"]
    class_validate(teaching_class, taken=taken, year_problems=year_problems)
    if taken is not None:
        taken.add((teaching_class.academic_year.name, teaching_class.name.casefold()))
    return teaching_class


def class_created_logged(teaching_class: TeachingClass) -> dict[str, Any]:
    """The data of a `rosters.class.created` event (SEC-1)."""
    return {"name": teaching_class.name, "academic_year": teaching_class.academic_year.name}


@transaction.atomic
def class_update(
    *, actor: User | None, teaching_class: TeachingClass, **changes: Any
) -> TeachingClass:
    """Change a class's name, subject, year group or academic year (ROS-1); a class
    of an archived year is read-only."""
    allowed = {"name", "subject", "year_group", "academic_year"}
    unknown = sorted(set(changes) - allowed)
    _raise_if({name: ["This is not a class field that can be changed."] for name in unknown})
    if teaching_class.archived:
        raise _fail(
            "academic_year",
            f"{teaching_class.name} is archived with {teaching_class.academic_year.name}: "
            "its classes are read-only.",
        )
    before = {name: getattr(teaching_class, name) for name in allowed}
    for name, value in changes.items():
        if name == "academic_year":
            value = class_year(teaching_class.school, value)
        elif name == "year_group":
            value = (value or "").upper()
        setattr(teaching_class, name, value or "")
    try:
        class_validate(teaching_class)
    except ValidationError:
        for name, value in before.items():
            setattr(teaching_class, name, value)
        raise
    data = {
        name: {"old": str(before[name]), "new": str(getattr(teaching_class, name))}
        for name in allowed
        if before[name] != getattr(teaching_class, name)
    }
    if data:
        teaching_class.save(update_fields=list(data))
        audit.record(
            actor=actor,
            school=teaching_class.school_id,
            action="rosters.class.changed",
            target=teaching_class,
            data=data,
        )
    return teaching_class


@transaction.atomic
def class_delete(*, actor: User | None, teaching_class: TeachingClass) -> None:
    """Delete a class with its teacher links and enrolments; pupils stay (ROS-1, DSR-7)."""
    audit.record(
        actor=actor,
        school=teaching_class.school_id,
        action="rosters.class.deleted",
        target=teaching_class,
        data={"name": teaching_class.name, "academic_year": teaching_class.academic_year.name},
    )
    teaching_class.delete()


@transaction.atomic
def class_teacher_attach(
    *, actor: User | None, teaching_class: TeachingClass, teacher: User
) -> ClassTeacher:
    """Attach a member of staff to a class (ROS-1); attaching twice changes nothing."""
    _require_staff(teacher, field="teacher")
    link, created = ClassTeacher.objects.get_or_create(
        school_id=teaching_class.school_id, teaching_class=teaching_class, teacher=teacher
    )
    if created:
        audit.record(
            actor=actor,
            school=teaching_class.school_id,
            action="rosters.class.teacher_attached",
            target=teaching_class,
            data={"teacher": teacher.pk},
        )
    return link


@transaction.atomic
def class_teacher_detach(
    *, actor: User | None, teaching_class: TeachingClass, teacher: User
) -> None:
    """Detach a teacher from a class (ROS-1)."""
    deleted, _ = ClassTeacher.objects.filter(
        teaching_class=teaching_class, teacher=teacher
    ).delete()
    if not deleted:
        raise _fail("teacher", "This teacher is not attached to the class.")
    audit.record(
        actor=actor,
        school=teaching_class.school_id,
        action="rosters.class.teacher_detached",
        target=teaching_class,
        data={"teacher": teacher.pk},
    )


def _same_school(teaching_class: TeachingClass, pupil: Pupil) -> None:
    if teaching_class.school_id != pupil.school_id:
        raise _fail("pupil", "This pupil is not in the class's school.")


@transaction.atomic
def enrolment_add(*, actor: User | None, teaching_class: TeachingClass, pupil: Pupil) -> Enrolment:
    """Enrol a pupil in a class (ROS-1); enrolling twice changes nothing. A class of
    an archived year takes no new pupils."""
    _same_school(teaching_class, pupil)
    class_writable(teaching_class)
    enrolment, created = Enrolment.objects.get_or_create(
        school_id=teaching_class.school_id, teaching_class=teaching_class, pupil=pupil
    )
    if created:
        audit.record(
            actor=actor,
            school=teaching_class.school_id,
            action="rosters.enrolment.added",
            target=teaching_class,
            data={"pupil": pupil.pk},
        )
    return enrolment


@transaction.atomic
def enrolment_remove(*, actor: User | None, teaching_class: TeachingClass, pupil: Pupil) -> None:
    """Take a pupil out of a class (ROS-1), unless the class is archived."""
    class_writable(teaching_class)
    deleted, _ = Enrolment.objects.filter(teaching_class=teaching_class, pupil=pupil).delete()
    if not deleted:
        raise _fail("pupil", "This pupil is not in the class.")
    audit.record(
        actor=actor,
        school=teaching_class.school_id,
        action="rosters.enrolment.removed",
        target=teaching_class,
        data={"pupil": pupil.pk},
    )


@transaction.atomic
def pupil_move(
    *, actor: User | None, pupil: Pupil, from_class: TeachingClass, to_class: TeachingClass
) -> Enrolment:
    """Move a pupil from one class to another in one step (ROS-1)."""
    _same_school(to_class, pupil)
    class_writable(from_class, "from_class")
    class_writable(to_class, "to_class")
    if from_class.pk == to_class.pk:
        raise _fail("to_class", "Choose a different class to move the pupil to.")
    deleted, _ = Enrolment.objects.filter(teaching_class=from_class, pupil=pupil).delete()
    if not deleted:
        raise _fail("from_class", f"The pupil is not in {from_class.name}.")
    enrolment, _ = Enrolment.objects.get_or_create(
        school_id=to_class.school_id, teaching_class=to_class, pupil=pupil
    )
    audit.record(
        actor=actor,
        school=pupil.school_id,
        action="rosters.pupil.moved",
        target=pupil,
        data={"from_class": from_class.pk, "to_class": to_class.pk},
    )
    return enrolment


def pupil_accounts_insert(
    *, school: School, people: list[tuple[str, str, str]], now: datetime
) -> list[int]:
    """Sign-in accounts for many new pupils at once, as pupil_create makes them: a user
    per (username, first name, last name) with no password hash (ACC-2: a teacher gives
    a sign-in code) and the pupil role in `school`. The user ids, in order; two
    INSERTs whatever the number (the imports write the pupils themselves)."""
    user_ids = insert_rows(
        User,
        [
            {
                "username": pupil_user_handle(school.pk, username),
                "first_name": first_name[:150],
                "last_name": last_name[:150],
                "password": password,
            }
            for (username, first_name, last_name), password in zip(
                people, unusable_passwords(len(people)), strict=True
            )
        ],
        now=now,
    )
    insert_rows(
        Membership,
        [
            {"school_id": school.pk, "user_id": user_id, "role": Membership.Role.PUPIL}
            for user_id in user_ids
        ],
        now=now,
    )
    return user_ids


# --- Parents ----------------------------------------------------------------


@dataclass(frozen=True)
class ParentAccounts:
    """The accounts already holding some parents' addresses, and their roles in the
    school in scope: read once for one link or for a whole import (TEN-2, TEN-3)."""

    by_email: dict[str, User]  # lower-cased address -> account
    members: frozenset[int]  # ids of those accounts with any role in this school
    parents: frozenset[int]  # ... with the parent role in this school


def parent_accounts(emails: Iterable[str]) -> ParentAccounts:
    """Who holds `emails` (in any case), in two queries however many addresses."""
    wanted = {email.strip().lower() for email in emails if email.strip()}
    if not wanted:
        return ParentAccounts({}, frozenset(), frozenset())
    users = User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=wanted)
    by_email = {user.email.lower(): user for user in users}
    roles = list(
        Membership.objects.filter(user__in=list(by_email.values())).values_list("user_id", "role")
    )
    return ParentAccounts(
        by_email,
        frozenset(user_id for user_id, _ in roles),
        frozenset(user_id for user_id, role in roles if role == Membership.Role.PARENT),
    )


def parent_problem(
    email: str, accounts: ParentAccounts, *, children: Iterable[Pupil] = ()
) -> str | None:
    """Why `email` (lower-cased) cannot be a parent or carer of `children` in this
    school, or None: not a valid address; an account with no role in this school (a
    user's roles are all in one school, TEN-2: staff or parents of another school,
    trust or platform staff); or the account of one of the children."""
    try:
        email_validate(email)
    except ValidationError as error:
        return error.messages[0]
    account = accounts.by_email.get(email)
    if account is None:
        return None
    if parent_elsewhere(email, accounts):
        return (
            f"{email} already has a Markbook account outside this school; ask the parent "
            "for another address."
        )
    if any(child.user_id == account.pk for child in children):
        return "A pupil cannot be their own parent."
    return None


def parent_elsewhere(email: str, accounts: ParentAccounts) -> bool:
    """Whether `email` (lower-cased) is the address of an account with no role in this
    school: someone of another school, trust or platform staff (TEN-2)."""
    account = accounts.by_email.get(email)
    return account is not None and account.pk not in accounts.members


@transaction.atomic
def parents_ensure(
    *, school: School, people: dict[str, tuple[str, str]], accounts: ParentAccounts
) -> tuple[dict[str, User], int]:
    """Parent accounts for `people` (address -> first and last name), with the parent
    role in `school` (TEN-2, ACC-2): an existing account is kept as it is, a new one
    gets no password (the parent sets one through the emailed reset link). The
    caller has checked each address with `parent_problem`. Returns the accounts by
    address and how many were created; a fixed number of queries."""
    new = []
    for email, (first_name, last_name) in people.items():
        if email not in accounts.by_email:
            user = User(
                username=email,
                email=email,
                first_name=first_name.strip()[:150],
                last_name=last_name.strip()[:150],
            )
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new)
    users = {**accounts.by_email, **{user.email: user for user in new}}
    Membership.objects.bulk_create(
        Membership(school=school, user=users[email], role=Membership.Role.PARENT)
        for email in people
        if users[email].pk not in accounts.parents
    )
    return {email: users[email] for email in people}, len(new)


@transaction.atomic
def guardian_links_add(
    *,
    actor: User | None,
    school: School,
    pairs: Iterable[tuple[User, Pupil]],
    relationship: str = "",
) -> list[GuardianLink]:
    """Link parents to children (TEN-3), each link audited as `rosters.guardian.linked`;
    one insert and one access-log write however many. The caller leaves out pairs
    already linked."""
    links = [
        GuardianLink(
            school=school, parent=parent, pupil=pupil, relationship=relationship.strip()[:50]
        )
        for parent, pupil in pairs
    ]
    GuardianLink.objects.bulk_create(links)
    audit.record_many(
        actor=actor,
        school=school,
        events=[
            ("rosters.guardian.linked", link.pupil, {"parent": link.parent_id}) for link in links
        ],
    )
    return links


@transaction.atomic
def guardian_links_delete(
    *, actor: User | None, school: School | int, links: list[GuardianLink]
) -> None:
    """Unlink parents from children (TEN-3), each audited as `rosters.guardian.unlinked`.
    Give the links with their pupils loaded (select_related), or each costs a query."""
    audit.record_many(
        actor=actor,
        school=school,
        events=[
            ("rosters.guardian.unlinked", link.pupil, {"parent": link.parent_id}) for link in links
        ],
    )
    GuardianLink.objects.filter(pk__in=[link.pk for link in links]).delete()


@transaction.atomic
def guardian_link_create(
    *,
    actor: User | None,
    school: School,
    pupil: Pupil,
    parent_email: str,
    first_name: str = "",
    last_name: str = "",
    relationship: str = "",
) -> GuardianLink:
    """Link a parent or carer to a child, creating their account if new (TEN-3).

    A new parent gets no password: they set one through the emailed reset link."""
    email = parent_email.strip().lower()
    email_validate(email, field="parent_email")
    if pupil.school_id != school.pk:
        raise _fail("pupil", "This pupil is not in this school.")
    accounts = parent_accounts([email])
    problem = parent_problem(email, accounts, children=[pupil])
    if problem:
        raise _fail("parent_email", problem)
    parents, _ = parents_ensure(
        school=school, people={email: (first_name, last_name)}, accounts=accounts
    )
    if GuardianLink.objects.filter(parent=parents[email], pupil=pupil).exists():
        raise _fail("parent_email", f"{email} is already linked to this pupil.")
    [link] = guardian_links_add(
        actor=actor, school=school, pairs=[(parents[email], pupil)], relationship=relationship
    )
    return link


def guardian_link_delete(*, actor: User | None, link: GuardianLink) -> None:
    """Unlink a parent from a child (TEN-3)."""
    guardian_links_delete(actor=actor, school=link.school_id, links=[link])


# --- Reads of pupil data (SEC-1) ---------------------------------------------


def roster_read_record(
    *,
    actor: User,
    school: School,
    action: str,
    target: Any = None,
    data: dict | None = None,
) -> None:
    """Log a read of pupil data by staff (SEC-1). Pages and the API call this."""
    audit.record(actor=actor, school=school, action=action, target=target, data=data)
