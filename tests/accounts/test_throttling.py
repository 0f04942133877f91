"""Failed sign-ins are throttled per account and per address (ACC-5, SEC-4), with the
rates in settings: these tests use the real settings, so they show the limits bite."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import signin_url
from tests.factories import PASSWORD, password_hash

STAFF = "teacher@oakfield.sch.uk"


@pytest.fixture(autouse=True)
def _fast_dummy_hashes(settings):  # type: ignore[no-untyped-def]
    """Failed sign-ins hash the guess with the first hasher (timing safety); a fast one
    here keeps dozens of failures quick. Existing Argon2 hashes still verify."""
    password_hash()  # the session's shared Argon2 hash is made before the switch
    fast = "django.contrib.auth.hashers.MD5PasswordHasher"
    settings.PASSWORD_HASHERS = [fast, *settings.PASSWORD_HASHERS]


def staff_login(email: str, password: str, ip: str):  # type: ignore[no-untyped-def]
    return Client(REMOTE_ADDR=ip).post(
        reverse("account_login"), {"login": email, "password": password}
    )


def pupil_login(school, username: str, password: str, ip: str):  # type: ignore[no-untyped-def]
    return Client(REMOTE_ADDR=ip).post(
        signin_url(school), {"username": username, "password": password}
    )


def minutes_in(response) -> int:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    match = re.search(r"Too many failed sign-ins; try again in (\d+) minutes?\.", html)
    assert match, html[:500]
    return int(match.group(1))


# --- staff sign-in (allauth) ----------------------------------------------------


def test_five_failures_from_different_addresses_lock_the_staff_account(world):
    for n in range(5):
        assert staff_login(STAFF, "wrong-password", f"10.0.0.{n}").status_code == 200
    locked = staff_login(STAFF, PASSWORD, "10.0.1.1")  # right password, new address
    assert locked.status_code == 429
    assert 1 <= minutes_in(locked) <= 15
    assert int(locked["Retry-After"]) <= 15 * 60
    # Another account from the same addresses is not affected.
    assert staff_login("admin@oakfield.sch.uk", PASSWORD, "10.0.0.1").status_code == 302


def test_a_successful_sign_in_does_not_count_as_a_failure(world):
    for n in range(10):
        assert staff_login(STAFF, PASSWORD, f"10.0.2.{n}").status_code == 302


def test_many_failures_from_one_address_block_that_address(world):
    for n in range(10):
        assert staff_login(f"nobody{n}@example.org", "wrong", "10.9.9.9").status_code == 200
    blocked = staff_login(STAFF, PASSWORD, "10.9.9.9")
    assert blocked.status_code == 429
    assert minutes_in(blocked) == 1
    assert staff_login(STAFF, PASSWORD, "10.9.9.10").status_code == 302


def test_staff_failures_are_audited_in_their_school(world):
    from tests.accounts.conftest import events

    staff_login(STAFF, "wrong-password", "10.0.0.1")
    staff_login(STAFF, PASSWORD, "10.0.0.1")
    (failed,) = events(world.a, "accounts.signin.failed")
    assert failed.data == {"method": "staff", "username": STAFF, "reason": "wrong password"}
    assert failed.ip == "10.0.0.1"
    (succeeded,) = events(world.a, "accounts.signin.succeeded")
    assert succeeded.actor_id == world.teacher.pk


# --- pupil sign-in page ---------------------------------------------------------


def test_five_failures_lock_the_pupil_account_on_the_school_page(world):
    for n in range(5):
        assert pupil_login(world.a, "amy.adams", "wrong", f"10.1.0.{n}").status_code == 200
    locked = pupil_login(world.a, "amy.adams", PASSWORD, "10.1.1.1")
    assert locked.status_code == 429
    assert 1 <= minutes_in(locked) <= 15
    assert "_auth_user_id" not in Client().session
    # Other pupils, and a pupil of the same username at another school, still sign in.
    assert pupil_login(world.a, "ben.brown", PASSWORD, "10.1.0.1").status_code == 302


def test_a_locked_pupil_cannot_use_a_code_either(world, issue_code):
    code = issue_code(world.amy)
    for n in range(5):
        pupil_login(world.a, "amy.adams", "wrong", f"10.1.0.{n}")
    response = Client(REMOTE_ADDR="10.1.2.2").post(
        signin_url(world.a, "pupil_signin_code_entry"), {"username": "amy.adams", "code": code}
    )
    assert response.status_code == 429


def test_wrong_codes_count_towards_the_lock(world, issue_code):
    code = issue_code(world.amy)
    url = signin_url(world.a, "pupil_signin_code_entry")
    for n in range(5):
        wrong = Client(REMOTE_ADDR=f"10.2.0.{n}").post(
            url, {"username": "amy.adams", "code": "AAAA-AAAA"}
        )
        assert wrong.status_code == 200
    locked = Client(REMOTE_ADDR="10.2.1.1").post(url, {"username": "amy.adams", "code": code})
    assert locked.status_code == 429
    assert 1 <= minutes_in(locked) <= 15


def test_many_failures_from_one_address_block_it_on_the_pupil_page(world):
    for n in range(30):
        assert pupil_login(world.a, f"guess{n}", "wrong", "10.3.3.3").status_code == 200
    blocked = pupil_login(world.a, "ben.brown", PASSWORD, "10.3.3.3")
    assert blocked.status_code == 429
    assert minutes_in(blocked) == 1
    assert pupil_login(world.a, "ben.brown", PASSWORD, "10.3.3.4").status_code == 302
