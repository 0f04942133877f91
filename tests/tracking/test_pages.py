"""Tracking pages (ASM-4): what they link to and what they ask before deleting."""

import pytest
from django.urls import reverse

from tests.factories import tracking_world

pytestmark = pytest.mark.django_db


def _completion(world, drop) -> str:  # type: ignore[no-untyped-def]
    return reverse("tracking:drop_completion", kwargs={"school_id": world.a.pk, "drop_id": drop.pk})


def _entry(world, drop, teaching_class) -> str:  # type: ignore[no-untyped-def]
    return reverse(
        "markbook:class_drop",
        kwargs={"school_id": world.a.pk, "class_id": teaching_class.pk, "drop_id": drop.pk},
    )


def test_completion_gaps_open_the_drop_entry_grid_of_that_class(client_for, world):
    """ASM-4: each class's "to enter" link opens its drop-entry grid for this drop, not the
    class page; administrators get every class's, a teacher their own."""
    drop = tracking_world(world)["drop"]
    page = client_for("admin").get(_completion(world, drop)).content.decode()
    assert f'href="{_entry(world, drop, world.class_7a)}"' in page
    assert f'href="{_entry(world, drop, world.class_7b)}"' in page
    class_page = reverse(
        "rosters:class_detail", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
    )
    assert f'href="{class_page}"' not in page
    own = client_for("teacher").get(_completion(world, drop)).content.decode()
    assert f'href="{_entry(world, drop, world.class_7a)}"' in own
    assert _entry(world, drop, world.class_7b) not in own
    # The link is one the teacher may follow.
    assert client_for("teacher").get(_entry(world, drop, world.class_7a)).status_code == 200


def _grade_for_amy(world, made) -> None:  # type: ignore[no-untyped-def]
    from markbook.core.tenancy import school_scope
    from markbook.tracking.models import Grade, TrackingEntry

    with school_scope(world.a):
        TrackingEntry.objects.create(
            school=world.a,
            drop=made["drop"],
            field=made["drop"].fields.get(key="working_at"),
            pupil=world.amy,
            subject=made["subject"],
            grade=Grade.objects.get(scale=made["subject"].scale, label="4"),
        )


def test_deleting_a_drop_says_what_goes_and_needs_the_confirmation(client_for, world):
    """ASM-4: the delete page counts the entries and pupils that go with the drop; a POST
    without the confirmation deletes nothing, with it the drop and its entries go."""
    from markbook.core.tenancy import school_scope
    from markbook.tracking.models import DataDrop, TrackingEntry

    made = tracking_world(world)
    _grade_for_amy(world, made)
    url = reverse(
        "tracking:drop_delete", kwargs={"school_id": world.a.pk, "drop_id": made["drop"].pk}
    )
    admin = client_for("admin")
    page = admin.get(url).content.decode()
    assert "1 entry for 1 pupil in 1 subject" in page
    assert 'name="confirm"' in page and "required" in page
    admin.post(url)
    with school_scope(world.a):
        assert DataDrop.objects.filter(pk=made["drop"].pk).exists()
    response = admin.post(url, {"confirm": "1"})
    assert response.status_code == 302
    with school_scope(world.a):
        assert not DataDrop.objects.filter(pk=made["drop"].pk).exists()
        assert not TrackingEntry.objects.exists()


def test_deleting_an_empty_subject_needs_no_confirmation(client_for, world):
    """ASM-4: a subject with no targets or grades: the page says nothing was entered,
    and its links to classes go (the classes stay)."""
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import TeachingClass
    from markbook.tracking.models import Subject

    made = tracking_world(world)
    url = reverse(
        "tracking:subject_delete",
        kwargs={"school_id": world.a.pk, "subject_id": made["subject"].pk},
    )
    admin = client_for("admin")
    page = admin.get(url).content.decode()
    assert "Nothing has been entered for it yet." in page
    assert 'name="confirm"' not in page
    assert admin.post(url).status_code == 302
    with school_scope(world.a):
        assert not Subject.objects.filter(pk=made["subject"].pk).exists()
        assert TeachingClass.objects.filter(pk=world.class_7a.pk).exists()


def test_deleting_a_subject_with_grades_lists_them(client_for, world):
    """ASM-4: targets, drop grades and class links, counted before anything goes."""
    made = tracking_world(world)
    _grade_for_amy(world, made)
    url = reverse(
        "tracking:subject_delete",
        kwargs={"school_id": world.a.pk, "subject_id": made["subject"].pk},
    )
    page = client_for("admin").get(url).content.decode()
    assert "0 pupil targets" in page
    assert "1 drop grade" in page
    assert "its links to 2 classes (the classes stay)" in page
