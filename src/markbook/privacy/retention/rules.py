"""The retention rules (RET-1), as data: what they apply to, how long, from when.

The data inventory declares each personal field's retention with one of these rules
(`Personal.retention`); the record of processing and the privacy notice print the
rule's `text()`, and the retention engine (`markbook.privacy.retention.engine`)
applies the same rule's period, so what the notice says and what is deleted cannot
drift apart. A school may shorten a rule for its own data, never lengthen it (RET-2:
`RetentionOverride`, checked by `override_problem`).

This module imports nothing of Django's models: every app's inventory imports it.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


class Trigger(StrEnum):
    """When a rule's period starts."""

    EVENT = "after the event"
    LAST_SIGN_IN = "after the last sign-in"
    PUPIL_LEFT = "after the pupil left"
    SUBSCRIPTION_ENDED = "after the school's subscription ended"
    CONTRACT_ENDED = "after the contract ended"
    LAST_INTERACTION = "after the last interaction"
    ISSUED = "after it was issued"
    CLOSED = "after the request was closed"


@dataclass(frozen=True)
class Period:
    """A length of time in whole days or whole calendar years (one of the two)."""

    days: int = 0
    years: int = 0

    def __post_init__(self) -> None:
        if self.days < 0 or self.years < 0 or (self.days and self.years):
            raise ValueError("a period is a number of days or of years, not both")

    @property
    def longest_days(self) -> int:
        """The fewest days the period can be: a school's shorter period, in days, may
        be at most this (two calendar years are 730 or 731 days: 730 never exceeds)."""
        return self.days or self.years * 365

    def before(self, when: date) -> date:
        """The day `when` minus the period (29 February to 28 February)."""
        if self.days:
            return when - timedelta(days=self.days)
        year = when.year - self.years
        try:
            return when.replace(year=year)
        except ValueError:
            return when.replace(year=year, day=28)

    def text(self) -> str:
        if self.years:
            return f"{self.years} year{'s' if self.years != 1 else ''}"
        return f"{self.days} day{'s' if self.days != 1 else ''}"

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class RetentionRule:
    """How long something is kept (RET-1).

    A *period rule* (`period` and `trigger` set) says "kept `period` `trigger`": the
    engine applies the ones in `RULES`. A *lifetime rule* says what the data's life is
    bound to (`while`, "as long as the person's record") and names the period rules
    that end it at the latest (`ended_by`). `held` is False for a category Markbook
    holds none of: the rule is stated all the same, and the engine has nothing to do.
    """

    key: str
    applies_to: str = ""
    period: Period | None = None
    trigger: Trigger | None = None
    school_sets: bool = False  # the school chooses the period (at most the default)
    warn_days: int = 0  # the school's administrators are told this many days before
    held: bool = True
    note: str = ""  # said after the period: what happens, or why
    kept_while: str = ""  # a lifetime rule's bound
    ended_by: tuple[str, ...] = field(default_factory=tuple)
    # Whether a school may shorten it (RET-2): not Markbook's own records of its
    # contract with the school, which Markbook keeps for its own legal obligations.
    schools_shorten: bool = True

    @property
    def is_period(self) -> bool:
        return self.period is not None and self.trigger is not None

    def period_text(self, period: Period | None = None) -> str:
        """ "365 days after the event", or with a school's shorter period."""
        assert self.period is not None and self.trigger is not None
        return f"{(period or self.period).text()} {self.trigger}"

    def text(self) -> str:
        """The rule in words, as the record of processing and the notice state it."""
        if self.is_period:
            if self.school_sets:
                said = (
                    f"at most {self.period} (or the shorter period the school sets) {self.trigger}"
                )
            else:
                said = self.period_text()
            if self.applies_to:
                said += f" ({self.applies_to})"
            if self.warn_days:
                said += f", the school's administrators told {self.warn_days} days before"
            if self.note:
                said += f", {self.note}"
            if not self.held:
                said += "; Markbook holds none"
            return said
        parts = [self.kept_while or self.note]
        parts += [RULES[key].text() for key in self.ended_by]
        return "; ".join(p for p in parts if p)

    def __str__(self) -> str:
        return self.text()


