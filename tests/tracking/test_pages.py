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
