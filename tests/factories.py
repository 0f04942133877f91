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
from markbook.schools.models import School, TermsAcceptance, Trust

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


def teaching_class(school: School, name: str, teachers=(), pupils=(), **kw) -> TeachingClass:  # type: ignore[no-untyped-def]
    with school_scope(school):
        c = TeachingClass.objects.create(
            school=school, name=name, academic_year=kw.pop("academic_year", "2026/27"), **kw
        )
        for t in teachers:
            ClassTeacher.objects.create(school=school, teaching_class=c, teacher=t)
        for p in pupils:
            Enrolment.objects.create(school=school, teaching_class=c, pupil=p)
    return c


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


def tracking_world(world):  # type: ignore[no-untyped-def]
    """School A's tracking set-up (ASM-4): built-in scales, a school-defined scale, Maths
    on GCSE 9-1 tracking 7A and 7B, and an open data drop for year 7. Made once per world."""
    from datetime import date

    from markbook.tracking import drops, scales
    from markbook.tracking.models import DataDrop, GradeScale, Subject
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
        maths = scales.subject_create(
            actor=None,
            school=world.a,
            name="Maths",
            code="Ma",
            scale=GradeScale.objects.get(name="GCSE 9-1"),
        )
        scales.subject_class_link(actor=None, subject=maths, teaching_class=world.class_7a)
        scales.subject_class_link(actor=None, subject=maths, teaching_class=world.class_7b)
        drop = drops.drop_create(
            actor=None, school=world.a, name="Autumn", date=date(2026, 11, 20), year_groups=["7"]
        )
        world._tracking = made = {
            "scale": custom,
            "subject": Subject.objects.get(pk=maths.pk),
            "drop": DataDrop.objects.get(pk=drop.pk),
        }
        return made
