"""The class list is filtered and paginated, the pupil search matches UPNs (ROS-1,
ROS-3, ACC-3, TEN-3)."""

import pytest
from django.urls import reverse

from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from markbook.rosters.services import upn_digest
from tests import factories as f
from tests.conftest import World


def _classes_url(world: World) -> str:
    return reverse("rosters:classes", kwargs={"school_id": world.a.pk})


def _classes(client, world: World, **params) -> str:  # type: ignore[no-untyped-def]
    response = client.get(_classes_url(world), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def many_classes(world: World) -> World:
    """120 classes: 7X1..7X60 Science (Year 7) taught by the colleague, 8Y1..8Y60
    History (Year 8) taught by nobody, beside 7A and 7B Maths."""
    for i in range(1, 61):
        f.teaching_class(
            world.a, f"7X{i} Sci", subject="Science", year_group="7", teachers=[world.colleague]
        )
        f.teaching_class(world.a, f"8Y{i} Hist", subject="History", year_group="8")
    return world


def test_class_list_is_paginated(client_for, many_classes: World):
    html = _classes(client_for("admin"), many_classes)
    assert "122 classes" in html and "Page 1 of 3" in html and html.count("/classes/") >= 50
    third = _classes(client_for("admin"), many_classes, page=3)
    assert "Page 3 of 3" in third and "Next" not in third


def test_class_list_filters_by_name_subject_year_and_teacher(client_for, many_classes: World):
    world = many_classes
    admin = client_for("admin")
    assert "1 class found" in _classes(admin, world, q="7X12")
    by_subject = _classes(admin, world, subject="History")
    assert "60 classes found" in by_subject and "Sci<" not in by_subject
    assert "62 classes found" in _classes(admin, world, year="7")
    by_teacher = _classes(admin, world, teacher=world.colleague.pk)
    assert "61 classes found" in by_teacher and "7B Maths" in by_teacher
    both = _classes(admin, world, subject="Maths", teacher=world.teacher.pk)
    assert "1 class found" in both and "7A Maths" in both


def test_the_pages_links_keep_the_filter(client_for, many_classes: World):
    html = _classes(client_for("admin"), many_classes, subject="Science")
    assert "?subject=Science&amp;page=2" in html


def test_filter_under_htmx_returns_only_the_results(client_for, many_classes: World):
    response = client_for("admin").get(
        _classes_url(many_classes), {"q": "8Y3"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="class-results">') and "<form" not in html
    assert "11 classes found" in html  # 8Y3, 8Y30..8Y39


def test_teacher_filter_never_widens_a_teachers_list(client_for, many_classes: World):
    """TEN-3: a teacher sees their own classes only, whatever the filter asks."""
    html = _classes(client_for("teacher"), many_classes, teacher=many_classes.colleague.pk)
    assert "1 class" in html and "7A Maths" in html and "7X1 Sci" not in html
    assert 'name="teacher"' not in html


def test_unknown_filter_values_are_ignored(client_for, world: World):
    html = _classes(client_for("admin"), world, subject="Nope", year="99", teacher="abc")
    assert "2 classes" in html


@pytest.mark.parametrize("extra", [0, 60])
def test_filtered_class_list_query_count_does_not_grow(
    client_for, world: World, django_assert_max_num_queries, extra: int
):
    for i in range(extra):
        f.teaching_class(world.a, f"Z{i}", subject="Art", teachers=[world.colleague])
    client = client_for("admin")
    with django_assert_max_num_queries(14):
        _classes(client, world, subject="Art", teacher=world.colleague.pk)


# --- UPN search -----------------------------------------------------------------


def _pupils(client, world: World, q: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("rosters:pupils", kwargs={"school_id": world.a.pk}), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def test_pupil_search_matches_a_whole_upn_or_its_start(client_for, world: World):
    admin = client_for("admin")
    html = _pupils(admin, world, world.amy.upn.lower())
    assert "Amy Adams" in html and "Ben Brown" not in html
    start = _pupils(admin, world, world.amy.upn[:9])
    assert "Amy Adams" in start


def test_pupil_search_finds_a_pseudonymised_pupil_by_upn_hash_only(client_for, world: World):
    """ACC-3: a school with pseudonyms keeps the UPN's keyed hash, not the UPN; the
    whole UPN still finds the pupil, a part of it cannot."""
    upn = f.valid_upn(777)
    with school_scope(world.a):
        Pupil.objects.filter(pk=world.cal.pk).update(upn=None, upn_hash=upn_digest(upn))
    admin = client_for("admin")
    assert "Cal Clark" in _pupils(admin, world, upn)
    assert "Cal Clark" not in _pupils(admin, world, upn[:9])
