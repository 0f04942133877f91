"""The access log's filter form (SEC-1): a GET form, so a filtered log has its own address."""

from django import forms

from markbook.audit.describe import ACTIONS
from markbook.audit.selectors import LogFilter


class LogFilterForm(forms.Form):
    person = forms.CharField(
        required=False, max_length=100, label="About", help_text="A pupil or person"
    )
    actor = forms.CharField(required=False, max_length=100, label="Done by")
    # Free text, so the start of an action name ("rosters.pupil.") narrows too; the
    # page offers the actions by their phrases.
    action = forms.CharField(required=False, max_length=100)
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(format="%Y-%m-%d"))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(format="%Y-%m-%d"))
    changes_only = forms.BooleanField(required=False, label="Changes only")

    def clean(self) -> dict:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filters(self) -> LogFilter:
        """The valid filters; a field that is not valid narrows nothing."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return LogFilter(
            person=(data.get("person") or "").strip(),
            actor=(data.get("actor") or "").strip(),
            action=(data.get("action") or "").strip(),
            since=data.get("since"),
            until=data.get("until") if "until" not in self.errors else None,
            changes_only=bool(data.get("changes_only")),
        )

    @staticmethod
    def action_choices() -> list[tuple[str, str]]:
        """The actions by their phrases, alphabetically."""
        return sorted(ACTIONS.items(), key=lambda item: item[1].lower())
