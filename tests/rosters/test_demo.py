"""The demo seed command `markbook_demo` (TEN-1, TEN-2, ROS-1, ROS-2, ACC-2, ACC-3)."""

import io
import re
from collections import Counter
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection
from django.test import Client

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import all_schools, school_scope
from markbook.core.validators import uln_problem, upn_problem
from markbook.rosters.management.commands.markbook_demo import SCHOOLS, TRUST_NAME
from markbook.rosters.models import ClassTeacher, Enrolment, GuardianLink, Pupil, TeachingClass
from markbook.rosters.rollover import next_year_group
from markbook.rosters.services import ETHNICITY_CODES, SEN_NEED_CODES, current_academic_year
from markbook.schools.models import AcademicYear, School, Trust, TrustAdmin, academic_year_name

PUPILS = 48


@pytest.fixture
def seed(db, tmp_path):  # type: ignore[no-untyped-def]
    """seed(*args) runs the command with a small roster; returns (stdout, credentials text)."""
    credentials = tmp_path / "demo-credentials.txt"

    def run(*args: str, pupils: int = PUPILS) -> tuple[str, str]:
        out = io.StringIO()
        call_command(
            "markbook_demo",
            "--pupils",
            str(pupils),
            "--seed",
            "7",
            "--credentials-file",
            str(credentials),
            *args,
            stdout=out,
        )
        return out.getvalue(), credentials.read_text() if credentials.exists() else ""

    return run


def demo_schools() -> list[School]:
    return list(School.objects.filter(urn__in=[s.urn for s in SCHOOLS]).order_by("urn"))


def all_pupils() -> list[Pupil]:
    with all_schools():
        return list(Pupil.objects.select_related("school"))


def test_demo_creates_a_trust_with_a_secondary_and_a_primary_school(seed):
    seed()
    trust = Trust.objects.get(name=TRUST_NAME)
    secondary, primary = demo_schools()
    for school in (secondary, primary):
        assert school.trust == trust
        assert school.status == School.Status.ACTIVE
        assert re.fullmatch(r"\d{6}", school.urn)
        assert school.email_domains and "." in school.email_domains[0]
        assert school.terms_accepted(django_settings.MARKBOOK_TERMS_VERSION)
    with all_schools():
        assert {p.year_group for p in Pupil.objects.filter(school=secondary)} == {
            "7",
            "8",
            "9",
            "10",
            "11",
        }
        assert {p.year_group for p in Pupil.objects.filter(school=primary)} == {
            "R",
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
        }
        assert Pupil.objects.count() == PUPILS


def test_every_role_exists_in_each_school_and_the_trust(seed):
    seed()
    with all_schools():
        for school in demo_schools():
            roles = set(Membership.objects.filter(school=school).values_list("role", flat=True))
            assert roles == {"pupil", "parent", "teacher", "school_admin"}
            assert ClassTeacher.objects.filter(school=school).exists()
            assert GuardianLink.objects.filter(school=school).exists()
    assert TrustAdmin.objects.filter(trust__name=TRUST_NAME).count() == 1


def test_every_upn_is_valid_and_unique(seed):
    seed()
    upns = [p.upn for p in all_pupils()]
    assert all(upn and upn_problem(upn) is None for upn in upns)
    assert len(set(upns)) == len(upns)


def test_every_pupil_is_in_a_class_of_their_own_year_group(seed):
    seed()
    with all_schools():
        for pupil in Pupil.objects.all():
            years = set(
                Enrolment.objects.filter(
                    pupil=pupil, teaching_class__academic_year__is_current=True
                ).values_list("teaching_class__year_group", flat=True)
            )
            assert years == {pupil.year_group}, pupil.username


def test_the_demo_has_the_current_year_and_last_year_archived(seed):
    """ROS-1: the current year with every class, and last year archived with the demo
    teacher's classes of then, a year group lower, with the same pupils."""
    seed()
    with all_schools():
        for school in School.objects.all():
            years = list(AcademicYear.objects.filter(school=school).order_by("start_date"))
            assert [(y.is_current, y.archived) for y in years] == [(False, True), (True, False)]
            assert years[1].name == academic_year_name(years[0].end_date)
            old = list(TeachingClass.objects.filter(academic_year=years[0]))
            assert old, school.name
            for c in old:
                grades = {e.pupil.year_group for e in c.enrolments.select_related("pupil")}
                assert grades == {next_year_group(c.year_group)}, c.name
            assert school.phase in ("primary", "secondary")


def test_secondary_pupils_have_english_maths_and_science_classes(seed):
    seed()
    secondary, primary = demo_schools()
    with school_scope(secondary):
        for pupil in Pupil.objects.all():
            subjects = set(
                TeachingClass.objects.filter(enrolments__pupil=pupil).values_list(
                    "subject", flat=True
                )
            )
            # The core subjects; the tracking demo adds foundation and option classes (ASM-4).
            assert {"English", "Maths", "Science"} <= subjects
    with school_scope(primary):
        assert set(TeachingClass.objects.values_list("subject", flat=True)) == {
            "English",
            "Maths",
        }
        assert TeachingClass.objects.filter(teacher_links__isnull=True).count() == 0


