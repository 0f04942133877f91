"""Settings read from the environment (settings.py): a bad value stops Markbook from
starting, naming the variable and the value, instead of being read as something else.

Booleans are 1/0, true/false, yes/no or on/off in any case; integers are whole numbers.
An unset or empty variable takes the default (an `.env` file often leaves one blank).
"""

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def env_str(name: str, default: str = "", *, environ: Mapping[str, str] | None = None) -> str:
    """The variable's text, or `default` when it is unset or empty."""
    value = (os.environ if environ is None else environ).get(name, "")
    return value if value.strip() else default


def env_bool(name: str, default: bool = False, *, environ: Mapping[str, str] | None = None) -> bool:
    """The variable as a boolean; ImproperlyConfigured for anything but the words above."""
    value = env_str(name, environ=environ).strip()
    if not value:
        return default
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use 1/0, true/false, yes/no or on/off."
    )


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """The variable as a whole number (at least `minimum`); ImproperlyConfigured otherwise."""
    value = env_str(name, environ=environ).strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r} is too small: at least {minimum}.")
    return number
