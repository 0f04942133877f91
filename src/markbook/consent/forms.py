"""Forms of the register and consent pages (CON-1, CON-4): they parse what was typed;
the services check the rules (pages and API share them)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from markbook.consent.models import ConsentPurpose, ServiceEntry
from markbook.consent.services import BUILTIN_FIELDS
from markbook.privacy.inventory import Category
from markbook.rosters.models import YEAR_GROUPS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's errors on the form's fields (or above it)."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ServiceForm(forms.Form):
    name = forms.CharField(
        label="Service", max_length=200, help_text="For example Google Classroom."
    )
    provider = forms.CharField(max_length=200, help_text="The company or body running it.")
    website = forms.URLField(required=False, max_length=200, assume_scheme="https")
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )
    data_shared = forms.MultipleChoiceField(
        choices=[(str(c), str(c).capitalize()) for c in Category],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Data shared",
    )
    data_detail = forms.CharField(
        label="Details of the data shared",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text="For example: name, class and school email address.",
    )
    service_type = forms.ChoiceField(choices=ServiceEntry.Type.choices, label="Type")
    section = forms.ChoiceField(choices=ServiceEntry.Section.choices)
    year_groups = forms.MultipleChoiceField(
        choices=YEAR_GROUPS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every year group.",
    )
    risk_assessed_on = forms.DateField(required=False, label="Risk assessment date", widget=DATE)
    risk_status = forms.ChoiceField(choices=ServiceEntry.Status.choices, label="Risk assessment")
    consent_needed = forms.BooleanField(required=False, label="Parental consent needed")
    offline_alternative = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text="What a child without consent does instead.",
    )

    def __init__(self, *args: Any, builtin: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if builtin:
            for name in list(self.fields):
                if name not in BUILTIN_FIELDS:
                    del self.fields[name]

    @staticmethod
    def initial_of(entry: ServiceEntry) -> dict[str, Any]:
        return {name: getattr(entry, name) for name in ServiceForm.base_fields}


class PurposeForm(forms.Form):
    name = forms.CharField(
        max_length=200, help_text="For example Photographs on the school website."
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="What parents are agreeing to, in plain words.",
    )
    active = forms.BooleanField(required=False, initial=True, label="In use (parents are asked)")

    @staticmethod
    def initial_of(purpose: ConsentPurpose) -> dict[str, Any]:
        return {name: getattr(purpose, name) for name in PurposeForm.base_fields}
