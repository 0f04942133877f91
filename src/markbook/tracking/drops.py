"""Writes on data drops (ASM-4): what a drop collects, from which year groups, by
when, and its lock. Keyword-only, atomic and audited (locking and unlocking too)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from markbook.audit import services as audit
from markbook.rosters.models import YEAR_GROUPS
from markbook.schools.models import School
from markbook.tracking.models import HELD, DataDrop, DropField, GradeScale, TrackingEntry

YEARS = [code for code, _ in YEAR_GROUPS]


@dataclass(frozen=True)
class FieldSpec:
    """One thing a drop collects; `scale` None means each subject's own scale."""

    label: str
    key: str = ""
    scale: GradeScale | None = None


# What most drops collect.
DEFAULT_FIELDS = (
    FieldSpec("Working at", DropField.WORKING_AT),
    FieldSpec("Predicted", DropField.PREDICTED),
)


def _keyed(fields: Sequence[FieldSpec]) -> list[FieldSpec]:
    return [
        FieldSpec(f.label.strip(), (f.key or slugify(f.label).replace("-", "_"))[:30], f.scale)
        for f in fields
    ]


def _check(
    school: School,
    name: str,
    on: date | None,
    year_groups: Sequence[str],
    deadline: date | None,
    fields: Sequence[FieldSpec],
    exclude: int | None = None,
) -> None:
    errors: dict[str, list[str]] = {}
    same_name = DataDrop.objects.filter(school=school, name__iexact=name)  # lazy: no query yet
    if not name:
        errors["name"] = ["Give the drop a name."]
    elif len(name) > 100:
        errors["name"] = ["A drop's name can be at most 100 characters."]
    elif same_name.exclude(pk=exclude).exists() if exclude is not None else same_name.exists():
        errors["name"] = [f"The school already has a drop called {name}."]
    if on is None:
        errors["date"] = ["Give the drop's date."]
    unknown = [y for y in year_groups if y not in YEARS]
    if unknown:
        errors["year_groups"] = [f"Not year groups: {', '.join(unknown)}."]
    if deadline is not None and on is not None and deadline < on:
        errors["deadline"] = ["The entry deadline cannot be before the drop's date."]
    if not fields:
        errors["fields"] = ["A drop collects at least one thing (for example working at)."]
    keys = [f.key for f in fields]
    if any(not f.label or not f.key for f in fields):
        errors.setdefault("fields", []).append("Every field needs a label.")
    if any(len(f.label) > 50 for f in fields):
        errors.setdefault("fields", []).append("A field's label can be at most 50 characters.")
    if len(set(keys)) != len(keys):
        errors.setdefault("fields", []).append("Each field must be different.")
    if any(f.scale is not None and f.scale.school_id != school.pk for f in fields):
        errors.setdefault("fields", []).append("A field's scale must be one of the school's.")
    if errors:
        raise ValidationError(errors)


def _years(year_groups: Sequence[str]) -> list[str]:
    return sorted(set(year_groups), key=YEARS.index) if all(y in YEARS for y in year_groups) else []


@transaction.atomic
def drop_create(
    *,
    actor: Any,
    school: School,
    name: str,
    date: date,
    year_groups: Sequence[str] = (),
    deadline: date | None = None,
    fields: Sequence[FieldSpec] = DEFAULT_FIELDS,
) -> DataDrop:
    """A data drop and what it collects (ASM-4)."""
    name = name.strip()
    keyed = _keyed(fields)
    _check(school, name, date, year_groups, deadline, keyed)
    drop = DataDrop.objects.create(
        school=school, name=name, date=date, year_groups=_years(year_groups), deadline=deadline
    )
    DropField.objects.bulk_create(
        DropField(school=school, drop=drop, key=f.key, label=f.label, scale=f.scale, position=i)
        for i, f in enumerate(keyed)
    )
    audit.record(
        actor=actor,
        school=school,
        action="tracking.drop.created",
        target=drop,
        data={"name": name, "fields": [f.key for f in keyed], "year_groups": drop.year_groups},
    )
    return drop


def _describe(drop: DataDrop, fields: Sequence[DropField] | Sequence[FieldSpec]) -> dict[str, Any]:
    return {
        "name": drop.name,
        "date": drop.date.isoformat(),
        "year_groups": drop.year_groups,
        "deadline": drop.deadline.isoformat() if drop.deadline else None,
        "fields": [[f.key, f.label, f.scale.name if f.scale else None] for f in fields],
    }


