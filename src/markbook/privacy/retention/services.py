"""A school's shorter retention periods (RET-2): set and cleared by its administrators
or its data protection lead. Keyword-only, atomic, audited; in the school's scope."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.privacy.models import RetentionOverride
from markbook.privacy.retention.rules import RULES, override_problem
from markbook.schools.models import School


@transaction.atomic
def retention_override_set(
    *, actor: User | None, school: School, key: str, days: int
) -> RetentionOverride:
    """Keep `key`'s data at the school for `days` days instead of the default: refused
    (ValidationError naming why) when that is longer than the default (RET-2)."""
    problem = override_problem(key, days)
    if problem:
        raise ValidationError({"days" if key in RULES else "key": [problem]})
    existing = RetentionOverride.objects.filter(key=key).first()
    if existing is not None and existing.days == days:
        return existing  # saved unchanged: nothing changes, nothing is logged
    override, _ = RetentionOverride.objects.update_or_create(
        school=school, key=key, defaults={"days": days, "set_at": timezone.now()}
    )
    audit.record(
        actor=actor,
        school=school,
        action="privacy.retention.shortened",
        data={"rule": key, "days": days},
    )
    return override


@transaction.atomic
def retention_override_clear(*, actor: User | None, school: School, key: str) -> bool:
    """Go back to the default period for `key` (RET-2); whether there was one to clear."""
    if key not in RULES:
        raise ValidationError({"key": ["There is no such retention rule."]})
    deleted, _ = RetentionOverride.objects.filter(key=key).delete()
    if deleted:
        audit.record(
            actor=actor,
            school=school,
            action="privacy.retention.default",
            data={"rule": key},
        )
    return bool(deleted)
