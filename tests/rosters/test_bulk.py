"""Loading a whole roster in bulk writes what the one-by-one services write (ROS-1, ROS-2, ACC-2)."""

import pytest
from django.core.exceptions import ValidationError

from markbook.accounts.models import Membership, User
from markbook.rosters import services
from markbook.rosters.bulk import NewClass, NewGuardian, NewPupil, NewStaff, RosterLoad, roster_load
from markbook.rosters.models import ClassTeacher, Enrolment, GuardianLink, Pupil, TeachingClass
from tests.factories import valid_upn
from tests.rosters.conftest import actions


def small_load() -> RosterLoad:
    amy = NewPupil("Amy", "Adams", "8", upn=valid_upn(901), optional={"sen_provision": "K"})
    zed = NewPupil("Zed", "Zhou", "8", upn=valid_upn(902), optional={"fsm": True})
    teacher = NewStaff("new.teacher@oakfield.sch.uk", "Nia", "Okafor")
    return RosterLoad(
        staff=[teacher],
        pupils=[amy, zed],
        classes=[NewClass("8Ma1", "Maths", "8", [teacher.email], [amy, zed])],
        guardians=[NewGuardian("mum@example.org", "Sara", "Adams", [amy], "Mother")],
    )


def test_roster_load_writes_what_the_services_write(in_a):
    world = in_a
    single = services.pupil_create(
        actor=world.admin, school=world.a, first_name="Una", last_name="Single", year_group="8"
    )
    loaded = roster_load(actor=world.admin, school=world.a, load=small_load())
    amy, zed = loaded.pupils
    assert amy.username == "amy.adams2"  # amy.adams is taken, as pupil_create would say
    for pupil in (single, amy, zed):
        pupil.refresh_from_db()
        user = pupil.user
        assert user.username == f"pupil.{world.a.pk}.{pupil.username}"
        assert not user.has_usable_password() and user.email == ""
        assert Membership.objects.filter(user=user, role="pupil").count() == 1
    assert amy.sen_provision == "K" and zed.fsm is True
    teacher = User.objects.get(email="new.teacher@oakfield.sch.uk")
    assert Membership.objects.filter(user=teacher, role="teacher").exists()
    assert not teacher.has_usable_password()
    cls = TeachingClass.objects.get(name="8Ma1")
    assert ClassTeacher.objects.filter(teaching_class=cls, teacher=teacher).exists()
    assert Enrolment.objects.filter(teaching_class=cls).count() == 2
    link = GuardianLink.objects.get(pupil=amy)
    assert link.parent.email == "mum@example.org" and link.relationship == "Mother"
    assert Membership.objects.filter(user=link.parent, role="parent").exists()


def test_roster_load_records_one_summary_event(in_a):
    world = in_a
    before = len(actions(world.a))
    roster_load(actor=world.admin, school=world.a, load=small_load())
    events = actions(world.a)[before:]
    assert [e.action for e in events] == ["rosters.roster.loaded"]
    assert events[0].data["pupils_created"] == 2
    assert events[0].data["enrolments_added"] == 2
    assert events[0].data["passwords_set"] == 0


def test_a_requested_password_is_hashed_and_works(in_a):
    world = in_a
    load = small_load()
    load.pupils[1].password = "a-long-demo-password"
    loaded = roster_load(actor=None, school=world.a, load=load)
    user = loaded.pupils[1].user
    assert user.password.startswith("argon2")
    assert user.check_password("a-long-demo-password")


def test_every_bad_row_is_reported_and_nothing_is_written(in_a):
    world = in_a
    load = small_load()
    load.pupils[0].upn = "A801200005001"  # wrong check letter
    load.pupils[1].username = "ben.brown"  # already used in School A
    load.pupils[1].optional["sen_provision"] = "X"
    load.pupils.append(NewPupil("Kay", "Kent", "8", optional={"ks2_maths": 130}))
    load.pupils.append(NewPupil("Kay", "Kent", "8", upn=valid_upn(902)))  # UPN twice
    load.staff.append(NewStaff("teacher@birchwood.sch.uk", "Ola", "Other"))  # School B's
    load.classes.append(NewClass("8Ma2", teachers=["nobody@oakfield.sch.uk"]))
    load.classes.append(NewClass("7a maths"))  # the world's 7A Maths, another case

    def counts() -> tuple[int, int, int]:
        return (User.objects.count(), Pupil.objects.count(), TeachingClass.objects.count())

    before = counts()
    with pytest.raises(ValidationError) as error:
        roster_load(actor=world.admin, school=world.a, load=load, academic_year="2026/27")
    problems = error.value.message_dict
    assert "check letter" in problems["pupils[0].upn"][0]
    assert "already used" in problems["pupils[1].username"][0]
    assert "census code" in problems["pupils[1].sen_provision"][0]
    assert "80 to 120" in problems["pupils[2].ks2_maths"][0]
    assert "already belongs" in problems["pupils[3].upn"][0]
    assert "exactly one school" in problems["staff[1].email"][0]
    assert "not a member of staff" in problems["classes[1].teachers"][0]
    assert "already a class" in problems["classes[2].name"][0]
    assert counts() == before


def test_a_pupil_outside_the_roster_cannot_be_enrolled(in_a):
    world = in_a
    load = small_load()
    load.classes[0].pupils.append(NewPupil("Not", "Listed", "8"))
    with pytest.raises(ValidationError) as error:
        roster_load(actor=None, school=world.a, load=load)
    assert "not in the roster" in error.value.message_dict["classes[0].pupils"][0]
