"""Forms for the roster pages. They only parse input; the services validate and write."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from markbook.accounts.models import Membership
from markbook.core.widgets import DateField
from markbook.rosters import services
from markbook.rosters.models import MEDICAL_NOTES_MAX, YEAR_GROUPS, Pupil
from markbook.schools.models import KEEPABLE_PUPIL_FIELDS, AcademicYear

_YES_NO = [("", "Not recorded"), ("true", "Yes"), ("false", "No")]


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=_YES_NO,
        required=False,
        coerce=lambda v: v == "true",
        empty_value=None,
    )


def _codes(label: str, name: str) -> forms.ChoiceField:
    """A census code of the pupil field `name`, offered by its meaning with the code the
    MIS shows beside it (rosters.codes)."""
    field = Pupil._meta.get_field(name)
    assert isinstance(field, models.Field)  # a pupil's own field, not a relation
    choices = field.choices or []
    return forms.ChoiceField(
        label=label,
        choices=[
            ("", "Not recorded"),
            *[(code, f"{meaning} ({code})") for code, meaning in choices],
        ],
        required=False,
    )


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's {field: [message]} errors on the form's fields (or above it)."""
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class PupilForm(forms.Form):
    """A pupil's details with the optional MIS fields of ROS-2. The sensitive, encrypted
    fields (SEC-2) are added only for school administrators."""

    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    pseudonym = forms.CharField(max_length=100, required=False)
    username = forms.CharField(
        max_length=150, required=False, help_text="Leave blank to generate one, like amy.adams."
    )
    email = forms.EmailField(required=False)
    upn = forms.CharField(label="UPN", max_length=13, required=False)
    # No default: the first year group (nursery) would be wrong at most schools, and a
    # school's phase is not recorded, so the choice is asked for.
    year_group = forms.ChoiceField(
        choices=[("", "Choose a year group"), *YEAR_GROUPS],
        error_messages={"required": "Choose the pupil's year group."},
    )
    mis_id = forms.CharField(label="MIS id", max_length=50, required=False)
    registration_group = forms.CharField(max_length=50, required=False)
    sex = forms.ChoiceField(choices=[("", "Not recorded"), *Pupil.Sex.choices], required=False)
    date_of_birth = DateField(required=False)
    uln = forms.CharField(label="ULN", max_length=10, required=False)
    eal = _yes_no("EAL")
    gifted_talented = _yes_no("Gifted and talented")
    ks2_reading = forms.IntegerField(label="KS2 reading", required=False)
    ks2_maths = forms.IntegerField(label="KS2 maths", required=False)
    status = forms.ChoiceField(choices=Pupil.Status.choices, initial=Pupil.Status.ON_ROLL)
    left_on = DateField(required=False)

    SENSITIVE = services.SENSITIVE_FIELDS

    def __init__(
        self, *args: Any, sensitive: bool = False, kept: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if sensitive:
            self.fields["fsm"] = _yes_no("FSM")
            self.fields["disadvantaged"] = _yes_no("Disadvantaged (Pupil Premium)")
            self.fields["sen_provision"] = _codes("SEN provision", "sen_provision")
            self.fields["sen_need"] = _codes("SEN primary need", "sen_need")
            self.fields["ethnicity"] = _codes("Ethnicity", "ethnicity")
            # No maxlength on the box: the service's message names the limit and the length.
            self.fields["medical_notes"] = forms.CharField(
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=f"At most {MEDICAL_NOTES_MAX:,} characters.",
            )
        if kept is not None:  # ROS-5: fields the school does not keep are not even asked for
            for name in KEEPABLE_PUPIL_FIELDS:
                if name not in kept:
                    self.fields.pop(name, None)

    @classmethod
    def initial_for(cls, pupil: Pupil, sensitive: bool) -> dict[str, Any]:
        names = [n for n in services.PUPIL_FIELDS if sensitive or n not in cls.SENSITIVE]
        initial = {n: getattr(pupil, n) for n in names}
        for name in ("eal", "gifted_talented", "fsm", "disadvantaged"):
            if name in initial and initial[name] is not None:
                initial[name] = "true" if initial[name] else "false"
        return initial

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("upn", "sen_provision", "sen_need", "ethnicity", "medical_notes"):
            if name in data and not data[name]:
                data[name] = None
        return data

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in services.BASIC_FIELDS]

    @property
    def mis_fields(self) -> list[forms.BoundField]:
        return [
            self[n] for n in services.MIS_FIELDS if n not in self.SENSITIVE and n in self.fields
        ]

    @property
    def sensitive_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.SENSITIVE if n in self.fields]


