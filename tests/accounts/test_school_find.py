"""Pupils on the main sign-in page reach their school's sign-in page with the school's
code, and nothing there reveals which schools exist (ACC-2, SEC-4)."""

from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import signin_url
from tests.conftest import World

FIND = "/signin/"


def _find(code: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return Client(REMOTE_ADDR=ip).post(FIND, {"code": code})


def test_the_main_sign_in_page_offers_the_school_code_box(world: World):
    html = Client().get(reverse("account_login")).content.decode()
    assert "Pupils: sign in with your school's code" in html
    assert f'action="{FIND}"' in html
    # No list, no search, no school named.
    assert world.a.name not in html and world.b.name not in html


def test_the_address_itself_leads_to_the_sign_in_page(world: World):
    """Someone at / is sent to sign in, and finds the box there."""
    response = Client().get("/", follow=True)
    assert "sign in with your school's code" in response.content.decode()


def test_the_right_code_goes_to_the_schools_pupil_sign_in_page(world: World):
    response = _find(world.a.signin_slug)
    assert response.status_code == 302 and response["Location"] == signin_url(world.a)


def test_a_whole_pasted_address_works_too(world: World):
    response = _find(f"https://markbook.example{signin_url(world.a)}")
    assert response["Location"] == signin_url(world.a)


def test_a_wrong_code_says_no_school_has_it_and_names_none(world: World):
    for code in ("nonsense", world.a.signin_slug[:-1], world.a.signin_slug.upper(), world.a.name):
        response = _find(code)
        html = response.content.decode()
        assert response.status_code == 200, code
        assert "No school has that code." in html, code
        assert world.a.name not in html.replace(f'value="{world.a.name}"', ""), code
        assert world.b.name not in html


def test_wrong_codes_are_throttled_so_addresses_cannot_be_guessed(world: World):
    """SEC-4: after five wrong codes from one address even the right one is refused,
    so guessing cannot go on; another address is unaffected."""
    for i in range(5):
        assert _find(f"guess{i}").status_code == 200
    blocked = _find(world.a.signin_slug)
    assert blocked.status_code == 429 and "Retry-After" in blocked
    assert "Too many wrong school codes" in blocked.content.decode()
    assert _find(world.a.signin_slug, ip="10.0.0.2").status_code == 302


def test_right_codes_are_not_counted(world: World):
    for _ in range(8):
        assert _find(world.a.signin_slug).status_code == 302


def test_the_find_page_without_javascript_or_a_post(world: World):
    html = Client().get(FIND).content.decode()
    assert 'name="code"' in html and world.a.name not in html
