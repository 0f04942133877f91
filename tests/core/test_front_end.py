"""Front-end files come from npm, pinned by package-lock.json, and are served by Markbook
itself from a git-ignored build folder: never a CDN, never a copy in src/ (SEC-4, SEC-6)."""

import json
import re
import subprocess
from pathlib import Path

from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from markbook.core.checks import front_end_built

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = json.loads((ROOT / "package.json").read_text())
LOCK = json.loads((ROOT / "package-lock.json").read_text())


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_dependency_is_pinned_to_the_version_locked():
    """package.json names exact versions, and the lock file holds the same ones."""
    for name, version in PACKAGE["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not pinned"
        assert LOCK["packages"][f"node_modules/{name}"]["version"] == version


def test_each_front_end_file_is_served_at_static_as_npm_installed_it(client):
    """/static/vendor/htmx.min.js answers the file npm installed, byte for byte."""
    assert "vendor/htmx.min.js" in PACKAGE["static"]
    for target, source in PACKAGE["static"].items():
        response = client.get(settings.STATIC_URL + target)
        assert response.status_code == 200, target
        assert _body(response) == (ROOT / "node_modules" / source).read_bytes(), target
    htmx = _body(client.get(settings.STATIC_URL + "vendor/htmx.min.js")).decode()
    assert f'version:"{PACKAGE["dependencies"]["htmx.org"]}"' in htmx


def test_the_build_folder_is_git_ignored():
    """build/static is made by `npm run build`; git never holds its files."""
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "build/static/vendor/htmx.min.js"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0
    assert settings.FRONT_END_DIR in settings.STATICFILES_DIRS


def test_no_vendored_minified_javascript_in_src():
    """Third-party scripts are npm packages, not files copied into the repository."""
    offenders = []
    for path in (ROOT / "src").rglob("*"):
        if path.suffix not in {".js", ".mjs", ".css", ".woff", ".woff2"} or not path.is_file():
            continue
        text = path.read_bytes().decode(errors="replace")
        longest = max((len(line) for line in text.splitlines()), default=0)
        if ".min." in path.name or longest > 400 or path.suffix.startswith(".woff"):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_pages_load_htmx_from_the_same_origin_as_the_policy_allows(client_for, world):
    """The script's address is this server's /static/; script-src 'self' lets it run."""
    response = client_for("admin").get(reverse("schools:home", kwargs={"school_id": world.a.pk}))
    scripts = re.findall(r'<script src="([^"]+)"', response.content.decode())
    assert f"{settings.STATIC_URL}vendor/htmx.min.js" in scripts
    assert all(src.startswith("/") and not src.startswith("//") for src in scripts)
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_system_check_warns_when_the_front_end_was_not_built(tmp_path):
    assert front_end_built() == []
    with override_settings(STATICFILES_DIRS=[tmp_path], STATIC_ROOT=tmp_path):
        from django.contrib.staticfiles import finders

        finders.get_finder.cache_clear()
        try:
            warnings = front_end_built()
        finally:
            finders.get_finder.cache_clear()
    assert [w.id for w in warnings] == ["markbook.W001"]
    assert "npm ci" in warnings[0].hint
