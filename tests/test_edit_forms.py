"""Every edit form is covered by the browser test that saves it unchanged (ROS-1).

A page is an edit form when its URL name says so (`..._edit`, `...settings`) or when,
for one of School A's roles, it shows a POST form holding stored values. Each such
(page, role) must be in tests/browser/test_edit_forms.EDIT_FORMS, or below with the
reason it is not an edit form.
"""

import pytest
from django.urls import reverse

from tests.browser.test_edit_forms import EDIT_FORMS
from tests.conftest import ROLES
from tests.edit_forms import fill_every_field, shows_stored_values
from tests.test_permission_matrix import _is_allauth, _kwargs, page_routes

# Which forms the browser test covers, not how a database answers: run once, on SQLite.
pytestmark = pytest.mark.database_agnostic

# Pages whose POST form shows defaults, not stored values.
NOT_EDIT_FORMS = {
    "rosters:class_new": "a new class; the academic year shown is the current one",
    "tracking:drop_new": "a new data drop; working at and predicted are the suggested fields",
    "staff_register": "asks to join a school; 'a member of staff' is ticked by default",
    "rights:new": "a new data-protection request; 'a copy of the data held' is ticked by default",
    "consent:purposes": "adds a consent purpose; 'in use' is ticked by default",
    "support:grants": "grants new support access; only its end, two days ahead, is prefilled",
    "breaches:register": "records a new breach; only 'people affected: 0' is prefilled",
    # Restrictions and corrections (DSR-3, DSR-5): each form makes a new record.
    "school_privacy:restriction_new": "places a new restriction; only the person is prefilled",
    "school_privacy:restriction": "its form lifts the restriction, with a new reason",
    "school_privacy:pupil_corrections": "records a new correction; the form starts empty",
    "school_privacy:user_corrections": "records a new correction; the form starts empty",
    # DSR-7 deletions: confirmations, not edit forms.
    "rosters:staff_delete": "confirms deleting a member of staff; only the impact's fingerprint",
    "rosters:class_delete": "confirms deleting a class; nothing to fill in",
    "rosters:roster_delete": "confirms deleting the roster; the school's name is typed afresh",
    # ACC-6: a confirmation, not an edit form.
    "schools:suspension": "suspends the school; the school's name is typed afresh",
    "rosters:me_delete_ask": "a pupil asks to have their account deleted; the form starts empty",
    # A paper consent form (CON-2): each records a new decision; its fields start empty.
    "consent:class_consent": "records a new paper consent form; its fields start empty",
    # Teachers' practice (ASM-2): new things, with defaults.
    "practice_teachers:set_new": "a new practice set; practice mode and 10 questions are defaults",
    "practice_teachers:question_new": "a new question; 'numeric' is the default kind",
    # Retention (RET-2): a rule's form is empty until the school shortens it; saving the
    # same period again changes nothing (tests/privacy/test_retention.py).
    "school_privacy:retention": "each form shortens one retention period; empty by default",
}
# Another school's users see none of School A's forms; platform staff's own pages
# (the breach register, the list of schools) are checked like everyone's.
OUTSIDERS = ("other_teacher", "other_admin")


def _pages() -> dict[str, str]:
    return {
        name: pattern
        for name, (pattern, p) in page_routes().items()
        if not name.startswith("api:") and not _is_allauth(p)
    }


@pytest.mark.django_db
def test_every_edit_form_is_saved_unchanged_by_the_browser_test(client_for, world):
    fill_every_field(world)
    found = set()
    for name, pattern in sorted(_pages().items()):
        named_as_edit = name.endswith(("_edit", "settings"))
        url = reverse(name, kwargs=_kwargs(world, pattern))
        for role in ROLES:
            if role in OUTSIDERS:
                continue
            response = client_for(role).get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            if named_as_edit or shows_stored_values(response.content.decode()):
                found.add((name, role))
    covered = set(EDIT_FORMS)
    assert {("rosters:pupil_edit", "admin"), ("schools:settings", "admin")} <= found
    missing = sorted((name, role) for name, role in found - covered if name not in NOT_EDIT_FORMS)
    assert missing == [], f"edit forms the browser test does not save unchanged: {missing}"
    assert sorted(covered - found) == [], "EDIT_FORMS lists pages that are not edit forms"
