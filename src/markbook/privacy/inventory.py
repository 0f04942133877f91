"""The data inventory (DSR-1): every personal-data field of every model, declared once.

Each app declares its models in its own `inventory.py` next to its models; they
are collected when the privacy app is ready. For each personal field: category,
purpose, lawful basis, who can see it, retention rule and what erasure does.
Exports (DSR-2) and erasure (DSR-4) are driven by these declarations, and
tests/privacy/test_inventory.py fails for any model linked to a person, or any
field, that is not covered.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from markbook.privacy.retention.rules import (
    CONTRACTS,
    INACTIVE_ACCOUNTS,
    LOGS,
    PUPILS_LEFT,
    RULES,
    SUBSCRIPTION_ENDED,
    RetentionRule,
    described,
    kept_while,
)


class Basis(StrEnum):
    PUBLIC_TASK = "public task (UK GDPR 6(1)(e))"
    LEGITIMATE_INTERESTS = "legitimate interests (UK GDPR 6(1)(f))"
    CONTRACT = "contract (UK GDPR 6(1)(b))"
    LEGAL_OBLIGATION = "legal obligation (UK GDPR 6(1)(c))"
    CONSENT = "consent (UK GDPR 6(1)(a))"
    SUBSTANTIAL_PUBLIC_INTEREST = "public task with substantial public interest (UK GDPR 9(2)(g))"


class Erasure(StrEnum):
    DELETE_ROW = "delete the row"
    BLANK = "blank the value"
    PSEUDONYMISE = "replace with a pseudonym"
    KEEP = "keep, for the stated reason"


class Category(StrEnum):
    IDENTITY = "identity"
    CONTACT = "contact details"
    CREDENTIALS = "credentials"
    EDUCATION = "education record"
    CHARACTERISTICS = "pupil characteristics"
    SPECIAL = "special category"
    TECHNICAL = "technical and usage"
    RELATIONSHIP = "relationship"
    ACCOUNTABILITY = "accountability record"


@dataclass(frozen=True)
class Personal:
    """How one field holding personal data is handled."""

    category: Category
    purpose: str
    basis: Basis
    visible_to: str
    # A structured rule (RET-1); plain words are taken as a rule without a key, which
    # the inventory's consistency test refuses for real declarations.
    retention: RetentionRule | str
    erasure: Erasure
    keep_reason: str = ""
    encrypted: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.retention, str):
            object.__setattr__(self, "retention", described(self.retention))

    @property
    def rule(self) -> RetentionRule:
        assert isinstance(self.retention, RetentionRule)
        return self.retention


@dataclass(frozen=True)
class Declaration:
    """A model's entry: whose data it holds, its personal fields, and the rest."""

    label: str
    subject: str  # the field (or "self") leading to the person the row is about
    personal: dict[str, Personal]
    not_personal: frozenset[str] = field(default_factory=frozenset)
    description: str = ""


REGISTRY: dict[str, Declaration] = {}


def declare(
    label: str,
    *,
    subject: str,
    personal: dict[str, Personal],
    not_personal: tuple[str, ...] = (),
    description: str = "",
) -> None:
    """Declare a model (by app label and model name, e.g. 'rosters.Pupil')."""
    if label in REGISTRY:
        raise ValueError(f"{label} is declared twice in the data inventory")
    overlap = set(personal) & set(not_personal)
    if overlap:
        raise ValueError(f"{label}: {sorted(overlap)} declared both personal and not personal")
    REGISTRY[label] = Declaration(label, subject, personal, frozenset(not_personal), description)


class Retention:
    """The retention rules of the inventory (RET-1): the defaults the retention engine
    applies (a school may shorten them, RET-2), and what other data's life is bound to.
    The notice and the record of processing print each rule's text."""

    PUPIL = kept_while("pupil", "while the pupil is on roll", PUPILS_LEFT, SUBSCRIPTION_ENDED)
    ACCOUNT = kept_while(
        "account", "while the account is in use", INACTIVE_ACCOUNTS, SUBSCRIPTION_ENDED
    )
    LINK = kept_while("link", "as long as both the person and what they are linked to exist")
    LOG = RULES[LOGS]
    CONTRACT = RULES[CONTRACTS]
    SESSION = kept_while("session", "until the session expires (8 hours) or the user signs out")
    SHORT = kept_while("short", "until used or expired (days), then removed with the account")
    TASK = kept_while("task", "until the background task has finished and its result is cleared")


