"""Forms of the teachers' practice pages (ASM-2). They only parse: the rules are
authoring.py's and media.py's, whose errors are shown on these fields."""

from decimal import Decimal
from typing import Any

from django import forms
from django.forms.boundfield import BoundWidget

from markbook.practice.authoring import MAX_CHOICES
from markbook.practice.media import ACCEPT
from markbook.practice.models import Question, QuestionSet
from markbook.rosters.forms import add_service_errors

__all__ = ["QuestionForm", "SetForm", "add_service_errors", "plain_number"]


def plain_number(value: Decimal | None) -> str:
    """42.000000 -> "42", 0.500000 -> "0.5": a stored number as a person typed it."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


class SetForm(forms.Form):
    title = forms.CharField(max_length=200, required=False)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text="Optional: what the set practises, shown to pupils.",
    )
    mode = forms.ChoiceField(
        choices=QuestionSet.Mode.choices,
        widget=forms.RadioSelect,
        help_text="A timed trial gives each question a time limit.",
    )
    question_count = forms.CharField(
        label="Questions per attempt",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        required=False,
    )
    seconds_per_question = forms.CharField(
        label="Seconds per question",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        required=False,
        help_text="For a timed trial only.",
    )

    @staticmethod
    def initial_of(question_set: QuestionSet) -> dict[str, Any]:
        return {
            "title": question_set.title,
            "description": question_set.description,
            "mode": question_set.mode,
            "question_count": question_set.question_count,
            "seconds_per_question": question_set.seconds_per_question or "",
        }


CORRECT_CHOICES = [(str(i), f"Option {i + 1} is correct") for i in range(MAX_CHOICES)]


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of question", choices=Question.Kind.choices, widget=forms.RadioSelect
    )
    prompt = forms.CharField(
        label="Question", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )
    answer = forms.CharField(required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    tolerance = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="How far either side of the answer still counts as right (0: exactly).",
    )
    units = forms.CharField(
        max_length=30, required=False, help_text="Optional, shown after the answer box: cm, kg, °C."
    )
    correct = forms.MultipleChoiceField(
        choices=CORRECT_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    file = forms.FileField(
        label="Image or sound",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text="Optional: an image (PNG, JPEG, GIF, WebP) or a sound to listen to "
        "(MP3, OGG, WAV, M4A).",
    )
    remove_media = forms.BooleanField(label="Remove the image or sound", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(MAX_CHOICES):
            self.fields[f"choice_{i}"] = forms.CharField(
                label=f"Option {i + 1}", max_length=200, required=False
            )

    @property
    def choice_fields(self) -> list[tuple[forms.BoundField, BoundWidget | None]]:
        """(option text, its correct box) pairs, for the template."""
        boxes = list(self["correct"])
        return [
            (self[f"choice_{i}"], boxes[i] if i < len(boxes) else None) for i in range(MAX_CHOICES)
        ]

    @staticmethod
    def initial_of(question: Question) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "kind": question.kind,
            "prompt": question.prompt,
            "answer": plain_number(question.answer),
            "tolerance": plain_number(question.tolerance),
            "units": question.units,
            "correct": [str(i) for i in question.correct],
        }
        for i, text in enumerate(question.choices):
            initial[f"choice_{i}"] = text
        return initial

    def values(self) -> dict[str, Any]:
        """The service's arguments from the (valid) form."""
        data = self.cleaned_data
        return {
            "kind": data.get("kind"),
            "prompt": data.get("prompt", ""),
            "answer": data.get("answer", ""),
            "tolerance": data.get("tolerance", ""),
            "units": data.get("units", ""),
            "choices": [data.get(f"choice_{i}", "") for i in range(MAX_CHOICES)],
            "correct": self._correct_kept(),
        }

    def _correct_kept(self) -> list[int]:
        """Ticked options, renumbered as the blank options between them are dropped."""
        data = self.cleaned_data
        ticked = {int(i) for i in data.get("correct", [])}
        kept, index = [], 0
        for i in range(MAX_CHOICES):
            if str(data.get(f"choice_{i}", "") or "").strip():
                if i in ticked:
                    kept.append(index)
                index += 1
            elif i in ticked:
                self.add_error("correct", f"Option {i + 1} is ticked as correct but is empty.")
        return kept
