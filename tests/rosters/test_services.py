"""Roster services (ROS-1, TEN-2, DSR-3): each writes atomically and is audited."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from markbook.accounts.models import Membership, User
from markbook.rosters import services
from markbook.rosters.models import ClassTeacher, Enrolment, GuardianLink, Pupil, TeachingClass
from tests import factories as f
from tests.conftest import World
from tests.factories import valid_upn
from tests.rosters.conftest import actions


def _fields(error: pytest.ExceptionInfo) -> set[str]:
    return set(error.value.message_dict)


# --- pupils -------------------------------------------------------------------


def test_pupil_create_generates_unique_usernames_and_no_password_hash(in_a: World):
    w = in_a
    first = services.pupil_create(
        actor=w.admin, school=w.a, first_name="Zoë", last_name="Ng", year_group="8"
    )
    second = services.pupil_create(
        actor=w.admin, school=w.a, first_name="Zoe", last_name="Ng", year_group="8"
    )
    assert (first.username, second.username) == ("zoe.ng", "zoe.ng2")
    assert not first.user.has_usable_password()
    assert Membership.objects.filter(user=first.user, role="pupil").exists()
    assert actions(w.a, "rosters.pupil.created")[-1].target_id == str(second.pk)


def test_pupil_create_suffixes_an_existing_username(in_a: World):
    pupil = services.pupil_create(
        actor=in_a.admin, school=in_a.a, first_name="Amy", last_name="Adams", year_group="7"
    )
    assert pupil.username == "amy.adams2"


def test_pupil_create_rejects_bad_upn_taken_username_and_blank_names(in_a: World):
    w = in_a
    with pytest.raises(ValidationError) as error:
        services.pupil_create(
            actor=w.admin,
            school=w.a,
            first_name="",
            last_name=" ",
            year_group="99",
            username="amy.adams",
            upn="A801200005001",
        )
    assert _fields(error) == {"first_name", "last_name", "year_group", "username", "upn"}
    assert "check letter" in " ".join(error.value.message_dict["upn"])
    assert not Pupil.objects.filter(username="").exists()


def test_pupil_create_rejects_upn_already_in_school(in_a: World):
    with pytest.raises(ValidationError) as error:
        services.pupil_create(
            actor=in_a.admin,
            school=in_a.a,
            first_name="New",
            last_name="Pupil",
            year_group="7",
            upn=in_a.amy.upn,
        )
    assert _fields(error) == {"upn"}
    assert Pupil.objects.count() == 3


def test_pupil_create_accepts_optional_mis_fields_encrypted(in_a: World):
    pupil = services.pupil_create(
        actor=in_a.admin,
        school=in_a.a,
        first_name="Eve",
        last_name="Evans",
        year_group="7",
        upn=valid_upn(900),
        fsm=True,
        sen_provision="k",
        ethnicity="WBRI",
    )
    fresh = Pupil.objects.get(pk=pupil.pk)
    assert (fresh.fsm, fresh.sen_provision, fresh.ethnicity) == (True, "K", "WBRI")


def test_pupil_create_rejects_unknown_field_and_bad_codes(in_a: World):
    with pytest.raises(ValidationError) as error:
        services.pupil_create(
            actor=in_a.admin,
            school=in_a.a,
            first_name="E",
            last_name="F",
            year_group="7",
            favourite_colour="blue",
        )
    assert _fields(error) == {"favourite_colour"}
    with pytest.raises(ValidationError) as error:
        services.pupil_create(
            actor=in_a.admin,
            school=in_a.a,
            first_name="E",
            last_name="F",
            year_group="7",
            sen_provision="X",
            ks2_maths=130,
            uln="1234567890",
        )
    assert _fields(error) == {"sen_provision", "ks2_maths", "uln"}


def test_pupil_update_logs_old_and_new_values_but_not_sensitive_ones(in_a: World):
    """DSR-3: a rectification records old and new values, who and when."""
    pupil = services.pupil_update(
        actor=in_a.admin, pupil=in_a.amy, last_name="Adams-Smith", fsm=True, ethnicity="WBRI"
    )
    assert Pupil.objects.get(pk=pupil.pk).last_name == "Adams-Smith"
    event = actions(in_a.a, "rosters.pupil.changed")[-1]
    assert event.actor_id == in_a.admin.pk
    assert event.data["last_name"] == {"old": "Adams", "new": "Adams-Smith"}
    assert event.data["fsm"] == {"changed": True}
    assert event.data["ethnicity"] == {"changed": True}
    assert "WBRI" not in str(event.data)


def test_pupil_update_rejects_taken_username_and_keeps_old_values(in_a: World):
    with pytest.raises(ValidationError) as error:
        services.pupil_update(
            actor=in_a.admin, pupil=in_a.amy, username="BEN.BROWN", first_name="X"
        )
    assert _fields(error) == {"username"}
    assert in_a.amy.first_name == "Amy"
    assert Pupil.objects.get(pk=in_a.amy.pk).first_name == "Amy"


def test_pupil_update_with_no_change_writes_nothing(in_a: World):
    before = len(actions(in_a.a))
    services.pupil_update(actor=in_a.admin, pupil=in_a.amy, first_name="Amy")
    assert len(actions(in_a.a)) == before


def test_pupil_delete_removes_pupil_links_and_account(in_a: World):
    user_id = in_a.amy.user_id
    services.pupil_delete(actor=in_a.admin, pupil=in_a.amy)
    assert not Pupil.objects.filter(pk=in_a.amy.pk).exists()
    assert not GuardianLink.objects.filter(pupil_id=in_a.amy.pk).exists()
    assert not Enrolment.objects.filter(pupil_id=in_a.amy.pk).exists()
    assert not User.objects.filter(pk=user_id).exists()
    assert actions(in_a.a, "rosters.pupil.deleted")


# --- staff --------------------------------------------------------------------


def test_staff_create_gives_a_temporary_password_to_change(in_a: World):
    user, password = services.staff_create(
        actor=in_a.admin,
        school=in_a.a,
        email=" New.Teacher@Oakfield.sch.uk ",
        first_name="New",
        last_name="Teacher",
    )
    assert user.email == "new.teacher@oakfield.sch.uk"
    assert password and user.check_password(password) and user.must_change_password
    assert Membership.objects.filter(user=user, role="teacher").exists()
    assert actions(in_a.a, "rosters.staff.created")


def test_staff_create_refuses_an_address_of_another_school(in_a: World):
    """TEN-2: a teacher account belongs to exactly one school."""
    with pytest.raises(ValidationError) as error:
        services.staff_create(
            actor=in_a.admin,
            school=in_a.a,
            email="teacher@birchwood.sch.uk",
            first_name="T",
            last_name="B",
        )
    assert "exactly one school" in error.value.message_dict["email"][0]
    assert not Membership.objects.filter(user=in_a.other_teacher).exists()


def test_staff_create_rejects_bad_role_and_existing_staff(in_a: World):
    with pytest.raises(ValidationError) as error:
        services.staff_create(
            actor=in_a.admin,
            school=in_a.a,
            email="x@oakfield.sch.uk",
            first_name="X",
            last_name="Y",
            role="trust_admin",
        )
    assert _fields(error) == {"role"}
    with pytest.raises(ValidationError) as error:
        services.staff_create(
            actor=in_a.admin,
            school=in_a.a,
            email="teacher@oakfield.sch.uk",
            first_name="X",
            last_name="Y",
        )
    assert "already" in error.value.message_dict["email"][0]


def test_staff_update_changes_role_and_logs_it(in_a: World):
    services.staff_update(
        actor=in_a.admin, school=in_a.a, user=in_a.teacher, role="school_admin", last_name="Lee"
    )
    assert set(Membership.objects.filter(user=in_a.teacher).values_list("role", flat=True)) == {
        "school_admin"
    }
    event = actions(in_a.a, "rosters.staff.changed")[-1]
    assert event.data["role"]["new"] == "school_admin"
    assert event.data["last_name"]["new"] == "Lee"


def test_staff_update_never_demotes_the_last_admin(in_a: World):
    with pytest.raises(ValidationError) as error:
        services.staff_update(actor=in_a.admin, school=in_a.a, user=in_a.admin, role="teacher")
    assert _fields(error) == {"role"}


def test_staff_remove_drops_membership_and_class_links(in_a: World):
    services.staff_remove(actor=in_a.admin, school=in_a.a, user=in_a.teacher)
    assert not Membership.objects.filter(user=in_a.teacher).exists()
    assert not ClassTeacher.objects.filter(teacher=in_a.teacher).exists()
    in_a.teacher.refresh_from_db()
    assert not in_a.teacher.is_active
    assert actions(in_a.a, "rosters.staff.removed")


def test_staff_remove_never_removes_the_last_admin(in_a: World):
    with pytest.raises(ValidationError):
        services.staff_remove(actor=in_a.admin, school=in_a.a, user=in_a.admin)
    assert Membership.objects.filter(user=in_a.admin, role="school_admin").exists()


def test_staff_remove_refuses_a_parent(in_a: World):
    with pytest.raises(ValidationError):
        services.staff_remove(actor=in_a.admin, school=in_a.a, user=in_a.parent)


# --- classes ------------------------------------------------------------------


def test_class_create_update_delete(in_a: World):
    c = services.class_create(
        actor=in_a.admin,
        school=in_a.a,
        name="8X Science",
        subject="Science",
        year_group="8",
        academic_year="2026/27",
    )
    services.class_update(actor=in_a.admin, teaching_class=c, name="8Y Science")
    assert TeachingClass.objects.get(pk=c.pk).name == "8Y Science"
    assert actions(in_a.a, "rosters.class.changed")[-1].data["name"] == {
        "old": "8X Science",
        "new": "8Y Science",
    }
    services.class_delete(actor=in_a.admin, teaching_class=c)
    assert not TeachingClass.objects.filter(pk=c.pk).exists()


def test_class_create_defaults_to_the_current_academic_year(in_a: World):
    """ROS-1: the school's current year, not the calendar's: a school that has not yet
    ended 2026/27 still adds classes to it in October 2027."""
    f.academic_year(in_a.a, "2025/26", current=True)
    c = services.class_create(actor=in_a.admin, school=in_a.a, name="9Z")
    assert c.academic_year.name == "2025/26"


def test_class_create_rejects_duplicate_name_and_bad_year(in_a: World):
    with pytest.raises(ValidationError) as error:
        services.class_create(
            actor=in_a.admin, school=in_a.a, name="7a maths", academic_year="2026/27"
        )
    assert _fields(error) == {"name"}
    with pytest.raises(ValidationError) as error:
        services.class_create(actor=in_a.admin, school=in_a.a, name="", academic_year="2026-2027")
    assert _fields(error) == {"name", "academic_year"}


def test_current_academic_year_turns_over_in_september():
    from datetime import date

    assert services.current_academic_year(date(2026, 8, 31)) == "2025/26"
    assert services.current_academic_year(date(2026, 9, 1)) == "2026/27"


def test_class_teacher_attach_and_detach(in_a: World):
    services.class_teacher_attach(
        actor=in_a.admin, teaching_class=in_a.class_7b, teacher=in_a.teacher
    )
    assert ClassTeacher.objects.filter(teaching_class=in_a.class_7b, teacher=in_a.teacher).exists()
    services.class_teacher_detach(
        actor=in_a.admin, teaching_class=in_a.class_7b, teacher=in_a.teacher
    )
    assert not ClassTeacher.objects.filter(
        teaching_class=in_a.class_7b, teacher=in_a.teacher
    ).exists()
    assert len(actions(in_a.a, "rosters.class.teacher_attached")) == 1


def test_class_teacher_attach_refuses_non_staff(in_a: World):
    with pytest.raises(ValidationError) as error:
        services.class_teacher_attach(
            actor=in_a.admin, teaching_class=in_a.class_7b, teacher=in_a.parent
        )
    assert _fields(error) == {"teacher"}


def test_enrolment_add_remove_and_move(in_a: World):
    w = in_a
    services.enrolment_add(actor=w.admin, teaching_class=w.class_7b, pupil=w.amy)
    services.enrolment_remove(actor=w.admin, teaching_class=w.class_7b, pupil=w.amy)
    services.pupil_move(actor=w.admin, pupil=w.ben, from_class=w.class_7a, to_class=w.class_7b)
    assert list(Enrolment.objects.filter(pupil=w.ben).values_list("teaching_class", flat=True)) == [
        w.class_7b.pk
    ]
    assert actions(w.a, "rosters.pupil.moved")[-1].data == {
        "from_class": w.class_7a.pk,
        "to_class": w.class_7b.pk,
    }


def test_pupil_move_from_a_class_the_pupil_is_not_in_changes_nothing(in_a: World):
    w = in_a
    with pytest.raises(ValidationError) as error:
        services.pupil_move(actor=w.admin, pupil=w.cal, from_class=w.class_7a, to_class=w.class_7b)
    assert _fields(error) == {"from_class"}
    assert Enrolment.objects.filter(pupil=w.cal, teaching_class=w.class_7b).exists()


def test_enrolment_refuses_a_pupil_of_another_school(in_a: World):
    with pytest.raises(ValidationError):
        services.enrolment_add(actor=in_a.admin, teaching_class=in_a.class_7a, pupil=in_a.dee)


# --- parents ------------------------------------------------------------------


def test_guardian_link_create_makes_a_parent_account(in_a: World):
    link = services.guardian_link_create(
        actor=in_a.admin,
        school=in_a.a,
        pupil=in_a.ben,
        parent_email="Mum@Example.org",
        first_name="Mary",
    )
    assert link.parent.email == "mum@example.org"
    assert not link.parent.has_usable_password()
    assert Membership.objects.filter(user=link.parent, role="parent").exists()
    assert actions(in_a.a, "rosters.guardian.linked")


def test_guardian_link_create_reuses_a_parent_of_the_school(in_a: World):
    link = services.guardian_link_create(
        actor=in_a.admin, school=in_a.a, pupil=in_a.ben, parent_email="parent@example.org"
    )
    assert link.parent == in_a.parent
    with pytest.raises(ValidationError) as error:
        services.guardian_link_create(
            actor=in_a.admin, school=in_a.a, pupil=in_a.ben, parent_email="parent@example.org"
        )
    assert "already linked" in error.value.message_dict["parent_email"][0]


def test_guardian_link_create_refuses_an_account_of_another_school(in_a: World):
    with pytest.raises(ValidationError) as error:
        services.guardian_link_create(
            actor=in_a.admin, school=in_a.a, pupil=in_a.ben, parent_email="parent2@example.org"
        )
    assert _fields(error) == {"parent_email"}


def test_parent_problem_names_each_refusal_of_guardian_link_create(in_a: World):
    """TEN-2, TEN-3: one checker for a single link, the bulk loader and imports."""
    amy_user = User.objects.get(pk=in_a.amy.user_id)
    amy_user.email = "amy.home@example.org"
    amy_user.save(update_fields=["email"])
    emails = [
        "not an address",
        "Parent2@Example.org",  # a parent of School B
        "ceo@oaktrust.org.uk",  # a trust administrator: no role in any school
        "amy.home@example.org",
        "teacher@oakfield.sch.uk",  # staff of this school may also be a parent here
        "new@example.org",
    ]
    accounts = services.parent_accounts(emails)
    problems = {
        email: services.parent_problem(email.lower(), accounts, children=[in_a.amy])
        for email in emails
    }
    assert "not a valid email address" in problems["not an address"]
    assert "outside this school" in problems["Parent2@Example.org"]
    assert "outside this school" in problems["ceo@oaktrust.org.uk"]
    assert problems["amy.home@example.org"] == "A pupil cannot be their own parent."
    assert problems["teacher@oakfield.sch.uk"] is None
    assert problems["new@example.org"] is None


def _link_carers(world: World, emails: list[str]) -> tuple[dict[str, User], int, int]:
    """Parents for `emails`, each linked to Amy, Ben and Cal: (parents, created, queries)."""
    with CaptureQueriesContext(connection) as queries:
        accounts = services.parent_accounts(emails)
        parents, created = services.parents_ensure(
            school=world.a, people={e: ("Carer", e[:6]) for e in emails}, accounts=accounts
        )
        services.guardian_links_add(
            actor=world.admin,
            school=world.a,
            pairs=[(parents[e], p) for e in emails for p in (world.amy, world.ben, world.cal)],
        )
    return parents, created, len(queries)


def _unlink_carers(world: World, emails: list[str]) -> int:
    links = list(GuardianLink.objects.filter(parent__email__in=emails).select_related("pupil"))
    with CaptureQueriesContext(connection) as queries:
        services.guardian_links_delete(actor=world.admin, school=world.a, links=links)
    return len(queries)


def test_guardian_links_add_and_delete_audit_each_link_in_a_fixed_number_of_queries(
    in_a: World,
):
    """TEN-3, SEC-1: one access-log event per link, as guardian_link_create writes, and
    the same queries for two parents as for six."""
    two = [f"carer{n}@example.org" for n in range(2)]
    six = [f"carer{n}@example.org" for n in range(2, 8)]
    _, _, queries_two = _link_carers(in_a, two)
    parents, created, queries_six = _link_carers(in_a, six)
    assert queries_six == queries_two
    assert created == 6 and not parents[six[0]].has_usable_password()
    assert Membership.objects.filter(user__email__in=six, role="parent").count() == 6
    linked = actions(in_a.a, "rosters.guardian.linked")
    assert len(linked) == 24
    assert (linked[-1].target_id, linked[-1].data) == (
        str(in_a.cal.pk),
        {"parent": parents[six[-1]].pk},
    )
    assert _unlink_carers(in_a, two) == _unlink_carers(in_a, six)
    assert not GuardianLink.objects.filter(parent__email__in=two + six).exists()
    assert len(actions(in_a.a, "rosters.guardian.unlinked")) == 24


def test_medical_notes_saved_again_from_a_browser_are_unchanged(in_a: World):
    """A browser sends a textarea's newlines as CRLF: the same notes are no change (ROS-1)."""
    pupil = services.pupil_update(actor=None, pupil=in_a.amy, medical_notes="Asthma.\nNut allergy.")
    services.pupil_update(actor=None, pupil=pupil, medical_notes="Asthma.\r\nNut allergy.")
    assert Pupil.objects.get(pk=pupil.pk).medical_notes == "Asthma.\nNut allergy."
    assert len(actions(in_a.a, "rosters.pupil.changed")) == 1
