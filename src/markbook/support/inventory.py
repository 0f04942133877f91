"""Personal data held by support access (DSR-1). See markbook.privacy.inventory.

A grant names the member of platform staff given access and the administrators who
granted and ended it; it is the school's record of who could see its data, kept with
the access log's retention and blanked (the people) when an account goes.
"""

from markbook.privacy.inventory import Basis, Category, Erasure, Personal, Retention, declare


def _who(purpose: str) -> Personal:
    return Personal(
        category=Category.ACCOUNTABILITY,
        purpose=purpose,
        basis=Basis.LEGITIMATE_INTERESTS,
        visible_to="the school's administrators and the member of staff granted access",
        retention=Retention.LOG,
        erasure=Erasure.BLANK,
    )


declare(
    "support.SupportGrant",
    subject="staff",
    description="Time-limited access a school granted to Markbook's support staff (TEN-6).",
    personal={
        "staff": Personal(
            category=Category.ACCOUNTABILITY,
            purpose="who was given access to the school",
            basis=Basis.LEGITIMATE_INTERESTS,
            visible_to="the school's administrators and the member of staff granted access",
            retention=Retention.LOG,
            erasure=Erasure.DELETE_ROW,
        ),
        "granted_by": _who("which administrator granted the access"),
        "revoked_by": _who("which administrator ended the access"),
        "reason": _who("why access was granted (it may name a person)"),
    },
    not_personal=("id", "school", "scope", "areas", "granted_at", "expires_at", "revoked_at"),
)
