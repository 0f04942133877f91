"""Forms for sign-in pages. They only parse input; the services check and write."""

from typing import Any

from allauth.account.forms import SetPasswordForm as AllauthSetPasswordForm
from django import forms
from django.core.exceptions import ValidationError

from markbook.accounts.preferences import TEXT_SIZES, DisplayPreferences


class PupilSignInForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SchoolCodeForm(forms.Form):
    """The school's code for the main sign-in page: the last part of its pupil sign-in
    address, or the whole address."""

    code = forms.CharField(
        label="Your school's code",
        max_length=300,
    )


class SignInCodeForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    code = forms.CharField(
        label="Sign-in code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )


class NewPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") != data["password1"]:
            self.add_error("password2", "The two passwords are not the same.")
        return data


def is_pupil(user: Any) -> bool:
    # The reverse one-to-one uses the plain base manager, so it works outside a scope.
    return hasattr(user, "pupil")


class SetPasswordForm(AllauthSetPasswordForm):
    """allauth's set-password form, refused to pupils: a pupil without a password
    gets one only through a sign-in code from their teacher (ACC-2)."""

    ASK_TEACHER = (
        "You do not have a password yet, or your teacher has reset it. "
        "Ask your teacher for a sign-in code, then use it on your school's sign-in page."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ask_teacher = is_pupil(self.user)

    def clean(self) -> dict[str, Any]:
        if self.ask_teacher:
            raise ValidationError(self.ASK_TEACHER)
        return super().clean()


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="What the token is for, such as the laptop or script that uses it.",
    )


class DisplayPreferencesForm(forms.Form):
    """Text size, font, contrast, motion, and whether read help comes back (ACC-7)."""

    text_size = forms.ChoiceField(
        label="Text size", choices=list(TEXT_SIZES.items()), widget=forms.RadioSelect
    )
    dyslexia_font = forms.BooleanField(
        label="Dyslexia-friendly font (OpenDyslexic, with wider spacing)", required=False
    )
    high_contrast = forms.BooleanField(label="High contrast", required=False)
    reduced_motion = forms.BooleanField(
        label="Reduce motion (no animations or smooth scrolling)", required=False
    )
    show_help_again = forms.BooleanField(label="Show the help I have hidden again", required=False)

    @classmethod
    def for_preferences(cls, preferences: DisplayPreferences) -> "DisplayPreferencesForm":
        return cls(initial=preferences.to_data())

    def preferences(self, before: DisplayPreferences) -> DisplayPreferences:
        data = self.cleaned_data
        return DisplayPreferences(
            text_size=data["text_size"],
            dyslexia_font=data["dyslexia_font"],
            high_contrast=data["high_contrast"],
            reduced_motion=data["reduced_motion"],
            read_help=() if data["show_help_again"] else before.read_help,
        )


class RegistrationForm(forms.Form):
    """Ask to join a school (ACC-4); the service checks the rules."""

    role = forms.ChoiceField(
        label="I am",
        choices=[("teacher", "A member of staff"), ("pupil", "A pupil")],
        widget=forms.RadioSelect,
        initial="teacher",
    )
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    email = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Password (staff only)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    year_group = forms.CharField(label="Year group (pupils only)", max_length=10, required=False)
    parental_consent = forms.BooleanField(
        label="My parent or carer agrees to me using Markbook at this school (pupils only)",
        required=False,
    )


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's errors on the form's fields, or above it."""
    for name, messages in error.message_dict.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
