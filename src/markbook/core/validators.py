"""Identifier validation (ROS-3); facts from docs/domain.md, section Identifiers."""

import random
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import capfirst

UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O, S
_UPN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")


def upn_check_letter(body: str) -> str:
    """The check letter for UPN characters 2..13 (domain.md, Identifiers)."""
    total = 0
    for weight, ch in enumerate(body, start=2):
        total += weight * (int(ch) if ch.isdigit() else UPN_ALPHABET.index(ch))
    return UPN_ALPHABET[total % 23]


def upn_problem(value: str) -> str | None:
    """Why `value` is not a valid UPN, or None. Temporary UPNs end in a letter."""
    upn = value.strip().upper()
    if len(upn) != 13:
        return f"a UPN has 13 characters, this has {len(upn)}"
    if not _UPN.match(upn):
        return "a UPN is a letter, 11 digits, then a digit or (temporary UPN) a letter"
    if upn[0] not in UPN_ALPHABET or (upn[12].isalpha() and upn[12] not in UPN_ALPHABET):
        return "a UPN never contains the letters I, O or S"
    expected = upn_check_letter(upn[1:])
    if upn[0] != expected:
        return f"the check letter is wrong (expected {expected} for these digits)"
    return None


def validate_upn(value: str) -> None:
    problem = upn_problem(value)
    if problem:
        raise ValidationError(f"{value!r} is not a valid UPN: {problem}.", code="upn")


def uln_problem(value: str) -> str | None:
    """Why `value` is not a valid ULN (10 digits, first non-zero, weighted check)."""
    if not re.fullmatch(r"[1-9]\d{9}", value.strip()):
        return "a ULN is 10 digits and does not start with 0"
    total = sum(int(d) * w for d, w in zip(value.strip(), range(10, 0, -1), strict=True))
    if total % 11 != 10:
        return "the check digit is wrong"
    return None


def random_uln(rng: random.Random) -> str:
    """A valid made-up ULN, for demo and benchmark data (the check rule of uln_problem)."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
        partial = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        last = (10 - partial) % 11
        if last < 10:
            return "".join(map(str, [*digits, last]))


def validate_urn(value: object) -> None:
    if not re.fullmatch(r"\d{6}", str(value)):
        raise ValidationError(f"{value!r} is not a valid URN: a URN is 6 digits.", code="urn")


def text_too_long(model: type[models.Model], values: Mapping[str, Any]) -> dict[str, list[str]]:
    """{field: [message]} for each text in `values` (field name -> value) longer than the
    field of `model` allows, the field named in words: "Medical notes can be at most
    2,000 characters; this has 900,000." Services call it before saving, so pages, the
    API and imports refuse the same values with the same message."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        limit = getattr(field, "max_length", None)
        if limit is not None and len(value) > limit:
            label = capfirst(str(getattr(field, "verbose_name", name)))
            errors[name] = [
                f"{label} can be at most {limit:,} characters; this has {len(value):,}."
            ]
    return errors
