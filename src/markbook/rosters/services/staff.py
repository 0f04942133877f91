"""Writes on staff: teachers and school administrators of one school (ROS-1, TEN-2, ACC-2).

Keyword-only, atomic and audited; run inside the request's school scope (TEN-4).
"""

from typing import Any

from django.db import transaction

from markbook.accounts.credentials import user_with_temporary_password
from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core.validators import text_too_long
from markbook.privacy.corrections import corrections_record
from markbook.rosters.models import ClassTeacher
from markbook.rosters.services.common import add_error, email_validate, invalid, raise_if
from markbook.schools.models import School

STAFF_ROLES = (Membership.Role.TEACHER, Membership.Role.SCHOOL_ADMIN)


def _staff_roles(user: User) -> set[str]:
    return set(
        Membership.objects.filter(user=user, role__in=STAFF_ROLES).values_list("role", flat=True)
    )


def staff_role_validate(role: str) -> None:
    """Raise a ValidationError on "role" unless `role` is a staff role (ROS-1)."""
    if role not in STAFF_ROLES:
        raise invalid("role", f"{role!r} is not a staff role; choose teacher or school_admin.")


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
    raise_if(
        text_too_long(
            User,
            {"email": email, "first_name": first_name.strip(), "last_name": last_name.strip()},
        )
    )
    email_validate(email)
    staff_role_validate(role)
    errors: dict[str, list[str]] = {}
    if not first_name.strip():
        add_error(errors, "first_name", "Enter the first name.")
    if not last_name.strip():
        add_error(errors, "last_name", "Enter the last name.")
    raise_if(errors)
    existing = User.objects.filter(email__iexact=email).first()
    password = ""
    if existing is not None:
        if not Membership.objects.filter(user=existing).exists():
            raise invalid(
                "email",
                f"{email} already has a Markbook account outside this school. A teacher account "
                "belongs to exactly one school: use the address the school gave them.",  # TEN-2
            )
        if _staff_roles(existing):
            raise invalid("email", f"{email} is already a member of staff here.")
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


def staff_roles_required(user: User, field: str = "user") -> set[str]:
    roles = _staff_roles(user)
    if not roles:
        raise invalid(field, "This person is not a member of staff of this school.")
    return roles


def _admins_other_than(user: User) -> bool:
    return Membership.objects.filter(role=Membership.Role.SCHOOL_ADMIN).exclude(user=user).exists()


@transaction.atomic
def staff_update(
    *,
    actor: User | None,
    school: School,
    user: User,
    request_id: int | None = None,
    **changes: Any,
) -> User:
    """Change a staff member's name, email or role (ROS-1); never demotes the last
    school administrator. Old and new values are logged (DSR-3), and a changed name or
    email recorded as a correction, answering the rights request `request_id` if given."""
    unknown = sorted(set(changes) - {"first_name", "last_name", "email", "role"})
    raise_if({name: ["This is not a staff field that can be changed."] for name in unknown})
    roles = staff_roles_required(user)
    texts: dict[str, str] = {
        n: str(changes[n]).strip() for n in ("email", "first_name", "last_name") if n in changes
    }
    raise_if(text_too_long(User, texts))
    data: dict[str, Any] = {}
    if "email" in changes:
        email = str(changes["email"]).strip().lower()
        if email != user.email:
            email_validate(email)
            if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                raise invalid("email", f"{email} already belongs to another account.")
            data["email"] = {"old": user.email, "new": email}
            user.email = email
            if user.username == data["email"]["old"]:
                user.username = email
    for name in ("first_name", "last_name"):
        if name in changes:
            value = str(changes[name]).strip()
            if not value:
                raise invalid(name, "This cannot be blank.")
            if value != getattr(user, name):
                data[name] = {"old": getattr(user, name), "new": value}
                setattr(user, name, value)
    if "role" in changes:
        role = changes["role"]
        staff_role_validate(role)
        if roles != {role}:
            if role == Membership.Role.TEACHER and not _admins_other_than(user):
                raise invalid("role", "The school must keep at least one school administrator.")
            Membership.objects.filter(user=user, role__in=STAFF_ROLES).exclude(role=role).delete()
            Membership.objects.get_or_create(school=school, user=user, role=role)
            data["role"] = {"old": sorted(roles), "new": role}
    if not data:
        return user
    user.save(update_fields=["email", "username", "first_name", "last_name"])
    corrections_record(
        school_id=school.pk,
        label="accounts.User",
        user=user,
        by=actor,
        changes={
            name: (change["old"], change["new"])
            for name, change in data.items()
            if name in ("email", "first_name", "last_name")
        },
        request_id=request_id,
    )
    audit.record(actor=actor, school=school, action="rosters.staff.changed", target=user, data=data)
    return user


@transaction.atomic
def staff_remove(*, actor: User | None, school: School, user: User) -> None:
    """Remove a member of staff from the school and from their classes (ROS-1).

    The last school administrator is never removed. An account left with no role in
    the school is deactivated (kept, so the access log still names who did what)."""
    roles = staff_roles_required(user)
    if Membership.Role.SCHOOL_ADMIN in roles and not _admins_other_than(user):
        raise invalid("user", "This is the school's last administrator; add another one first.")
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
