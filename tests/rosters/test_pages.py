"""Roster pages for each role (ROS-1, TEN-3, TEN-5, SEC-1): what each role can see and
do, 404 for everything else, and the access log of staff reads."""

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils.html import escape

from markbook.accounts.models import Membership, User
from markbook.core.tenancy import school_scope
from markbook.rosters import services
from markbook.rosters.models import ClassTeacher, Enrolment, GuardianLink, Pupil, TeachingClass
from tests import factories as f
from tests.conftest import World
from tests.rosters.conftest import actions


def url(world: World, name: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"rosters:{name}", kwargs={"school_id": world.a.pk, **kwargs})


def page(client_for, role: str, path: str, **data) -> str:  # type: ignore[no-untyped-def]
    response = client_for(role).get(path, data)
    assert response.status_code == 200, (role, path, response.status_code)
    return response.content.decode()


# --- pupils list ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "trust_admin"])
def test_admins_list_the_schools_pupils_only(client_for, world: World, role: str):
    html = page(client_for, role, url(world, "pupils"))
    assert "Amy Adams" in html and "Ben Brown" in html and "Cal Clark" in html
    assert "Dee Davies" not in html


@pytest.mark.parametrize("role", ["teacher", "parent", "pupil", "other_admin", "other_teacher"])
def test_pupils_list_is_404_for_everyone_else(client_for, world: World, role: str):
    assert client_for(role).get(url(world, "pupils")).status_code == 404


def test_pupils_list_searches_by_name_and_filters_by_year(client_for, world: World):
    with school_scope(world.a):
        services.pupil_update(actor=world.admin, pupil=world.cal, year_group="8")
    html = page(client_for, "admin", url(world, "pupils"), q="ada")
    assert "Amy Adams" in html and "Ben Brown" not in html
    html = page(client_for, "admin", url(world, "pupils"), q="amy adams")
    assert "Amy Adams" in html
    html = page(client_for, "admin", url(world, "pupils"), year="8")
    assert "Cal Clark" in html and "Amy Adams" not in html


