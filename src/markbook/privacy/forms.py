"""Forms of the privacy pages (DSR-3, DSR-5). They only parse input; the services
validate and write."""

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from markbook.core.fields import EncryptedBooleanField, EncryptedTextField
from markbook.privacy.models import Restriction
from markbook.privacy.services import REASON_MAX, USER_FIELDS
from markbook.rosters.models import Pupil


class RestrictionForm(forms.Form):
    person = forms.CharField(
        label="Person",
        max_length=254,
        help_text="A pupil's username or UPN, or the email address of a member of staff or a parent.",
    )
    kind = forms.ChoiceField(label="What they asked for", choices=Restriction.Kind.choices)
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the decision: what was asked, and why it applies.",
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        label="Why it is lifted",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Lifting is a decision: it is recorded with your name and this reason.",
    )


def _label(model: Any, name: str) -> str:
    text = str(model._meta.get_field(name).verbose_name)
    return text[:1].upper() + text[1:]


class CorrectionForm(forms.Form):
    """One field of a pupil's or user's record and its corrected value."""

    field = forms.ChoiceField(label="Field")
    value = forms.CharField(
        label="Corrected value",
        required=False,
        max_length=2000,
        help_text="Yes or no for a yes/no field; a date as YYYY-MM-DD; a census code as the MIS shows it; blank to clear.",
    )
    request_id = forms.IntegerField(
        label="Request number", required=False, min_value=1, help_text="If it answers a request."
    )

    def __init__(self, *args: Any, pupil: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from markbook.accounts.models import User
        from markbook.rosters.services import PUPIL_FIELDS

        self.model = Pupil if pupil else User
        names = PUPIL_FIELDS if pupil else USER_FIELDS
        choice = self.fields["field"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [(n, _label(self.model, n)) for n in names]

    def typed_value(self) -> Any:
        """The value as the model holds it (a date, a number, yes/no, None)."""
        return value_parse(self.model, self.cleaned_data["field"], self.cleaned_data["value"])


YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


def value_parse(model: Any, name: str, text: str) -> Any:
    field = model._meta.get_field(name)
    text = (text or "").strip()
    if isinstance(field, EncryptedBooleanField) or field.get_internal_type() == "BooleanField":
        if not text:
            return None
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise ValidationError({"value": ["Enter yes or no (or leave it blank: not recorded)."]})
    if isinstance(field, EncryptedTextField):
        return text or None
    if not text:
        return None if field.null else ""
    if field.get_internal_type() == "DateField":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValidationError({"value": [f"{text!r} is not a date: use YYYY-MM-DD."]}) from None
    if field.get_internal_type() in ("PositiveSmallIntegerField", "IntegerField"):
        try:
            return int(text)
        except ValueError:
            raise ValidationError({"value": [f"{text!r} is not a whole number."]}) from None
    return text
