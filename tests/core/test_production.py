"""SEC-4, SEC-6: MARKBOOK_ENV=production is secure as deployed (docs/deployment.md).

`markbook check --deploy` finds nothing with the production settings; session and CSRF
cookies are secure, HSTS is sent, HTTPS is taken from the TLS-terminating proxy's
header, plain HTTP is redirected, and the content security policy allows no inline
script. The production settings are read in a child process (settings are read once,
at start-up), then applied here with `settings` to check the answers pages give.
"""

import json
import os
import subprocess
import sys

import pytest
from django.urls import reverse

PRODUCTION_NAMES = [
    "DEBUG",
    "MARKBOOK_PLATFORM_STAFF_TWO_FACTOR",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CSP",
]


def _production(tmp_path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MARKBOOK_ENV": "production",
        "MARKBOOK_DEBUG": "true",  # production turns it off whatever this says
        "MARKBOOK_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "markbook.settings",
        **variables,
    }
    # The browser tests' live server allows Django's ORM in Playwright's event loop; a
    # deployment never sets it (check --deploy warns of it).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def production_settings(tmp_path_factory) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {PRODUCTION_NAMES!r}}}))"
    )
    done = _production(tmp_path_factory.mktemp("production"), "-c", code)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_check_deploy_finds_nothing_with_the_production_settings(tmp_path):
    done = _production(tmp_path, "-m", "markbook", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNINGS" not in done.stdout + done.stderr


def test_check_deploy_does_warn_without_them(tmp_path):
    """The test above can fail: the development settings are not fit to deploy."""
    done = _production(
        tmp_path, "-m", "markbook", "check", "--deploy", "--fail-level", "WARNING", MARKBOOK_ENV=""
    )
    assert done.returncode != 0
    assert "security.W004" in done.stderr  # no HSTS
    assert "security.W012" in done.stderr  # session cookie not secure


def test_a_mistyped_environment_is_refused(tmp_path):
    done = _production(tmp_path, "-c", "import django; django.setup()", MARKBOOK_ENV="prod")
    assert done.returncode != 0
    assert "MARKBOOK_ENV='prod'" in done.stderr


def test_production_settings_are_secure(production_settings):
    s = production_settings
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["MARKBOOK_PLATFORM_STAFF_TWO_FACTOR"] is True  # TEN-6, ACC-5
    scripts = s["SECURE_CSP"]["script-src"]
    assert scripts == ["'self'"]
    assert not any("unsafe" in value for values in s["SECURE_CSP"].values() for value in values)


@pytest.fixture
def as_production(settings, production_settings):
    for name in PRODUCTION_NAMES:
        value = production_settings[name]
        setattr(settings, name, tuple(value) if name == "SECURE_PROXY_SSL_HEADER" else value)
    return settings


def test_pages_behind_the_proxy_send_hsts_and_a_csp_without_inline_script(
    as_production, client_for, world
):
    url = reverse("schools:home", kwargs={"school_id": world.a.pk})
    response = client_for("admin").get(url, headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200
    assert "max-age=31536000" in response["Strict-Transport-Security"]
    assert "preload" in response["Strict-Transport-Security"]
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"


def test_plain_http_is_redirected_to_https(as_production, client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_sign_in_cookies_are_secure_in_production(as_production, client, db):
    response = client.get(reverse("account_login"), headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200
    assert response.cookies["csrftoken"]["secure"] is True


def test_the_health_check_answers_plain_http_on_loopback(as_production, client, db):
    """A monitor on the machine asks gunicorn directly, without TLS: no redirect."""
    response = client.get(reverse("health"))
    assert response.status_code == 503  # no scheduler or worker in the tests
    assert response.json()["failing"] == ["scheduler", "worker"]
