"""Personal data held by the access log (DSR-1). See markbook.privacy.inventory.

Audit rows are redacted, never deleted (DSR-4): when a person is erased, `data`
naming them is replaced and who did it and to whom are blanked; the hash chain
covers their salted digests, not the values, so it can still prove nothing was
altered (SEC-1). IP addresses and user ids go the same way after 365 days (RET-1).
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

CHAINED = (
    "covered by the tamper-evident hash chain (SEC-1): changing it would break the proof "
    f"that the log is complete; kept until the log's retention period ({Retention.LOG.period}) "
    "ends"
)


def _logged(category: Category, purpose: str, erasure: Erasure = Erasure.KEEP) -> Personal:
    return Personal(
        category=category,
        purpose=purpose,
        basis=Basis.LEGAL_OBLIGATION,
        visible_to=Visible.LOG,
        retention=Retention.LOG,
        erasure=erasure,
        keep_reason=CHAINED if erasure == Erasure.KEEP else "",
    )


ACCOUNTABILITY = "accountability and security of processing (UK GDPR 5(2), 32): "

declare(
    "audit.AuditEvent",
    subject="actor_id",
    description="One entry of the append-only, hash-chained access log (SEC-1).",
    personal={
        # Blanked on erasure (DSR-4), and who did it and from where after 365 days
        # (RET-1): the chain covers their salted digests (digests), so the event stays
        # and the chain still verifies.
        "actor_id": _logged(Category.ACCOUNTABILITY, ACCOUNTABILITY + "who did it", Erasure.BLANK),
        "actor_label": _logged(
            Category.ACCOUNTABILITY, ACCOUNTABILITY + "who did it, as named then", Erasure.BLANK
        ),
        "ip": _logged(Category.TECHNICAL, ACCOUNTABILITY + "from which address", Erasure.BLANK),
        "target_id": _logged(
            Category.ACCOUNTABILITY,
            ACCOUNTABILITY + "whose record was read or changed",
            Erasure.BLANK,
        ),
        # Indexes of the pupil and the account an event is about, blanked on erasure.
        "pupil_ref": _logged(
            Category.ACCOUNTABILITY, ACCOUNTABILITY + "which pupil it was about", Erasure.BLANK
        ),
        "user_ref": _logged(
            Category.ACCOUNTABILITY, ACCOUNTABILITY + "whose account it was about", Erasure.BLANK
        ),
        # The chain's proof of each field: salted digests, kept with the chain; once a
        # value and its salt are removed, its digest no longer reveals it.
        "digests": _logged(Category.ACCOUNTABILITY, ACCOUNTABILITY + "prove who did it"),
        "data": _logged(
            Category.ACCOUNTABILITY,
            ACCOUNTABILITY + "what changed, old and new values (DSR-3)",
            Erasure.BLANK,  # redacted: replaced, with redacted_at set; the chain covers its digest
        ),
    },
    not_personal=(
        "id",
        "school",
        "seq",
        "at",
        "action",
        "target_type",
        "data_digest",
        "salts",
        "prev_hash",
        "hash",
        "redacted_at",
    ),
)
