from django import forms

from markbook.support.models import SupportGrant


class GrantForm(forms.Form):
    staff_email = forms.EmailField(label="Platform staff member's email")
    reason = forms.CharField(
        label="Reason (for example the support ticket)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scope = forms.ChoiceField(choices=SupportGrant.Scope.choices, initial="read")
    areas = forms.MultipleChoiceField(
        label="Areas", choices=SupportGrant.Area.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_at = forms.DateTimeField(
        label="Access ends",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
