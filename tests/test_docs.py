"""Markbook's docs travel with it: docs/ holds the requirements, domain facts and style
guide the code cites (../shared/ is their source), and docs/architecture.md maps every
requirement ID to the modules and tests that cite it."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ID = re.compile(r"\b((?:TEN|ACC|ROS|ASM|DSR|CON|RET|SEC)-\d+)\b")


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["requirements.md", "domain.md", "style.md"])
def test_docs_copy_holds_every_line_of_the_shared_source(name):
    """When ../shared/ gains a line, it is brought over to docs/."""
    source = SHARED / name
    if not source.exists():
        pytest.skip("no ../shared/ beside this checkout")
    copy = set(_lines(ROOT / "docs" / name))
    missing = [line for line in _lines(source) if line not in copy]
    assert not missing, f"docs/{name} lacks lines of ../shared/{name}: {missing[:5]}"


def test_every_cited_requirement_id_is_in_docs_requirements():
    known = set(re.findall(r"^- ([A-Z]+-\d+) ", (ROOT / "docs/requirements.md").read_text(), re.M))
    cited: dict[str, str] = {}
    for folder in ("src", "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            for rid in ID.findall(path.read_text()):
                cited.setdefault(rid, str(path.relative_to(ROOT)))
    unknown = {rid: where for rid, where in cited.items() if rid not in known}
    assert not unknown, f"IDs cited but not in docs/requirements.md: {unknown}"


def test_nothing_points_outside_the_repository_for_docs():
    """People who get Markbook have no ../shared/: README, CONTRIBUTING and the code
    cite docs/ instead."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "src").rglob("*.py")]
        if "shared/" in path.read_text()
    ]
    assert not offenders


def test_architecture_requirement_map_is_current():
    check = subprocess.run(
        [sys.executable, str(ROOT / "bin" / "requirements-map"), "--check"], check=False
    )
    assert check.returncode == 0, "docs/architecture.md is stale: run bin/requirements-map --write"


def test_architecture_names_every_app():
    text = (ROOT / "docs/architecture.md").read_text()
    packages = [p.parent.name for p in (ROOT / "src/markbook").glob("*/apps.py")]
    assert packages
    missing = [name for name in [*packages, "admission"] if f"`{name}`" not in text]
    assert not missing
