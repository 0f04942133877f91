"""A school administrator's main pages, driven through chromium (ROS-1, TEN-3, SEC-1)."""

import re

import pytest
from playwright.sync_api import expect

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil, TeachingClass
from tests.browser.steps import assert_same_page, mark_page, open_page, sign_in

pytestmark = pytest.mark.browser


def test_school_admin_signs_in_to_the_dashboard_and_searches_pupils_with_htmx(page, world, shot):
    sign_in(page, world.admin.email)
    expect(page).to_have_url(re.compile(rf"/s/{world.a.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Oakfield Academy")
    overview = page.get_by_role("region", name="School overview")
    expect(overview).to_contain_text("Pupils on roll")
    shot(page, "dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pupils").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pupils")
    results = page.locator("#pupil-results")
    for name in ("Amy Adams", "Ben Brown", "Cal Clark"):
        expect(results.get_by_role("link", name=name)).to_be_visible()
    expect(results).not_to_contain_text("Dee Davies")  # School B's pupil
    shot(page, "pupils")

    mark_page(page)
    page.get_by_label("Name or username").fill("ben")
    expect(results.get_by_role("link", name="Ben Brown")).to_be_visible()
    expect(results.get_by_role("link", name="Amy Adams")).to_have_count(0)
    expect(results).to_contain_text("1 pupil found")
    expect(page).to_have_url(re.compile(r"q=ben"))
    assert_same_page(page)
    shot(page, "pupils-search")

    page.get_by_role("link", name="Ben Brown").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ben Brown")
    details = page.locator("dl.details").first
    expect(details).to_contain_text("ben.brown")
    expect(details).to_contain_text("7A Maths")
    # TEN-5: a personal address outside the school's domains is hidden even from admins.
    expect(details).to_contain_text("personal address hidden")
    expect(page.get_by_role("heading", name="Sensitive information")).to_be_visible()
    shot(page, "pupil")


def test_school_admin_adds_a_pupil_through_the_form(page, world, shot):
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/pupils/")
    page.get_by_role("link", name="Add a pupil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a pupil")
    shot(page, "empty-form")

    page.get_by_label("First name").fill("Eve")
    page.get_by_label("Last name").fill("Evans")
    page.get_by_label("UPN").fill("not-a-upn")
    page.get_by_label("Year group").select_option(label="Year 8")
    page.get_by_role("button", name="Add pupil").click()
    expect(page.locator(".errorlist")).not_to_have_count(0)
    expect(page.get_by_label("First name")).to_have_value("Eve")  # input kept
    shot(page, "form-error")

    page.get_by_label("UPN").fill("")
    page.get_by_role("button", name="Add pupil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eve Evans")
    expect(page.get_by_role("status")).to_contain_text("Eve Evans added with username eve.evans")
    shot(page, "added")
    with school_scope(world.a):
        eve = Pupil.objects.get(username="eve.evans")
        assert (eve.first_name, eve.year_group) == ("Eve", "8")


def test_school_admin_attaches_a_teacher_and_enrols_a_pupil_with_htmx(page, world, shot):
    sign_in(page, world.admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Classes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Classes")
    expect(page.get_by_role("link", name="7B Maths")).to_be_visible()
    expect(page.get_by_role("link", name="Class B1")).to_have_count(0)
    shot(page, "classes")

    page.get_by_role("link", name="7A Maths").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("7A Maths")
    shot(page, "class")
    mark_page(page)

    teachers = page.locator("#class-teachers")
    page.get_by_label("Attach a teacher").select_option(value=str(world.colleague.pk))
    teachers.get_by_role("button", name="Attach").click()
    expect(teachers.locator("ul.plain")).to_contain_text(world.colleague.display_name)

    pupils = page.locator("#class-pupils")
    page.get_by_label("Enrol a pupil (username)").fill("nobody.here")
    pupils.get_by_role("button", name="Enrol").click()
    expect(pupils.get_by_role("alert")).to_contain_text("No pupil has the username 'nobody.here'.")
    page.get_by_label("Enrol a pupil (username)").fill("cal.clark")
    pupils.get_by_role("button", name="Enrol").click()
    expect(pupils.get_by_role("link", name="Cal Clark")).to_be_visible()
    expect(pupils.get_by_role("heading", level=2)).to_have_text("Pupils (3)")
    assert_same_page(page)
    shot(page, "class-changed")

    with school_scope(world.a):
        class_7a = TeachingClass.objects.get(pk=world.class_7a.pk)
        assert world.colleague.pk in set(
            class_7a.teacher_links.values_list("teacher_id", flat=True)
        )
        assert class_7a.enrolments.filter(pupil=world.cal).exists()


def test_school_admin_adds_staff_and_sees_the_temporary_password_once(page, world, shot):
    sign_in(page, world.admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")
    expect(page.get_by_role("cell", name=world.teacher.email)).to_be_visible()
    expect(page.get_by_role("cell", name=world.other_teacher.email)).to_have_count(0)
    shot(page, "staff")

    page.get_by_label("Email").fill("new.teacher@oakfield.sch.uk")
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Newton")
    page.get_by_label("Role").select_option(label="Teacher")
    page.get_by_role("button", name="Add", exact=True).click()
    notice = page.get_by_role("status")
    expect(notice).to_contain_text("Nia Newton was added")
    expect(notice.locator("code")).to_have_text(re.compile(r"^[0-9a-f]{6}(-[0-9a-f]{6}){3}$"))
    expect(page.get_by_role("cell", name="new.teacher@oakfield.sch.uk")).to_be_visible()
    shot(page, "staff-added")


def test_school_admin_uploads_a_class_list(page, world, shot):
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/classes/")
    page.get_by_role("link", name="Upload a class list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a class list")
    csv = b"Class,First name,Last name,Username\n8C Science,Fay,Fox,\n8C Science,Amy,Adams,amy.adams\n"
    page.get_by_label("Class list (CSV)").set_input_files(
        {"name": "8c.csv", "mimeType": "text/csv", "buffer": csv}
    )
    page.get_by_role("button", name="Upload and import").click()
    notice = page.get_by_role("status")
    expect(notice).to_contain_text("8c.csv imported.")
    expect(notice).to_contain_text("1 class created, 1 pupil added, 1 matched, 2 enrolments added")
    shot(page, "imported")
    with school_scope(world.a):
        science = TeachingClass.objects.get(name="8C Science")
        assert set(science.enrolments.values_list("pupil__username", flat=True)) == {
            "fay.fox",
            "amy.adams",
        }


def test_class_list_upload_with_a_bad_file_lists_problems_by_row_and_column(page, world, shot):
    sign_in(page, world.admin.email)
    open_page(page, f"/s/{world.a.pk}/roster/import/class-list/")
    bad = b"Class,First name,Last name\n9D History,Gus,\n,Hal,Hart\n"
    page.get_by_label("Class list (CSV)").set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "bad.csv was not imported: nothing has been changed."
    )
    table = page.get_by_role("table", name="Problems in bad.csv")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(0)).to_have_text("2")
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("last name")
    expect(rows.nth(1).locator("td").nth(0)).to_have_text("3")
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("class")
    shot(page, "problems")
    with school_scope(world.a):
        assert not TeachingClass.objects.filter(name="9D History").exists()


def test_school_admin_changes_settings_and_reads_the_access_log(page, world, shot):
    sign_in(page, world.admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("School settings")
    expect(page.locator("code").first).to_contain_text(f"/signin/{world.a.signin_slug}/")
    shot(page, "settings")

    domains = page.get_by_label("The school's email domains")
    domains.fill("oakfield.sch.uk, not a domain")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("'not a domain' is not a domain")
    domains.fill("oakfield.sch.uk, oakfield.org.uk")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved.")
    expect(domains).to_have_value("oakfield.org.uk, oakfield.sch.uk")
    shot(page, "settings-saved")

    open_page(page, f"/s/{world.a.pk}/roster/pupils/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Access log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access log")
    log = page.locator("table")
    expect(log).to_contain_text("schools.settings.changed")
    expect(log).to_contain_text("rosters.pupils.listed")
    shot(page, "access-log")
    with school_scope(world.a):
        assert AuditEvent.objects.filter(action="schools.settings.changed").count() == 1
