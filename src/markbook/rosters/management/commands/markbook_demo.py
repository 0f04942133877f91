"""Seed a demo trust with a secondary and a primary school, and print how to sign in.

Oak Learning Trust: Oakridge Academy (Years 7-11) and Willowbank Primary School
(Reception-Year 6), about 1,200 pupils with realistic names, valid UPNs and a
realistic spread of the optional MIS fields (ROS-2), registration groups, teaching
classes with their teachers and pupils, and parents (some with two children).
Schools are made by `school_create`, rosters by `rosters.bulk.roster_load` (the
same validation as the one-by-one services, one audit event per school).

Only the printed demo accounts get a password (random at each seeding, ACC-2); they
are printed once and written to DATA_DIR/demo-credentials.txt (git-ignored).
Running it again on a seeded database changes nothing; `--reset` wipes the demo
schools (and only them) and seeds again.
"""

import os
import random
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from markbook.accounts.credentials import temporary_password
from markbook.accounts.models import Membership, User
from markbook.assessment.demo import demo_assignments
from markbook.audit import services as audit
from markbook.consent.demo import demo_consent
from markbook.core.tenancy import all_schools, school_scope
from markbook.core.validators import random_uln, upn_check_letter
from markbook.practice.demo import demo_practice
from markbook.rosters import demo_names as n
from markbook.rosters.bulk import NewClass, NewGuardian, NewPupil, NewStaff, RosterLoad, roster_load
from markbook.rosters.models import ClassTeacher, Enrolment, TeachingClass
from markbook.rosters.rollover import ORDER
from markbook.rosters.services import (
    SEN_NEED_CODES,
    class_new,
    current_academic_year,
    pupil_username_generate,
    username_base,
)
from markbook.schools.models import AcademicYear, School, Trust, academic_year_name
from markbook.schools.services import (
    school_create,
    terms_accept,
    trust_admin_create,
    trust_create,
)
from markbook.schools.years import academic_year_current, academic_year_for, school_phase_update
from markbook.support.staff import platform_staff_add
from markbook.tracking.demo import demo_tracking, demo_tracking_wipe

TRUST_NAME = "Oak Learning Trust"
TRUST_ADMIN = ("Margaret", "Osei", "m.osei@oaklearningtrust.org.uk")
# Markbook's own support account: the breach register, the schools' subscriptions, and a
# school's data only under a support grant from its administrator (TEN-6).
PLATFORM_STAFF = ("Sam", "Patel", "support@markbook.example")
LA_CODE = "873"  # Cambridgeshire
# Feeder primaries that issued the UPNs of the secondary's pupils (establishment numbers).
FEEDER_ESTABS = ("2041", "2187", "2213", "2290", "2315", "3021", "3106")
PARENT_DOMAINS = (
    "example.com",
    "example.org",
    "example.net",
)  # reserved: mail never reaches anyone
SEN_NEED_WEIGHTS = {"SLCN": 22, "SEMH": 20, "SPLD": 14, "MLD": 12, "ASD": 14, "OTH": 4}


@dataclass(frozen=True)
class DemoSchool:
    name: str
    phase: str
    urn: str
    estab: str  # LAESTAB is LA_CODE + estab
    domain: str
    years: tuple[str, ...]
    admin: tuple[str, str]
    share: float  # of --pupils


SCHOOLS = (
    DemoSchool(
        name="Oakridge Academy",
        phase="secondary",
        urn="149312",
        estab="4021",
        domain="oakridge-academy.sch.uk",
        years=("7", "8", "9", "10", "11"),
        admin=("Helen", "Carter"),
        share=5 / 6,
    ),
    DemoSchool(
        name="Willowbank Primary School",
        phase="primary",
        urn="149313",
        estab="2187",
        domain="willowbank-primary.sch.uk",
        years=("R", "1", "2", "3", "4", "5", "6"),
        admin=("Priya", "Sharma"),
        share=1 / 6,
    ),
)
PRIMARY_GROUPS = ("Acorn", "Hazel", "Rowan", "Birch", "Maple", "Cedar", "Willow")
FORM_LETTERS = "ABCDEFGH"


@dataclass
class Seeded:
    """What one school's seeding produced, for the printed sign-in block."""

    school: School
    admin_email: str
    admin_password: str
    teacher: NewStaff
    teacher_classes: list[str]
    parent: NewGuardian
    pupil: NewPupil
    counts: dict[str, int] = field(default_factory=dict)


