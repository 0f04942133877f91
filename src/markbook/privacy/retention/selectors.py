"""Reads of the retention engine (RET-1, RET-2, RET-4): the rules as the school has
them, and its runs. In the school's scope."""

from dataclasses import dataclass

from django.db.models import QuerySet

from markbook.privacy.models import RetentionRun, RetentionWarning
from markbook.privacy.retention import rules as R
from markbook.privacy.retention.engine import overrides


@dataclass(frozen=True)
class SchoolRule:
    """A rule of RET-1 at one school: the default and the school's shorter period."""

    rule: R.RetentionRule
    days: int | None  # the school's period, if it set a shorter one

    @property
    def key(self) -> str:
        return self.rule.key

    @property
    def default_days(self) -> int | None:
        return self.rule.period.longest_days if self.rule.period else None

    @property
    def shortenable(self) -> bool:
        return self.rule.held and self.rule.schools_shorten

    @property
    def in_force(self) -> str:
        """How long, as the school has it: "90 days after the pupil left"."""
        if self.days is None:
            return self.rule.period_text()
        return self.rule.period_text(R.Period(days=self.days))


def school_rules() -> list[SchoolRule]:
    shorter = overrides()
    return [SchoolRule(rule, shorter.get(key)) for key, rule in R.RULES.items()]


def retention_runs(limit: int = 10) -> QuerySet[RetentionRun]:
    """The school's last runs, newest first (a running one among them)."""
    return RetentionRun.objects.order_by("-started_at", "-pk")[:limit]


def retention_warnings() -> QuerySet[RetentionWarning]:
    return RetentionWarning.objects.select_related("user").order_by("due_on", "pk")


EXTRA = {
    "rows_deleted": "records deleted with them",
    "warned": "accounts newly listed as due soon",
}


def counts_in_words(counts: dict) -> str:
    """A run's counts per category in words: "pupils who have left the school: 2"."""
    said = []
    for key, value in counts.items():
        if not isinstance(value, int) or not value:
            continue
        what = R.RULES[key].applies_to if key in R.RULES else EXTRA.get(key, key)
        said.append(f"{what}: {value}")
    return "; ".join(said)


@dataclass(frozen=True)
class RunShown:
    run: RetentionRun
    deleted: str
    held: str


def runs_shown(runs: list[RetentionRun]) -> list[RunShown]:
    return [RunShown(r, counts_in_words(r.counts), counts_in_words(r.held)) for r in runs]
