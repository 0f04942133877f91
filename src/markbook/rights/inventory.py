"""Personal data held by the rights app (DSR-1). See markbook.privacy.inventory.

A data-subject request is the school's record of how it answered someone's rights
(UK GDPR 12, 15-21; the pupil information regulations): it is kept after the person's
other records are erased, unlinked from them, as the evidence of its compliance.
"""

from markbook.privacy.inventory import (
    Basis,
    Category,
    Erasure,
    Personal,
    declare,
)
from markbook.privacy.retention.rules import Period, Trigger, kept_for

KEPT = kept_for(
    "rights_request",
    "data-subject requests",
    Period(years=6),
    Trigger.CLOSED,
    note=(
        "the school's evidence that it answered, UK GDPR 5(2); links to the person are "
        "cleared when their records are erased"
    ),
)
WHO = (
    "the school's data protection lead; the requester and the person it is about; the "
    "member of staff who recorded it"
)
EVIDENCE = (
    "the school must be able to show how and when it answered the request (UK GDPR 5(2), "
    "12); the link to the person is cleared when they are erased"
)


def _request(category: Category, purpose: str, erasure: Erasure = Erasure.BLANK) -> Personal:
    return Personal(
        category=category,
        purpose=purpose,
        basis=Basis.LEGAL_OBLIGATION,
        visible_to=WHO,
        retention=KEPT,
        erasure=erasure,
        keep_reason=EVIDENCE if erasure == Erasure.KEEP else "",
    )


declare(
    "rights.DataRequest",
    subject="subject_pupil",
    description=(
        "A data-subject request: what was asked, about whom, by whom, how identity was "
        "checked, and its stages and deadline (DSR-6, DSR-8, DSR-9)."
    ),
    personal={
        "subject_pupil": _request(Category.RELATIONSHIP, "whose data the request is about"),
        "subject_user": _request(Category.RELATIONSHIP, "whose data the request is about"),
        "requester_user": _request(Category.RELATIONSHIP, "who made the request"),
        "requester_name": _request(
            Category.IDENTITY, "who made the request, as their letter or email gives it"
        ),
        "recorded_by": _request(
            Category.ACCOUNTABILITY, "the member of staff who recorded the request"
        ),
        "details": Personal(
            category=Category.IDENTITY,
            purpose="what the request asks for: what to correct, erase or restrict",
            basis=Basis.LEGAL_OBLIGATION,
            visible_to=WHO,
            retention=KEPT,
            erasure=Erasure.BLANK,
            encrypted=True,
        ),
        "extended_by": _request(Category.ACCOUNTABILITY, "who extended the deadline", Erasure.KEEP),
        "identity_checked_by": _request(
            Category.ACCOUNTABILITY, "who checked the requester's identity", Erasure.KEEP
        ),
        "identity_note": _request(
            Category.ACCOUNTABILITY, "how the requester's identity was checked"
        ),
        "decided_by": _request(
            Category.ACCOUNTABILITY, "who approved or refused the request", Erasure.KEEP
        ),
        "refusal_reason": _request(Category.ACCOUNTABILITY, "why the request was refused"),
        "extension_reason": _request(Category.ACCOUNTABILITY, "why the deadline was extended"),
        "outcome_note": _request(Category.ACCOUNTABILITY, "what was done, by hand"),
        "error": _request(Category.TECHNICAL, "why carrying out the request failed"),
    },
    not_personal=(
        "id",
        "school",
        "kind",
        "subject_kind",
        "requester_kind",
        "channel",
        "stage",
        "received_on",
        "due_on",
        "extended_at",
        "identity_method",
        "identity_checked_at",
        "by_hand",
        "failed_stage",
        "progress_done",
        "progress_total",
        "progress_stage",
        "checkpoint",
        "result",
        "attempt",
        "task_id",
        "created_at",
        "updated_at",
        "closed_at",
        "requester_seen_at",
    ),
)

declare(
    "rights.DataRequestEvent",
    subject="actor",
    description="One change of a data-subject request's stage: who, when, from, to (DSR-9).",
    personal={
        "request": _request(Category.RELATIONSHIP, "the request the change belongs to"),
        "actor": _request(Category.ACCOUNTABILITY, "who changed the stage", Erasure.KEEP),
        "note": _request(Category.ACCOUNTABILITY, "the note given with the change"),
    },
    not_personal=("id", "school", "at", "from_stage", "to_stage"),
)

declare(
    "rights.ServiceTold",
    subject="told_by",
    description=(
        "That the school told a service on its register of a change to a person's data "
        "(a request's outcome, a restriction, a correction): which service, who, when "
        "(DSR-10)."
    ),
    personal={
        # The change told of: the record names exactly one. Erasing the person the
        # change was about deletes a restriction or correction with its record; a
        # request is kept, unlinked, with the evidence of how it was passed on.
        "request": _request(
            Category.RELATIONSHIP, "the request whose outcome was passed on", Erasure.KEEP
        ),
        "restriction": _request(
            Category.RELATIONSHIP, "the restriction that was passed on", Erasure.KEEP
        ),
        "correction": _request(
            Category.RELATIONSHIP, "the correction that was passed on", Erasure.KEEP
        ),
        "told_by": _request(
            Category.ACCOUNTABILITY, "who told the service of the change", Erasure.KEEP
        ),
        "note": _request(Category.ACCOUNTABILITY, "the note given when the service was told"),
    },
    not_personal=("id", "school", "service", "service_called", "told_at"),
)
