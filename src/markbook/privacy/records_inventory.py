"""Personal data held by the privacy app's own records (DSR-1): restrictions and
objections (DSR-5), corrections (DSR-3) and the schools' notices of a changed privacy
notice (DSR-10). Imported by privacy.apps with the other inventories.
"""

from markbook.privacy.inventory import (
    Basis,
    Category,
    Erasure,
    Personal,
    Visible,
    declare,
)
from markbook.privacy.retention.rules import SUBSCRIPTION_ENDED, kept_while

DPO = "the school's data protection lead and school administrators"
WITH_PERSON = kept_while("with_person", "as long as the person's record is kept; removed with it")
WHO_DECIDED = (
    "accountability (UK GDPR 5(2)): who made a decision about someone else's data; "
    "the decision-maker's own identity, not the erased person's"
)


def _rights(category: Category, purpose: str, erasure: Erasure = Erasure.DELETE_ROW) -> Personal:
    return Personal(
        category=category,
        purpose=purpose,
        basis=Basis.LEGAL_OBLIGATION,
        visible_to=DPO,
        retention=WITH_PERSON,
        erasure=erasure,
        keep_reason=WHO_DECIDED if erasure == Erasure.KEEP else "",
    )


RESTRICT = "to honour a restriction of, or objection to, processing (UK GDPR 18, 21; DSR-5): "
CORRECT = "to show what was corrected, when and by whom (UK GDPR 16, 5(2); DSR-3): "

declare(
    "privacy.Restriction",
    subject="pupil",
    description=(
        "A restriction or objection in force on a pupil or a user (the `user` field for "
        "staff and parents), and its lifting."
    ),
    personal={
        "pupil": _rights(Category.RELATIONSHIP, RESTRICT + "whose data is restricted"),
        "user": _rights(Category.RELATIONSHIP, RESTRICT + "whose data is restricted"),
        "kind": _rights(Category.ACCOUNTABILITY, RESTRICT + "a restriction or an objection"),
        "reason": _rights(Category.ACCOUNTABILITY, RESTRICT + "why it was placed"),
        "placed_by": _rights(Category.ACCOUNTABILITY, RESTRICT + "who placed it", Erasure.KEEP),
        "placed_at": _rights(Category.ACCOUNTABILITY, RESTRICT + "when"),
        "lifted_by": _rights(Category.ACCOUNTABILITY, RESTRICT + "who lifted it", Erasure.KEEP),
        "lifted_at": _rights(Category.ACCOUNTABILITY, RESTRICT + "when it was lifted"),
        "lift_reason": _rights(Category.ACCOUNTABILITY, RESTRICT + "why it was lifted"),
        "request_id": _rights(Category.ACCOUNTABILITY, RESTRICT + "the request it answers"),
    },
    not_personal=("id", "school"),
)

declare(
    "privacy.Correction",
    subject="pupil",
    description=(
        "One field of a pupil's or user's record corrected; old and new values encrypted "
        "with the school's key."
    ),
    personal={
        "pupil": _rights(Category.RELATIONSHIP, CORRECT + "whose record was corrected"),
        "user": _rights(Category.RELATIONSHIP, CORRECT + "whose record was corrected"),
        "field": _rights(Category.ACCOUNTABILITY, CORRECT + "which field"),
        "sensitive": _rights(Category.ACCOUNTABILITY, CORRECT + "whether the field is sensitive"),
        "old_value": Personal(
            category=Category.SPECIAL,
            purpose=CORRECT + "the value before (may be special category data)",
            basis=Basis.LEGAL_OBLIGATION,
            visible_to=DPO,
            retention=WITH_PERSON,
            erasure=Erasure.DELETE_ROW,
            encrypted=True,
        ),
        "new_value": Personal(
            category=Category.SPECIAL,
            purpose=CORRECT + "the value after (may be special category data)",
            basis=Basis.LEGAL_OBLIGATION,
            visible_to=DPO,
            retention=WITH_PERSON,
            erasure=Erasure.DELETE_ROW,
            encrypted=True,
        ),
        "source": _rights(Category.ACCOUNTABILITY, CORRECT + "an edit or a request"),
        "corrected_by": _rights(Category.ACCOUNTABILITY, CORRECT + "who", Erasure.KEEP),
        "corrected_at": _rights(Category.ACCOUNTABILITY, CORRECT + "when"),
        "request_id": _rights(Category.ACCOUNTABILITY, CORRECT + "the request it answers"),
    },
    not_personal=("id", "school"),
)

declare(
    "privacy.NoticeAlert",
    subject="dismissed_by",
    description="A school told that the privacy notice changed, until an administrator dismisses it.",
    personal={
        "dismissed_by": Personal(
            category=Category.ACCOUNTABILITY,
            purpose="to show which administrator read the change to the privacy notice (DSR-10)",
            basis=Basis.LEGITIMATE_INTERESTS,
            visible_to=Visible.ADMINS,
            retention=kept_while(
                "notice_alert",
                "as long as the school's account; the person's id blanked on erasure",
                SUBSCRIPTION_ENDED,
            ),
            erasure=Erasure.BLANK,
        ),
    },
    not_personal=(
        "id",
        "school",
        "version",
        "previous",
        "summary",
        "created_at",
        "told_admins",
        "dismissed_at",
    ),
)
