"""Checking a pupil's answer (ASM-2): numbers typed as people type them, multiple
choice with one or several right options. A response that is no answer is refused
with a message naming the problem (`BadAnswer`, 422); nothing is stored for it."""

import re
from decimal import Decimal, InvalidOperation

from markbook.practice.models import Item, Question

RESPONSE_MAX = 100


class Refused(Exception):
    """An answer or start the server will not take, with the reason for the pupil."""

    status = 409

    def __init__(self, message: str, *, status: int | None = None, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class BadAnswer(Refused):
    """The response is not an answer of the question's kind (422; nothing is stored)."""

    status = 422


# --- Parsing answers ------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}([, ]\d{3})+(\.\d+)?")


def parse_number(text: str, units: str = "") -> Decimal:
    """A typed number: "56", " 56 ", "56.0", "1,000", "-3" (or with a minus sign), and "56 cm" if the question's
    units are cm. BadAnswer names what is wrong otherwise."""
    value = text.strip().replace("\u2212", "-")
    if units and value.lower().endswith(units.lower()):
        value = value[: -len(units)].strip()
    if not value:
        raise BadAnswer("Type an answer first.", field="response")
    if _GROUPED.fullmatch(value):
        value = value.replace(",", "").replace(" ", "")
    if not _NUMBER.fullmatch(value):
        shown = text.strip()[:30]
        hint = f" in {units}" if units else ""
        raise BadAnswer(
            f"“{shown}” is not a number: type a number{hint}, like 56.", field="response"
        )
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern lets only numbers through
        raise BadAnswer("Type a number, like 56.", field="response") from None


def parse_choices(text: str, options: int) -> set[int]:
    """Chosen options' indexes (from 0), as "2" or "0,2"."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not parts:
        raise BadAnswer("Choose an answer first.", field="response")
    chosen = set()
    for part in parts:
        if not part.isdigit() or int(part) >= options:
            raise BadAnswer(
                f"“{part[:10]}” is not one of the options (0 to {options - 1}).", field="response"
            )
        chosen.add(int(part))
    return chosen


def check(item: Item, response: str) -> bool:
    """Whether `response` answers the item rightly (BadAnswer if it is no answer)."""
    if len(response) > RESPONSE_MAX:
        raise BadAnswer(f"An answer is at most {RESPONSE_MAX} characters.", field="response")
    question = item.question
    if question is not None and question.kind == Question.Kind.CHOICE:
        chosen = parse_choices(response, len(question.choices))
        return chosen == {int(i) for i in item.expected.split(",") if i}
    units = question.units if question is not None else ""
    tolerance = question.tolerance if question is not None else Decimal(0)
    return abs(parse_number(response, units) - Decimal(item.expected)) <= tolerance
