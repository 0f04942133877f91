"""Forms of the breach register's pages (SEC-3); the services validate again."""

from django import forms

from markbook.breaches.models import Breach
from markbook.privacy.inventory import Category

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class BreachForm(forms.Form):
    title = forms.CharField(max_length=200, label="What happened, in a few words")
    detected_at = forms.DateTimeField(label="Detected (UTC)", widget=_WHEN)
    occurred_at = forms.DateTimeField(
        label="Happened (UTC), if known", required=False, widget=_WHEN
    )
    description = forms.CharField(
        label="Description", max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    data_categories = forms.MultipleChoiceField(
        label="Data involved",
        choices=[(c.value, c.value.capitalize()) for c in Category],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    people_affected = forms.IntegerField(label="People affected (estimate)", min_value=0, initial=0)
    risk = forms.ChoiceField(label="Risk to people", choices=Breach.Risk.choices)
    risk_assessment = forms.CharField(
        label="Risk assessment",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consequences = forms.CharField(
        label="Likely consequences for people",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    containment = forms.CharField(
        label="Containment and recovery",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    advice = forms.CharField(
        label="What people can do to protect themselves",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class BreachChangeForm(BreachForm):
    state = forms.ChoiceField(choices=Breach.State.choices)

    def clean(self) -> dict:
        """A time shown to the minute and sent back as shown is the stored time: saving
        the form unchanged keeps its seconds (the API may have given them)."""
        data = super().clean() or {}
        for name in ("detected_at", "occurred_at"):
            stored, sent = self.initial.get(name), data.get(name)
            if stored and sent and sent == stored.replace(second=0, microsecond=0):
                data[name] = stored
        return data


def initial_of(breach: Breach) -> dict:
    return {name: getattr(breach, name) for name in BreachChangeForm.base_fields}
