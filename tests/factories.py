"""factory_boy factories for Markbook's models. Scoped models are created directly
(`objects.create` is allowed outside a scope); reading them needs a scope."""

import base64
from datetime import timedelta

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.core.tenancy import school_scope
from markbook.core.validators import UPN_ALPHABET, upn_check_letter
from markbook.rosters.models import (
    ClassTeacher,
    Enrolment,
    GuardianLink,
    ImportJob,
    Pupil,
    TeachingClass,
    stall_cutoffs,
)
from markbook.schools.models import AcademicYear, School, TermsAcceptance, Trust

PASSWORD = "correct-horse-battery-staple"
_hash: list[str] = []


def password_hash() -> str:
    """One Argon2id hash of PASSWORD per test session: hashing per user is slow."""
    if not _hash:
        _hash.append(make_password(PASSWORD))
    return _hash[0]


def valid_upn(n: int, la: str = "801", estab: str = "2000") -> str:
    body = f"{la}{estab}{(n // 1000) % 100:02d}{n % 1000:03d}"
    return upn_check_letter(body) + body


assert UPN_ALPHABET  # used by valid_upn through upn_check_letter


class TrustFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trust

    name = factory.Sequence(lambda n: f"Trust {n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"School {n}")
    urn = factory.Sequence(lambda n: f"{100000 + n}")
    email_domains = factory.LazyAttribute(lambda o: [f"{o.name.lower().replace(' ', '')}.sch.uk"])
    status = School.Status.ACTIVE

    @factory.post_generation
    def accepted_terms(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        from django.conf import settings

        if create and extracted is not False:
            with school_scope(self):
                TermsAcceptance.objects.create(
                    school=self, version=settings.MARKBOOK_TERMS_VERSION, accepted_by_name="Test"
                )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.Sequence(lambda n: f"user{n}@example.org")
    username = factory.LazyAttribute(lambda o: o.email)
    password = factory.LazyFunction(password_hash)


def member(school: School, role: str, **user_kwargs) -> User:  # type: ignore[no-untyped-def]
    user = UserFactory(**user_kwargs)
    with school_scope(school):
        Membership.objects.create(school=school, user=user, role=role)
    return user


class ScopedFactory(factory.django.DjangoModelFactory):
    """Creates the row inside its school's scope, so PostgreSQL's row-level security
    (TEN-4) accepts it wherever the test calls the factory."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        with school_scope(kwargs["school"]):
            return super()._create(model_class, *args, **kwargs)


class PupilFactory(ScopedFactory):
    class Meta:
        model = Pupil

    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    username = factory.Sequence(lambda n: f"pupil{n}")
    upn = factory.Sequence(lambda n: valid_upn(n))
    year_group = "7"


def pupil_with_account(school: School, **kwargs) -> Pupil:  # type: ignore[no-untyped-def]
    pupil = PupilFactory(school=school, **kwargs)
    user = UserFactory(username=f"pupil.{school.pk}.{pupil.username}", email="")
    with school_scope(school):
        Membership.objects.create(school=school, user=user, role=Membership.Role.PUPIL)
        pupil.user = user
        pupil.save(update_fields=["user"])
    return pupil


WORLD_YEAR = "2026/27"


def teaching_class(school: School, name: str, teachers=(), pupils=(), **kw) -> TeachingClass:  # type: ignore[no-untyped-def]
    with school_scope(school):
        if not AcademicYear.objects.filter(is_current=True).exists():
            # The tests' world is in 2026/27 whatever the date they run on: a school
            # left to itself would take the calendar's year as its current one.
            academic_year(school, WORLD_YEAR, current=True)
        year = kw.pop("academic_year", WORLD_YEAR)
        c = TeachingClass.objects.create(
            school=school,
            name=name,
            academic_year=year if isinstance(year, AcademicYear) else academic_year(school, year),
            **kw,
        )
        for t in teachers:
            ClassTeacher.objects.create(school=school, teaching_class=c, teacher=t)
        for p in pupils:
            Enrolment.objects.create(school=school, teaching_class=c, pupil=p)
    return c


def academic_year(
    school: School, name: str = WORLD_YEAR, *, current: bool | None = None, closed: bool = False
) -> AcademicYear:
    """The school's academic year `name`, made if new; `current` and `closed` set it so."""
    from markbook.schools import years

    with school_scope(school):
        year = years.academic_year_for(school, name)
        if current is not None or closed:
            if current:
                AcademicYear.objects.filter(is_current=True).exclude(pk=year.pk).update(
                    is_current=False
                )
            year.is_current = bool(current) and not closed
            year.closed_at = timezone.now() if closed else None
            year.save(update_fields=["is_current", "closed_at"])
    return year


def link_parent(parent: User, pupil: Pupil) -> GuardianLink:
    with school_scope(pupil.school_id):
        return GuardianLink.objects.create(school=pupil.school, parent=parent, pupil=pupil)


def stalled_import_job(
    school: School,
    *,
    actor: User | None = None,
    status: str = ImportJob.Status.RUNNING,
    data: bytes | None = b"Surname,Forename,Admission No,Year\nEvans,Eve,A1,7\n",
    idle: timedelta = timedelta(minutes=1),
) -> ImportJob:
    """An MIS import job whose worker died (running) or never came (queued): its last
    sign of life `idle` past the stall cutoff (ROS-2, ROS-4). Its file is kept unless
    `data` is None; no task is queued for it."""
    now = timezone.now()
    with school_scope(school):
        job = ImportJob(
            school=school,
            kind=ImportJob.Kind.MIS,
            status=status,
            filename="mis.csv",
            created_by=actor,
            heartbeat_at=stall_cutoffs(now)[status] - idle,
            started_at=now - timedelta(hours=1) if status == ImportJob.Status.RUNNING else None,
        )
        job.upload = None if data is None else base64.b64encode(data).decode("ascii")
        job.save()
    return job


def markbook_assignment(  # type: ignore[no-untyped-def]
    teaching_class: TeachingClass, title: str = "Test 1", max_mark: int = 20, boundaries=()
):
    """An assignment of the class; `boundaries` as (grade label, lowest mark) on the
    school's built-in GCSE scale (set up on demand) (ASM-3)."""
    from markbook.assessment.models import Assignment, AssignmentBoundary
    from markbook.tracking.models import Grade
    from markbook.tracking.services import tracking_setup

    school = teaching_class.school
    with school_scope(school):
        assignment = Assignment.objects.create(
            school=school, teaching_class=teaching_class, title=title, max_mark=max_mark
        )
        if boundaries:
            tracking_setup(school=school)
            for label, minimum in boundaries:
                grade = Grade.objects.filter(scale__name__startswith="GCSE", label=label).first()
                AssignmentBoundary.objects.create(
                    school=school, assignment=assignment, grade=grade, minimum_mark=minimum
                )
    return assignment


def markbook_drop(teaching_class: TeachingClass, name: str = "Autumn", scale_name: str = ""):  # type: ignore[no-untyped-def]
    """A data drop with working-at and predicted fields, the class linked to a subject on
    the built-in GCSE scale (or `scale_name` for the drop's fields) (ASM-4)."""
    import datetime

    from markbook.tracking.models import DataDrop, DropField, GradeScale

    school = teaching_class.school
    gcse_subject(school, teaching_class.subject or "Maths", [teaching_class])
    with school_scope(school):
        # Asked for again (a crawl of every page), the same drop.
        drop, made = DataDrop.objects.get_or_create(
            school=school, name=name, defaults={"date": datetime.date(2026, 12, 1)}
        )
        own = GradeScale.objects.get(name=scale_name) if scale_name else None
        for position, (key, label) in enumerate(
            [("working_at", "Working at"), ("predicted", "Predicted")]
        ):
            if made:
                DropField.objects.create(
                    school=school, drop=drop, key=key, label=label, scale=own, position=position
                )
    return drop


def gcse_subject(school: School, name: str = "Maths", classes=(), code: str = ""):  # type: ignore[no-untyped-def]
    """The school's subject `name` on its GCSE 9-1 scale (built-in scales installed, the
    subject made once), tracking each of `classes` not yet linked to a subject
    (tracking.SubjectClass) (ASM-4). The one factory of a GCSE subject."""
    from markbook.tracking.models import GradeScale, Subject, SubjectClass
    from markbook.tracking.services import tracking_setup

    with school_scope(school):
        tracking_setup(school=school)
        scale = GradeScale.objects.get(name="GCSE 9-1")
        subject, _ = Subject.objects.get_or_create(
            school=school, name=name, defaults={"scale": scale, "code": code}
        )
        for c in classes:
            SubjectClass.objects.get_or_create(
                school=school, teaching_class=c, defaults={"subject": subject}
            )
    return subject


def tracking_world(world):  # type: ignore[no-untyped-def]
    """School A's tracking set-up (ASM-4): built-in scales, a school-defined scale, Maths
    on GCSE 9-1 tracking 7A and 7B, and an open data drop for year 7. Made once per world."""
    from datetime import date

    from markbook.tracking import drops, scales
    from markbook.tracking.models import DataDrop, Subject
    from markbook.tracking.services import tracking_setup

    with school_scope(world.a):
        made = getattr(world, "_tracking", None)
        if made is not None:
            return made
        tracking_setup(school=world.a)
        custom = scales.scale_create(
            actor=None,
            school=world.a,
            name="Emerging to Greater depth",
            grades=[
                scales.GradeSpec(g) for g in ("Emerging", "Developing", "Secure", "Greater depth")
            ],
        )
        maths = gcse_subject(world.a, "Maths", [world.class_7a, world.class_7b], code="Ma")
        drop = drops.drop_create(
            actor=None, school=world.a, name="Autumn", date=date(2026, 11, 20), year_groups=["7"]
        )
        world._tracking = made = {
            "scale": custom,
            "subject": Subject.objects.get(pk=maths.pk),
            "drop": DataDrop.objects.get(pk=drop.pk),
        }
        return made


def consent_world(world):  # type: ignore[no-untyped-def]
    """School A's register and consent purposes (CON-1, CON-4): Markbook and the default
    purposes, a Year 7 service that needs consent with every field filled, and a purpose
    of the school's own. Made once per world."""
    from datetime import date

    from markbook.consent import services
    from markbook.consent.models import ConsentPurpose, ServiceEntry

    with school_scope(world.a):
        made = getattr(world, "_consent", None)
        if made is not None:
            return made
        services.consent_setup(school=world.a)
        service = services.service_create(
            actor=None,
            school=world.a,
            name="Reading Eggs",
            provider="Blake eLearning",
            website="https://readingeggs.co.uk/",
            purpose="Reading practice at home and in class.",
            data_shared=["identity", "education record"],
            data_detail="First name, last name, class and reading level.",
            service_type=ServiceEntry.Type.PURCHASED,
            year_groups=["7"],
            section=ServiceEntry.Section.PUPILS_PARENTS,
            risk_assessed_on=date(2026, 9, 1),
            risk_status=ServiceEntry.Status.APPROVED,
            consent_needed=True,
            offline_alternative="Printed reading books and a paper log.",
        )
        purpose = services.purpose_create(
            actor=None,
            school=world.a,
            name="Trips on the school blog",
            description="Photographs of school trips on the school's blog.",
        )
        world._consent = made = {
            "service": ServiceEntry.objects.get(pk=service.pk),
            "purpose": ConsentPurpose.objects.get(pk=purpose.pk),
        }
        return made
