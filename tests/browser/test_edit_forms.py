"""Every edit form saved unchanged in chromium changes nothing stored (ROS-1, SEC-1).

The pupil form once showed dates as 11/05/2014, which the browser's date input cannot
show: saving it untouched blanked the date of birth and the leaving date. Here each edit
form is opened as the role that edits it, with every field of the world holding a value
(tests/edit_forms.py), and saved as it is: every row of every table must be as before,
and the access log may gain only reads, no "changed" event.

tests/test_edit_forms.py fails when a page with an edit form is missing from EDIT_FORMS.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import PASSWORD, open_page, sign_in
from tests.edit_forms import (
    audit_changes_since,
    fill_every_field,
    last_audit_seq,
    rows_changed,
    stored_rows,
)
from tests.test_permission_matrix import _kwargs, page_routes

pytestmark = pytest.mark.browser

# (URL name, role that edits there). School administrators see the encrypted fields;
# trust administrators edit the same pupil without them, which must keep them too.
EDIT_FORMS = (
    ("rosters:pupil_edit", "admin"),
    ("rosters:pupil_edit", "trust_admin"),
    ("rosters:class_edit", "admin"),
    ("rosters:class_edit", "trust_admin"),
    ("rosters:staff_edit", "admin"),
    ("rosters:staff_edit", "trust_admin"),
    ("schools:settings", "admin"),
    *(
        ("accounts:profile", role)
        for role in (
            "admin",
            "colleague",
            "parent",
            "pupil",
            "platform_staff",
            "teacher",
            "trust_admin",
        )
    ),
    # Platform staff's own pages: a breach's facts (SEC-3), a school's subscription (TEN-1).
    ("breaches:detail", "platform_staff"),
    ("platform_schools:detail", "platform_staff"),
    ("assessment:assignment_edit", "teacher"),
    ("assessment:assignment_edit", "admin"),
    ("assessment:assignment_edit", "trust_admin"),
    ("schools:family_settings", "admin"),
    ("trust_assessment:assignment_edit", "trust_admin"),
    ("tracking:bands", "admin"),
    ("tracking:bands", "trust_admin"),
    ("tracking:drop_edit", "admin"),
    ("tracking:drop_edit", "trust_admin"),
    ("tracking:scale_edit", "admin"),
    ("tracking:scale_edit", "trust_admin"),
    ("tracking:subject_edit", "admin"),
    ("tracking:subject_edit", "trust_admin"),
    # The service register and consent purposes (CON-1, CON-4).
    ("consent:service_edit", "admin"),
    ("consent:service_edit", "trust_admin"),
    ("consent:purpose_edit", "admin"),
    ("consent:purpose_edit", "trust_admin"),
    # Teachers' own practice sets and questions (ASM-2): the author and administrators.
    *(
        (name, role)
        for name in ("practice_teachers:set_edit", "practice_teachers:question_edit")
        for role in ("teacher", "admin", "trust_admin")
    ),
)
# The edit form of a page that holds several forms (the others add or revoke things).
FORM = {
    "accounts:profile": "#display-form",
    "breaches:detail": "section[aria-labelledby=known-h] form",
    "platform_schools:detail": "#status-form",
    "practice_teachers:set_edit": "#set-form",
    "practice_teachers:question_edit": "#question-form",
}


@pytest.mark.parametrize(("name", "role"), EDIT_FORMS, ids=[f"{n}-{r}" for n, r in EDIT_FORMS])
def test_edit_form_saved_unchanged_changes_nothing(page, world, shot, name, role):
    from django.urls import reverse

    fill_every_field(world)
    user = world.user(role)
    assert user is not None
    if role == "pupil":  # pupils sign in on their school's page, by username
        open_page(page, f"/signin/{world.a.signin_slug}/")
        page.get_by_label("Username").fill(world.amy.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/"))
    else:
        assert user.email, f"{role} signs in with an email address"
        sign_in(page, user.email)
    pattern, _ = page_routes()[name]
    open_page(page, reverse(name, kwargs=_kwargs(world, pattern)))
    form = page.locator(FORM.get(name, "#main form[method=post]"))
    expect(form).to_have_count(1)
    shot(page, "form")

    before, seq = stored_rows(), last_audit_seq()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".errorlist")).to_have_count(0)
    said = re.compile("saved|nothing changed", re.IGNORECASE)
    expect(page.get_by_role("status").filter(has_text=said).first).to_be_visible()
    shot(page, "saved")

    assert rows_changed(before, stored_rows()) == []
    assert audit_changes_since(seq) == []
