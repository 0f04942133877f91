"""Every free-text field has a limit, enforced where values are written (services and
model validation), so pages, the API and imports refuse an over-long value naming the
field; a meta-test keeps new fields covered."""

import json

import pytest
from django.apps import apps
from django.core.validators import MaxLengthValidator
from django.db import models

from markbook.core.fields import EncryptedBooleanField
from markbook.core.tenancy import school_scope
from markbook.rosters.imports.mis import mis_import
from markbook.rosters.models import MEDICAL_NOTES_MAX, Pupil, TeachingClass

# TextFields without a limit, each with why none is needed: nobody types into them.
UNLIMITED_TEXT = {
    "rosters.ImportJob.upload": "the uploaded file, encrypted; its size is the upload limit's",
    "rosters.ImportJob.error": "written by Markbook when an import fails, never by a person",
    # DSR-3, DSR-10: copies of limited values, and documents Markbook renders itself.
    "privacy.Correction.old_value": "a corrected field's value, limited by that field",
    "privacy.Correction.new_value": "a corrected field's value, limited by that field",
    "privacy.NoticeVersion.html": "the privacy notice as Markbook rendered it from the inventory",
    "privacy.NoticeVersion.text": "the privacy notice as Markbook rendered it from the inventory",
    # DSR-2: the archive Markbook built (encrypted), and the error it wrote itself.
    "privacy.ExportArchive.archive": "the zip Markbook built, encrypted; its size is the data's",
    "privacy.ExportArchive.error": "written by Markbook when an export fails, never by a person",
}
HUGE = "x" * 900_000


def _text_fields() -> list[tuple[str, models.Field]]:
    return [
        (f"{model._meta.label}.{field.name}", field)
        for model in apps.get_models()
        if model._meta.app_label
        in {"core", "schools", "accounts", "rosters", "assessment", "audit", "privacy"}
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField | models.TextField)
        and not isinstance(field, EncryptedBooleanField)  # a yes/no, not text
    ]


def test_every_text_field_has_a_max_length_or_a_documented_reason():
    """A new TextField fails here until it has a max_length (or a reason below)."""
    fields = dict(_text_fields())
    assert "rosters.Pupil.medical_notes" in fields
    missing = sorted(
        name
        for name, field in fields.items()
        if field.max_length is None and name not in UNLIMITED_TEXT
    )
    assert missing == [], f"text fields without a max_length: {missing}"
    assert set(UNLIMITED_TEXT) <= set(fields), "UNLIMITED_TEXT names a field that is gone"


def test_every_limit_is_enforced_by_model_validation():
    """Django's TextField only passes max_length to form widgets; ours validate it."""
    unenforced = sorted(
        name
        for name, field in _text_fields()
        if field.max_length is not None
        and not any(
            isinstance(v, MaxLengthValidator) and v.limit_value == field.max_length
            for v in field.validators
        )
    )
    assert unenforced == []


def test_limits_are_sensible():
    assert Pupil._meta.get_field("medical_notes").max_length == MEDICAL_NOTES_MAX == 2000
    too_big = sorted(n for n, f in _text_fields() if (f.max_length or 0) > 10_000)
    assert too_big == []


def test_900000_characters_of_medical_notes_are_refused_on_the_page(client_for, world):
    """The page that took 900,000 characters (SEC-2 fields, school administrators)."""
    from tests.edit_forms import fill_every_field

    fill_every_field(world)
    client = client_for("admin")
    url = f"/s/{world.a.pk}/roster/pupils/{world.amy.pk}/edit/"
    form = {
        "first_name": "Amy",
        "last_name": "Adams",
        "year_group": "7",
        "status": "on_roll",
        "medical_notes": HUGE,
    }
    response = client.post(url, form)
    assert response.status_code == 200
    assert "Medical notes can be at most 2,000 characters; this has 900,000." in (
        response.content.decode()
    )
    with school_scope(world.a):
        assert Pupil.objects.get(pk=world.amy.pk).medical_notes.startswith("Asthma")


@pytest.mark.parametrize(
    ("path", "method", "body", "field"),
    [
        ("/pupils/{amy}", "patch", {"medical_notes": HUGE}, "medical_notes"),
        ("/pupils/{amy}", "patch", {"registration_group": HUGE}, "registration_group"),
        (
            "/pupils",
            "post",
            {"first_name": HUGE, "last_name": "A", "year_group": "7"},
            "first_name",
        ),
        ("/classes/{class_7a}", "patch", {"subject": HUGE}, "subject"),
        ("/classes", "post", {"name": HUGE, "academic_year": "2026/27"}, "name"),
    ],
)
def test_the_api_refuses_over_long_text_with_422_naming_the_field(
    client_for, world, path, method, body, field
):
    url = f"/api/schools/{world.a.pk}" + path.format(amy=world.amy.pk, class_7a=world.class_7a.pk)
    response = getattr(client_for("admin"), method)(
        url, data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422, response.content[:300]
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert "can be at most" in errors[field][0] and "this has 900,000" in errors[field][0]


def test_services_refuse_over_long_staff_parent_and_trust_names(world):
    from django.core.exceptions import ValidationError

    from markbook.rosters import services
    from markbook.schools.services import trust_create

    with school_scope(world.a):
        with pytest.raises(ValidationError) as staff:
            services.staff_create(
                actor=world.admin,
                school=world.a,
                email="new@oakfield.sch.uk",
                first_name=HUGE,
                last_name="New",
            )
        assert (
            "First name can be at most 150 characters" in staff.value.message_dict["first_name"][0]
        )
        with pytest.raises(ValidationError) as renamed:
            services.staff_update(
                actor=world.admin, school=world.a, user=world.teacher, last_name=HUGE
            )
        assert list(renamed.value.message_dict) == ["last_name"]
        with pytest.raises(ValidationError) as parent:
            services.guardian_link_create(
                actor=world.admin,
                school=world.a,
                pupil=world.ben,
                parent_email="dad@example.org",
                relationship=HUGE,
            )
        assert list(parent.value.message_dict) == ["relationship"]
    with pytest.raises(ValidationError) as trust:
        trust_create(name=HUGE)
    assert list(trust.value.message_dict) == ["name"]
    world.teacher.refresh_from_db()
    assert len(world.teacher.last_name) < 150


def test_an_import_refuses_an_over_long_value_by_row_and_column(world):
    """MIS import: the cell is named by row and column, and nothing is written."""
    data = (
        f"Legal Surname,Forename,Admission No,Year Group,Reg Group\nEvans,Eve,A001,7,{HUGE[:51]}\n"
    ).encode()
    with school_scope(world.a):
        before = Pupil.objects.count()
        result = mis_import(
            actor=world.admin, school=world.a, data=data, filename="mis.csv", confirm=True
        )
        assert not result.applied
        assert [(p.row, p.column) for p in result.errors] == [(2, "registration group")]
        assert "at most 50" in result.errors[0].message
        assert Pupil.objects.count() == before


def test_class_validation_names_an_over_long_name_once(world):
    from django.core.exceptions import ValidationError

    from markbook.rosters import services

    with school_scope(world.a), pytest.raises(ValidationError) as error:
        services.class_new(school=world.a, name=HUGE)
    assert error.value.message_dict["name"] == [
        "Name can be at most 100 characters; this has 900,000."
    ]
    assert TeachingClass._meta.get_field("name").max_length == 100