class Visible:
    """Who can see a field, in TEN-3's terms."""

    PUPIL = (
        "the pupil, their linked parents, teachers of their classes, school administrators "
        "and trust administrators"
    )
    PUPIL_EMAIL = (
        "the pupil and their linked parents; staff only when the address is in one of the "
        "school's domains (TEN-5)"
    )
    PUPIL_ADMIN = "school administrators and trust administrators (not teachers)"
    PUPIL_SENSITIVE = "school administrators only"
    ACCOUNT = (
        "the person; school administrators and trust administrators of their school; "
        "staff names also to the pupils, parents and colleagues who see their classes"
    )
    ADMINS = "school administrators and trust administrators of the school"
    LOG = "school administrators of the school (the access log)"
    PERSON = "the person only"
    NOBODY = "nobody: held for the software itself, never displayed"


def education_record(purpose: str) -> Personal:
    """A field of the pupil's education record (a mark, a drop grade, a target and their
    versions and times): held for the school's public task, seen as the pupil's results
    are, kept while the pupil's record is and erased with its row (DSR-1)."""
    return Personal(
        category=Category.EDUCATION,
        purpose=purpose,
        basis=Basis.PUBLIC_TASK,
        visible_to=Visible.PUPIL,
        retention=Retention.PUPIL,
        erasure=Erasure.DELETE_ROW,
    )


def changed_by(purpose: str, *, teachers: str = "the pupil's teachers") -> Personal:
    """The member of staff who last changed a row (DSR-3): seen by administrators and
    the teachers named, kept as long as the link, blanked on erasure (DSR-1)."""
    return Personal(
        category=Category.ACCOUNTABILITY,
        purpose=purpose,
        basis=Basis.PUBLIC_TASK,
        visible_to=Visible.ADMINS + f" and {teachers}",
        retention=Retention.LINK,
        erasure=Erasure.BLANK,
    )


# --- the privacy app's own models: subject access exports (DSR-2, DSR-9) ---------

_EXPORT_RETENTION = kept_while(
    "export",
    "the archive for its download window (7 days), then deleted; the record of the "
    "export as long as the request it answers",
)


def _export(category: Category, purpose: str, *, encrypted: bool = False) -> Personal:
    return Personal(
        category=category,
        purpose=purpose,
        basis=Basis.LEGAL_OBLIGATION,
        visible_to="the person who asked for it and the school's data protection lead",
        retention=_EXPORT_RETENTION,
        erasure=Erasure.DELETE_ROW,
        encrypted=encrypted,
    )


declare(
    "privacy.ExportArchive",
    subject="pupil",
    description=(
        "A copy of everything held about a person, made when they or someone for them "
        "asked for it (DSR-2), and kept for a download window (DSR-9)."
    ),
    personal={
        "pupil": _export(Category.RELATIONSHIP, "the pupil the copy is about"),
        "user": _export(Category.RELATIONSHIP, "the parent or member of staff the copy is about"),
        "requested_by": _export(Category.ACCOUNTABILITY, "who asked for the copy"),
        "archive": _export(
            Category.SPECIAL,
            "the copy itself, everything held about the person, until it is downloaded "
            "or its window ends",
            encrypted=True,
        ),
        "downloads": _export(Category.ACCOUNTABILITY, "how many times the copy was downloaded"),
    },
    not_personal=(
        "id",
        "school",
        "request_id",
        "state",
        "progress_done",
        "progress_total",
        "log_until",
        "size",
        "digest",
        "error",
        "task_id",
        "attempts",
        "created_at",
        "ready_at",
        "expires_at",
        "heartbeat_at",
    ),
)
