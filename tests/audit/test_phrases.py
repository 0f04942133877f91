"""Every action recorded in the access log has a phrase (SEC-1): the log page says
"changed pupil details", never "rosters.pupil.changed"."""

import ast
import re
from pathlib import Path

import markbook
from markbook.audit.describe import ACTIONS, READS

SRC = Path(markbook.__file__).parent
APPS = (
    "accounts",
    "assessment",
    "audit",
    "consent",
    "core",
    "practice",
    "privacy",
    "rights",
    "rosters",
    "schools",
)
ACTION = re.compile(rf"^(?:{'|'.join(APPS)})\.[a-z_]+\.[a-z_]+$")
# Actions built from a template: each template and every name it can give.
DYNAMIC = {
    "accounts.registration.{}": {
        "accounts.registration.requested",
        "accounts.registration.approved_by_email",
        "accounts.registration.approved_automatically",
        "accounts.registration.approved",
        "accounts.registration.refused",
    },
    "rosters.import.{}": {"rosters.import.done", "rosters.import.failed"},
    "rosters.enrolment.{}": {"rosters.enrolment.added", "rosters.enrolment.removed"},
    "rosters.class.teacher_{}": {
        "rosters.class.teacher_attached",
        "rosters.class.teacher_detached",
    },
    # A parent's answer for their child (CON-2).
    "consent.decision.{}": {"consent.decision.given", "consent.decision.refused"},
}


def _recorded() -> tuple[set[str], set[str]]:
    """The action names written in src (every dotted app.thing.verb string, as passed
    to audit.record, record_many or the read loggers) and the templates of f-strings."""
    names, templates = set(), set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        parts = {id(p) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for p in n.values}
        for node in ast.walk(tree):
            if id(node) in parts:
                continue  # a piece of an f-string, seen whole as its JoinedStr
            if isinstance(node, ast.JoinedStr):
                text = "".join(
                    part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
                )
                if re.match(rf"^(?:{'|'.join(APPS)})\.[a-z_]+\.", text) and "{}" in text:
                    templates.add(text)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ACTION.match(node.value)
            ):
                names.add(node.value)
    return names, templates


def test_every_recorded_action_has_a_phrase():
    names, templates = _recorded()
    assert "rosters.pupil.viewed" in names and "rosters.guardian.linked" in names
    unknown_templates = sorted(templates - set(DYNAMIC))
    assert unknown_templates == [], f"add these templates' names to DYNAMIC: {unknown_templates}"
    recorded = names | {name for t in templates for name in DYNAMIC[t]}
    missing = sorted(recorded - set(ACTIONS))
    assert missing == [], f"actions with no phrase in audit.describe.ACTIONS: {missing}"
    stale = sorted(set(ACTIONS) - recorded)
    assert stale == [], f"phrases for actions nothing records: {stale}"


def test_phrases_are_words_and_reads_are_actions():
    assert set(READS) <= set(ACTIONS)
    for name, phrase in ACTIONS.items():
        assert phrase and phrase == phrase.strip() and "." not in phrase, name
        assert not re.search(r"\b[A-Z]{2,4}-\d+\b", phrase), name
