"""Loading a whole roster at once: staff, pupils, classes, enrolments, parents (ROS-1, ROS-2).

`roster_load` writes what `services.staff_create`, `pupil_create`, `class_create`,
`class_teacher_attach`, `enrolment_add` and `guardian_link_create` would write, row
for row (the same validation, usernames, User rows and memberships), but with bulk
inserts and one summary event in the access log instead of one per row, so a
school of a thousand pupils loads in a second. Every row is checked before anything
is written; then all of it is written in one transaction, or nothing.

No password hash is computed unless a row asks for a password (ACC-2): pupils get
sign-in codes, staff and parents set their own password through a reset link. Runs
inside the school's scope (TEN-4).
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import is_password_usable
from django.core.exceptions import ValidationError
from django.db import transaction

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core.validators import upn_problem
from markbook.rosters import services
from markbook.rosters.models import ClassTeacher, Enrolment, GuardianLink, Pupil, TeachingClass
from markbook.schools.models import AcademicYear, School


@dataclass(eq=False)
class NewStaff:
    email: str
    first_name: str
    last_name: str
    role: str = Membership.Role.TEACHER
    password: str | None = None  # only for the few accounts a person will sign in with
    password_hash: str | None = None  # or the password already hashed (make_password)
    must_change_password: bool = True


@dataclass(eq=False)
class NewPupil:
    first_name: str
    last_name: str
    year_group: str
    username: str | None = None
    upn: str | None = None
    email: str = ""
    pseudonym: str = ""
    optional: dict[str, Any] = field(default_factory=dict)  # MIS fields, as for pupil_create
    password: str | None = None
    password_hash: str | None = None


@dataclass(eq=False)
class NewClass:
    name: str
    subject: str = ""
    year_group: str = ""
    teachers: list[str] = field(default_factory=list)  # staff email addresses
    pupils: list[NewPupil] = field(default_factory=list)


@dataclass(eq=False)
class NewGuardian:
    email: str
    first_name: str
    last_name: str
    children: list[NewPupil] = field(default_factory=list)
    relationship: str = ""
    password: str | None = None
    password_hash: str | None = None


@dataclass
class RosterLoad:
    staff: list[NewStaff] = field(default_factory=list)
    pupils: list[NewPupil] = field(default_factory=list)
    classes: list[NewClass] = field(default_factory=list)
    guardians: list[NewGuardian] = field(default_factory=list)


@dataclass
class Loaded:
    staff: dict[str, User]  # by email
    pupils: list[Pupil]  # in the order of RosterLoad.pupils
    classes: list[TeachingClass]  # in the order of RosterLoad.classes
    guardians: dict[str, User]  # by email
    enrolments: int
    passwords_set: int


class _Errors:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, where: str, message: str) -> None:
        self.errors.setdefault(where, []).append(message)

    def merge(self, where: str, error: ValidationError) -> None:
        for name, messages in error.message_dict.items():
            for message in messages:
                self.add(f"{where}.{name}", message)


def _has_password(row: NewStaff | NewPupil | NewGuardian) -> bool:
    return bool(row.password_hash or row.password)


def _user(
    *, username: str, email: str, first: str, last: str, row: NewStaff | NewPupil | NewGuardian
) -> User:
    user = User(username=username, email=email, first_name=first[:150], last_name=last[:150])
    if row.password_hash:
        if not is_password_usable(row.password_hash):
            raise ValueError("password_hash must be a hash made by make_password")
        user.password = row.password_hash
    elif row.password:
        user.set_password(row.password)
    else:
        user.set_unusable_password()  # no hash computed (ACC-2)
    return user


def _check_staff(load: RosterLoad, errors: _Errors) -> dict[str, NewStaff]:
    by_email: dict[str, NewStaff] = {}
    emails = [s.email.strip().lower() for s in load.staff]
    taken = {
        e.lower() for e in User.objects.filter(email__in=emails).values_list("email", flat=True)
    }
    for i, row in enumerate(load.staff):
        where = f"staff[{i}]"
        row.email = row.email.strip().lower()
        try:
            services.email_validate(row.email)
            services.staff_role_validate(row.role)
        except ValidationError as error:
            errors.merge(where, error)
            continue
        if not row.first_name.strip():
            errors.add(f"{where}.first_name", "Enter the first name.")
        if not row.last_name.strip():
            errors.add(f"{where}.last_name", "Enter the last name.")
        if row.email in taken or row.email in by_email:
            errors.add(
                f"{where}.email",
                f"{row.email} already has a Markbook account; a teacher account belongs to "
                "exactly one school.",  # TEN-2
            )
        by_email[row.email] = row
    return by_email


def _check_pupils(school: School, load: RosterLoad, errors: _Errors) -> list[Pupil]:
    """The checks of pupil_create, with uniqueness checked against one read of the school."""
    used_names = {u.lower() for u in Pupil.objects.values_list("username", flat=True)}
    used_upns = set(Pupil.objects.exclude(upn=None).values_list("upn", flat=True))
    pupils = []
    for i, row in enumerate(load.pupils):
        where = f"pupils[{i}]"
        unknown = sorted(set(row.optional) - set(services.MIS_FIELDS))
        for name in unknown:
            errors.add(f"{where}.{name}", "This is not a pupil field.")
        values = services.pupil_values_normalise(
            {
                "first_name": row.first_name,
                "last_name": row.last_name,
                "year_group": str(row.year_group).strip().upper(),
                "username": row.username,
                "upn": row.upn,
                "email": row.email or "",
                "pseudonym": row.pseudonym or "",
                **{k: v for k, v in row.optional.items() if k not in unknown},
            }
        )
        if not values["username"]:
            values["username"] = services.pupil_username_generate(
                first_name=values["first_name"],
                last_name=values["last_name"],
                pseudonym=values["pseudonym"],
                taken=used_names,
                known=True,
            )
        pupil = Pupil(school=school, **values)
        try:
            # Uniqueness of username and UPN is checked below, against the batch too.
            services.pupil_validate(pupil, set(values) - {"username", "upn"})
        except ValidationError as error:
            errors.merge(where, error)
        if not services.USERNAME_PATTERN.match(pupil.username):
            errors.add(
                f"{where}.username",
                f"{pupil.username!r} is not a valid username: use letters, digits, '.', '-' or '_'.",
            )
        elif pupil.username.lower() in used_names:
            errors.add(
                f"{where}.username",
                f"The username {pupil.username!r} is already used in this school.",
            )
        used_names.add(pupil.username.lower())
        if pupil.upn:
            problem = upn_problem(pupil.upn)
            if problem:
                errors.add(f"{where}.upn", f"{pupil.upn!r} is not a valid UPN: {problem}.")
            elif pupil.upn in used_upns:
                errors.add(
                    f"{where}.upn",
                    f"The UPN {pupil.upn} already belongs to another pupil in this school.",
                )
            used_upns.add(pupil.upn)
        pupils.append(pupil)
    return pupils


def _check_classes(
    school: School,
    load: RosterLoad,
    academic_year: AcademicYear,
    staff: dict[str, NewStaff],
    pupil_rows: set[int],
    errors: _Errors,
) -> tuple[list[TeachingClass], dict[str, User]]:
    existing_staff = {
        m.user.email.lower(): m.user
        for m in Membership.objects.select_related("user").filter(
            role__in=services.STAFF_ROLES,
            user__email__in=[t.lower() for c in load.classes for t in c.teachers],
        )
    }
    classes, names = [], set()
    for i, row in enumerate(load.classes):
        where = f"classes[{i}]"
        teaching_class = TeachingClass(
            school=school,
            name=row.name,
            subject=row.subject or "",
            year_group=(row.year_group or "").strip().upper(),
            academic_year=academic_year,
        )
        try:
            services.class_validate(teaching_class)
        except ValidationError as error:
            errors.merge(where, error)
        if teaching_class.name.lower() in names:
            errors.add(
                f"{where}.name",
                f"There is already a class {teaching_class.name!r} in {academic_year.name}.",
            )
        names.add(teaching_class.name.lower())
        for email in row.teachers:
            if email.lower() not in staff and email.lower() not in existing_staff:
                errors.add(f"{where}.teachers", f"{email} is not a member of staff of this school.")
        for pupil in row.pupils:
            if id(pupil) not in pupil_rows:
                errors.add(f"{where}.pupils", "A pupil of this class is not in the roster.")
        classes.append(teaching_class)
    return classes, existing_staff


def _check_guardians(
    load: RosterLoad, pupil_rows: set[int], errors: _Errors
) -> services.ParentAccounts:
    """The checks of guardian_link_create (services.parent_problem), against one read."""
    for row in load.guardians:
        row.email = row.email.strip().lower()
    accounts = services.parent_accounts(row.email for row in load.guardians)
    seen: set[str] = set()
    for i, row in enumerate(load.guardians):
        where = f"guardians[{i}]"
        problem = services.parent_problem(row.email, accounts)
        if problem:
            errors.add(f"{where}.parent_email", problem)
            continue
        if row.email in seen:
            errors.add(f"{where}.parent_email", f"{row.email} appears twice in the roster.")
        seen.add(row.email)
        if len({id(c) for c in row.children}) != len(row.children):
            errors.add(f"{where}.children", "A child is listed twice for this parent.")
        if any(id(c) not in pupil_rows for c in row.children):
            errors.add(f"{where}.children", "A child of this parent is not in the roster.")
    return accounts


@transaction.atomic
def roster_load(
    *,
    actor: User | None,
    school: School,
    load: RosterLoad,
    academic_year: AcademicYear | str | None = None,
    action: str = "rosters.roster.loaded",
) -> Loaded:
    """Check every row, then write the whole roster in bulk with one audit event (ROS-1, ROS-2).

    Raises ValidationError keyed like "pupils[3].upn" naming every problem; nothing
    is written then."""
    year = services.class_year(school, academic_year)
    errors = _Errors()
    staff_rows = _check_staff(load, errors)
    pupils = _check_pupils(school, load, errors)
    pupil_index = {id(row): i for i, row in enumerate(load.pupils)}
    classes, existing_staff = _check_classes(
        school, load, year, staff_rows, set(pupil_index), errors
    )
    parent_accounts = _check_guardians(load, set(pupil_index), errors)
    if errors.errors:
        raise ValidationError(errors.errors)

    passwords = 0
    # Staff, as staff_create makes them (without a temporary password unless asked).
    staff_users = []
    for row in load.staff:
        user = _user(
            username=row.email,
            email=row.email,
            first=row.first_name.strip(),
            last=row.last_name.strip(),
            row=row,
        )
        user.must_change_password = _has_password(row) and row.must_change_password
        passwords += _has_password(row)
        staff_users.append(user)
    User.objects.bulk_create(staff_users)
    Membership.objects.bulk_create(
        Membership(school=school, user=user, role=row.role)
        for row, user in zip(load.staff, staff_users, strict=True)
    )
    staff = {**existing_staff, **{u.email: u for u in staff_users}}

    # Pupils, as pupil_create makes them: a User with an internal handle, a membership.
    pupil_users = []
    for pupil_row, pupil in zip(load.pupils, pupils, strict=True):
        pupil_users.append(
            _user(
                username=services.pupil_user_handle(school.pk, pupil.username),
                email="",
                first=pupil.first_name,
                last=pupil.last_name,
                row=pupil_row,
            )
        )
        passwords += _has_password(pupil_row)
    User.objects.bulk_create(pupil_users)
    Membership.objects.bulk_create(
        Membership(school=school, user=user, role=Membership.Role.PUPIL) for user in pupil_users
    )
    for pupil, user in zip(pupils, pupil_users, strict=True):
        pupil.user = user
    Pupil.objects.bulk_create(pupils)

    # Classes, their teachers and pupils.
    TeachingClass.objects.bulk_create(classes)
    ClassTeacher.objects.bulk_create(
        ClassTeacher(school=school, teaching_class=c, teacher=staff[email.lower()])
        for row, c in zip(load.classes, classes, strict=True)
        for email in dict.fromkeys(row.teachers)
    )
    enrolments = [
        Enrolment(school=school, teaching_class=c, pupil=pupils[pupil_index[id(p)]])
        for row, c in zip(load.classes, classes, strict=True)
        for p in {id(p): p for p in row.pupils}.values()
    ]
    Enrolment.objects.bulk_create(enrolments)

    # Parents, as guardian_link_create makes them.
    new_parents, parents = [], dict(parent_accounts.by_email)
    for guardian in load.guardians:
        if guardian.email not in parents:
            user = _user(
                username=guardian.email,
                email=guardian.email,
                first=guardian.first_name.strip(),
                last=guardian.last_name.strip(),
                row=guardian,
            )
            passwords += _has_password(guardian)
            new_parents.append(user)
            parents[guardian.email] = user
    User.objects.bulk_create(new_parents)
    Membership.objects.bulk_create(
        Membership(school=school, user=parents[row.email], role=Membership.Role.PARENT)
        for row in load.guardians
        if parents[row.email].pk not in parent_accounts.parents
    )
    links = [
        GuardianLink(
            school=school,
            parent=parents[row.email],
            pupil=pupils[pupil_index[id(child)]],
            relationship=row.relationship.strip()[:50],
        )
        for row in load.guardians
        for child in row.children
    ]
    GuardianLink.objects.bulk_create(links)

    audit.record(
        actor=actor,
        school=school,
        action=action,
        data={
            "academic_year": year.name,
            "staff_created": len(staff_users),
            "pupils_created": len(pupils),
            "classes_created": len(classes),
            "enrolments_added": len(enrolments),
            "parents_created": len(new_parents),
            "guardian_links_created": len(links),
            "passwords_set": passwords,
        },
    )
    return Loaded(
        staff={u.email: u for u in staff_users},
        pupils=pupils,
        classes=classes,
        guardians={row.email: parents[row.email] for row in load.guardians},
        enrolments=len(enrolments),
        passwords_set=passwords,
    )
