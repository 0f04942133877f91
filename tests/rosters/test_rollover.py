"""Academic years and the year-end rollover (ROS-1, SEC-1, TEN-3, TEN-4).

School A (Oakfield Academy) has Amy, Ben and Cal in Year 7 and classes 7A and 7B in
2026/27; School B its own pupil Dee and class B1.
"""

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from markbook.assessment import services as assessment
from markbook.core.tenancy import school_scope
from markbook.rosters import rollover, services
from markbook.rosters.models import Pupil, TeachingClass
from markbook.schools import years
from markbook.schools.models import AcademicYear, School
from tests import factories as f
from tests.conftest import ROLES, World
from tests.rosters.conftest import actions


def _year(school: School) -> AcademicYear:
    with school_scope(school):
        return years.academic_year_current(school)


def _phase(school: School, phase: str, sixth_form: bool = False) -> None:
    school.phase, school.sixth_form = phase, sixth_form
    school.save(update_fields=["phase", "sixth_form"])


def _pupils(school: School, **by_year: int) -> list[Pupil]:
    """Pupils on roll: _pupils(a, y11=2, yR=1) makes two Year 11 and one Reception."""
    made = []
    for key, count in by_year.items():
        made += [f.PupilFactory(school=school, year_group=key[1:]) for _ in range(count)]
    return made


def _groups(school: School) -> dict[str, str]:
    with school_scope(school):
        return {p.username: (p.year_group, p.status, p.left_on) for p in Pupil.objects.all()}


# --- Services -------------------------------------------------------------------


def test_preview_counts_movers_leavers_and_classes_and_writes_nothing(world: World):
    """ROS-1: the preview says what will happen, with the leavers by name."""
    _phase(world.a, "secondary")
    leavers = _pupils(world.a, y11=2)
    _pupils(world.a, y10=1)
    gone = f.PupilFactory(school=world.a, year_group="11", status=Pupil.Status.LEFT)
    before = _groups(world.a)
    with school_scope(world.a):
        plan = rollover.rollover_preview(school=world.a, year=_year(world.a))
    assert plan.problems == []
    assert plan.counts() == {"promoted": 4, "leavers": 2, "classes_archived": 2}
    assert {p.pk for p in plan.leavers} == {p.pk for p in leavers}
    assert gone.pk not in {p.pk for p in plan.leavers + plan.promoted}
    assert (plan.next_name, plan.leaving_date) == ("2027/28", date(2027, 8, 31))
    assert _groups(world.a) == before


def test_perform_promotes_marks_leavers_archives_classes_and_opens_the_next_year(world: World):
    """ROS-1, SEC-1: one transaction does it all, audited with the counts and the year."""
    _phase(world.a, "secondary")
    (leaver,) = _pupils(world.a, y11=1)
    old = _year(world.a)
    with school_scope(world.a):
        plan = rollover.rollover_perform(actor=world.admin, school=world.a, year=old)
        assert plan.counts() == {"promoted": 3, "leavers": 1, "classes_archived": 2}
        groups = {p.pk: p for p in Pupil.objects.all()}
        assert {groups[p.pk].year_group for p in (world.amy, world.ben, world.cal)} == {"8"}
        assert (groups[leaver.pk].status, groups[leaver.pk].left_on) == ("left", date(2027, 8, 31))
        assert groups[leaver.pk].year_group == "11"
        old.refresh_from_db()
        assert (old.is_current, old.archived) == (False, True)
        new = years.academic_year_current(world.a)
        assert (new.name, new.start_date, new.end_date) == (
            "2027/28",
            date(2027, 9, 1),
            date(2028, 8, 31),
        )
        # Archived, not deleted: still there under the old year.
        assert {c.name for c in TeachingClass.objects.filter(academic_year=old)} == {
            "7A Maths",
            "7B Maths",
        }
        assert all(c.archived for c in TeachingClass.objects.all())
    (event,) = actions(world.a, "rosters.year.rolled_over")
    assert event.data == {
        "academic_year": "2026/27",
        "next_academic_year": "2027/28",
        "leaving_date": "2027-08-31",
        "final_year_group": "11",
        "promoted": 3,
        "leavers": 1,
        "classes_archived": 2,
    }
    changed = {e.target_id: e.data for e in actions(world.a, "rosters.pupil.changed")}
    assert changed[str(world.amy.pk)] == {"year_group": {"old": "7", "new": "8"}}
    assert changed[str(leaver.pk)]["status"] == {"old": "on_roll", "new": "left"}
    # School B is untouched.
    assert _groups(world.b)["dee.davies"] == ("5", "on_roll", None)


