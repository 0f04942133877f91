"""Every cookie Markbook sets, for the privacy notice (SEC-6: only the session and
preference cookies needed; no analytics). A test fails for a cookie not listed here."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    lasts: str


def cookies() -> list[Cookie]:
    hours = settings.SESSION_COOKIE_AGE // 3600
    return [
        Cookie(
            settings.SESSION_COOKIE_NAME,
            "keeps you signed in",
            f"until you sign out, or {hours} hours",
        ),
        Cookie(
            settings.CSRF_COOKIE_NAME,
            "proves a form was sent from Markbook's own pages (security)",
            "1 year",
        ),
        Cookie(
            CookieStorage.cookie_name,
            "carries a confirmation message to the next page, such as 'Saved'",
            "until the next page is shown",
        ),
        Cookie(
            settings.MARKBOOK_DISPLAY_COOKIE,
            "remembers the display preferences you chose (text size, font, contrast, motion) "
            "for the pages shown before you sign in on this device",
            "1 year",
        ),
    ]
