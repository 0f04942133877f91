"""Personal data held by the consent app (DSR-1). See markbook.privacy.inventory.

A parent's decision about their child is personal data of the child (and names the
parent who made it); its lawful basis is the parent's consent. Decisions are kept as
the record that consent was given or refused, and go with the child. The register and
the purposes describe services, not people.
"""

from markbook.privacy.inventory import (
    Basis,
    Category,
    Erasure,
    Personal,
    declare,
)
from markbook.privacy.retention.rules import PUPILS_LEFT, kept_while

SEEN_BY = (
    "the child's linked parents; the school's administrators and data protection lead; "
    "teachers of the child's classes (so a child without consent gets the offline alternative)"
)
KEPT = kept_while(
    "consent_decision",
    "while the child is on roll, as the record of what was consented to (CON-2); deleted "
    "with the child, or with the service or purpose it answers",
    PUPILS_LEFT,
)


def _decision(category: Category, purpose: str) -> Personal:
    return Personal(
        category=category,
        purpose=purpose,
        basis=Basis.CONSENT,
        visible_to=SEEN_BY,
        retention=KEPT,
        erasure=Erasure.DELETE_ROW,
    )


declare(
    "consent.ConsentDecision",
    subject="pupil",
    description=(
        "A parent's answer (consent given or refused) for their child, for one version of "
        "a service's or purpose's description (CON-2, CON-4)."
    ),
    personal={
        "pupil": _decision(Category.RELATIONSHIP, "whose consent it is"),
        "answer": _decision(
            Category.CHARACTERISTICS,
            "whether the child may use the service or be part of the purpose (CON-2)",
        ),
        "decided_by": _decision(
            Category.RELATIONSHIP,
            "which parent answered, or the member of staff who recorded a paper form (CON-2)",
        ),
        "paper_form_from": _decision(
            Category.IDENTITY, "the parent or carer named on a paper consent form (CON-2)"
        ),
        "decided_at": _decision(Category.ACCOUNTABILITY, "when consent was given or withdrawn"),
        "version": _decision(Category.ACCOUNTABILITY, "which description the parent answered"),
        "service": _decision(Category.RELATIONSHIP, "the service the answer is about"),
        "purpose": _decision(Category.RELATIONSHIP, "the purpose the answer is about"),
    },
    not_personal=("id", "school"),
)