@pytest.mark.parametrize(
    ("phase", "sixth_form", "last"),
    [
        ("primary", False, "6"),
        ("primary", True, "6"),  # a primary school has no sixth form
        ("secondary", False, "11"),
        ("secondary", True, "13"),
        ("all_through", False, "11"),
        ("all_through", True, "13"),
    ],
)
def test_leavers_are_the_schools_final_year(world: World, phase, sixth_form, last):
    """ROS-1: primary pupils leave after Year 6, secondary after Year 11, or Year 13
    with a sixth form; everyone else moves up one NC year (N1 -> N2 -> R -> 1)."""
    school = world.b
    with school_scope(school):
        years.school_phase_update(actor=None, school=school, phase=phase, sixth_form=sixth_form)
    assert school.final_year_group == last
    made = {
        p.username: p.year_group
        for p in _pupils(school, yN1=1, yN2=1, yR=1, y5=1, y6=1, y10=1, y11=1, y12=1, y13=1)
    }
    with school_scope(school):
        rollover.rollover_perform(actor=world.other_admin, school=school, year=_year(school))
    after = _groups(school)
    order = [code for code, _ in rollover.YEAR_GROUPS]
    for username, group in made.items():
        if order.index(group) >= order.index(last):
            assert after[username] == (group, "left", date(2027, 8, 31)), group
        else:
            assert after[username] == (rollover.next_year_group(group), "on_roll", None), group
    assert rollover.next_year_group("R") == "1" and rollover.next_year_group("N2") == "R"


def test_running_twice_does_not_promote_twice(world: World):
    """ROS-1: the rollover is tied to the year it closes; the second run is refused
    and changes nothing, and the preview says so."""
    _phase(world.a, "secondary")
    old = _year(world.a)
    with school_scope(world.a):
        rollover.rollover_perform(actor=world.admin, school=world.a, year=old)
        after_first = _groups(world.a)
        with pytest.raises(ValidationError, match="already moved up"):
            rollover.rollover_perform(actor=world.admin, school=world.a, year=old)
        old.refresh_from_db()
        assert rollover.rollover_preview(school=world.a, year=old).problems
    assert _groups(world.a) == after_first
    assert len(actions(world.a, "rosters.year.rolled_over")) == 1
    with school_scope(world.a):
        assert years.academic_year_current(world.a).name == "2027/28"
        assert AcademicYear.objects.count() == 2


def test_the_next_year_may_then_be_closed_in_its_turn(world: World):
    """ROS-1: closing 2027/28 after 2026/27 moves everyone up again, once."""
    _phase(world.a, "secondary")
    with school_scope(world.a):
        rollover.rollover_perform(actor=world.admin, school=world.a, year=_year(world.a))
        rollover.rollover_perform(actor=world.admin, school=world.a, year=_year(world.a))
        assert years.academic_year_current(world.a).name == "2028/29"
    assert _groups(world.a)["amy.adams"][0] == "9"


def test_refused_without_the_schools_phase_or_for_a_year_not_current(world: World):
    """ROS-1: who leaves depends on the phase, so it must be set; only the current year closes."""
    before = _groups(world.a)
    with school_scope(world.a), pytest.raises(ValidationError, match="primary or secondary"):
        rollover.rollover_perform(actor=world.admin, school=world.a, year=_year(world.a))
    _phase(world.a, "secondary")
    other = f.academic_year(world.a, "2027/28")
    with school_scope(world.a), pytest.raises(ValidationError, match="not the current"):
        rollover.rollover_perform(actor=world.admin, school=world.a, year=other)
    assert _groups(world.a) == before
    assert actions(world.a, "rosters.year.rolled_over") == []


def test_refused_when_the_roster_changed_since_the_preview(world: World):
    """ROS-1: the confirm carries the preview's counts; different counts now refuse."""
    _phase(world.a, "secondary")
    before = _groups(world.a)
    with school_scope(world.a), pytest.raises(ValidationError, match="changed since"):
        rollover.rollover_perform(
            actor=world.admin,
            school=world.a,
            year=_year(world.a),
            expected={"promoted": 3, "leavers": 1, "classes_archived": 2},
        )
    assert _groups(world.a) == before