def test_pupils_list_search_under_htmx_returns_only_the_results(client_for, world: World):
    response = client_for("admin").get(url(world, "pupils"), {"q": "ben"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'id="pupil-results"' in html and "<html" not in html and "Ben Brown" in html


def test_pupils_list_is_paginated_and_audited_with_the_count(client_for, world: World):
    for n in range(60):
        f.PupilFactory(school=world.a, last_name=f"Zz{n:02d}", username=f"zz{n}")
    first = page(client_for, "admin", url(world, "pupils"))
    assert "Page 1 of 2" in first
    page(client_for, "admin", url(world, "pupils"), page=2)
    events = actions(world.a, "rosters.pupils.listed")
    assert [e.data for e in events] == [{"count": 50, "page": 1}, {"count": 13, "page": 2}]
    assert events[0].actor_id == world.admin.pk


def _pupils(world: World, n: int) -> None:
    for i in range(n):
        f.PupilFactory(school=world.a, username=f"extra{i}", email=f"x{i}@oakfield.sch.uk")


@pytest.mark.parametrize("extra", [0, 45])
def test_pupils_list_query_count_does_not_grow_with_pupils(
    client_for, world: World, django_assert_max_num_queries, extra: int
):
    _pupils(world, extra)
    client = client_for("admin")
    with django_assert_max_num_queries(14):
        client.get(url(world, "pupils"))


@pytest.mark.parametrize("extra", [0, 40])
def test_class_page_query_count_does_not_grow_with_pupils(
    client_for, world: World, django_assert_max_num_queries, extra: int
):
    with school_scope(world.a):
        for i in range(extra):
            p = f.PupilFactory(school=world.a, username=f"e{i}")
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=p)
    client = client_for("admin")
    with django_assert_max_num_queries(18 if connection.vendor == "sqlite" else 21):
        client.get(url(world, "class_detail", class_id=world.class_7a.pk))


@pytest.mark.parametrize("extra", [0, 30])
def test_classes_and_staff_lists_query_counts_do_not_grow(
    client_for, world: World, django_assert_max_num_queries, extra: int
):
    for i in range(extra):
        t = f.member(world.a, Membership.Role.TEACHER, email=f"t{i}@oakfield.sch.uk")
        f.teaching_class(world.a, f"C{i}", teachers=[t])
    client = client_for("admin")
    # The classes page also reads its filters' choices: staff, subjects, academic years.
    with django_assert_max_num_queries(14):
        client.get(url(world, "classes"))
    with django_assert_max_num_queries(12):
        client.get(url(world, "teachers"))


# --- TEN-5 ----------------------------------------------------------------------


def test_ten5_pupil_email_outside_school_domains_is_hidden_from_staff(client_for, world: World):
    for role, path in [
        ("admin", url(world, "pupils")),
        ("teacher", url(world, "class_detail", class_id=world.class_7a.pk)),
        ("teacher", url(world, "pupil_detail", pupil_id=world.ben.pk)),
        ("admin", url(world, "pupil_detail", pupil_id=world.ben.pk)),
    ]:
        html = page(client_for, role, path)
        assert "ben.brown@gmail.com" not in html, path
        assert "personal address hidden" in html, path


def test_ten5_pupil_email_in_a_school_domain_is_shown_to_staff(client_for, world: World):
    html = page(client_for, "teacher", url(world, "class_detail", class_id=world.class_7a.pk))
    assert "amy.adams@oakfield.sch.uk" in html
    html = page(client_for, "admin", url(world, "pupil_detail", pupil_id=world.amy.pk))
    assert "amy.adams@oakfield.sch.uk" in html


# --- pupil pages: TEN-3 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "pupil", "status"),
    [
        ("pupil", "amy", 200),
        ("pupil", "ben", 404),
        ("parent", "amy", 200),
        ("parent", "ben", 404),
        ("teacher", "ben", 200),
        ("teacher", "cal", 404),
        ("colleague", "cal", 200),
        ("colleague", "amy", 404),
        ("admin", "cal", 200),
        ("trust_admin", "cal", 200),
        ("admin", "dee", 404),
        ("other_admin", "amy", 404),
        ("other_teacher", "amy", 404),
        ("platform_staff", "amy", 404),
    ],
)
def test_pupil_page_visibility(client_for, world: World, role: str, pupil: str, status: int):
    path = url(world, "pupil_detail", pupil_id=getattr(world, pupil).pk)
    assert client_for(role).get(path).status_code == status


def test_teacher_of_other_school_gets_404_on_every_roster_page(client_for, world: World):
    client = client_for("other_teacher")
    for name, kwargs in [
        ("pupils", {}),
        ("classes", {}),
        ("teachers", {}),
        ("pupil_detail", {"pupil_id": world.amy.pk}),
        ("class_detail", {"class_id": world.class_7a.pk}),
        ("classlist_upload", {}),
    ]:
        assert client.get(url(world, name, **kwargs)).status_code == 404, name


def test_admin_cannot_reach_another_schools_pupil_through_own_school(client_for, world: World):
    path = url(world, "pupil_edit", pupil_id=world.dee.pk)
    assert client_for("admin").get(path).status_code == 404
    response = client_for("admin").post(url(world, "pupil_delete", pupil_id=world.dee.pk))
    assert response.status_code == 404


def test_pupil_sees_own_page_through_me(client_for, world: World):
    response = client_for("pupil").get(url(world, "me"))
    assert response.status_code == 302
    assert response["Location"] == url(world, "pupil_detail", pupil_id=world.amy.pk)


def _sensitive(world: World) -> None:
    with school_scope(world.a):
        services.pupil_update(
            actor=world.admin, pupil=world.amy, ethnicity="CHNE", medical_notes="Asthma inhaler"
        )


