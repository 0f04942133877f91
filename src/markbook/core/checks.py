"""System checks run by `markbook migrate`, `runserver` and `check`."""

from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.checks import CheckMessage, Warning, register

# The one front-end file every page needs; the others come with it from the same build.
FRONT_END_PROBE = "vendor/htmx.min.js"


@register()
def front_end_built(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when the npm front-end files are missing: every page would lose htmx."""
    if finders.find(FRONT_END_PROBE) or (settings.STATIC_ROOT / FRONT_END_PROBE).exists():
        return []
    return [
        Warning(
            f"The front-end files are missing ({FRONT_END_PROBE} is in no static folder).",
            hint=(
                "Run `npm ci && npm run build` in the Markbook checkout (bin/demo and "
                "bin/test do it), or set MARKBOOK_FRONT_END_DIR to a folder built that way."
            ),
            id="markbook.W001",
        )
    ]
