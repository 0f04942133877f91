"""TEN-1 school creation and settings; ACC-2 the first administrator's temporary password."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from markbook.accounts.models import User
from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope
from markbook.schools.models import School


def test_school_create_command_prints_a_temporary_password(db, capsys):
    call_command(
        "school_create",
        name="Elm High",
        admin_email="Head@Elm.sch.uk",
        urn="654321",
        domain=["elm.sch.uk"],
    )
    out = capsys.readouterr().out
    password = out.rsplit(": ", 1)[1].strip()
    admin = User.objects.get(email="head@elm.sch.uk")
    assert admin.must_change_password
    assert admin.check_password(password)
    assert admin.password.startswith("argon2$argon2id$")
    school = School.objects.get(name="Elm High")
    with school_scope(school):
        assert AuditEvent.objects.filter(action="schools.school.created").count() == 1


@pytest.mark.parametrize("urn", ["12345", "1234567", "12a456"])
def test_invalid_urn_is_refused_and_nothing_is_written(db, urn):
    with pytest.raises(CommandError, match="URN is 6 digits"):
        call_command("school_create", name="Bad", admin_email="x@bad.sch.uk", urn=urn)
    assert not School.objects.exists()
    assert not User.objects.exists()


def test_admin_email_already_in_use_is_refused(world):
    with pytest.raises(CommandError, match="already has an account"):
        call_command("school_create", name="Other", admin_email="teacher@oakfield.sch.uk")
    assert not School.objects.filter(name="Other").exists()


def test_invalid_admin_email_is_refused(db):
    with pytest.raises(CommandError, match="not a valid email"):
        call_command("school_create", name="Other", admin_email="not-an-address")


def settings_url(world):
    return reverse("schools:settings", kwargs={"school_id": world.a.pk})


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("teacher", 404),
        ("pupil", 404),
        ("parent", 404),
        ("trust_admin", 404),
        ("other_admin", 404),
        ("platform_staff", 404),
        ("anonymous", 302),
    ],
)
def test_settings_page_is_for_the_schools_admins_only(client_for, world, role, status):
    assert client_for(role).get(settings_url(world)).status_code == status


def test_admin_sees_the_secret_sign_in_address(client_for, world):
    assert world.a.signin_slug.encode() in client_for("admin").get(settings_url(world)).content


def test_admin_changes_domains_and_pseudonyms(client_for, world):
    response = client_for("admin").post(
        settings_url(world),
        {"email_domains": "Oakfield.sch.uk, @oak.org.uk", "pseudonymise_pupils": "on"},
    )
    assert response.status_code == 302
    world.a.refresh_from_db()
    assert world.a.email_domains == ["oak.org.uk", "oakfield.sch.uk"]
    assert world.a.pseudonymise_pupils
    with school_scope(world.a):
        event = AuditEvent.objects.get(action="schools.settings.changed")
    assert event.data["email_domains"]["new"] == ["oak.org.uk", "oakfield.sch.uk"]


def test_bad_domain_is_named_and_nothing_changes(client_for, world):
    response = client_for("admin").post(
        settings_url(world), {"email_domains": "oakfield.sch.uk, not a domain"}
    )
    assert response.status_code == 200
    assert b"&#x27;not a domain&#x27; is not a domain" in response.content
    world.a.refresh_from_db()
    assert world.a.email_domains == ["oakfield.sch.uk"]


def _untick_all_but_registration_group_and_sex(client, world):  # type: ignore[no-untyped-def]
    from markbook.rosters.models import Pupil

    with school_scope(world.a):
        Pupil.objects.filter(pk=world.amy.pk).update(registration_group="7E", uln="1000000000")
        amy = Pupil.objects.get(pk=world.amy.pk)
        amy.ethnicity = "WBRI"
        amy.save(update_fields=["ethnicity"])
    return client.post(
        settings_url(world),
        {
            "email_domains": "oakfield.sch.uk",
            "kept_pupil_fields_shown": "1",
            "kept_pupil_fields": ["registration_group", "sex"],
        },
    )


def test_unticking_kept_fields_asks_first_saying_what_is_deleted(client_for, world):
    """ROS-5: nothing is deleted until the administrator confirms what will go."""
    from markbook.rosters.models import Pupil

    response = _untick_all_but_registration_group_and_sex(client_for("admin"), world)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Delete pupil data?" in html
    assert "ULN on 1 pupil<" in html and "Ethnicity on 1 pupil<" in html
    assert "Registration group on" not in html  # still kept
    assert "Medical notes on" not in html  # no pupil holds any
    # The confirm form sends the same settings again, with the fields it deletes.
    assert 'name="kept_pupil_fields" value="sex"' in html
    assert 'name="confirm_blank" value="uln"' in html
    world.a.refresh_from_db()
    assert "uln" in world.a.kept_pupil_fields
    with school_scope(world.a):
        assert Pupil.objects.get(pk=world.amy.pk).uln == "1000000000"
        assert not AuditEvent.objects.filter(action="schools.settings.changed").exists()


def test_confirmed_unticking_deletes_the_values_and_logs_fields_and_counts(client_for, world):
    """ROS-5: an unticked field is blanked on every pupil, audited without the values."""
    from markbook.rosters.models import Pupil

    client = client_for("admin")
    asked = _untick_all_but_registration_group_and_sex(client, world).content.decode()
    confirm = re.findall(r'name="confirm_blank" value="(\w+)"', asked)
    response = client.post(
        settings_url(world),
        {
            "email_domains": "oakfield.sch.uk",
            "kept_pupil_fields_shown": "1",
            "kept_pupil_fields": ["registration_group", "sex"],
            "confirm_blank": confirm,
        },
    )
    assert response.status_code == 302
    world.a.refresh_from_db()
    assert world.a.kept_pupil_fields == ["registration_group", "sex"]
    assert not world.a.keeps("ethnicity") and world.a.keeps("first_name")
    with school_scope(world.a):
        amy = Pupil.objects.get(pk=world.amy.pk)
        assert (amy.registration_group, amy.uln, amy.ethnicity) == ("7E", "", None)
        event = AuditEvent.objects.get(action="schools.settings.changed")
    blanked = event.data["pupil_fields_blanked"]
    assert blanked["pupils"] == 1  # only Amy held any of them
    assert blanked["fields"]["uln"] == 1 and blanked["fields"]["ethnicity"] == 1
    assert blanked["fields"]["medical_notes"] == 0
    assert "registration_group" not in blanked["fields"]
    assert "WBRI" not in str(event.data)


def test_confirming_other_fields_than_those_held_still_asks(world):
    """A confirmation covers the fields it names: one for ULN does not delete ethnicity."""
    from markbook.rosters.models import Pupil
    from markbook.schools.services import PupilFieldsInUse, school_settings_update

    with school_scope(world.a):
        amy = Pupil.objects.get(pk=world.amy.pk)
        amy.uln, amy.ethnicity = "1000000000", "WBRI"
        amy.save(update_fields=["uln", "ethnicity"])
        with pytest.raises(PupilFieldsInUse) as asked:
            school_settings_update(
                actor=world.admin,
                school=world.a,
                email_domains=world.a.email_domains,
                pseudonymise_pupils=False,
                kept_pupil_fields=["sex"],
                blank_confirmed=["uln"],
            )
        assert asked.value.held == {"uln": 1, "ethnicity": 1}
        assert Pupil.objects.get(pk=world.amy.pk).ethnicity == "WBRI"


def test_the_question_counts_only_pupils_holding_a_value_with_thousands_separators(world):
    from markbook.rosters.models import Pupil
    from markbook.schools.services import PupilFieldsInUse, school_settings_update

    with school_scope(world.a):
        Pupil.objects.bulk_create(
            Pupil(school=world.a, username=f"p{n}", year_group="8", uln="1000000000")
            for n in range(1000)
        )
        Pupil.objects.filter(pk=world.amy.pk).update(uln="1000000000")  # Ben and Cal: none
        kept = [n for n in world.a.kept_pupil_fields if n not in ("uln", "sex")]
        with pytest.raises(PupilFieldsInUse) as asked:
            school_settings_update(
                actor=world.admin,
                school=world.a,
                email_domains=world.a.email_domains,
                pseudonymise_pupils=False,
                kept_pupil_fields=kept,
            )
    assert asked.value.deletions == ["ULN on 1,001 pupils"]  # nobody holds a sex
    assert "ULN on 1,001 pupils" in asked.value.message


def test_settings_saved_unchanged_write_and_log_nothing(client_for, world):
    """A no-op save is not a change: no "schools.settings.changed" event (ROS-1, SEC-1)."""
    client = client_for("admin")
    form = {
        "email_domains": ", ".join(world.a.email_domains),
        "kept_pupil_fields_shown": "1",
        "kept_pupil_fields": list(world.a.kept_pupil_fields),
        "signin_methods_shown": "1",
        "signin_methods": list(world.a.signin_methods),
    }
    assert client.post(settings_url(world), form).status_code == 302
    with school_scope(world.a):
        assert not AuditEvent.objects.filter(action="schools.settings.changed").exists()


def test_settings_form_without_the_field_boxes_keeps_the_fields(client_for, world):
    client_for("admin").post(settings_url(world), {"email_domains": "oakfield.sch.uk"})
    world.a.refresh_from_db()
    assert world.a.kept_pupil_fields == list(School().kept_pupil_fields)
    assert "ethnicity" in world.a.kept_pupil_fields


def test_settings_page_shows_a_box_per_optional_pupil_field(client_for, world):
    html = client_for("admin").get(settings_url(world)).content.decode()
    assert html.count('name="kept_pupil_fields"') == 14
    assert 'value="ethnicity" aria-describedby="kept-help" checked' in html


def test_unknown_kept_field_is_refused(world):
    from django.core.exceptions import ValidationError

    from markbook.schools.services import school_settings_update

    with pytest.raises(ValidationError, match="shoe_size"):
        school_settings_update(
            actor=world.admin,
            school=world.a,
            email_domains=[],
            pseudonymise_pupils=False,
            kept_pupil_fields=["shoe_size"],
        )
