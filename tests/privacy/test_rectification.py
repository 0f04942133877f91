"""Rectification (DSR-3): every correction of a personal field, through an edit or a
request, is recorded with its old and new values, who and when, and the request it
answers; sensitive values are kept encrypted with the school's key, not as "changed"."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from markbook.core import keys
from markbook.core.tenancy import all_schools, school_scope
from markbook.privacy.corrections import field_sensitive
from markbook.privacy.models import Correction
from markbook.privacy.selectors import corrections_of
from markbook.privacy.services import rectify
from markbook.rosters.services import pupil_update, staff_update


def _raw(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT old_value, new_value FROM privacy_correction WHERE id = %s", [pk])
        return cursor.fetchone()


def test_an_edit_of_a_pupil_records_each_changed_field(world):
    """DSR-3: pupil_update (the edit page, the API) records a correction per field."""
    with school_scope(world.a):
        pupil_update(actor=world.admin, pupil=world.amy, first_name="Amelia", year_group="8")
        rows = {c.field: c for c in Correction.objects.filter(pupil=world.amy)}
        assert set(rows) == {"first_name", "year_group"}
        assert rows["first_name"].corrected_by == world.admin
        assert rows["first_name"].source == "edit" and rows["first_name"].request_id is None
        shown = {r.field: (r.old, r.new) for r in corrections_of(world.amy)}
    assert shown["First name"] == ("Amy", "Amelia")
    assert shown["Year group"] == ("Year 7", "Year 8")


def test_sensitive_values_are_kept_encrypted_with_the_schools_key(world):
    """DSR-3, SEC-2: the SEN need's old and new codes are in the record, encrypted; the
    column holds ciphertext; a destroyed school key makes them unreadable."""
    with school_scope(world.a):
        pupil_update(actor=world.admin, pupil=world.amy, sen_need="SPLD")
        pupil_update(actor=world.admin, pupil=world.amy, sen_need="ASD", ethnicity="WBRI")
        latest = Correction.objects.filter(pupil=world.amy, field="sen_need").latest("pk")
        assert latest.sensitive
        old_raw, new_raw = _raw(latest.pk)
        assert old_raw.startswith("v1:") and "SPLD" not in old_raw and "ASD" not in new_raw
        fresh = Correction.objects.get(pk=latest.pk)
        assert (fresh.old_value, fresh.new_value) == ('"SPLD"', '"ASD"')
        shown = [r for r in corrections_of(world.amy) if r.correction.field == "sen_need"]
    assert (shown[0].old, shown[0].new) == (
        "Specific learning difficulty",
        "Autistic spectrum disorder",
    )
    keys.school_key_destroy(school_id=world.a.pk)
    keys.forget_cached_keys()
    with school_scope(world.a), pytest.raises(keys.KeyDestroyed):
        Correction.objects.get(pk=latest.pk).old_value  # noqa: B018


def test_sensitivity_follows_the_inventory():
    """DSR-3: encrypted, special category and characteristics fields are sensitive."""
    for name in ("fsm", "sen_need", "ethnicity", "medical_notes", "eal"):
        assert field_sensitive("rosters.Pupil", name), name
    assert not field_sensitive("rosters.Pupil", "first_name")


def test_rectify_answers_a_request_and_refuses_bad_input(world):
    """DSR-3: rectify records the request's id; an unknown field, the value already
    held, a bad value and another school's pupil are refused, nothing written."""
    with school_scope(world.a):
        made = rectify(
            school=world.a,
            subject=world.amy,
            field="date_of_birth",
            new_value=datetime.date(2013, 5, 1),
            by=world.admin,
            request_id=42,
        )
        assert [(c.field, c.request_id, c.source) for c in made] == [
            ("date_of_birth", 42, "request")
        ]
        before = Correction.objects.count()
        with pytest.raises(ValidationError, match="not a pupil field"):
            rectify(school=world.a, subject=world.amy, field="school", new_value=1, by=None)
        with pytest.raises(ValidationError, match="already holds"):
            rectify(
                school=world.a,
                subject=world.amy,
                field="date_of_birth",
                new_value=datetime.date(2013, 5, 1),
                by=None,
            )
        with pytest.raises(ValidationError, match="not a valid UPN"):
            rectify(school=world.a, subject=world.amy, field="upn", new_value="X", by=None)
        assert Correction.objects.count() == before
    with all_schools(), pytest.raises(ValidationError, match="not in this school"):
        rectify(school=world.a, subject=world.dee, field="first_name", new_value="D", by=None)


def test_staff_and_parent_corrections(world):
    """DSR-3: a member of staff's edit is recorded; a parent's name is corrected by
    rectify (they have no edit page), audited."""
    with school_scope(world.a):
        staff_update(actor=world.admin, school=world.a, user=world.teacher, first_name="Tess")
        assert Correction.objects.filter(user=world.teacher, field="first_name").exists()
        rectify(
            school=world.a,
            subject=world.parent,
            field="last_name",
            new_value="Parr",
            by=world.admin,
        )
        world.parent.refresh_from_db()
        assert world.parent.last_name == "Parr"
        row = Correction.objects.get(user=world.parent)
        assert row.field == "last_name" and not row.sensitive
        with pytest.raises(ValidationError, match="not a field that can be corrected"):
            rectify(school=world.a, subject=world.parent, field="is_staff", new_value=True, by=None)


def test_the_dpo_page_lists_and_corrects(world, client_for):
    """DSR-3: the corrections page lists a pupil's corrections and corrects a field;
    the view is audited; a trust administrator sees sensitive values only as changed."""
    with school_scope(world.a):
        pupil_update(actor=world.admin, pupil=world.amy, ethnicity="WBRI")
    url = f"/s/{world.a.pk}/privacy/corrections/pupils/{world.amy.pk}/"
    admin = client_for("admin")
    page = admin.get(url).content.decode()
    assert "Ethnicity" in page and "White British" in page
    trust = client_for("trust_admin").get(url).content.decode()
    assert "Ethnicity" in trust and "White British" not in trust and "changed" in trust
    response = admin.post(url, {"field": "eal", "value": "yes", "request_id": "7"})
    assert response.status_code == 302
    with school_scope(world.a):
        row = Correction.objects.filter(pupil=world.amy).latest("pk")
        assert (row.field, row.request_id) == ("eal", 7)
    bad = admin.post(url, {"field": "eal", "value": "perhaps"})
    assert bad.status_code == 422 and "Enter yes or no" in bad.content.decode()
    assert client_for("teacher").get(url).status_code == 404


def test_the_api_lists_and_corrects(world, client_for):
    """DSR-3: the same through the API: POST answers the corrections, GET lists them."""
    client = client_for("admin")
    url = f"/api/schools/{world.a.pk}/pupils/{world.ben.pk}/corrections"
    made = client.post(
        url, {"field": "last_name", "value": "Browne"}, content_type="application/json"
    )
    assert made.status_code == 201
    assert made.json()[0]["old"] == "Brown" and made.json()[0]["new"] == "Browne"
    assert client.get(url).json()[0]["field"] == "last_name"
    assert (
        client.post(
            url, {"field": "nope", "value": "x"}, content_type="application/json"
        ).status_code
        == 422
    )
