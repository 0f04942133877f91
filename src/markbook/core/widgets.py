"""Form widgets every Markbook form shares."""

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """The browser's date picker (`<input type="date">`), its value in ISO 8601.

    A date input shows and sends only `YYYY-MM-DD`; Django's DateInput writes the
    locale's format (`11/05/2014` in en-GB), which the browser cannot show: the field
    looked empty and saving the form unchanged blanked the stored date."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format=format or ISO_DATE)


class DateField(forms.DateField):
    """A date chosen with the browser's date picker (DateInput)."""

    widget = DateInput
