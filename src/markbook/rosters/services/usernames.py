"""Pupils' usernames (ACC-3): one rule for every way a pupil is added."""

import functools
import re
import unicodedata

from markbook.rosters.models import Pupil

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_NOT_IN_USERNAME = re.compile(r"[^a-z0-9-]")


@functools.lru_cache(maxsize=4096)  # names repeat: an import asks for the same ones often
def _username_part(value: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _NOT_IN_USERNAME.sub("", ascii_.lower().replace(" ", "-")).strip("-")


def username_base(first_name: str, last_name: str) -> str:
    """ "Amy", "O'Neil-Smith" -> "amy.oneil-smith": ASCII, lower case (ACC-3)."""
    joined = ".".join(p for p in (_username_part(first_name), _username_part(last_name)) if p)
    return joined[:140] or "pupil"


def pupil_username_generate(
    *,
    first_name: str,
    last_name: str,
    pseudonym: str = "",
    taken: set[str] | None = None,
    known: bool = False,
) -> str:
    """A username unique in the school: "amy.adams", then "amy.adams2", ... from the
    first name (the pseudonym without one) and last name (ACC-3). The one rule of every
    way a pupil is added: the pages and API, the bulk load and the imports.

    `taken` lets a bulk import reserve the names it is about to use; with `known` it
    holds every username of the school (lower case) and the database is not asked."""
    base = username_base(first_name or pseudonym, last_name)
    used = (
        set()
        if known
        else {
            u.lower()
            for u in Pupil.objects.filter(username__startswith=base).values_list(
                "username", flat=True
            )
        }
    )
    used |= taken or set()
    if base not in used:
        return base
    n = 2
    while f"{base}{n}" in used:
        n += 1
    return f"{base}{n}"
