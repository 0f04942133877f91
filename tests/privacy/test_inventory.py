"""The data inventory covers every model linked to a person and every personal field
(DSR-1, style.md "Privacy by construction"; after Moodle's table coverage test).

The checks are plain functions of (models, registry) so they can also be run
against a throwaway registry and fake models, to show that each one can fail.
"""

import re
from collections.abc import Iterable

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from markbook.core.fields import EncryptedTextField
from markbook.privacy.inventory import (
    REGISTRY,
    Basis,
    Category,
    Declaration,
    Erasure,
    Personal,
    declare,
)

# The people: a row linking to one of these (directly, or through a model that
# itself links to one) is about a person.
PEOPLE = ("accounts.User", "rosters.Pupil")

# Names and types that suggest personal data.
SUSPICIOUS_NAME = re.compile(
    r"name|e?mail|phone|mobile|address|birth|dob|postcode|pseudonym|actor|(^|_)(upn|uln|ip)(_|$)"
)
SUSPICIOUS_TYPES = (models.EmailField, models.GenericIPAddressField)

# Fields that look personal but are not, each with the reason.
NOT_PERSONAL_DESPITE_NAME = {
    "schools.School.name": "an organisation's name, published by the DfE",
    "schools.School.email_domains": "the school's own domains (oakfield.sch.uk), not an address",
    "schools.School.pseudonymise_pupils": "a school setting: show pupils by pseudonym (ACC-3)",
    "schools.Trust.name": "an organisation's name, published by the DfE",
    "rosters.TeachingClass.name": "a class's name, like '7A Maths'",
    "tracking.GradeScale.name": "a grade scale's name, like 'GCSE 9-1'",
    "tracking.Band.name": "a common band's name, like 'Secure'",
    "tracking.Subject.name": "a subject's name, like 'Mathematics'",
    "tracking.DataDrop.name": "an assessment point's name, like 'Autumn 2'",
    "schools.AcademicYear.name": "an academic year's name, like '2026/27'",
    "accounts.ApiToken.name": "a label for a token, like 'MIS sync'",
    "auth.Group.name": "a permission group's name",
    "auth.Permission.name": "a permission's description",
    "auth.Permission.codename": "a permission's code",
    "socialaccount.SocialApp.name": "the name of an OAuth client configuration",
    "django_tasks_database.DBTaskResult.queue_name": "a task queue's name",
    "django_tasks_database.DBTaskResult.backend_name": "a task backend's name",
}


def fields_of(model: type[models.Model]) -> list[models.Field]:
    """A model's own fields: columns, foreign keys and many-to-many, not reverse relations."""
    return [*model._meta.fields, *model._meta.many_to_many]


def linked_to_people(model_list: Iterable[type[models.Model]], people: Iterable[str]) -> set[str]:
    """Labels of the people models and every model linking to them, directly or not."""
    linked = set(people)
    changed = True
    while changed:
        changed = False
        for model in model_list:
            label = model._meta.label
            if label in linked:
                continue
            if any(
                f.is_relation and f.related_model._meta.label in linked for f in fields_of(model)
            ):
                linked.add(label)
                changed = True
    return linked


def coverage_problems(
    model_list: list[type[models.Model]],
    registry: dict[str, Declaration],
    *,
    people: Iterable[str] = PEOPLE,
    allow: dict[str, str] = NOT_PERSONAL_DESPITE_NAME,
) -> list[str]:
    """Everything the inventory fails to cover, one readable line per problem."""
    problems = []
    by_label = {m._meta.label: m for m in model_list}
    # (a) every model linked to a person is declared
    linked = linked_to_people(model_list, people)
    for label in sorted(linked - set(registry)):
        links = [
            f.name
            for f in fields_of(by_label[label])
            if f.is_relation and f.related_model._meta.label in linked
        ]
        what = f"links to a person ({', '.join(links)})" if links else "is a person"
        problems.append(f"{label} {what} but is not declared")
    for label, decl in sorted(registry.items()):
        model = by_label.get(label)
        if model is None:
            problems.append(f"{label} is declared but no such model is installed")
            continue
        names = {f.name for f in fields_of(model)}
        # (b) every field of a declared model is declared one way or the other
        for name in sorted(names - set(decl.personal) - decl.not_personal):
            problems.append(f"{label}.{name} is in neither `personal` nor `not_personal`")
        # (c) no stale declarations
        for name in sorted((set(decl.personal) | decl.not_personal) - names):
            problems.append(f"{label}.{name} is declared but the model has no such field")
        if decl.subject != "self" and decl.subject not in names:
            problems.append(f"{label}: subject {decl.subject!r} is not a field of the model")
        for name, p in decl.personal.items():
            if p.erasure == Erasure.KEEP and not p.keep_reason.strip():
                problems.append(f"{label}.{name} is kept on erasure without a stated reason")
    for model in model_list:
        label = model._meta.label
        decl = registry.get(label)
        personal = decl.personal if decl else {}
        for f in fields_of(model):
            where = f"{label}.{f.name}"
            # (d) anything that looks personal is declared personal, or allowed with a reason
            looks_personal = isinstance(f, SUSPICIOUS_TYPES) or SUSPICIOUS_NAME.search(f.name)
            if looks_personal and f.name not in personal and where not in allow:
                problems.append(f"{where} looks like personal data but is not declared personal")
            # (e) encrypted columns are declared encrypted, and only they are
            encrypted = isinstance(f, EncryptedTextField)
            declared = f.name in personal and personal[f.name].encrypted
            if encrypted and not declared:
                problems.append(
                    f"{where} is encrypted but not declared personal with encrypted=True"
                )
            if declared and not encrypted:
                problems.append(f"{where} is declared encrypted but is not an encrypted field")
    return problems


