"""Display preferences (ACC-7): text size, a dyslexia-friendly font, high contrast,
reduced motion, and the help blocks a person has read and hidden.

Kept on the account (`User.display_preferences`, a JSON object read with the user, so
no page pays a query for it) and, for the signed-out pages of the same browser, in the
preference cookie (everything but the help read, which belongs to the person). The
layout turns them into data attributes on <html> that markbook.css styles.
"""

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Self

from django.utils.html import format_html_join
from django.utils.safestring import SafeString

TEXT_SIZES = {"normal": "Normal", "large": "Large", "larger": "Larger"}
HELP_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
MAX_HELP_READ = 100
# The cookie's words, one per preference that differs from the default.
_COOKIE_WORDS = ("text-large", "text-larger", "dyslexia-font", "high-contrast", "reduced-motion")


@dataclass(frozen=True)
class DisplayPreferences:
    text_size: str = "normal"
    dyslexia_font: bool = False
    high_contrast: bool = False
    reduced_motion: bool = False
    read_help: tuple[str, ...] = field(default=())

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Self:
        """What an account holds; anything unknown or malformed reads as the default."""
        data = data if isinstance(data, Mapping) else {}
        size = data.get("text_size")
        read = data.get("read_help")
        return cls(
            text_size=size if size in TEXT_SIZES else "normal",
            dyslexia_font=data.get("dyslexia_font") is True,
            high_contrast=data.get("high_contrast") is True,
            reduced_motion=data.get("reduced_motion") is True,
            read_help=tuple(
                dict.fromkeys(k for k in (read if isinstance(read, list) else []) if is_help_key(k))
            )[:MAX_HELP_READ],
        )

    def to_data(self) -> dict[str, Any]:
        return asdict(self) | {"read_help": list(self.read_help)}

    def with_help_read(self, key: str) -> Self:
        if key in self.read_help:
            return self
        return replace(self, read_help=(*self.read_help, key)[-MAX_HELP_READ:])

    @classmethod
    def from_cookie(cls, value: str | None) -> Self:
        words = set((value or "").split(",")) & set(_COOKIE_WORDS)
        size = "larger" if "text-larger" in words else "large" if "text-large" in words else None
        return cls(
            text_size=size or "normal",
            dyslexia_font="dyslexia-font" in words,
            high_contrast="high-contrast" in words,
            reduced_motion="reduced-motion" in words,
        )

    def cookie_value(self) -> str:
        words = [f"text-{self.text_size}"] if self.text_size != "normal" else []
        words += [
            word
            for word, on in (
                ("dyslexia-font", self.dyslexia_font),
                ("high-contrast", self.high_contrast),
                ("reduced-motion", self.reduced_motion),
            )
            if on
        ]
        return ",".join(words)

    def attributes(self) -> dict[str, str]:
        """The <html> data attributes markbook.css styles; "" means absent."""
        return {
            "data-text-size": "" if self.text_size == "normal" else self.text_size,
            "data-font": "dyslexic" if self.dyslexia_font else "",
            "data-contrast": "high" if self.high_contrast else "",
            "data-motion": "reduce" if self.reduced_motion else "",
        }

    def html_attributes(self) -> SafeString:
        """` data-text-size="large" ...` for the layout's <html> element."""
        return format_html_join(
            "", ' {}="{}"', ((name, value) for name, value in self.attributes().items() if value)
        )


def is_help_key(key: object) -> bool:
    return isinstance(key, str) and HELP_KEY.fullmatch(key) is not None