def described(text: str) -> RetentionRule:
    """A rule given only in words (an older declaration, or a test's): no key, so the
    inventory's consistency test refuses it in the real registry."""
    return RetentionRule(key="", kept_while=text)


# --- The defaults of RET-1, applied by the retention engine ----------------------

LOGS = "logs"
INACTIVE_ACCOUNTS = "inactive_accounts"
PUPILS_LEFT = "pupils_left"
SUBSCRIPTION_ENDED = "subscription_ended"
MARKETING = "marketing"
CONTRACTS = "contracts"
INVOICES = "invoices"

RULES: dict[str, RetentionRule] = {
    rule.key: rule
    for rule in (
        RetentionRule(
            key=LOGS,
            applies_to="IP addresses and user ids in logs",
            period=Period(days=365),
            trigger=Trigger.EVENT,
            note="then blanked in the entry, which stays",
        ),
        RetentionRule(
            key=INACTIVE_ACCOUNTS,
            applies_to="accounts nobody signs in to",
            period=Period(years=2),
            trigger=Trigger.LAST_SIGN_IN,
            warn_days=30,
            note="then deleted",
        ),
        RetentionRule(
            key=PUPILS_LEFT,
            applies_to="pupils who have left the school",
            period=Period(years=1),
            trigger=Trigger.PUPIL_LEFT,
            school_sets=True,
            note="then deleted with all their records",
        ),
        RetentionRule(
            key=SUBSCRIPTION_ENDED,
            applies_to="everything of a school whose subscription ended",
            period=Period(years=1),
            trigger=Trigger.SUBSCRIPTION_ENDED,
            note="then deleted (earlier if the school asks)",
        ),
        RetentionRule(
            key=MARKETING,
            applies_to="marketing contacts",
            period=Period(years=3),
            trigger=Trigger.LAST_INTERACTION,
            held=False,
        ),
        RetentionRule(
            key=CONTRACTS,
            applies_to="contract records",
            period=Period(years=7),
            trigger=Trigger.CONTRACT_ENDED,
            schools_shorten=False,
        ),
        RetentionRule(
            key=INVOICES,
            applies_to="invoices",
            period=Period(years=8),
            trigger=Trigger.ISSUED,
            held=False,
            schools_shorten=False,
        ),
    )
}


def override_problem(key: str, days: int) -> str:
    """Why a school may not keep `key`'s data for `days` days ("" if it may): a school
    may shorten a default for its own data, never lengthen it (RET-2)."""
    rule = RULES.get(key)
    if rule is None or not rule.is_period or not rule.held or not rule.schools_shorten:
        return "There is no such retention rule for a school to change."
    assert rule.period is not None
    longest = rule.period.longest_days
    if days < 1:
        return "The period must be at least 1 day."
    if days > longest:
        return (
            f"{days} days is longer than the default for {rule.applies_to} "
            f"({rule.period}, at most {longest} days): a school may shorten it, never "
            "lengthen it."
        )
    return ""


def cutoff(rule: RetentionRule, today: date, override_days: int | None = None) -> date:
    """The last day whose data is due: anything whose trigger fell on or before it goes."""
    assert rule.period is not None
    if override_days is not None and not override_problem(rule.key, override_days):
        return today - timedelta(days=override_days)
    return rule.period.before(today)


# --- Lifetime rules the inventory declares (bounded by the rules above) ------------


def kept_while(key: str, text: str, *ended_by: str) -> RetentionRule:
    """A lifetime rule: kept while `text` holds, and at the latest as `ended_by` say."""
    return RetentionRule(key=key, kept_while=text, ended_by=ended_by)


def kept_for(
    key: str, applies_to: str, period: Period, trigger: Trigger, note: str = ""
) -> RetentionRule:
    """A period rule of the inventory's own (not a default of RET-1: the engine does
    not apply it, and a school does not change it)."""
    return RetentionRule(
        key=key,
        applies_to=applies_to,
        period=period,
        trigger=trigger,
        note=note,
        schools_shorten=False,
    )


def shortenable() -> list[RetentionRule]:
    """The rules a school may shorten for its own data (RET-2), in order."""
    return [r for r in RULES.values() if r.is_period and r.held and r.schools_shorten]
