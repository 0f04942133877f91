"""What teachers see to plan for the pupils they teach (TEN-3, SEC-1, SEC-2): the
school's chosen fields (default SEN provision, Pupil Premium, EAL, KS2 results), on
the class page and the pupil page, through the one selector the API uses too; every
read in the access log; nothing for anyone else."""

import pytest
from django.db import connection
from django.urls import reverse

from markbook.admission import school_access
from markbook.core.tenancy import school_scope
from markbook.rosters import selectors, services
from markbook.rosters.models import Enrolment
from markbook.schools.models import default_teacher_pupil_fields
from tests import factories as f
from tests.conftest import World
from tests.rosters.conftest import actions

DEFAULT = ["disadvantaged", "eal", "ks2_maths", "ks2_reading", "sen_provision"]


def _amy_flags(world: World) -> None:
    with school_scope(world.a):
        services.pupil_update(
            actor=world.admin,
            pupil=world.amy,
            sen_provision="K",
            disadvantaged=True,
            eal=True,
            ks2_reading=117,
            ks2_maths=96,
            ethnicity="CHNE",
            medical_notes="Asthma inhaler",
        )


def _class_url(world: World, teaching_class=None) -> str:  # type: ignore[no-untyped-def]
    teaching_class = teaching_class or world.class_7a
    return reverse(
        "rosters:class_detail", kwargs={"school_id": world.a.pk, "class_id": teaching_class.pk}
    )


def _amy_url(world: World) -> str:
    return reverse(
        "rosters:pupil_detail", kwargs={"school_id": world.a.pk, "pupil_id": world.amy.pk}
    )


def _set(world: World, names: list[str]) -> None:
    world.a.teacher_pupil_fields = names
    world.a.save(update_fields=["teacher_pupil_fields"])


def test_default_is_sen_pupil_premium_eal_and_ks2_never_ethnicity_or_medical():
    """TEN-3: the default a new school gets."""
    assert sorted(default_teacher_pupil_fields()) == DEFAULT


def test_teacher_sees_the_default_fields_on_their_class_page(client_for, world: World):
    _amy_flags(world)
    html = client_for("teacher").get(_class_url(world)).content.decode()
    for shown in ("SEN provision", "Disadvantaged (Pupil Premium)", "EAL", "KS2 reading", "117"):
        assert shown in html, shown
    assert "Chinese" not in html and "Asthma" not in html and "Ethnicity" not in html


def test_teacher_sees_the_default_fields_on_their_pupils_page(client_for, world: World):
    _amy_flags(world)
    html = client_for("teacher").get(_amy_url(world)).content.decode()
    assert "For planning" in html and "117" in html and "96" in html
    assert "Chinese" not in html and "Asthma" not in html
    # Still not the school information administrators see (TEN-3).
    assert "School information" not in html and "ULN" not in html


def test_school_can_show_ethnicity_and_medical_notes_or_hide_sen(client_for, world: World):
    """The school's setting decides, field by field (TEN-3)."""
    _amy_flags(world)
    _set(world, ["ethnicity", "medical_notes"])
    html = client_for("teacher").get(_amy_url(world)).content.decode()
    assert "Chinese" in html and "Asthma inhaler" in html
    assert "SEN provision" not in html and "117" not in html


def test_a_field_the_school_does_not_keep_is_not_shown(client_for, world: World):
    """ROS-5 wins: a field not kept is not offered to teachers either."""
    _amy_flags(world)
    world.a.kept_pupil_fields = [n for n in world.a.kept_pupil_fields if n != "ks2_reading"]
    world.a.save(update_fields=["kept_pupil_fields"])
    html = client_for("teacher").get(_class_url(world)).content.decode()
    assert "KS2 reading" not in html and "KS2 maths" in html


@pytest.mark.parametrize("role", ["pupil", "parent"])
def test_pupils_and_parents_see_no_planning_fields(client_for, world: World, role: str):
    _amy_flags(world)
    html = client_for(role).get(_amy_url(world)).content.decode()
    assert "For planning" not in html and "117" not in html


def test_trust_admin_sees_no_planning_columns_on_a_class(client_for, world: World):
    """Trust administrators never see the encrypted fields (SEC-2)."""
    _amy_flags(world)
    html = client_for("trust_admin").get(_class_url(world)).content.decode()
    assert "Disadvantaged" not in html and "SEN provision" not in html


def test_school_admin_sees_what_teachers_see_on_a_class(client_for, world: World):
    _amy_flags(world)
    html = client_for("admin").get(_class_url(world)).content.decode()
    assert "Disadvantaged (Pupil Premium)" in html and "117" in html


