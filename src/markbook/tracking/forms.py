"""Forms of the tracking pages (ASM-4): they parse what was typed; the services check
the rules (pages and API share them)."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from markbook.rosters.models import YEAR_GROUPS
from markbook.tracking.drops import FieldSpec
from markbook.tracking.models import GradeScale
from markbook.tracking.scales import GradeSpec


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's errors on the form's fields (or above it)."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class SubjectForm(forms.Form):
    name = forms.CharField(max_length=100)
    code = forms.CharField(max_length=20, required=False, help_text="For example Ma.")
    scale = forms.ModelChoiceField(queryset=GradeScale.objects.none(), empty_label=None)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["scale"].queryset = GradeScale.objects.order_by("name")  # type: ignore[attr-defined]


class ScaleForm(forms.Form):
    name = forms.CharField(max_length=100)
    numeric = forms.BooleanField(
        required=False,
        label="Grades are entered as numbers",
        help_text="Like a percentage: each grade then starts at a number.",
    )
    minimum = forms.DecimalField(required=False, label="Lowest number", max_digits=7)
    maximum = forms.DecimalField(required=False, label="Highest number", max_digits=7)
    grades = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "One grade a line, lowest first. On a numeric scale write the lowest number "
            "of each grade after a comma, for example: Working towards, 0"
        ),
    )

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            del self.fields["numeric"]

    def grade_specs(self, numeric: bool) -> list[GradeSpec]:
        specs = []
        for line in _lines(self.cleaned_data["grades"]):
            label, _, number = line.rpartition(",") if numeric and "," in line else (line, "", "")
            minimum = None
            if numeric:
                try:
                    minimum = Decimal(number.strip())
                except InvalidOperation:
                    self.add_error(
                        "grades", f"{line}: write the grade's lowest number after a comma."
                    )
                    continue
            specs.append(GradeSpec(label.strip(), minimum))
        return specs

    @staticmethod
    def grades_text(scale: GradeScale) -> str:
        grades = scale.grades.order_by("rank")
        if scale.numeric:
            return "\n".join(f"{g.label}, {g.minimum:g}" for g in grades)
        return "\n".join(g.label for g in grades)


class DropForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="For example Autumn 1.")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    deadline = forms.DateField(
        required=False,
        label="Entry deadline",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    year_groups = forms.MultipleChoiceField(
        choices=YEAR_GROUPS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every year group.",
    )
    # A form field named "fields": the form metaclass moves it into base_fields, so it
    # never shadows BaseForm.fields, which the stubs cannot tell.
    fields = forms.CharField(  # type: ignore[assignment]
        label="What is collected",
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="Working at\nPredicted",
        help_text=(
            "One a line. Each is on the subject's own scale, unless you name a scale "
            "after a colon, for example: Effort: Effort 1-4"
        ),
    )

    def field_specs(self) -> list[FieldSpec]:
        scales = {s.name.casefold(): s for s in GradeScale.objects.all()}
        specs = []
        for line in _lines(self.cleaned_data["fields"]):
            label, _, scale_name = line.partition(":")
            scale = None
            if scale_name.strip():
                scale = scales.get(scale_name.strip().casefold())
                if scale is None:
                    self.add_error(
                        "fields", f"{line}: the school has no scale {scale_name.strip()}."
                    )
                    continue
            specs.append(FieldSpec(label.strip(), scale=scale))
        return specs

    @staticmethod
    def fields_text(fields: list) -> str:
        return "\n".join(f"{f.label}: {f.scale.name}" if f.scale else f.label for f in fields)


class TargetRulesForm(forms.Form):
    rules = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        label="KS2 average and target",
        help_text=(
            "One rule a line: the lowest KS2 average scaled score (reading and maths), "
            "then the target grade, for example: 100 5"
        ),
    )


class TargetsImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns UPN, Subject and Target (or Target grade); a header row first.",
    )