@transaction.atomic
def drop_update(
    *,
    actor: Any,
    drop: DataDrop,
    name: str,
    date: date,
    year_groups: Sequence[str],
    deadline: date | None,
    fields: Sequence[FieldSpec],
) -> DataDrop:
    """Change a drop: its fields are matched by key, so their entries stay; a field
    that holds entries cannot be removed or moved to another scale."""
    name = name.strip()
    keyed = _keyed(fields)
    _check(drop.school, name, date, year_groups, deadline, keyed, exclude=drop.pk)
    existing = {f.key: f for f in DropField.objects.filter(drop=drop).select_related("scale")}
    before = _describe(drop, list(existing.values()))
    wanted = {f.key for f in keyed}
    used = set(
        TrackingEntry.objects.filter(HELD, field__drop=drop).values_list("field__key", flat=True)
    )
    removed = [key for key in existing if key not in wanted]
    rescaled = [
        f.key
        for f in keyed
        if f.key in existing and existing[f.key].scale_id != (f.scale.pk if f.scale else None)
    ]
    blocked = sorted(k for k in (*removed, *rescaled) if k in used)
    if blocked:
        labels = ", ".join(existing[k].label for k in blocked)
        raise ValidationError(
            {"fields": [f"These fields hold entries and must stay as they are: {labels}."]}
        )
    DropField.objects.filter(drop=drop, key__in=removed).delete()
    new: list[DropField] = []
    kept: list[DropField] = []
    for position, spec in enumerate(keyed):
        field = existing.get(spec.key)
        if field is None:
            new.append(
                DropField(
                    school=drop.school,
                    drop=drop,
                    key=spec.key,
                    label=spec.label,
                    scale=spec.scale,
                    position=position,
                )
            )
        else:
            field.label, field.scale, field.position = spec.label, spec.scale, position
            kept.append(field)
    DropField.objects.bulk_update(kept, ["label", "scale", "position"])
    DropField.objects.bulk_create(new)
    drop.name, drop.date, drop.deadline = name, date, deadline
    drop.year_groups = _years(year_groups)
    after = _describe(drop, keyed)
    if after != before:
        drop.save(update_fields=["name", "date", "year_groups", "deadline"])
        audit.record(
            actor=actor,
            school=drop.school,
            action="tracking.drop.changed",
            target=drop,
            data={"old": before, "new": after},
        )
    return drop


@transaction.atomic
def drop_lock(*, actor: Any, drop: DataDrop) -> DataDrop:
    """Lock a drop against further entry (audited)."""
    if drop.locked_at is not None:
        return drop
    drop.locked_at, drop.locked_by = timezone.now(), actor
    drop.save(update_fields=["locked_at", "locked_by"])
    audit.record(
        actor=actor,
        school=drop.school,
        action="tracking.drop.locked",
        target=drop,
        data={"name": drop.name},
    )
    return drop


@transaction.atomic
def drop_unlock(*, actor: Any, drop: DataDrop) -> DataDrop:
    """Open a locked drop to entry again (audited, with when it had been locked)."""
    if drop.locked_at is None:
        return drop
    was = drop.locked_at.isoformat()
    drop.locked_at, drop.locked_by = None, None
    drop.save(update_fields=["locked_at", "locked_by"])
    audit.record(
        actor=actor,
        school=drop.school,
        action="tracking.drop.unlocked",
        target=drop,
        data={"name": drop.name, "locked_at": was},
    )
    return drop


def drop_holdings(drop: DataDrop) -> dict[str, int]:
    """What deleting a drop would delete with it: the grades entered for it, and how
    many pupils and classes' subjects they belong to."""
    entries = TrackingEntry.objects.filter(HELD, drop=drop)  # cleared cells go with it
    return {
        "entries": entries.count(),
        "pupils": entries.values("pupil").distinct().count(),
        "subjects": entries.values("subject").distinct().count(),
    }


@transaction.atomic
def drop_delete(*, actor: Any, drop: DataDrop, confirm: bool = False) -> dict[str, int]:
    """Delete a drop and what it collects (ASM-4); one holding entries is deleted, with
    them, only when `confirm` is given. Returns what was deleted."""
    held = drop_holdings(drop)
    if held["entries"] and not confirm:
        count = held["entries"]
        raise ValidationError(
            f"{drop.name} holds {count} entr{'ies' if count != 1 else 'y'} for "
            f"{held['pupils']} pupil{'s' if held['pupils'] != 1 else ''}; confirm to delete "
            "them with it."
        )
    audit.record(
        actor=actor,
        school=drop.school,
        action="tracking.drop.deleted",
        target=drop,
        data={"name": drop.name, **held},
    )
    drop.delete()
    return held
