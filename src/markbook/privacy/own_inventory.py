"""Personal data held by the privacy app itself (DSR-1). See markbook.privacy.inventory."""

from markbook.privacy.inventory import (
    Basis,
    Category,
    Erasure,
    Personal,
    Retention,
    Visible,
    declare,
)
from markbook.privacy.retention.rules import kept_while

DPO = "the school's data protection lead"
HOLD_RETENTION = kept_while(
    "legal_hold",
    "while the hold is in place; a lifted hold stays as the record of the decision, "
    "as long as the person's other data (RET-3)",
)


def _hold(category: Category, purpose: str, erasure: Erasure = Erasure.DELETE_ROW) -> Personal:
    return Personal(
        category=category,
        purpose=purpose,
        basis=Basis.LEGAL_OBLIGATION,
        visible_to=DPO,
        retention=HOLD_RETENTION,
        erasure=erasure,
    )


declare(
    "privacy.LegalHold",
    subject="pupil",
    description=(
        "A legal hold on a person's data (RET-3): nothing of theirs is erased while it is "
        "in place. The person is a pupil, or a member of staff or parent by their account."
    ),
    personal={
        "pupil": _hold(Category.RELATIONSHIP, "whose data is held"),
        "user": _hold(Category.RELATIONSHIP, "whose data is held (staff or parent)"),
        "reason": _hold(Category.ACCOUNTABILITY, "why the data is held (a claim, an inquiry)"),
        "lift_reason": _hold(Category.ACCOUNTABILITY, "why the hold was lifted"),
        "placed_by": _hold(Category.ACCOUNTABILITY, "who placed the hold", Erasure.BLANK),
        "lifted_by": _hold(Category.ACCOUNTABILITY, "who lifted the hold", Erasure.BLANK),
    },
    not_personal=("id", "school", "placed_at", "lifted_at", "teaching_class", "whole_school"),
)

declare(
    "privacy.RetentionWarning",
    subject="user",
    description=(
        "An account not signed in to for almost the retention period (RET-1): listed for "
        "the school's administrators, who are emailed once, before the account is deleted."
    ),
    personal={
        name: Personal(
            category=category,
            purpose=purpose,
            basis=Basis.PUBLIC_TASK,
            visible_to=Visible.ADMINS,
            retention=kept_while(
                "retention_warning", "until the account is deleted or signed in to again"
            ),
            erasure=Erasure.DELETE_ROW,
        )
        for name, category, purpose in (
            ("user", Category.RELATIONSHIP, "the account due for deletion"),
            ("due_on", Category.TECHNICAL, "when the account will be deleted"),
            ("warned_at", Category.TECHNICAL, "when the administrators were told"),
        )
    },
    not_personal=("id", "school"),
)

declare(
    "privacy.Suppression",
    subject="digest",
    description=(
        "A keyed hash of an erased person's email address, UPN or MIS or OneRoster id, so "
        "that no import or registration makes them again unless the school says so (DSR-4)."
    ),
    personal={
        "digest": Personal(
            category=Category.IDENTITY,
            purpose=(
                "recognise an erased person in a later import or registration without "
                "keeping who they were (an HMAC that cannot be turned back)"
            ),
            basis=Basis.LEGAL_OBLIGATION,
            visible_to=Visible.NOBODY,
            retention=Retention.PUPIL,
            erasure=Erasure.KEEP,
            keep_reason=(
                "it is what keeps the erasure effective: without it, the next import would "
                "bring the person back"
            ),
        ),
    },
    not_personal=("id", "school", "kind", "created_at"),
)