def test_mis_fields_are_realistic_and_consistent_with_the_year_group(seed):
    seed()
    start = int(current_academic_year()[:4])
    for pupil in all_pupils():
        year = 0 if pupil.year_group == "R" else int(pupil.year_group)
        born_from = date(start - year - 5, 9, 1)
        assert born_from <= pupil.date_of_birth < born_from.replace(year=born_from.year + 1)
        assert pupil.sex in ("M", "F")
        assert pupil.ethnicity in ETHNICITY_CODES
        assert pupil.sen_provision in ("N", "K", "E")
        assert (pupil.sen_need is None) == (pupil.sen_provision == "N")
        assert pupil.sen_need is None or pupil.sen_need in SEN_NEED_CODES
        assert pupil.fsm in (True, False)
        assert not pupil.fsm or pupil.disadvantaged
        assert pupil.registration_group
        if pupil.school.urn == SCHOOLS[0].urn:
            assert re.fullmatch(rf"{pupil.year_group}[A-H]", pupil.registration_group)
            assert pupil.email.endswith("@" + pupil.school.email_domains[0])
            for score in (pupil.ks2_reading, pupil.ks2_maths):
                assert score is None or 80 <= score <= 120
        else:
            assert pupil.ks2_reading is None and pupil.ks2_maths is None
        assert not pupil.uln or uln_problem(pupil.uln) is None


# The generated names, proportions and families at the default size: the same numbers
# on any database, and the longest of these tests, so run once, on SQLite (.ci/run).
@pytest.mark.database_agnostic
def test_the_full_default_roster_has_realistic_proportions(seed):
    seed(pupils=1200)  # the default size
    pupils = all_pupils()
    share = lambda test: sum(1 for p in pupils if test(p)) / len(pupils)  # noqa: E731
    assert 0.14 <= share(lambda p: p.fsm) <= 0.28
    assert 0.16 <= share(lambda p: p.disadvantaged) <= 0.32
    assert 0.80 <= share(lambda p: p.sen_provision == "N") <= 0.90
    assert 0.0 < share(lambda p: p.sen_provision == "E") <= 0.07
    assert 0.45 <= share(lambda p: p.ethnicity == "WBRI") <= 0.70
    assert len({p.ethnicity for p in pupils}) >= 10
    assert len(pupils) == 1200
    assert len({p.first_name for p in pupils}) >= 150
    assert len({p.last_name for p in pupils}) >= 100
    with all_schools():
        children = Counter(GuardianLink.objects.values_list("parent", flat=True))
    assert 0.2 <= len(children) / len(pupils) <= 0.5
    assert set(children.values()) == {1, 2}  # some parents have two children


def test_printed_sign_in_details_work_for_every_demo_account(seed):
    out, saved = seed()
    assert saved and saved in out
    emails = re.findall(r"(\S+@\S+)  password: (\S+)", saved)
    # Platform staff, trust admin; admin, teacher, parent per school.
    assert len(emails) == 2 + 3 * len(SCHOOLS)
    assert User.objects.get(email=emails[0][0]).is_platform_staff
    for email, password in emails:
        client = Client()
        assert client.login(email=email, password=password), email
        page = client.get("/", follow=True)
        assert page.status_code == 200, email
        assert all("password" not in url for url, _ in page.redirect_chain), email
        assert not User.objects.get(email=email).must_change_password
        assert not client.login(email=email, password=password + "x")
    pupils = re.findall(r"/signin/([^/\s]+)/\s+username: (\S+)  password: (\S+)", saved)
    assert len(pupils) == len(SCHOOLS)
    for slug, username, password in pupils:
        school = School.objects.get(signin_slug=slug)
        user = authenticate(None, school=school, pupil_username=username, password=password)
        assert user is not None and user.pupil.username == username
        assert authenticate(None, school=school, pupil_username=username, password="wrong") is None


def test_only_the_printed_demo_accounts_have_a_password(seed):
    seed()
    usable = [u for u in User.objects.all() if u.has_usable_password()]
    assert len(usable) == 2 + 4 * len(SCHOOLS)
    with all_schools():
        pupil_users = User.objects.filter(pupil__isnull=False)
        assert sum(u.has_usable_password() for u in pupil_users) == len(SCHOOLS)
        assert all(
            u.username == f"pupil.{u.pupil.school_id}.{u.pupil.username}" for u in pupil_users
        )


def test_running_it_again_changes_nothing(seed):
    seed()
    counts = (User.objects.count(), School.objects.count(), Trust.objects.count())
    with all_schools():
        counts += (Pupil.objects.count(), AuditEvent.objects.count())
    out, _ = seed()
    assert "already seeded" in out
    again = (User.objects.count(), School.objects.count(), Trust.objects.count())
    with all_schools():
        again += (Pupil.objects.count(), AuditEvent.objects.count())
    assert again == counts