def test_only_school_admins_see_sensitive_fields(client_for, world: World):
    _sensitive(world)
    path = url(world, "pupil_detail", pupil_id=world.amy.pk)
    html = page(client_for, "admin", path)
    assert "Chinese" in html and "Asthma inhaler" in html
    for role in ("trust_admin", "teacher", "parent", "pupil"):
        html = page(client_for, role, path)
        assert "Chinese" not in html and "Asthma" not in html and "Sensitive" not in html, role


def test_teacher_sees_names_usernames_and_year_only(client_for, world: World):
    _sensitive(world)
    html = page(client_for, "teacher", url(world, "pupil_detail", pupil_id=world.amy.pk))
    assert "amy.adams" in html and "Year 7" in html
    assert world.amy.upn not in html and "argon2" not in html and "School information" not in html
    assert "Edit" not in html


def test_edit_form_has_sensitive_fields_only_for_school_admins(client_for, world: World):
    path = url(world, "pupil_edit", pupil_id=world.amy.pk)
    assert 'name="medical_notes"' in page(client_for, "admin", path)
    html = page(client_for, "trust_admin", path)
    assert 'name="medical_notes"' not in html and 'name="fsm"' not in html


def test_staff_reads_of_pupil_data_are_audited_but_not_a_parents(client_for, world: World):
    page(client_for, "teacher", url(world, "pupil_detail", pupil_id=world.amy.pk))
    page(client_for, "teacher", url(world, "class_detail", class_id=world.class_7a.pk))
    page(client_for, "parent", url(world, "pupil_detail", pupil_id=world.amy.pk))
    viewed = actions(world.a, "rosters.pupil.viewed")
    assert [(e.actor_id, e.target_id) for e in viewed] == [(world.teacher.pk, str(world.amy.pk))]
    class_viewed = actions(world.a, "rosters.class.viewed")
    # The fields the school shows teachers by default are named (TEN-3, SEC-1).
    planning = ["disadvantaged", "eal", "ks2_maths", "ks2_reading", "sen_provision"]
    assert class_viewed[0].data == {"count": 2, "fields": planning}


# --- pupil changes through pages ------------------------------------------------


def test_admin_adds_a_pupil_with_mis_fields(client_for, world: World):
    response = client_for("admin").post(
        url(world, "pupil_new"),
        {
            "first_name": "Dan",
            "last_name": "Dare",
            "year_group": "9",
            "status": "on_roll",
            "upn": f.valid_upn(777),
            "fsm": "true",
            "sen_provision": "K",
        },
    )
    assert response.status_code == 302
    with school_scope(world.a):
        dan = Pupil.objects.get(username="dan.dare")
        assert (dan.fsm, dan.sen_provision, dan.upn) == (True, "K", f.valid_upn(777))


def test_adding_a_pupil_with_a_bad_upn_shows_the_error_and_writes_nothing(client_for, world: World):
    response = client_for("admin").post(
        url(world, "pupil_new"),
        {
            "first_name": "Dan",
            "last_name": "Dare",
            "year_group": "9",
            "status": "on_roll",
            "upn": "A801200005001",
        },
    )
    assert response.status_code == 200
    assert "check letter is wrong" in response.content.decode()
    with school_scope(world.a):
        assert not Pupil.objects.filter(last_name="Dare").exists()


def test_trust_admin_edit_does_not_touch_sensitive_fields(client_for, world: World):
    _sensitive(world)
    response = client_for("trust_admin").post(
        url(world, "pupil_edit", pupil_id=world.amy.pk),
        {
            "first_name": "Amelia",
            "last_name": "Adams",
            "email": world.amy.email,
            "upn": world.amy.upn,
            "year_group": "7",
            "status": "on_roll",
            "username": "amy.adams",
        },
    )
    assert response.status_code == 302
    with school_scope(world.a):
        amy = Pupil.objects.get(pk=world.amy.pk)
        assert (amy.first_name, amy.ethnicity, amy.medical_notes) == (
            "Amelia",
            "CHNE",
            "Asthma inhaler",
        )
    assert actions(world.a, "rosters.pupil.changed")[-1].data == {
        "first_name": {"old": "Amy", "new": "Amelia"}
    }


