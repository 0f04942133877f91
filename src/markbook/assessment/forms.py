"""Forms of the assignment pages (ASM-1). The rules are the services'; these only parse."""

from typing import Any

from django import forms

from markbook.assessment.models import Assignment
from markbook.core.widgets import DateField
from markbook.practice.models import QuestionSet
from markbook.rosters.forms import add_service_errors
from markbook.tracking.models import Grade, Subject

__all__ = ["AssignmentForm", "TrustAssignmentForm", "add_service_errors", "posted_boundaries"]


class AssignmentForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Assignment.Kind.choices)
    due_date = DateField(required=False)
    max_mark = forms.DecimalField(
        label="Maximum mark",
        min_value=0.01,
        decimal_places=2,
        required=False,
        help_text="For a practice set: its number of questions.",
    )
    subject = forms.ModelChoiceField(
        queryset=Subject.objects.none(),
        required=False,
        help_text="Grade boundaries use this subject's scale.",
    )
    question_set = forms.ModelChoiceField(
        label="Practice set",
        queryset=QuestionSet.objects.none(),
        required=False,
        empty_label="None: work done away from Markbook",
        help_text="Pupils do this practice set online; the markbook shows who has done it.",
    )
    score_is_mark = forms.BooleanField(
        label="The practice score counts as the mark",
        required=False,
        help_text="Correct answers out of the set's questions, unless you enter a mark yourself.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = Subject.objects.select_related("scale")  # type: ignore[attr-defined]
        self.fields["question_set"].queryset = QuestionSet.objects.filter(  # type: ignore[attr-defined]
            published=True, archived=False
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("max_mark") is None and data.get("question_set") is None:
            self.add_error("max_mark", "Give a maximum mark, or choose a practice set.")
        return data


class TrustAssignmentForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Assignment.Kind.choices)
    due_date = DateField(required=False)
    max_mark = forms.DecimalField(label="Maximum mark", min_value=0.01, decimal_places=2)


def posted_boundaries(data: Any, grades: list[Grade]) -> dict[int, str]:
    """Grade id -> lowest mark from the form's `boundary_<grade id>` inputs; blanks skipped."""
    posted = {}
    for grade in grades:
        value = (data.get(f"boundary_{grade.pk}") or "").strip()
        if value:
            posted[grade.pk] = value
    return posted