def test_a_new_school_gets_the_calendars_year_as_current(world: World):
    """ROS-1: UK years run 1 September to 31 August; the first one is the calendar's."""
    school = f.SchoolFactory()
    with school_scope(school):
        year = years.academic_year_current(school)
        assert year.is_current and year.name == services.current_academic_year()
        assert (year.start_date.month, year.start_date.day) == (9, 1)
        assert (year.end_date.month, year.end_date.day) == (8, 31)
        assert years.academic_year_current(school) == year
    assert years.calendar_year_start(date(2027, 8, 31)) == date(2026, 9, 1)
    assert years.calendar_year_start(date(2027, 9, 1)) == date(2027, 9, 1)
    with pytest.raises(ValidationError):
        years.academic_year_dates("2026/28")


def test_academic_year_names_are_unique_per_school_not_across_schools(world: World):
    """TEN-4: each school has its own 2026/27."""
    assert _year(world.a).name == _year(world.b).name
    assert _year(world.a).pk != _year(world.b).pk
    with school_scope(world.a):
        assert list(AcademicYear.objects.values_list("name", flat=True)) == ["2026/27"]


# --- Archived classes -----------------------------------------------------------


def _archive(world: World) -> AcademicYear:
    _phase(world.a, "secondary")
    old = _year(world.a)
    with school_scope(world.a):
        rollover.rollover_perform(actor=world.admin, school=world.a, year=old)
        world.class_7a.refresh_from_db()
    return old


def test_an_archived_class_takes_no_new_pupils(world: World):
    """ROS-1: read-only: no enrolment, removal or move; the service says why."""
    _archive(world)
    pupil = f.PupilFactory(school=world.a)
    with school_scope(world.a):
        with pytest.raises(ValidationError, match="7A Maths is archived with 2026/27"):
            services.enrolment_add(actor=world.admin, teaching_class=world.class_7a, pupil=pupil)
        with pytest.raises(ValidationError, match="archived"):
            services.enrolment_remove(
                actor=world.admin, teaching_class=world.class_7a, pupil=world.amy
            )
        new = services.class_create(actor=world.admin, school=world.a, name="8A Maths")
        assert new.academic_year.name == "2027/28"
        with pytest.raises(ValidationError, match="archived"):
            services.pupil_move(
                actor=world.admin, pupil=world.amy, from_class=world.class_7a, to_class=new
            )
        with pytest.raises(ValidationError, match="archived"):
            services.class_update(actor=world.admin, teaching_class=world.class_7a, name="X")
        with pytest.raises(ValidationError) as error:
            services.class_create(
                actor=world.admin, school=world.a, name="7C Maths", academic_year="2026/27"
            )
        assert error.value.message_dict == {
            "academic_year": ["2026/27 is archived: its classes are read-only."]
        }
        assert set(world.class_7a.enrolments.values_list("pupil__username", flat=True)) == {
            "amy.adams",
            "ben.brown",
        }


def test_an_archived_class_keeps_its_marks_read_only(world: World):
    """ROS-1, ASM-3: marks recorded before stay; none can be added or changed."""
    with school_scope(world.a):
        quiz = assessment.assignment_create(
            actor=world.teacher, teaching_class=world.class_7a, title="Quiz", max_mark=10
        )
        assessment.mark_record(actor=world.teacher, assignment=quiz, pupil=world.amy, score=7)
    _archive(world)
    with school_scope(world.a):
        quiz.refresh_from_db()
        with pytest.raises(ValidationError, match="read but not changed"):
            assessment.mark_record(actor=world.teacher, assignment=quiz, pupil=world.amy, score=9)
        with pytest.raises(ValidationError, match="read but not changed"):
            assessment.assignment_create(
                actor=world.teacher, teaching_class=world.class_7a, title="Late", max_mark=5
            )
        assert quiz.marks.get(pupil=world.amy).score == 7


def test_the_teacher_still_sees_an_archived_class_read_only(client_for, world: World):
    """ROS-1, TEN-3: hidden from current lists, shown under its year; the page says so."""
    old = _archive(world)
    teacher = client_for("teacher")
    classes = reverse("rosters:classes", kwargs={"school_id": world.a.pk})
    assert "7A Maths" not in teacher.get(classes).content.decode()
    assert "7A Maths" in teacher.get(f"{classes}?academic_year={old.pk}").content.decode()
    assert "7A Maths" in teacher.get(f"{classes}?academic_year=all").content.decode()
    page = teacher.get(
        reverse(
            "rosters:class_detail", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
        )
    ).content.decode()
    assert "read-only" in page and "Amy Adams" in page
    admin_page = (
        client_for("admin")
        .get(
            reverse(
                "rosters:class_detail",
                kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk},
            )
        )
        .content.decode()
    )
    assert "Enrol a pupil" not in admin_page and "Edit class" not in admin_page
    home = teacher.get(reverse("schools:home", kwargs={"school_id": world.a.pk})).content.decode()
    assert "7A Maths" not in home