def test_inventory_covers_every_model_and_field():
    problems = coverage_problems(list(apps.get_models()), REGISTRY)
    assert problems == [], "data inventory (DSR-1) is incomplete:\n" + "\n".join(problems)


def test_allow_list_names_real_fields_only():
    stale = []
    for where in NOT_PERSONAL_DESPITE_NAME:
        label, _, name = where.rpartition(".")
        model = apps.get_model(label)
        if name not in {f.name for f in fields_of(model)}:
            stale.append(where)
    assert stale == []


def test_sensitive_pupil_fields_are_declared_encrypted_special_or_characteristics():
    pupil = REGISTRY["rosters.Pupil"].personal
    for name in ("fsm", "disadvantaged", "sen_provision", "sen_need", "ethnicity", "medical_notes"):
        assert pupil[name].encrypted, name
    for name in ("sen_provision", "sen_need", "ethnicity", "medical_notes"):
        assert pupil[name].category == Category.SPECIAL, name
        assert pupil[name].basis == Basis.SUBSTANTIAL_PUBLIC_INTEREST, name


def test_audit_rows_are_redacted_not_deleted():
    audit = REGISTRY["audit.AuditEvent"].personal
    assert {p.erasure for p in audit.values()} <= {Erasure.BLANK, Erasure.KEEP}
    assert audit["data"].erasure == Erasure.BLANK


# --- the checks can fail ---------------------------------------------------------


def _personal(**overrides: object) -> Personal:
    values: dict = {
        "category": Category.IDENTITY,
        "purpose": "test",
        "basis": Basis.PUBLIC_TASK,
        "visible_to": "test",
        "retention": "test",
        "erasure": Erasure.DELETE_ROW,
        **overrides,
    }
    return Personal(**values)


def _decl(label: str, subject: str, personal: dict, not_personal: tuple = ()) -> Declaration:  # type: ignore[type-arg]
    return Declaration(label, subject, personal, frozenset(not_personal))


@pytest.fixture
def fake_models():  # type: ignore[no-untyped-def]
    """A person, a note about them, a reminder about the note, an encrypted field,
    and an unrelated model with a suspicious column, in a throwaway app registry."""
    with isolate_apps("tests.privacy"):

        class Person(models.Model):
            full_name = models.CharField(max_length=100)

            class Meta:
                app_label = "privacy"

        class Note(models.Model):
            person = models.ForeignKey(Person, on_delete=models.CASCADE)
            body = models.TextField()
            secret = EncryptedTextField(null=True)

            class Meta:
                app_label = "privacy"

        class Reminder(models.Model):
            note = models.ForeignKey(Note, on_delete=models.CASCADE)

            class Meta:
                app_label = "privacy"

        class Visit(models.Model):
            contact = models.EmailField()
            ip = models.GenericIPAddressField(null=True)

            class Meta:
                app_label = "privacy"

        yield [Person, Note, Reminder, Visit]


def _complete_registry() -> dict[str, Declaration]:
    return {
        "privacy.Person": _decl("privacy.Person", "self", {"full_name": _personal()}, ("id",)),
        "privacy.Note": _decl(
            "privacy.Note",
            "person",
            {"person": _personal(), "body": _personal(), "secret": _personal(encrypted=True)},
            ("id",),
        ),
        "privacy.Reminder": _decl("privacy.Reminder", "note", {"note": _personal()}, ("id",)),
        "privacy.Visit": _decl(
            "privacy.Visit", "contact", {"contact": _personal(), "ip": _personal()}, ("id",)
        ),
    }