def _year_number(year: str) -> int:
    return 0 if year == "R" else int(year)


def _year_label(year: str) -> str:
    return "Reception" if year == "R" else f"Year {year}"


class _Generator:
    """Makes the rows of one school; `rng` drives every choice so a seed repeats."""

    def __init__(self, rng: random.Random, academic_start: int) -> None:
        self.rng = rng
        self.start = academic_start
        self.upn_serials: dict[tuple[str, str], int] = {}
        self.emails: set[str] = set()
        codes = list(n.ETHNICITY_MIX)
        self.ethnicities = (codes, [n.ETHNICITY_MIX[c][0] for c in codes])

    def upn(self, estab: str, year: str) -> str:
        issued = f"{(self.start - _year_number(year)) % 100:02d}"
        serial = self.upn_serials.get((estab, issued), 0) + 1
        self.upn_serials[(estab, issued)] = serial
        body = f"{LA_CODE}{estab}{issued}{serial:03d}"
        return upn_check_letter(body) + body

    def date_of_birth(self, year: str) -> date:
        # Born between 1 September and 31 August, so the NC year is right (domain.md).
        first = date(self.start - _year_number(year) - 5, 9, 1)
        return first + timedelta(days=self.rng.randrange(365))

    def unique_email(self, local: str, domain: str) -> str:
        email, k = f"{local}@{domain}", 2
        while email in self.emails:
            email, k = f"{local}{k}@{domain}", k + 1
        self.emails.add(email)
        return email

    def adult(self, group: str, woman: bool) -> str:
        if group in ("british", "irish"):
            return self.rng.choice(n.ADULT_WOMEN_NAMES if woman else n.ADULT_MEN_NAMES)
        return self.rng.choice((n.GIRLS_BY_GROUP if woman else n.BOYS_BY_GROUP)[group])

    def staff(self, count: int, domain: str) -> list[NewStaff]:
        codes, weights = self.ethnicities
        rows = []
        for _ in range(count):
            _, first_group, last_group = n.ETHNICITY_MIX[self.rng.choices(codes, weights)[0]]
            first = self.adult(first_group, self.rng.random() < 0.7)
            last = self.rng.choice(n.SURNAMES_BY_GROUP[last_group])
            local = username_base(first[0], last)
            rows.append(NewStaff(self.unique_email(local, domain), first, last))
        return rows

    def pupils(self, spec: DemoSchool, count: int) -> tuple[list[NewPupil], list[list[NewPupil]]]:
        """Pupils spread evenly over the school's years, and families (some siblings)."""
        codes, weights = self.ethnicities
        usernames: set[str] = set()
        rows: list[NewPupil] = []
        families: list[list[NewPupil]] = []
        singles: list[NewPupil] = []
        years = spec.years
        for i in range(count):
            year = years[i * len(years) // count]
            older = [p for p in singles if p.year_group != year]
            if older and self.rng.random() < 0.09:
                sibling = older[self.rng.randrange(len(older))]
                singles.remove(sibling)
                code = sibling.optional["ethnicity"]
                last = sibling.last_name
            else:
                sibling = None
                code = self.rng.choices(codes, weights)[0]
                last = self.rng.choice(n.SURNAMES_BY_GROUP[n.ETHNICITY_MIX[code][2]])
            group = n.ETHNICITY_MIX[code][1]
            sex = self.rng.choice("MF")
            first = self.rng.choice((n.BOYS_BY_GROUP if sex == "M" else n.GIRLS_BY_GROUP)[group])
            # The username is the school's rule (pupil_username_generate) computed here,
            # because the pupil's email is made from it.
            username = pupil_username_generate(
                first_name=first, last_name=last, taken=usernames, known=True
            )
            usernames.add(username)
            pupil = NewPupil(
                first_name=first,
                last_name=last,
                year_group=year,
                username=username,
                email=f"{username}@{spec.domain}" if spec.phase == "secondary" else "",
                upn=self.upn(
                    spec.estab
                    if spec.phase == "primary"
                    else self.rng.choice((*FEEDER_ESTABS, spec.estab)),
                    year,
                ),
                optional=self.mis_fields(spec, year, sex, code, group, i),
            )
            rows.append(pupil)
            if sibling is not None:
                families.append([sibling, pupil])
            else:
                singles.append(pupil)
        families.extend([p] for p in singles)
        return rows, families

    def mis_fields(
        self, spec: DemoSchool, year: str, sex: str, code: str, group: str, i: int
    ) -> dict[str, object]:
        rng = self.rng
        fsm = rng.random() < 0.2
        roll = rng.random()
        sen = "N" if roll < 0.85 else "K" if roll < 0.97 else "E"
        needs, need_weights = list(SEN_NEED_WEIGHTS), list(SEN_NEED_WEIGHTS.values())
        assert set(needs) <= set(SEN_NEED_CODES)
        values: dict[str, object] = {
            "mis_id": f"{spec.urn[-3:]}{i + 1:05d}",
            "sex": sex,
            "date_of_birth": self.date_of_birth(year),
            "fsm": fsm,
            "disadvantaged": fsm or rng.random() < 0.04,
            "sen_provision": sen,
            "sen_need": rng.choices(needs, need_weights)[0] if sen != "N" else None,
            "ethnicity": code,
            "eal": rng.random() < n.EAL_CHANCE[group],
            "gifted_talented": rng.random() < 0.05,
        }
        if spec.phase == "secondary" and rng.random() > 0.04:  # a few arrived without KS2
            shift = -7 if sen != "N" else 0
            for name in ("ks2_reading", "ks2_maths"):
                values[name] = max(80, min(120, round(rng.gauss(104 + shift, 7))))
        if _year_number(year) >= 10:
            values["uln"] = random_uln(rng)
        return values


def _chunks(items: list, parts: int) -> list[list]:
    return [items[k * len(items) // parts : (k + 1) * len(items) // parts] for k in range(parts)]


def _secondary(gen: _Generator, spec: DemoSchool, pupils: list[NewPupil]) -> RosterLoad:
    """Forms 7A, 7B...; Maths and English sets by KS2 score, Science by form."""
    per_year = max(1, len(pupils) // len(spec.years))
    forms = max(1, min(len(FORM_LETTERS), round(per_year / 25)))
    subjects = {"Maths": "Ma", "English": "En", "Science": "Sc"}
    teachers = {s: gen.staff(forms, spec.domain) for s in subjects}
    classes: list[NewClass] = []
    for y, year in enumerate(spec.years):
        cohort = [p for p in pupils if p.year_group == year]
        if not cohort:
            continue
        by_form = _chunks(cohort, forms)
        for letter, members in zip(FORM_LETTERS, by_form, strict=False):
            for p in members:
                p.optional["registration_group"] = f"{year}{letter}"
        for subject, code in subjects.items():
            if subject == "Science":
                groups = by_form
            else:
                score = "ks2_maths" if subject == "Maths" else "ks2_reading"
                ranked = sorted(cohort, key=lambda p: -int(p.optional.get(score) or 100))
                groups = _chunks(ranked, forms)
            for s, members in enumerate(groups):
                if members:
                    teacher = teachers[subject][(s + y) % forms]
                    classes.append(
                        NewClass(
                            name=f"{year}{code}{s + 1}",
                            subject=subject,
                            year_group=year,
                            teachers=[teacher.email],
                            pupils=members,
                        )
                    )
    staff = [t for subject_staff in teachers.values() for t in subject_staff]
    return RosterLoad(staff=staff, pupils=pupils, classes=classes)


def _primary(gen: _Generator, spec: DemoSchool, pupils: list[NewPupil]) -> RosterLoad:
    """One class per year, with English and Maths taught by its class teacher."""
    staff = gen.staff(len(spec.years), spec.domain)
    classes: list[NewClass] = []
    for year, group, teacher in zip(spec.years, PRIMARY_GROUPS, staff, strict=True):
        cohort = [p for p in pupils if p.year_group == year]
        for p in cohort:
            p.optional["registration_group"] = group
        if not cohort:
            continue
        label = _year_label(year)
        for subject in ("English", "Maths"):
            classes.append(
                NewClass(
                    name=f"{label} {subject}",
                    subject=subject,
                    year_group=year,
                    teachers=[teacher.email],
                    pupils=cohort,
                )
            )
    return RosterLoad(staff=staff, pupils=pupils, classes=classes)


def _parents(gen: _Generator, families: list[list[NewPupil]]) -> list[NewGuardian]:
    """A parent account for every family of siblings and about a third of the others."""
    guardians = []
    for children in families:
        if gen.rng.random() >= (0.9 if len(children) > 1 else 0.35):
            continue
        child = children[0]
        group = n.ETHNICITY_MIX[str(child.optional["ethnicity"])][1]
        mother = gen.rng.random() < 0.65
        first = gen.adult(group, mother)
        local = username_base(first, child.last_name)
        guardians.append(
            NewGuardian(
                email=gen.unique_email(local, gen.rng.choice(PARENT_DOMAINS)),
                first_name=first,
                last_name=child.last_name,
                children=children,
                relationship="Mother" if mother else "Father",
            )
        )
    return guardians


def _demo_accounts(
    load: RosterLoad, passwords: list[tuple[str, Future[str]]]
) -> tuple[NewStaff, NewGuardian, NewPupil]:
    """A parent (with two children if there is one), their child, and that child's teacher."""
    parent = max(load.guardians, key=lambda g: len(g.children))
    pupil = parent.children[0]
    teaching = next(c for c in load.classes if any(p is pupil for p in c.pupils))
    teacher = next(s for s in load.staff if s.email == teaching.teachers[0])
    accounts: tuple[NewStaff | NewGuardian | NewPupil, ...] = (teacher, parent, pupil)
    for account, (password, hashed) in zip(accounts, passwords, strict=True):
        account.password, account.password_hash = password, hashed.result()
    teacher.must_change_password = False
    return teacher, parent, pupil


def _hash_in_background(pool: ThreadPoolExecutor, count: int) -> list[tuple[str, Future[str]]]:
    """Random demo passwords, hashed (Argon2id, ~0.5 s each) while the rosters are built."""
    passwords = [temporary_password() for _ in range(count)]
    return [(p, pool.submit(make_password, p)) for p in passwords]


def _split(total: int) -> list[int]:
    counts = [round(total * spec.share) for spec in SCHOOLS]
    counts[-1] = total - sum(counts[:-1])
    return counts


class Command(BaseCommand):
    help = "Seed a demo trust with a secondary and a primary school (about 1,200 pupils)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pupils", type=int, default=1200, help="pupils in all (default 1200)")
        parser.add_argument("--reset", action="store_true", help="wipe the demo schools and reseed")
        parser.add_argument("--seed", type=int, default=None, help="repeat the same names")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="printed sign-in URL")
        parser.add_argument(
            "--credentials-file",
            default=None,
            help="where to write the demo passwords (default DATA_DIR/demo-credentials.txt)",
        )

    def handle(self, *args, **opts):
        total = opts["pupils"]
        if total < 2 * len(SCHOOLS) or total > 20000:
            raise CommandError(f"--pupils must be between {2 * len(SCHOOLS)} and 20000.")
        path = Path(opts["credentials_file"] or Path(settings.DATA_DIR) / "demo-credentials.txt")
        started = time.perf_counter()
        if _existing_demo_schools():
            if not opts["reset"]:
                self.stdout.write(
                    "The demo is already seeded; nothing changed. Its sign-in details are in "
                    f"{path}. Run with --reset to wipe the demo schools and seed them again."
                )
                return
            _wipe()
        rng = random.Random(opts["seed"])
        try:
            with transaction.atomic():
                seeded, passwords = _seed(rng, total)
        except ValidationError as error:
            raise CommandError(f"Demo not seeded: {error.message_dict}") from error
        elapsed = time.perf_counter() - started
        text = _credentials(seeded, passwords, opts["url"].rstrip("/"))
        _write_private(path, text)
        pupils = sum(s.counts["pupils"] for s in seeded)
        self.stdout.write(
            f"Seeded {TRUST_NAME}: {len(seeded)} schools, {pupils:,} pupils in {elapsed:.1f} s.\n"
        )
        self.stdout.write(text)
        self.stdout.write(f"\nThese sign-in details are also in {path} (kept out of git).")


def _existing_demo_schools() -> list[School]:
    # By URN and trust, so --reset can never wipe a real school that happens to share a URN.
    return list(School.objects.filter(urn__in=[s.urn for s in SCHOOLS], trust__name=TRUST_NAME))


@transaction.atomic
def _wipe() -> None:
    """Delete the demo schools, their trust and every account that belonged only to them."""
    schools = _existing_demo_schools()
    ids = [s.pk for s in schools]
    trust_ids = {s.trust_id for s in schools if s.trust_id}
    with all_schools():
        users = set(Membership.objects.filter(school_id__in=ids).values_list("user_id", flat=True))
        users |= set(
            User.objects.filter(trust_roles__trust_id__in=trust_ids).values_list("pk", flat=True)
        )
        elsewhere = set(
            Membership.objects.filter(user_id__in=users)
            .exclude(school_id__in=ids)
            .values_list("user_id", flat=True)
        )
        # The demo schools' whole chains go with them; every other chain is untouched.
        for school_id in ids:
            audit.school_chain_delete(school_id=school_id)
        demo_tracking_wipe(ids)
        try:
            School.objects.filter(pk__in=ids).delete()
        except ProtectedError as error:
            raise CommandError(f"The demo schools could not be wiped: {error}") from error
        Trust.objects.filter(pk__in=trust_ids, schools__isnull=True).delete()
        User.objects.filter(pk__in=users - elsewhere).delete()


def _seed(rng: random.Random, total: int) -> tuple[list[Seeded], dict[str, str]]:
    """The schools, and the passwords of the trust's administrator and platform staff."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        passwords = [_hash_in_background(pool, 3) for _ in SCHOOLS]
        seeded, trust_password = _seed_schools(rng, total, passwords)
    return seeded, {"trust": trust_password, "platform": _platform_staff()}


def _platform_staff() -> str:
    """The demo's platform staff account, with a new password at each seeding. It
    belongs to no school, so --reset keeps it (and gives it a new password)."""
    first, last, email = PLATFORM_STAFF
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user, password = platform_staff_add(email=email, first_name=first, last_name=last)
    elif not (user.is_platform_staff and user.is_active):
        raise CommandError(f"{email} has an account that is not the demo's platform staff.")
    else:
        password = temporary_password()
        user.set_password(password)
        user.save(update_fields=["password"])
    _no_forced_change(user)
    return password


def _seed_schools(
    rng: random.Random, total: int, passwords: list[list[tuple[str, Future[str]]]]
) -> tuple[list[Seeded], str]:
    trust = trust_create(name=TRUST_NAME)
    first, last, email = TRUST_ADMIN
    trust_admin, trust_password = trust_admin_create(
        trust=trust, email=email, first_name=first, last_name=last
    )
    _no_forced_change(trust_admin)
    academic_year = current_academic_year()
    gen = _Generator(rng, int(academic_year[:4]))
    seeded = []
    for spec, count, demo_passwords in zip(SCHOOLS, _split(total), passwords, strict=True):
        created = school_create(
            name=spec.name,
            admin_email=f"admin@{spec.domain}",
            admin_first_name=spec.admin[0],
            admin_last_name=spec.admin[1],
            urn=spec.urn,
            trust=trust,
            email_domains=[spec.domain],
            status=School.Status.ACTIVE,
        )
        school, admin = created.school, created.admin
        _no_forced_change(admin)
        gen.emails.add(admin.email)
        with school_scope(school):
            terms_accept(school=school, user=admin, version=settings.MARKBOOK_TERMS_VERSION)
            school_phase_update(actor=admin, school=school, phase=spec.phase, sixth_form=False)
            current = academic_year_current(school)
            pupils, families = gen.pupils(spec, count)
            build = _secondary if spec.phase == "secondary" else _primary
            load = build(gen, spec, pupils)
            load.guardians = _parents(gen, families) or _parents_fallback(gen, families)
            teacher, parent, pupil = _demo_accounts(load, demo_passwords)
            loaded = roster_load(
                actor=admin,
                school=school,
                load=load,
                academic_year=current,
                action="rosters.demo.seeded",
            )
            taught = {c.name for c in load.classes if teacher.email in c.teachers}
            _previous_year(admin, school, current, [c for c in loaded.classes if c.name in taught])
            demo_tracking(school)
            demo_consent(school)  # the register and parents' answers (CON-1, CON-2)
            demo_practice(school)  # practice history, boards, a practice homework (ASM-2, ASM-6)
            if spec.phase == "secondary":
                demo_assignments(school)  # after tracking's subjects, for boundaries
        seeded.append(
            Seeded(
                school=school,
                admin_email=admin.email,
                admin_password=created.temporary_password,
                teacher=teacher,
                teacher_classes=[c.name for c in load.classes if teacher.email in c.teachers],
                parent=parent,
                pupil=pupil,
                counts={
                    "pupils": len(loaded.pupils),
                    "staff": len(loaded.staff) + 1,
                    "classes": len(loaded.classes),
                    "parents": len(loaded.guardians),
                },
            )
        )
    return seeded, trust_password


def _previous_year(
    admin: User, school: School, current: AcademicYear, classes: list[TeachingClass]
) -> None:
    """Last year, archived, as the year-end rollover leaves it (ROS-1): the demo
    teacher's classes as they were then (or, if they teach only the school's first
    year, one other class), a year group lower, with the same pupils."""
    previous = academic_year_for(
        school, academic_year_name(date(current.start_date.year - 1, 9, 1))
    )
    first = "7" if school.phase == School.Phase.SECONDARY else "R"
    eligible = [c for c in classes if ORDER.index(c.year_group) > ORDER.index(first)]
    if not eligible:
        eligible = [
            c
            for c in TeachingClass.objects.order_by("name")
            if ORDER.index(c.year_group) > ORDER.index(first)
        ][:1]
    # Written in bulk with one summary event, as roster_load seeds this year.
    links, enrolments = [], []
    for teaching_class in eligible:
        earlier = ORDER[ORDER.index(teaching_class.year_group) - 1]
        old = class_new(
            school=school,
            name=re.sub(r"\d+", earlier, teaching_class.name, count=1),
            subject=teaching_class.subject,
            year_group=earlier,
            academic_year=previous,
        )
        old.save()
        links += [
            ClassTeacher(school=school, teaching_class=old, teacher_id=link.teacher_id)
            for link in teaching_class.teacher_links.all()
        ]
        enrolments += [
            Enrolment(school=school, teaching_class=old, pupil_id=e.pupil_id)
            for e in teaching_class.enrolments.all()
        ]
    ClassTeacher.objects.bulk_create(links)
    Enrolment.objects.bulk_create(enrolments)
    # Closed as the rollover closes a year, without moving anyone: they moved up then.
    previous.closed_at = timezone.now()
    previous.save(update_fields=["closed_at"])
    audit.record(
        actor=admin,
        school=school,
        action="rosters.demo.last_year_seeded",
        target=previous,
        data={"classes": len(eligible), "enrolments": len(enrolments)},
    )


def _parents_fallback(gen: _Generator, families: list[list[NewPupil]]) -> list[NewGuardian]:
    """With very few pupils chance may give no parent at all; the demo needs one."""
    while True:
        guardians = _parents(gen, families[:1])
        if guardians:
            return guardians


def _no_forced_change(user: User) -> None:
    # Demo accounts are shared by people trying Markbook: no first-sign-in change (ACC-2).
    user.must_change_password = False
    user.save(update_fields=["must_change_password"])


def _credentials(seeded: list[Seeded], passwords: dict[str, str], url: str) -> str:
    login = f"{url}{reverse('account_login')}"
    lines = [
        "Markbook demo sign-in details",
        "=============================",
        f"Markbook: {url}/",
        f"Staff, parents and trust administrators sign in at {login} with email and password.",
        "",
        "Markbook's platform staff (breach register, schools' subscriptions; a school's data",
        "only under a support grant from one of its administrators)",
        f"  Platform staff       {PLATFORM_STAFF[2]}  password: {passwords['platform']}",
        "",
        f"{TRUST_NAME}",
        f"  Trust administrator  {TRUST_ADMIN[2]}  password: {passwords['trust']}",
    ]
    for s in seeded:
        children = ", ".join(
            f"{c.first_name} {c.last_name} ({_year_label(c.year_group)})" for c in s.parent.children
        )
        pupil = s.pupil
        c = s.counts
        lines += [
            "",
            f"{s.school.name} (URN {s.school.urn}): {c['pupils']:,} pupils, {c['staff']} staff, "
            f"{c['classes']} classes, {c['parents']} parents",
            f"  School administrator  {s.admin_email}  password: {s.admin_password}",
            f"  Teacher ({', '.join(s.teacher_classes)})",
            f"                        {s.teacher.email}  password: {s.teacher.password}",
            f"  Parent of {children}",
            f"                        {s.parent.email}  password: {s.parent.password}",
            f"  Pupil {pupil.first_name} {pupil.last_name} ({_year_label(pupil.year_group)}) signs in at "
            f"{url}/signin/{s.school.signin_slug}/",
            f"                        username: {pupil.username}  password: {pupil.password}",
        ]
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
