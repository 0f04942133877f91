"""Personal data held by the breach register (DSR-1). See markbook.privacy.inventory.

The register records incidents, not people: the counts of people affected are numbers.
It names the platform staff who recorded an incident or an update and the school
administrator who acknowledged it; those references are blanked when the account goes,
and the record is kept (the regulator may ask for it: UK GDPR article 33(5)).
"""

from markbook.privacy.inventory import Basis, Category, Erasure, Personal, declare
from markbook.privacy.retention.rules import Period, Trigger, kept_for

_KEPT = kept_for(
    "breach_register",
    "the breach register",
    Period(years=6),
    Trigger.EVENT,
    note="the regulator may ask for the record",
)
_REASON = "the breach register must show who did what (UK GDPR article 33(5))"


def _who(purpose: str, seen_by: str) -> Personal:
    return Personal(
        category=Category.ACCOUNTABILITY,
        purpose=purpose,
        basis=Basis.LEGAL_OBLIGATION,
        visible_to=seen_by,
        retention=_KEPT,
        erasure=Erasure.BLANK,
    )


_STAFF = "Markbook's platform staff"

declare(
    "breaches.Breach",
    subject="recorded_by",
    description="A personal data breach in the platform's register (SEC-3).",
    personal={"recorded_by": _who("who recorded the breach", _STAFF)},
    not_personal=(
        "id",
        "reference",
        "title",
        "detected_at",
        "occurred_at",
        "description",
        "data_categories",
        "people_affected",
        "risk",
        "risk_assessment",
        "consequences",
        "containment",
        "advice",
        "state",
        "regulator_reported_at",
        "regulator_reference",
        "not_reported_reason",
        "warned_at",
        "created_at",
        "updated_at",
    ),
)

declare(
    "breaches.BreachSchool",
    subject="acknowledged_by",
    description="A school affected by a breach, when it was told and acknowledged (SEC-3).",
    personal={
        "acknowledged_by": _who(
            "which administrator acknowledged the breach",
            _STAFF + " and the school's administrators",
        )
    },
    not_personal=(
        "id",
        "school",
        "breach",
        "people_affected",
        "notified_at",
        "told_admins",
        "acknowledged_at",
    ),
)

declare(
    "breaches.BreachUpdate",
    subject="by",
    description="A step taken about a breach: containment, investigation, notices (SEC-3).",
    personal={"by": _who("who took the step", _STAFF)},
    not_personal=("id", "breach", "at", "text"),
)
