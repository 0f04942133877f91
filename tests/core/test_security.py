"""SEC-4: CSRF, a strict content security policy, secure session cookies, no secrets."""

import re
import subprocess
from pathlib import Path

from django.conf import settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def test_pages_carry_a_strict_content_security_policy(client_for, world):
    response = client_for("admin").get(reverse("schools:home", kwargs={"school_id": world.a.pk}))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_templates_have_no_inline_scripts_or_styles():
    """The CSP forbids them, so a template using one would silently break."""
    offenders = []
    for path in (ROOT / "src").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=\"|\son[a-z]+=\"", text):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0).strip()}")
    assert offenders == []


def test_session_cookie_is_http_only_and_same_site():
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_forms_are_csrf_protected(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    url = reverse("schools:terms", kwargs={"school_id": world.a.pk})
    assert client.post(url, {"accept": "yes"}).status_code == 403


def test_no_secret_files_are_tracked():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [t for t in tracked if t.startswith("var/") or t.endswith("secrets.json")]
    for name in tracked:
        if name.endswith((".py", ".toml", ".md", ".html", ".sh")) or name in ("run", ".ci/run"):
            text = (ROOT / name).read_text(errors="ignore")
            assert settings.SECRET_KEY not in text, name
            assert settings.MARKBOOK_MASTER_KEY not in text, name