def test_admin_removes_a_pupil(client_for, world: World):
    assert (
        client_for("admin").post(url(world, "pupil_delete", pupil_id=world.ben.pk)).status_code
        == 302
    )
    with school_scope(world.a):
        assert not Pupil.objects.filter(pk=world.ben.pk).exists()


def test_teacher_cannot_edit_a_pupil_nor_remove_one_of_another_class(client_for, world: World):
    """TEN-3, DSR-7: a teacher removes only the pupils of their classes (Cal is 7B's)."""
    client = client_for("teacher")
    assert client.post(url(world, "pupil_edit", pupil_id=world.amy.pk), {}).status_code == 404
    assert client.post(url(world, "pupil_delete", pupil_id=world.cal.pk)).status_code == 404
    with school_scope(world.a):
        assert Pupil.objects.filter(pk=world.cal.pk).exists()


def test_admin_links_and_unlinks_a_parent(client_for, world: World):
    client = client_for("admin")
    path = url(world, "pupil_parents", pupil_id=world.ben.pk)
    assert (
        client.post(path, {"action": "link", "parent_email": "dad@example.org"}).status_code == 302
    )
    with school_scope(world.a):
        link = GuardianLink.objects.get(pupil=world.ben)
    html = page(client_for, "admin", url(world, "pupil_detail", pupil_id=world.ben.pk))
    assert "dad@example.org" in html
    dad = Client_for_user(link.parent)
    assert dad.get(url(world, "pupil_detail", pupil_id=world.ben.pk)).status_code == 200
    assert dad.get(url(world, "pupil_detail", pupil_id=world.amy.pk)).status_code == 404
    client.post(path, {"action": "unlink", "link": link.pk})
    with school_scope(world.a):
        assert not GuardianLink.objects.filter(pupil=world.ben).exists()


def test_linking_a_parent_with_a_bad_address_shows_the_error(client_for, world: World):
    response = client_for("admin").post(
        url(world, "pupil_parents", pupil_id=world.ben.pk),
        {"action": "link", "parent_email": "teacher@birchwood.sch.uk"},
        follow=True,
    )
    assert "outside this school" in response.content.decode()


def Client_for_user(user: User):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


# --- staff ------------------------------------------------------------------------


