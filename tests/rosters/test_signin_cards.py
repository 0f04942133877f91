"""Sign-in cards for a whole class (ACC-2): the class's teachers and the school's
administrators are asked first, then get one fresh one-time code per pupil, shown
once; old codes stop working; audited per class and per pupil."""

import pytest
from django.db import connection
from django.urls import reverse

from markbook.accounts import services as accounts
from markbook.accounts.models import SignInCode
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Enrolment, Pupil
from tests import factories as f
from tests.conftest import World
from tests.rosters.conftest import actions


def _url(world: World) -> str:
    return reverse(
        "rosters:class_signin_cards",
        kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk},
    )


def _codes(world: World) -> int:
    with school_scope(world.a):
        return SignInCode.objects.count()


@pytest.mark.parametrize("role", ["teacher", "admin"])
def test_the_confirm_page_says_how_many_codes_and_issues_none(client_for, world: World, role):
    response = client_for(role).get(_url(world))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This will issue new sign-in codes to 2 pupils; their old codes stop working" in html
    assert _codes(world) == 0


def test_confirming_prints_a_card_per_pupil_with_a_working_code(client_for, world: World):
    with school_scope(world.a):
        old = accounts.pupil_signin_code_issue(actor=world.teacher, pupil=world.amy)
    response = client_for("teacher").post(_url(world))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    cards = response.context["cards"]
    assert [c.pupil.username for c in cards] == ["amy.adams", "ben.brown"]
    html = response.content.decode()
    signin = reverse("pupil_signin_code_entry", kwargs={"signin_slug": world.a.signin_slug})
    assert html.count('class="signin-card"') == 2 and signin in html
    with school_scope(world.a):
        for card in cards:
            assert card.code in html
            assert accounts.pupil_signin_code_check(username=card.pupil.username, code=card.code)
        # The earlier code stops working (ACC-2).
        assert accounts.pupil_signin_code_check(username="amy.adams", code=old) is None


def test_cards_are_audited_for_the_class_and_each_pupil(client_for, world: World):
    client_for("admin").post(_url(world))
    [event] = actions(world.a, "rosters.signin_cards.issued")
    assert (event.actor_id, event.target_id) == (world.admin.pk, str(world.class_7a.pk))
    assert event.data == {"pupils": 2, "skipped": 0}
    issued = actions(world.a, "accounts.signin_code.issued")
    assert sorted(e.target_id for e in issued) == sorted([str(world.amy.pk), str(world.ben.pk)])
    # Never the codes themselves.
    assert all("code" not in str(e.data).lower() for e in [event, *issued])


def test_pupils_who_left_or_have_no_account_get_no_card(client_for, world: World):
    with school_scope(world.a):
        Pupil.objects.filter(pk=world.ben.pk).update(status=Pupil.Status.LEFT)
        nobody = f.PupilFactory(school=world.a, username="no.account", first_name="Nat")
        Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=nobody)
    confirm = client_for("teacher").get(_url(world)).content.decode()
    assert "new sign-in codes to 1 pupil;" in confirm and "No card for 2 pupils" in confirm
    response = client_for("teacher").post(_url(world))
    assert [c.pupil.username for c in response.context["cards"]] == ["amy.adams"]
    assert actions(world.a, "rosters.signin_cards.issued")[0].data == {"pupils": 1, "skipped": 2}


@pytest.mark.parametrize(
    "role", ["colleague", "trust_admin", "parent", "pupil", "other_teacher", "other_admin"]
)
def test_nobody_else_can_print_or_reset_the_class(client_for, world: World, role: str):
    """TEN-3: another class's teacher or another school's user gets 404, and no code
    changes."""
    client = client_for(role)
    assert client.get(_url(world)).status_code == 404
    assert client.post(_url(world)).status_code == 404
    assert _codes(world) == 0


def test_the_class_page_offers_the_cards_to_its_teacher_and_the_admin(client_for, world: World):
    page = reverse(
        "rosters:class_detail", kwargs={"school_id": world.a.pk, "class_id": world.class_7a.pk}
    )
    for role, offered in (("teacher", True), ("admin", True), ("trust_admin", False)):
        html = client_for(role).get(page).content.decode()
        assert ("Print sign-in cards" in html) is offered, role


@pytest.mark.parametrize("extra", [0, 30])
def test_issuing_cards_takes_a_fixed_number_of_queries(
    client_for, world: World, django_assert_max_num_queries, extra: int
):
    for i in range(extra):
        p = f.pupil_with_account(world.a, username=f"e{i}")
        with school_scope(world.a):
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=p)
    client = client_for("teacher")
    with django_assert_max_num_queries(28 if connection.vendor == "sqlite" else 32):
        response = client.post(_url(world))
    assert len(response.context["cards"]) == 2 + extra