def test_the_class_list_shows_the_current_year_by_default(client_for, world: World):
    """ROS-1: other years' classes wait behind the year filter."""
    f.teaching_class(
        world.a, "6A Old", academic_year=f.academic_year(world.a, "2025/26", closed=True)
    )
    page = client_for("admin").get(reverse("rosters:classes", kwargs={"school_id": world.a.pk}))
    html = page.content.decode()
    assert "7A Maths" in html and "6A Old" not in html
    assert "2025/26 (archived)" in html and "2026/27 (current)" in html


def test_the_new_class_form_offers_open_years_with_the_current_one_chosen(client_for, world: World):
    """ROS-1: the current year is the default; archived years are not offered."""
    f.academic_year(world.a, "2025/26", closed=True)
    f.academic_year(world.a, "2027/28")
    html = (
        client_for("admin")
        .get(reverse("rosters:class_new", kwargs={"school_id": world.a.pk}))
        .content.decode()
    )
    assert '<option value="2026/27" selected>2026/27 (current)</option>' in html
    assert '<option value="2027/28">2027/28</option>' in html
    assert "2025/26" not in html


# --- Pages ----------------------------------------------------------------------


def _rollover_url(world: World) -> str:
    return reverse(
        "rosters:year_rollover", kwargs={"school_id": world.a.pk, "year_id": _year(world.a).pk}
    )


def test_the_page_previews_then_confirms_with_the_counts_then_performs(client_for, world: World):
    """ROS-1: preview (nothing written), confirm restating the counts, then done once."""
    _phase(world.a, "secondary")
    (leaver,) = _pupils(world.a, y11=1)
    client = client_for("admin")
    url = _rollover_url(world)
    preview = client.get(url).content.decode()
    assert "<strong>3</strong> pupils move up a year" in preview
    assert "<strong>1</strong> Year 11 pupil will be marked as leaver on 31 Aug 2027" in preview
    assert "<strong>2</strong> classes of 2026/27 will be archived" in preview
    assert leaver.display_name in preview
    assert '<form method="post">' not in preview  # the preview has no form that writes
    confirm = client.get(url + "?confirm=1").content.decode()
    assert "End 2026/27: move 3 up, mark 1 as leavers, archive 2 classes" in confirm
    assert _groups(world.a)["amy.adams"][0] == "7"
    done = client.post(url, {"promoted": 3, "leavers": 1, "classes_archived": 2}, follow=True)
    assert "2027/28 is now the current year" in done.content.decode()
    assert _groups(world.a)["amy.adams"][0] == "8"
    again = client.post(url, {"promoted": 3, "leavers": 1, "classes_archived": 2})
    assert again.status_code == 200 and "already moved up" in again.content.decode()
    assert _groups(world.a)["amy.adams"][0] == "8"


def test_the_page_refuses_stale_counts(client_for, world: World):
    """ROS-1: a confirm from an old preview changes nothing and shows the new counts."""
    _phase(world.a, "secondary")
    response = client_for("admin").post(
        _rollover_url(world), {"promoted": 2, "leavers": 0, "classes_archived": 2}
    )
    assert "changed since the preview" in response.content.decode()
    assert _groups(world.a)["amy.adams"][0] == "7"


def test_the_years_page_sets_the_phase(client_for, world: World):
    """ROS-1: the phase decides who leaves; it is set on the academic years page, audited."""
    client = client_for("admin")
    url = reverse("rosters:years", kwargs={"school_id": world.a.pk})
    assert "Choose the phase before ending the year" in client.get(url).content.decode()
    client.post(url, {"phase": "secondary", "sixth_form": "on"})
    world.a.refresh_from_db()
    assert (world.a.phase, world.a.sixth_form, world.a.final_year_group) == (
        "secondary",
        True,
        "13",
    )
    assert "Pupils in Year 13" in client.get(url).content.decode()
    assert actions(world.a, "schools.phase.changed")[-1].data == {
        "phase": {"old": "", "new": "secondary"},
        "sixth_form": {"old": False, "new": True},
    }


@pytest.mark.parametrize("role", ROLES)
def test_only_administrators_of_the_school_or_its_trust_end_its_year(client_for, world, role):
    """TEN-3: school and trust administrators; everyone else 404 (another school's
    administrator too), and nothing changes."""
    _phase(world.a, "secondary")
    response = client_for(role).post(
        _rollover_url(world), {"promoted": 3, "leavers": 0, "classes_archived": 2}
    )
    allowed = role in ("admin", "trust_admin")
    expected = 302 if allowed or role == "anonymous" else 404
    assert response.status_code == expected
    assert _groups(world.a)["amy.adams"][0] == ("8" if allowed else "7")