def test_admin_adds_staff_and_sees_the_temporary_password_once(client_for, world: World):
    client = client_for("admin")
    response = client.post(
        url(world, "teachers"),
        {
            "email": "nina@oakfield.sch.uk",
            "first_name": "Nina",
            "last_name": "Patel",
            "role": "teacher",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    user = User.objects.get(email="nina@oakfield.sch.uk")
    password = html.split('class="secret"><code>')[1].split("</code>")[0]
    assert user.check_password(password) and user.must_change_password
    assert password not in client.get(url(world, "teachers")).content.decode()


def test_adding_staff_of_another_school_is_refused_on_the_page(client_for, world: World):
    response = client_for("admin").post(
        url(world, "teachers"),
        {
            "email": "teacher@birchwood.sch.uk",
            "first_name": "T",
            "last_name": "B",
            "role": "teacher",
        },
    )
    assert "exactly one school" in response.content.decode()


def test_admin_edits_and_removes_staff(client_for, world: World):
    client = client_for("admin")
    response = client.post(
        url(world, "staff_edit", user_id=world.colleague.pk),
        {
            "email": "colleague@oakfield.sch.uk",
            "first_name": "Col",
            "last_name": "League",
            "role": "school_admin",
        },
    )
    assert response.status_code == 302
    with school_scope(world.a):
        assert Membership.objects.filter(user=world.colleague, role="school_admin").exists()
    assert client.post(url(world, "staff_remove", user_id=world.teacher.pk)).status_code == 302
    with school_scope(world.a):
        assert not ClassTeacher.objects.filter(teacher=world.teacher).exists()


def test_staff_pages_404_for_a_non_staff_user_id(client_for, world: World):
    client = client_for("admin")
    assert client.get(url(world, "staff_edit", user_id=world.parent.pk)).status_code == 404
    assert client.get(url(world, "staff_edit", user_id=world.other_teacher.pk)).status_code == 404


def test_removing_the_last_admin_is_refused(client_for, world: World):
    response = client_for("admin").post(
        url(world, "staff_remove", user_id=world.admin.pk), follow=True
    )
    assert "last administrator" in response.content.decode()


# --- classes ---------------------------------------------------------------------


def test_teacher_sees_only_their_classes(client_for, world: World):
    html = page(client_for, "teacher", url(world, "classes"))
    assert "7A Maths" in html and "7B Maths" not in html and "Add a class" not in html
    assert (
        client_for("teacher")
        .get(url(world, "class_detail", class_id=world.class_7b.pk))
        .status_code
        == 404
    )


def test_admin_creates_edits_and_deletes_a_class(client_for, world: World):
    client = client_for("admin")
    response = client.post(
        url(world, "class_new"),
        {"name": "9X Art", "subject": "Art", "year_group": "9", "academic_year": "2026/27"},
    )
    assert response.status_code == 302
    with school_scope(world.a):
        art = TeachingClass.objects.get(name="9X Art")
    client.post(
        url(world, "class_edit", class_id=art.pk),
        {"name": "9Y Art", "subject": "Art", "year_group": "9", "academic_year": "2026/27"},
    )
    with school_scope(world.a):
        assert TeachingClass.objects.get(pk=art.pk).name == "9Y Art"
    client.post(url(world, "class_delete", class_id=art.pk))
    with school_scope(world.a):
        assert not TeachingClass.objects.filter(pk=art.pk).exists()


def test_duplicate_class_name_shows_an_error(client_for, world: World):
    response = client_for("admin").post(
        url(world, "class_new"), {"name": "7A Maths", "academic_year": "2026/27"}
    )
    assert response.status_code == 200 and "already a class" in response.content.decode()


def test_attach_teacher_with_htmx_returns_the_teachers_section(client_for, world: World):
    response = client_for("admin").post(
        url(world, "class_teachers", class_id=world.class_7a.pk),
        {"action": "attach", "teacher": world.colleague.pk},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="class-teachers"' in html and "<html" not in html
    assert escape(world.colleague.display_name) in html  # O'Neill is escaped
    with school_scope(world.a):
        assert ClassTeacher.objects.filter(
            teaching_class=world.class_7a, teacher=world.colleague
        ).exists()


def test_attach_a_parent_as_teacher_is_refused(client_for, world: World):
    response = client_for("admin").post(
        url(world, "class_teachers", class_id=world.class_7a.pk),
        {"action": "attach", "teacher": world.parent.pk},
        HTTP_HX_REQUEST="true",
    )
    assert "Choose a member of staff" in response.content.decode()


def test_detach_teacher_without_htmx_redirects(client_for, world: World):
    response = client_for("admin").post(
        url(world, "class_teachers", class_id=world.class_7a.pk),
        {"action": "detach", "teacher": world.teacher.pk},
    )
    assert response.status_code == 302
    with school_scope(world.a):
        assert not ClassTeacher.objects.filter(teaching_class=world.class_7a).exists()


def test_enrol_remove_and_move_pupils_on_the_class_page(client_for, world: World):
    client = client_for("admin")
    path = url(world, "class_pupils", class_id=world.class_7a.pk)
    response = client.post(path, {"action": "add", "username": "CAL.CLARK"}, HTTP_HX_REQUEST="true")
    assert (
        'id="class-pupils"' in response.content.decode()
        and "Cal Clark" in response.content.decode()
    )
    client.post(path, {"action": "remove", "pupil": world.cal.pk}, HTTP_HX_REQUEST="true")
    client.post(
        path,
        {"action": "move", "pupil": world.ben.pk, "to_class": world.class_7b.pk},
        HTTP_HX_REQUEST="true",
    )
    with school_scope(world.a):
        assert set(
            Enrolment.objects.filter(teaching_class=world.class_7a).values_list("pupil", flat=True)
        ) == {world.amy.pk}
        assert Enrolment.objects.filter(teaching_class=world.class_7b, pupil=world.ben).exists()


def test_enrol_unknown_username_shows_an_error(client_for, world: World):
    response = client_for("admin").post(
        url(world, "class_pupils", class_id=world.class_7a.pk),
        {"action": "add", "username": "dee.davies"},
        HTTP_HX_REQUEST="true",
    )
    assert "No pupil has the username" in response.content.decode()


def test_teacher_cannot_change_enrolments(client_for, world: World):
    response = client_for("teacher").post(
        url(world, "class_pupils", class_id=world.class_7a.pk),
        {"action": "add", "username": "cal.clark"},
    )
    assert response.status_code == 404


def test_class_page_offers_a_new_signin_code_per_pupil(client_for, world: World):
    html = page(client_for, "teacher", url(world, "class_detail", class_id=world.class_7a.pk))
    assert html.count("New sign-in code") == 2
    assert f"/accounts/signin-code/{world.amy.pk}/" in html


# --- class-list upload ---------------------------------------------------------


def _upload(client, world: World, data: bytes, name: str = "list.csv"):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url(world, "classlist_upload"), {"file": SimpleUploadedFile(name, data)})


def test_upload_page_imports_a_good_file(client_for, world: World):
    response = _upload(client_for("admin"), world, b"class,first name,last name\n9Q Art,Zed,Zane\n")
    html = response.content.decode()
    assert "imported" in html and "1 pupil added" in html
    with school_scope(world.a):
        assert Pupil.objects.filter(username="zed.zane").exists()


def test_upload_page_lists_every_problem_and_writes_nothing(client_for, world: World):
    data = b"class,first name,last name,username\n9Q Art,,Zane,\n9Q Art,Ben,Brown,amy.adams\n"
    html = _upload(client_for("admin"), world, data).content.decode()
    assert "nothing has been changed" in html
    assert '<td>2</td><td class="col">first name</td>' in html
    assert '<td>3</td><td class="col">username</td>' in html
    with school_scope(world.a):
        assert not TeachingClass.objects.filter(name="9Q Art").exists()


@override_settings(MARKBOOK_MAX_UPLOAD_BYTES=40)
def test_upload_page_refuses_an_oversized_file(client_for, world: World):
    data = b"class,first name,last name\n" + b"9Q Art,Zed,Zane\n" * 10
    html = _upload(client_for("admin"), world, data).content.decode()
    assert "the limit is 40 bytes" in html
    with school_scope(world.a):
        assert not Pupil.objects.filter(username="zed.zane").exists()


def test_upload_page_is_404_for_teachers(client_for, world: World):
    assert _upload(client_for("teacher"), world, b"class,first name,last name\n").status_code == 404


# --- a new pupil's year group -----------------------------------------------------


def test_new_pupil_form_has_no_year_group_preselected(client_for, world: World):
    """ROS-1: the year group is a required choice, not nursery by default."""
    html = page(client_for, "admin", url(world, "pupil_new"))
    assert '<option value="" selected>Choose a year group</option>' in html
    assert '<option value="N1" selected>' not in html


def test_new_pupil_without_a_year_group_is_refused(client_for, world: World):
    response = client_for("admin").post(
        url(world, "pupil_new"), {"first_name": "Nia", "last_name": "Nash", "status": "on_roll"}
    )
    assert response.status_code == 200
    assert "Choose the pupil&#x27;s year group." in response.content.decode()
    with school_scope(world.a):
        assert not Pupil.objects.filter(first_name="Nia").exists()


def test_edit_form_keeps_the_pupils_year_group(client_for, world: World):
    html = page(client_for, "admin", url(world, "pupil_edit", pupil_id=world.amy.pk))
    assert '<option value="7" selected>Year 7</option>' in html
