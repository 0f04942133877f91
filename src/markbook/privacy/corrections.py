"""Recording corrections of personal data (DSR-3), for the services that change it.

`corrections_record` is called by the edit services that already log a change of a
personal field (rosters' pupil_update and staff_update), inside their transaction, so
every correction made through a normal edit is recorded as well as one made to answer
a request (privacy.services.rectify). The old and new values go into the record
encrypted with the school's key; a field is sensitive when the data inventory
declares it encrypted, special category or a pupil characteristic (SEN, FSM,
ethnicity, EAL and the like).

This module imports no other app's services, so they can import it.
"""

import json
from datetime import date
from typing import Any

from django.utils import timezone

from markbook.privacy.inventory import REGISTRY, Category
from markbook.privacy.models import Correction

SENSITIVE_CATEGORIES = (Category.SPECIAL, Category.CHARACTERISTICS)


def field_sensitive(label: str, field: str) -> bool:
    """Whether the inventory declares `label`.`field` sensitive (see the module's doc)."""
    declaration = REGISTRY.get(label)
    personal = declaration.personal.get(field) if declaration else None
    if personal is None:
        return False
    return personal.encrypted or personal.category in SENSITIVE_CATEGORIES


def value_encode(value: Any) -> str:
    """A field's value as the record keeps it: JSON (dates as ISO text)."""
    if isinstance(value, date):
        value = value.isoformat()
    return json.dumps(value)


def value_decode(stored: str | None) -> Any:
    return None if stored is None else json.loads(stored)


def corrections_record(
    *,
    school_id: int,
    label: str,
    changes: dict[str, tuple[Any, Any]],
    by: Any,
    pupil: Any = None,
    user: Any = None,
    request_id: int | None = None,
) -> list[Correction]:
    """One Correction per changed field (`changes`: field -> (old, new)) of a pupil or
    a user (`label`, e.g. "rosters.Pupil", decides which fields are sensitive). Runs
    inside the caller's transaction; the caller writes the audit event."""
    now = timezone.now()
    source = Correction.Source.REQUEST if request_id is not None else Correction.Source.EDIT
    made = []
    for field, (old, new) in changes.items():
        correction = Correction(
            school_id=school_id,
            pupil=pupil,
            user=user,
            field=field,
            sensitive=field_sensitive(label, field),
            old_value=value_encode(old),
            new_value=value_encode(new),
            source=source,
            corrected_by=by,
            corrected_at=now,
            request_id=request_id,
        )
        correction.save()
        made.append(correction)
    return made
