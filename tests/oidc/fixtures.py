"""A real OpenID Connect provider for the sign-in tests (ACC-1): tests/oidc/provider.mjs
(the npm package oidc-provider, installed by bin/test with `npm ci`) on 127.0.0.1.

`oidc_google(live_server)` starts it with the live server's allauth callback as its
client's redirect URI, points Markbook's "google" provider at it, and stops it after
the test. The browser signs in on its page with any address it types.
"""

import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CLIENT_ID = "markbook-test"
CLIENT_SECRET = "markbook-test-secret"  # a test provider's, not a secret


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    provider_id: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_provider(redirect_uri: str, flavour: str = "standard") -> tuple[subprocess.Popen, str]:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").exists():
        pytest.fail(
            "The sign-in tests need Node.js and tests/oidc/node_modules: run bin/test "
            "(it runs `npm ci` in tests/oidc), or `npm ci --prefix tests/oidc`.",
            pytrace=False,
        )
    port = _free_port()
    process = subprocess.Popen(
        [
            node,
            str(HERE / "provider.mjs"),
            *("--port", str(port), "--redirect-uri", redirect_uri, "--flavour", flavour),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("listening "):
        process.kill()
        process.wait()
        pytest.fail(f"the test OpenID Connect provider did not start: {line!r}", pytrace=False)
    return process, line.removeprefix("listening ")


def stop_provider(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _configured(  # type: ignore[no-untyped-def]
    live_server, settings, provider_id: str, name: str, flavour: str = "standard"
) -> Iterator[OidcProvider]:
    """Start the test provider and configure it as this Markbook's provider `provider_id`."""
    callback = f"{live_server.url}/accounts/oidc/{provider_id}/login/callback/"
    process, issuer = start_provider(callback, flavour)
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": provider_id,
                    "name": name,
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": issuer},
                }
            ],
        }
    }
    # The sign-in form's redirect to the provider must be allowed (see settings).
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [*settings.SECURE_CSP["form-action"], issuer],
    }
    try:
        yield OidcProvider(issuer=issuer, provider_id=provider_id)
    finally:
        stop_provider(process)


@pytest.fixture
def oidc_google(browser, live_server, settings) -> Iterator[OidcProvider]:  # type: ignore[no-untyped-def]
    """The test provider, configured as this Markbook's "Sign in with Google".

    For the browser tests: `browser` comes first so the live server shares the test's
    database connections (see tests/browser/conftest.py)."""
    yield from _configured(live_server, settings, "google", "Google")


@pytest.fixture
def oidc_microsoft(browser, live_server, settings) -> Iterator[OidcProvider]:  # type: ignore[no-untyped-def]
    """The test provider, configured as this Markbook's "Sign in with Microsoft", and
    vouching for addresses as Entra ID does (xms_edov, no email_verified)."""
    yield from _configured(live_server, settings, "microsoft", "Microsoft", "entra")