class StaffForm(forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    role = forms.ChoiceField(
        choices=[
            (Membership.Role.TEACHER, "Teacher"),
            (Membership.Role.SCHOOL_ADMIN, "School administrator"),
        ]
    )


class _AcademicYearField(forms.ModelChoiceField):
    """An academic year, offered by name with the current one marked."""

    def label_from_instance(self, obj: AcademicYear) -> str:
        return f"{obj.name} (current)" if obj.is_current else obj.name


class ClassForm(forms.Form):
    name = forms.CharField(max_length=100)
    subject = forms.CharField(max_length=100, required=False)
    year_group = forms.ChoiceField(choices=[("", "Mixed or none"), *YEAR_GROUPS], required=False)
    academic_year = _AcademicYearField(
        queryset=AcademicYear.objects.none(),
        to_field_name="name",
        empty_label=None,
        help_text="Classes of an archived year cannot be added or changed.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Inside the request's school scope (TEN-4): that school's open years.
        field = self.fields["academic_year"]
        assert isinstance(field, forms.ModelChoiceField)  # declared above
        field.queryset = AcademicYear.objects.filter(closed_at=None).order_by("start_date")


class ParentLinkForm(forms.Form):
    parent_email = forms.EmailField(label="Parent's email")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    relationship = forms.CharField(max_length=50, required=False, help_text="For example Mother")


# An upload page's file is optional once checked: the page keeps it for the confirmation.
KEPT_FOR_AN_HOUR = (
    "Once checked, the file is kept encrypted for an hour so you can import it without "
    "choosing it again; it is deleted when imported or cancelled."
)


class ClassListUploadForm(forms.Form):
    file = forms.FileField(label="Class list (CSV)")
    # DSR-4: pupils erased at the school's request are left out unless this is ticked.
    restore_erased = forms.BooleanField(
        label="Bring back pupils who were erased at the school's request", required=False
    )


class OneRosterUploadForm(forms.Form):
    file = forms.FileField(
        label="OneRoster zip",
        required=False,
        help_text=KEPT_FOR_AN_HOUR,
    )
    # DSR-4: people erased at the school's request are left out unless this is ticked.
    restore_erased = forms.BooleanField(
        label="Bring back pupils and parents who were erased at the school's request",
        required=False,
    )


class MisUploadForm(forms.Form):
    """The MIS export upload (ROS-2); the unknown-column mapping comes as map_<n> fields."""

    file = forms.FileField(
        label="MIS export (CSV UTF-8 or Excel .xlsx)",
        required=False,
        help_text=KEPT_FOR_AN_HOUR,
    )
    full = forms.BooleanField(
        label="This file lists every pupil on roll: mark pupils missing from it as left",
        required=False,
    )
    # DSR-4: pupils erased at the school's request are left out unless this is ticked.
    restore_erased = forms.BooleanField(
        label="Bring back pupils who were erased at the school's request",
        required=False,
    )

    def mapping(self) -> dict[str, str]:
        """{file header: field or "ignore"} from the map_header_<n> / map_<n> pairs."""
        data = self.data
        return {
            data[key]: data.get("map_" + key.removeprefix("map_header_"), "")
            for key in data
            if key.startswith("map_header_") and data.get("map_" + key.removeprefix("map_header_"))
        }