def _check(models_: list, registry: dict[str, Declaration]) -> list[str]:  # type: ignore[type-arg]
    return coverage_problems(models_, registry, people=["privacy.Person"], allow={})


def test_complete_fake_inventory_has_no_problems(fake_models):
    assert _check(fake_models, _complete_registry()) == []


def test_undeclared_model_linked_to_a_person_is_caught(fake_models):
    registry = _complete_registry()
    del registry["privacy.Note"]
    problems = _check(fake_models, registry)
    assert "privacy.Note links to a person (person) but is not declared" in problems


def test_model_linked_through_another_model_is_caught(fake_models):
    registry = _complete_registry()
    del registry["privacy.Reminder"]
    assert "privacy.Reminder links to a person (note) but is not declared" in _check(
        fake_models, registry
    )


def test_undeclared_field_of_a_declared_model_is_caught(fake_models):
    registry = _complete_registry()
    registry["privacy.Note"] = _decl(
        "privacy.Note",
        "person",
        {"person": _personal(), "secret": _personal(encrypted=True)},
        ("id",),
    )
    assert "privacy.Note.body is in neither `personal` nor `not_personal`" in _check(
        fake_models, registry
    )


def test_stale_declarations_are_caught(fake_models):
    registry = _complete_registry()
    registry["privacy.Person"] = _decl(
        "privacy.Person", "self", {"full_name": _personal(), "shoe_size": _personal()}, ("id",)
    )
    registry["privacy.Gone"] = _decl("privacy.Gone", "self", {}, ())
    problems = _check(fake_models, registry)
    assert "privacy.Person.shoe_size is declared but the model has no such field" in problems
    assert "privacy.Gone is declared but no such model is installed" in problems


def test_personal_looking_field_outside_any_declaration_is_caught(fake_models):
    registry = _complete_registry()
    del registry["privacy.Visit"]  # not linked to a person, so only check (d) sees it
    problems = _check(fake_models, registry)
    assert "privacy.Visit.contact looks like personal data but is not declared personal" in problems
    assert "privacy.Visit.ip looks like personal data but is not declared personal" in problems


def test_personal_looking_field_declared_not_personal_needs_the_allow_list(fake_models):
    registry = _complete_registry()
    registry["privacy.Person"] = _decl("privacy.Person", "self", {}, ("id", "full_name"))
    problem = "privacy.Person.full_name looks like personal data but is not declared personal"
    assert problem in _check(fake_models, registry)
    allowed = coverage_problems(
        fake_models,
        registry,
        people=["privacy.Person"],
        allow={"privacy.Person.full_name": "a reason"},
    )
    assert problem not in allowed


def test_encrypted_field_not_declared_encrypted_is_caught(fake_models):
    registry = _complete_registry()
    registry["privacy.Note"] = _decl(
        "privacy.Note",
        "person",
        {"person": _personal(), "body": _personal(encrypted=True), "secret": _personal()},
        ("id",),
    )
    problems = _check(fake_models, registry)
    assert (
        "privacy.Note.secret is encrypted but not declared personal with encrypted=True" in problems
    )
    assert "privacy.Note.body is declared encrypted but is not an encrypted field" in problems


def test_keeping_data_needs_a_reason(fake_models):
    registry = _complete_registry()
    registry["privacy.Person"] = _decl(
        "privacy.Person", "self", {"full_name": _personal(erasure=Erasure.KEEP)}, ("id",)
    )
    assert "privacy.Person.full_name is kept on erasure without a stated reason" in _check(
        fake_models, registry
    )


def test_the_real_registry_is_untouched_by_these_tests():
    fakes = ("privacy.Person", "privacy.Note", "privacy.Reminder", "privacy.Visit")
    assert not any(label in REGISTRY for label in fakes)


def test_declaring_a_model_twice_or_a_field_both_ways_is_refused(monkeypatch):
    monkeypatch.setattr("markbook.privacy.inventory.REGISTRY", {})
    declare("privacy.Thing", subject="self", personal={"a": _personal()})
    with pytest.raises(ValueError, match="declared twice"):
        declare("privacy.Thing", subject="self", personal={})
    with pytest.raises(ValueError, match="both personal and not personal"):
        declare("privacy.Other", subject="self", personal={"a": _personal()}, not_personal=("a",))
