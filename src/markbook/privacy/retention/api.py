"""API: the school's retention periods (RET-1, RET-2), shortening one, its runs
(RET-4) and the dry run; for its administrators and data protection lead. The same
services and selectors as the pages."""

from datetime import date, datetime

from ninja import Router
from pydantic import Field

from markbook.admission import AccessRequest, school_of
from markbook.core.api import InputSchema, responses
from markbook.privacy import access
from markbook.privacy.retention import selectors, services
from markbook.privacy.retention.engine import retention_plan
from markbook.rosters.models import Pupil

router = Router(tags=["privacy"])
S = "/schools/{school_id}/privacy/retention"


class RuleOut(InputSchema):
    key: str
    applies_to: str
    default: str = Field(description="The default period and when it starts.")
    default_days: int | None
    school_days: int | None = Field(description="The school's shorter period, if set.")
    in_force: str
    held: bool = Field(description="False: Markbook holds no data of this kind.")
    shortenable: bool
    text: str = Field(description="The rule as the privacy notice states it.")


class RunOut(InputSchema):
    id: int
    dry_run: bool
    state: str
    started_at: datetime
    finished_at: datetime | None
    progress_done: int
    progress_total: int
    counts: dict
    held: dict
    error: str


class RetentionOut(InputSchema):
    rules: list[RuleOut]
    runs: list[RunOut]


class PeriodIn(InputSchema):
    days: int = Field(ge=1, description="The school's period in days: at most the default.")


class DuePerson(InputSchema):
    kind: str  # "pupil" or "account"
    id: int
    name: str


class DueOut(InputSchema):
    key: str
    applies_to: str
    period: str
    count: int
    held: int
    note: str
    people: list[DuePerson]


class SoonOut(InputSchema):
    user_id: int
    name: str
    due_on: date


class DryRunOut(InputSchema):
    categories: list[DueOut]
    soon: list[SoonOut]


def _rule(r: selectors.SchoolRule) -> dict:
    return {
        "key": r.key,
        "applies_to": r.rule.applies_to,
        "default": r.rule.period_text(),
        "default_days": r.default_days,
        "school_days": r.days,
        "in_force": r.in_force,
        "held": r.rule.held,
        "shortenable": r.shortenable,
        "text": r.rule.text(),
    }


def _person(subject: object) -> dict:
    return {
        "kind": "pupil" if isinstance(subject, Pupil) else "account",
        "id": subject.pk,  # type: ignore[attr-defined]
        "name": subject.display_name,  # type: ignore[attr-defined]
    }


@router.get(S, response=responses(RetentionOut), summary="Retention periods and runs")
def retention(request: AccessRequest, school_id: int) -> dict:
    """The retention rules with the school's shorter periods, and its last runs."""
    access.require_manager(request)
    return {
        "rules": [_rule(r) for r in selectors.school_rules()],
        "runs": list(selectors.retention_runs()),
    }


@router.get(f"{S}/due", response=responses(DryRunOut), summary="What the next run would delete")
def retention_due(request: AccessRequest, school_id: int) -> dict:
    """The dry run: per rule, how many and who would be deleted, and what legal holds
    keep; accounts to be deleted soon for not being used. Nothing is changed."""
    access.require_manager(request)
    plan = retention_plan(school=school_of(request))
    return {
        "categories": [
            {
                "key": c.key,
                "applies_to": c.rule.applies_to,
                "period": c.period_text,
                "count": c.count,
                "held": c.held_count,
                "note": c.note,
                "people": [_person(s) for s in c.people],
            }
            for c in plan.categories.values()
        ],
        "soon": [
            {"user_id": u.pk, "name": u.display_name, "due_on": on} for u, on in plan.warnings
        ],
    }


def _one(key: str) -> dict:
    return _rule(next(r for r in selectors.school_rules() if r.key == key))


@router.put(f"{S}/{{key}}", response=responses(RuleOut), summary="Shorten a retention period")
def retention_shorten(request: AccessRequest, school_id: int, key: str, payload: PeriodIn) -> dict:
    """Keep this kind of the school's data for `days` days: 422 when that is longer
    than the default (a school may shorten a period, never lengthen it)."""
    access.require_manager(request)
    services.retention_override_set(
        actor=request.user, school=school_of(request), key=key, days=payload.days
    )
    return _one(key)


@router.delete(f"{S}/{{key}}", response=responses(RuleOut), summary="Use the default period")
def retention_default(request: AccessRequest, school_id: int, key: str) -> dict:
    access.require_manager(request)
    services.retention_override_clear(actor=request.user, school=school_of(request), key=key)
    return _one(key)
