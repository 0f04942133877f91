"""Requirement IDs (TEN-4, ROS-2 ...) belong in code, docstrings and tests: no page, form,
message, API answer or API document a person reads shows one.

Three nets: the templates' text (their {# comments #} aside), the strings in the Python
code that are not docstrings (messages, labels, help texts, errors), and the pages
themselves, crawled as every role (the inventory's citations are left out of the
privacy notice, and the docstrings' out of the OpenAPI document, on the way out)."""

import ast
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from markbook.core.text import without_requirement_ids
from tests.test_permission_matrix import PAGES, Route, _is_allauth, _kwargs, page_routes

# What pages say, not how a database answers: run once, on SQLite (.ci/run).
pytestmark = pytest.mark.database_agnostic

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "markbook"
ID = re.compile(r"\b(TEN|ACC|ROS|ASM|DSR|CON|RET|SEC)-\d+\b")
TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)


def _ids_in(text: str) -> list[str]:
    return [m.group(0) for m in ID.finditer(text)]


@pytest.mark.parametrize(
    ("cited", "plain"),
    [
        ("sign-in; an Argon2id hash (ACC-2)", "sign-in; an Argon2id hash"),
        ("from the MIS (ROS-2, ACC-3).", "from the MIS."),
        ("365 days (RET-1: IP addresses in logs)", "365 days (IP addresses in logs)"),
        ("365 days (RET-1, as logs)", "365 days (as logs)"),
        ("CSV or .xlsx; ROS-2, ROS-3)", "CSV or .xlsx)"),
        ("no citation here", "no citation here"),
    ],
)
def test_citations_are_left_out_and_their_explanations_kept(cited, plain):
    assert without_requirement_ids(cited) == plain


def test_templates_show_no_requirement_ids():
    found = []
    for path in sorted(SRC.rglob("*.html")):
        text = TEMPLATE_COMMENT.sub("", path.read_text())
        found += [f"{path.relative_to(ROOT)}: {i}" for i in _ids_in(text)]
    assert found == []


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def test_no_string_in_the_code_shows_a_requirement_id():
    """Messages, labels, help texts and errors are strings; docstrings and comments cite.

    The apps' inventory.py declarations are read by people through the privacy notice
    and the record of processing, which leave their citations out (the crawl checks)."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts or path.name.endswith("inventory.py"):
            continue
        tree = ast.parse(path.read_text())
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and ID.search(node.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:80]!r}")
    assert found == []


CRAWLERS = ("admin", "teacher", "parent", "pupil", "trust_admin", "platform_staff", "anonymous")


@pytest.mark.parametrize("role", CRAWLERS)
def test_no_page_shows_a_requirement_id(client_for, world, role):
    """Every page each role may open (the permission matrix's GET routes), allauth's pages,
    the privacy notice, the API's documents and a 404."""
    client = client_for(role)
    urls = []
    for name, route in PAGES.items():
        if isinstance(route, Route) and route.method == "get" and route.expect[role] == 200:
            pattern, _ = page_routes()[name]
            urls.append(reverse(name, kwargs=_kwargs(world, pattern)))
    urls += [
        "/" + pattern
        for pattern, p in page_routes().values()
        if _is_allauth(p) and "(?P<" not in pattern and "<" not in pattern
    ]
    urls += ["/privacy/", "/api/openapi.json", "/api/docs", f"/s/{world.a.pk}/no-such-page/"]
    assert len(urls) > 10
    found = []
    for url in dict.fromkeys(urls):
        response = client.get(url, follow=True)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        found += [f"{url}: {i}" for i in _ids_in(body.decode(errors="replace"))]
    assert found == [], role


def test_api_answers_show_no_requirement_id(client_for, world):
    """The API's own messages (errors included), as an administrator and as an outsider."""
    s = f"/api/schools/{world.a.pk}"
    admin, outsider = client_for("admin"), client_for("other_admin")
    answers = [
        admin.get("/api/me"),
        admin.get("/api/me/preferences"),
        admin.get(f"{s}/pupils"),
        admin.get(f"{s}/pupils/{world.amy.pk}"),
        admin.get(f"{s}/classes"),
        admin.get(f"{s}/settings"),
        admin.post(f"{s}/pupils", json.dumps({}), content_type="application/json"),
        admin.patch(
            f"{s}/settings", json.dumps({"email_domains": ["not a domain"]}), "application/json"
        ),
        outsider.get(f"{s}/pupils"),
        client_for("anonymous").get("/api/me"),
    ]
    found = [f"{r.request['PATH_INFO']}: {i}" for r in answers for i in _ids_in(r.content.decode())]
    assert found == []