def test_a_trust_administrator_ends_the_year_of_each_of_their_schools(client_for, world: World):
    """TEN-3: per school of the trust; a school outside the trust answers 404."""
    other = f.SchoolFactory(trust=world.a.trust, phase="primary")
    _phase(world.a, "secondary")
    _pupils(other, y6=1)
    client = client_for("trust_admin")
    trust_page = client.get(reverse("trust:home", kwargs={"trust_id": world.a.trust_id}))
    for school in (world.a, other):
        assert (
            reverse("rosters:years", kwargs={"school_id": school.pk}) in trust_page.content.decode()
        )
    for school in (world.a, other):
        url = reverse(
            "rosters:year_rollover", kwargs={"school_id": school.pk, "year_id": _year(school).pk}
        )
        assert client.post(url).status_code == 302
    assert {g[1] for g in _groups(other).values()} == {"left"}
    b_url = reverse(
        "rosters:year_rollover", kwargs={"school_id": world.b.pk, "year_id": _year(world.b).pk}
    )
    assert client.get(b_url).status_code == 404
    # School A's year id under School B's address: not found either (TEN-4).
    wrong = reverse(
        "rosters:year_rollover", kwargs={"school_id": world.b.pk, "year_id": _year(world.a).pk}
    )
    assert client_for("other_admin").get(wrong).status_code == 404


# --- API ------------------------------------------------------------------------


def _api(world: World, year: AcademicYear | None = None) -> str:
    year = year or _year(world.a)
    return f"/api/schools/{world.a.pk}/academic-years/{year.pk}/rollover"


def test_api_previews_then_ends_the_year_once(client_for, world: World):
    """ROS-1: the same services as the page; a second call is refused (422)."""
    client = client_for("admin")
    phase = client.put(
        f"/api/schools/{world.a.pk}/phase",
        json.dumps({"phase": "secondary"}),
        content_type="application/json",
    )
    assert phase.json() == {"phase": "secondary", "sixth_form": False, "final_year_group": "11"}
    (leaver,) = _pupils(world.a, y11=1)
    preview = client.get(_api(world)).json()
    assert {k: preview[k] for k in ("promoted", "leavers", "classes_archived", "problems")} == {
        "promoted": 3,
        "leavers": 1,
        "classes_archived": 2,
        "problems": [],
    }
    assert preview["leavers_list"] == [
        {"id": leaver.pk, "display_name": leaver.display_name, "year_group": "11"}
    ]
    assert preview["leaving_date"] == "2027-08-31"
    url = _api(world)
    stale = client.post(url, json.dumps({"promoted": 9}), content_type="application/json")
    assert stale.status_code == 422 and _groups(world.a)["amy.adams"][0] == "7"
    done = client.post(url, json.dumps({"promoted": 3}), content_type="application/json")
    assert done.status_code == 200 and done.json()["next_academic_year"] == "2027/28"
    again = client.post(url, "{}", content_type="application/json")
    assert again.status_code == 422 and "already moved up" in json.dumps(again.json())
    assert _groups(world.a)["amy.adams"][0] == "8"
    listed = client.get(f"/api/schools/{world.a.pk}/academic-years").json()
    assert [(y["name"], y["is_current"], y["archived"], y["class_count"]) for y in listed] == [
        ("2027/28", True, False, 0),
        ("2026/27", False, True, 2),
    ]
    classes = client.get(f"/api/schools/{world.a.pk}/classes").json()
    assert classes == []
    old = client.get(f"/api/schools/{world.a.pk}/classes?academic_year=2026/27").json()
    assert {(c["name"], c["archived"]) for c in old} == {("7A Maths", True), ("7B Maths", True)}


def test_api_class_list_refuses_a_year_that_is_not_one(client_for, world: World):
    """ROS-1: a malformed year (even a NUL byte, which PostgreSQL refuses) is a 422."""
    for bad in ("2026-27", "2026/27\x00", "2030/31"):
        response = client_for("admin").get(
            f"/api/schools/{world.a.pk}/classes", {"academic_year": bad}
        )
        assert response.status_code == 422, bad


def test_api_refuses_another_schools_year(client_for, world: World):
    """TEN-4: School B's year under School A's address is not found."""
    response = client_for("admin").get(_api(world, _year(world.b)))
    assert response.status_code == 404
