"""Personal data held by the schools app (DSR-1). See markbook.privacy.inventory.

Schools and trusts are organisations: their names, URNs and email domains are not
personal data. Trust administrators and the record of who accepted the
data-protection terms are.
"""

from markbook.privacy.inventory import (
    Basis,
    Category,
    Erasure,
    Personal,
    Retention,
    Visible,
    declare,
)

declare(
    "schools.TrustAdmin",
    subject="user",
    description="A trust administrator, who sees every school of the trust (TEN-2, TEN-3).",
    personal={
        "user": Personal(
            category=Category.RELATIONSHIP,
            purpose="who administers the trust's schools (TEN-3)",
            basis=Basis.PUBLIC_TASK,
            visible_to="the trust's administrators",
            retention=Retention.LINK,
            erasure=Erasure.DELETE_ROW,
        )
    },
    not_personal=("id", "trust", "created_at"),
)

TERMS_REASON = (
    "evidence of who accepted the data-protection terms for the school (TEN-7), "
    "a contract record kept 7 years (RET-1)"
)

declare(
    "schools.TermsAcceptance",
    subject="accepted_by",
    description="Who accepted which version of the data-protection terms, and when (TEN-7).",
    personal={
        "accepted_by": Personal(
            category=Category.ACCOUNTABILITY,
            purpose="link the acceptance to the administrator's account",
            basis=Basis.LEGITIMATE_INTERESTS,
            visible_to=Visible.ADMINS,
            retention=Retention.CONTRACT,
            erasure=Erasure.BLANK,  # on deleting the account; the name below is the record
        ),
        "accepted_by_name": Personal(
            category=Category.ACCOUNTABILITY,
            purpose="record who accepted the terms on the school's behalf",
            basis=Basis.LEGITIMATE_INTERESTS,
            visible_to=Visible.ADMINS,
            retention=Retention.CONTRACT,
            erasure=Erasure.KEEP,
            keep_reason=TERMS_REASON,
        ),
    },
    not_personal=("id", "school", "version", "accepted_at"),
)
