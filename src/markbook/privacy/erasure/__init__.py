"""Erasure (DSR-4, DSR-7, RET-3), driven by the data inventory.

`erasure_impact` plans what will go, what stays and why, with a fingerprint of the
data; `erasure_execute` checks again (legal holds, data changed since) and carries the
plan out in one transaction, redacting the access log and adding the person to the
suppression list. `database_scan` looks through every table for what is left.
"""

from markbook.accounts.models import User
from markbook.privacy.erasure.execute import ErasureOutcome, ErasureRefused, erasure_execute
from markbook.privacy.erasure.person import Person, in_school, person_of
from markbook.privacy.erasure.plan import ErasurePlan, Kept, Step, plan_of
from markbook.privacy.erasure.scan import Hit, database_scan
from markbook.rosters.models import Pupil
from markbook.schools.models import School

__all__ = [
    "ErasureOutcome",
    "ErasurePlan",
    "ErasureRefused",
    "Hit",
    "Kept",
    "Person",
    "Step",
    "database_scan",
    "erasure_execute",
    "erasure_impact",
    "in_school",
    "person_of",
]


def erasure_impact(*, school: School, subject: Pupil | User) -> ErasurePlan:
    """What erasing `subject` would delete, blank or keep (and why), and whether it may
    run now; nothing is changed (the school's scope is open)."""
    if not in_school(school=school, subject=subject):
        raise ErasureRefused("They are not one of the school's pupils, staff or parents.")
    return plan_of(person_of(school=school, subject=subject))