@pytest.mark.parametrize("role", ["colleague", "other_teacher", "other_admin"])
def test_teacher_of_another_class_or_school_gets_404(client_for, world: World, role: str):
    """TEN-3, TEN-4: existence does not leak, let alone the fields."""
    _amy_flags(world)
    client = client_for(role)
    assert client.get(_amy_url(world)).status_code == 404
    assert client.get(_class_url(world)).status_code == 404


def test_colleague_teaching_the_pupil_elsewhere_sees_planning_only_then(world: World):
    """The teacher rule is about teaching the pupil, not about being a teacher."""
    with school_scope(world.a):
        access = school_access(world.colleague, world.a)
        assert (
            selectors.pupil_fields_visible(world.colleague, access, pupil=world.amy).planning == ()
        )
        Enrolment.objects.create(school=world.a, teaching_class=world.class_7b, pupil=world.amy)
        fields = selectors.pupil_fields_visible(world.colleague, access, pupil=world.amy)
        assert sorted(fields.planning) == DEFAULT


def test_each_read_of_planning_fields_is_in_the_access_log(client_for, world: World):
    """SEC-1: the class view names the fields, and each pupil gets an event of their own."""
    client_for("teacher").get(_class_url(world))
    [viewed] = actions(world.a, "rosters.class.viewed")
    assert viewed.data == {"count": 2, "fields": DEFAULT}
    reads = actions(world.a, "rosters.pupil.fields_read")
    assert sorted(e.target_id for e in reads) == sorted([str(world.amy.pk), str(world.ben.pk)])
    assert all(e.actor_id == world.teacher.pk for e in reads)
    assert reads[0].data == {"fields": DEFAULT, "class": world.class_7a.pk}
    client_for("teacher").get(_amy_url(world))
    [pupil_viewed] = actions(world.a, "rosters.pupil.viewed")
    assert pupil_viewed.data == {"fields": DEFAULT}


def test_no_fields_shown_no_fields_logged(client_for, world: World):
    _set(world, [])
    client_for("teacher").get(_class_url(world))
    assert actions(world.a, "rosters.pupil.fields_read") == []
    assert actions(world.a, "rosters.class.viewed")[0].data == {"count": 2}


@pytest.mark.parametrize("extra", [0, 40])
def test_class_page_with_planning_fields_in_a_fixed_number_of_queries(
    client_for, world: World, django_assert_max_num_queries, extra: int
):
    """SEC-1 logging of every pupil's read costs the same for 2 pupils or 42."""
    with school_scope(world.a):
        for i in range(extra):
            p = f.PupilFactory(school=world.a, username=f"e{i}", sen_provision="K")
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=p)
    client = client_for("teacher")
    with django_assert_max_num_queries(17 if connection.vendor == "sqlite" else 20):
        assert client.get(_class_url(world)).status_code == 200
    assert len(actions(world.a, "rosters.pupil.fields_read")) == 2 + extra


# --- the setting ----------------------------------------------------------------


def test_settings_page_changes_what_teachers_see_and_records_it(client_for, world: World):
    url = reverse("schools:settings", kwargs={"school_id": world.a.pk})
    html = client_for("admin").get(url).content.decode()
    assert html.count('name="teacher_pupil_fields"') == 10
    response = client_for("admin").post(
        url,
        {
            "email_domains": "oakfield.sch.uk",
            "teacher_pupil_fields_shown": "1",
            "teacher_pupil_fields": ["eal", "ethnicity"],
        },
    )
    assert response.status_code == 302
    world.a.refresh_from_db()
    assert world.a.teacher_pupil_fields == ["eal", "ethnicity"]
    [event] = actions(world.a, "schools.settings.changed")
    assert event.data["teacher_pupil_fields"] == {
        "old": default_teacher_pupil_fields(),
        "new": ["eal", "ethnicity"],
    }


def test_the_pupil_list_shown_again_after_an_htmx_change_is_logged_too(client_for, world: World):
    """SEC-1: an administrator's enrolment change re-renders the list with the fields."""
    url = reverse(
        "rosters:class_pupils", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
    )
    response = client_for("admin").post(
        url, {"action": "add", "username": "cal.clark"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "Cal Clark" in response.content.decode()
    [viewed] = actions(world.a, "rosters.class.viewed")
    assert viewed.data == {"count": 3, "for": "change", "fields": DEFAULT}
    assert len(actions(world.a, "rosters.pupil.fields_read")) == 3
