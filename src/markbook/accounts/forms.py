"""Forms for the account pages. They only parse input; the services validate and write."""

from django import forms


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="What the token is for, such as the laptop or script that uses it.",
    )