def test_reset_reseeds_the_demo_and_leaves_other_schools_alone(seed, world):
    _, first = seed()
    _, second = seed("--reset")
    assert first != second  # new random passwords
    assert Trust.objects.filter(name=TRUST_NAME).count() == 2  # the world's trust, and the demo's
    assert len(demo_schools()) == 2
    with all_schools():
        assert Pupil.objects.filter(school=world.a).count() == 3
        assert Pupil.objects.filter(school=world.b).count() == 1
        assert Pupil.objects.count() == 4 + PUPILS
    assert User.objects.filter(email=world.teacher.email).exists()
    # The platform staff account belongs to no school: kept, with a new password.
    staff = re.findall(r"Platform staff +(\S+@\S+)  password: (\S+)", second)
    assert [email for email, _ in staff] == [world.platform_staff.email]
    assert User.objects.get(email=staff[0][0]).check_password(staff[0][1])
    assert audit.verify_all() == []


def test_access_log_is_intact_with_one_summary_event_per_school(seed):
    seed()
    assert audit.verify_all() == []
    with all_schools():
        for school in demo_schools():
            actions = list(
                AuditEvent.objects.filter(school=school)
                .order_by("seq")
                .values_list("action", flat=True)
            )
            # The secondary's term of assignments is one more summary (ASM-1).
            extra = ["assessment.demo.seeded"] if school.name == SCHOOLS[0].name else []
            # The roster's events; the tracking demo's own follow them (ASM-4).
            actions = [a for a in actions if not a.startswith("tracking.")]
            assert actions == [
                "schools.school.created",
                "schools.terms.accepted",
                "schools.phase.changed",
                "rosters.demo.seeded",
                "rosters.demo.last_year_seeded",
                "consent.demo.seeded",  # the register and parents' answers (CON-1, CON-2)
                "practice.demo.seeded",  # practice history and the boards (ASM-2, ASM-6)
                *extra,
            ]
            summary = AuditEvent.objects.get(school=school, action="rosters.demo.seeded")
            assert summary.data["pupils_created"] == Pupil.objects.filter(school=school).count()


def test_sensitive_fields_are_ciphertext_in_the_database(seed):
    seed()
    with all_schools(), connection.cursor() as cursor:
        cursor.execute("SELECT fsm, disadvantaged, sen_provision, ethnicity FROM rosters_pupil")
        rows = cursor.fetchall()
    assert len(rows) == PUPILS
    for row in rows:
        for value in row:
            assert value.startswith("v1:")
            assert value not in ("0", "1", "N", "K", "E") and value[3:] not in ETHNICITY_CODES
    assert {p.sen_provision for p in all_pupils()} <= {"N", "K", "E"}


def test_too_few_pupils_is_refused_with_a_clear_message(seed):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--pupils must be between"):
        seed(pupils=1)
    assert not demo_schools()


def test_the_secondary_school_has_a_term_of_marked_assignments(seed):
    """ASM-1, ASM-3: a few assignments per class, with marks, Absent, Not required and
    missing; the one still to come has none. Reset wipes them with the school."""
    from markbook.assessment.models import Assignment, Mark
    from markbook.assessment.selectors import completion
    from markbook.core.tenancy import school_scope

    seed()
    secondary = next(s for s in demo_schools() if s.name == SCHOOLS[0].name)
    with school_scope(secondary):
        assignments = list(Assignment.objects.all())
        statuses = set(Mark.objects.values_list("status", flat=True))
        done = completion(assignments)
    assert len(assignments) >= 3 * len({a.teaching_class_id for a in assignments})
    assert statuses == {"marked", "absent", "not_required"}
    assert any(c.missing for c in done.values())
    # Practice homework is done online before it is due, so it may have marks already.
    future = [a for a in assignments if a.due_date > date.today() and a.question_set_id is None]
    assert future and all(done[a.pk].marked == 0 for a in future)
    seed("--reset")
    with school_scope(secondary):
        assert not Assignment.objects.exists()


def test_the_demo_has_practice_history_boards_and_a_practice_homework(seed):
    """ASM-2, ASM-6: the demo pupils practised for weeks (some facts hard: more wrong
    answers and slower), the boards were rebuilt from it and show this week, and one
    class has a practice set as homework whose scores count as marks."""
    from markbook.assessment.models import Assignment, Mark
    from markbook.practice.models import BoardEntry, Item

    seed()
    with all_schools():
        for school in demo_schools():
            with school_scope(school):
                items = Item.objects.filter(school=school)
                assert items.count() > 20 * Item.objects.values("pupil_id").distinct().count()
                wrong = items.filter(correct=False).count() / items.count()
                assert 0.05 < wrong < 0.4
                assert BoardEntry.objects.filter(school=school, period="week").exists()
                assert BoardEntry.objects.filter(school=school, on_global=True).exists()
                homework = Assignment.objects.get(question_set__isnull=False)
                assert homework.score_is_mark
                assert Mark.objects.filter(assignment=homework, from_practice=True).exists()
