"""Writes on teaching classes, their teachers and their pupils (ROS-1, ROS-3).

Keyword-only, atomic and audited; run inside the request's school scope (TEN-4).
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.core.validators import text_too_long
from markbook.rosters.models import ClassTeacher, Enrolment, Pupil, TeachingClass
from markbook.rosters.services.common import add_error, invalid, raise_if
from markbook.rosters.services.staff import staff_roles_required
from markbook.schools import years
from markbook.schools.models import AcademicYear, School


def current_academic_year(today: date | None = None) -> str:
    """The English school year containing `today`, like "2026/27" (years start 1 September)."""
    today = today or timezone.localdate()
    start = today.year if today.month >= 9 else today.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


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
    teaching_class.name = teaching_class.name.strip()
    teaching_class.subject = teaching_class.subject.strip()
    texts = ("name", "subject")
    errors = text_too_long(TeachingClass, {n: getattr(teaching_class, n) for n in texts})
    if year_problems:
        errors["academic_year"] = list(year_problems)
    try:
        teaching_class.clean_fields(exclude=["school", "academic_year", *errors])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                add_error(errors, field, message)
    year = getattr(teaching_class, "academic_year", None)  # None: not found
    if year is None:
        raise_if(errors or {"academic_year": ["Choose the academic year."]})
        return
    if year.archived:
        add_error(errors, "academic_year", f"{year.name} is archived: its classes are read-only.")
    if "name" not in errors and (
        (year.name, teaching_class.name.casefold()) in taken
        if taken is not None
        else TeachingClass.objects.filter(academic_year=year, name__iexact=teaching_class.name)
        .exclude(pk=teaching_class.pk)
        .exists()
    ):
        add_error(
            errors, "name", f"There is already a class {teaching_class.name!r} in {year.name}."
        )
    raise_if(errors)


def class_year(school: School, academic_year: AcademicYear | str | None) -> AcademicYear:
    """The school's academic year a class goes into: the one given, the one named
    ("2026/27", made if new), or the current year when none is given."""
    if isinstance(academic_year, AcademicYear):
        return academic_year
    return years.academic_year_for(school, academic_year)


def class_writable(teaching_class: TeachingClass, field: str = "teaching_class") -> None:
    """Refuse a change to a class of an archived year: it is kept read-only."""
    if teaching_class.archived:
        raise invalid(
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
    raise_if({name: ["This is not a class field that can be changed."] for name in unknown})
    if teaching_class.archived:
        raise invalid(
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
    """Delete a class with its teacher links, enrolments, assignments and their marks;
    its pupils and teachers stay (ROS-1, DSR-7). The log says how much went."""
    from markbook.privacy.models import LegalHold
    from markbook.rosters.services.deletions import class_delete_impact

    if LegalHold.objects.filter(teaching_class=teaching_class, lifted_at__isnull=True).exists():
        # RET-3: a class under a legal hold keeps its records until the hold is lifted.
        raise ValidationError(
            {"class": ["A legal hold keeps this class's records: lift the hold first."]}
        )
    impact = class_delete_impact(teaching_class=teaching_class)
    audit.record(
        actor=actor,
        school=teaching_class.school_id,
        action="rosters.class.deleted",
        target=teaching_class,
        data={
            "name": teaching_class.name,
            "academic_year": teaching_class.academic_year.name,
            "enrolments": impact.enrolments,
            "assignments": impact.assignments,
            "marks": impact.marks,
        },
    )
    teaching_class.delete()


@transaction.atomic
def class_teacher_attach(
    *, actor: User | None, teaching_class: TeachingClass, teacher: User
) -> ClassTeacher:
    """Attach a member of staff to a class (ROS-1); attaching twice changes nothing."""
    staff_roles_required(teacher, field="teacher")
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
        raise invalid("teacher", "This teacher is not attached to the class.")
    audit.record(
        actor=actor,
        school=teaching_class.school_id,
        action="rosters.class.teacher_detached",
        target=teaching_class,
        data={"teacher": teacher.pk},
    )


def _same_school(teaching_class: TeachingClass, pupil: Pupil) -> None:
    if teaching_class.school_id != pupil.school_id:
        raise invalid("pupil", "This pupil is not in the class's school.")


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
        raise invalid("pupil", "This pupil is not in the class.")
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
        raise invalid("to_class", "Choose a different class to move the pupil to.")
    deleted, _ = Enrolment.objects.filter(teaching_class=from_class, pupil=pupil).delete()
    if not deleted:
        raise invalid("from_class", f"The pupil is not in {from_class.name}.")
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
