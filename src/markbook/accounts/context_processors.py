from django.conf import settings
from django.http import HttpRequest

from markbook.accounts import selectors
from markbook.accounts.preferences import DisplayPreferences


def display(request: HttpRequest) -> dict[str, DisplayPreferences]:
    """The display preferences every page respects (ACC-7): the signed-in person's own,
    or on signed-out pages those this browser's preference cookie remembers."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return {"display": selectors.display_preferences_of(user)}
    return {
        "display": DisplayPreferences.from_cookie(
            request.COOKIES.get(settings.MARKBOOK_DISPLAY_COOKIE)
        )
    }
