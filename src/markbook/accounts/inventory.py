"""Personal data held by the accounts app (DSR-1). See markbook.privacy.inventory.

Accounts of pupils, parents and school staff exist to provide the school's
education service (public task, the school's basis as controller). Platform
staff accounts are Markbook's own, under their employment contract.
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
from markbook.privacy.retention.rules import INACTIVE_ACCOUNTS, RetentionRule, kept_while

PUBLIC = Basis.PUBLIC_TASK


def _account(
    category: Category,
    purpose: str,
    visible_to: str = Visible.ACCOUNT,
    *,
    retention: RetentionRule = Retention.ACCOUNT,
) -> Personal:
    return Personal(
        category=category,
        purpose=purpose,
        basis=PUBLIC,
        visible_to=visible_to,
        retention=retention,
        erasure=Erasure.DELETE_ROW,
    )


declare(
    "accounts.User",
    subject="self",
    description=(
        "A person who signs in: pupil, parent, teacher, administrator or platform staff. "
        "Pupils' and parents' accounts are made from what the school provides: added in "
        "Markbook, or read from its imports (pupils from a class list, MIS export or "
        "OneRoster file, parents from a OneRoster file; ROS-2, ROS-4)."
    ),
    personal={
        "username": _account(Category.IDENTITY, "an internal, unique sign-in handle"),
        "first_name": _account(
            Category.IDENTITY, "show who the person is to the people they work with"
        ),
        "last_name": _account(
            Category.IDENTITY, "show who the person is to the people they work with"
        ),
        "email": _account(Category.CONTACT, "sign-in and messages about the account"),
        "password": _account(
            Category.CREDENTIALS,
            "sign-in; an Argon2id hash, never retrievable (ACC-2)",
            Visible.NOBODY,
        ),
        "last_login": _account(
            Category.TECHNICAL,
            "security; starts the inactive-account period (RET-1)",
            Visible.NOBODY,
        ),
        "date_joined": _account(Category.TECHNICAL, "when the account was created", Visible.NOBODY),
        "display_preferences": _account(
            Category.TECHNICAL,
            "show Markbook as the person chose: text size, font, contrast, motion, and the "
            "help they have read (ACC-7)",
            Visible.PERSON,
        ),
        # Django's permission groups: Markbook keeps roles in memberships, so these stay empty.
        "groups": _account(
            Category.RELATIONSHIP, "Django permission groups (unused)", Visible.NOBODY
        ),
        "user_permissions": _account(
            Category.RELATIONSHIP, "Django permissions (unused)", Visible.NOBODY
        ),
    },
    not_personal=(
        "id",
        "is_superuser",
        "is_staff",
        "is_active",
        "is_platform_staff",
        "must_change_password",
    ),
)

declare(
    "accounts.Membership",
    subject="user",
    description="A person's role in one school (TEN-2).",
    personal={
        "user": _account(Category.RELATIONSHIP, "who belongs to the school", Visible.ADMINS),
        "role": _account(
            Category.RELATIONSHIP, "what the person may see and do (TEN-3)", Visible.ADMINS
        ),
    },
    not_personal=("id", "school", "created_at"),
)

declare(
    "accounts.ApiToken",
    subject="user",
    description="A personal API token; only its digest is stored.",
    personal={
        "user": _account(Category.RELATIONSHIP, "whose token it is", Visible.PERSON),
        "digest": _account(
            Category.CREDENTIALS, "authenticate API calls (SHA-256 of the token)", Visible.NOBODY
        ),
        "prefix": _account(
            Category.CREDENTIALS, "let the owner recognise the token", Visible.PERSON
        ),
        "last_used_at": _account(
            Category.TECHNICAL, "show the owner when the token was last used", Visible.PERSON
        ),
    },
    not_personal=("id", "name", "created_at", "revoked_at"),
)

declare(
    "accounts.SignInCode",
    subject="user",
    description="A one-time code a teacher issues so a pupil can sign in (ACC-2); only its HMAC is stored.",
    personal={
        "user": _account(
            Category.RELATIONSHIP,
            "the pupil the code is for",
            Visible.NOBODY,
            retention=Retention.SHORT,
        ),
        "digest": _account(
            Category.CREDENTIALS,
            "check the code at sign-in",
            Visible.NOBODY,
            retention=Retention.SHORT,
        ),
        "issued_by": Personal(
            category=Category.ACCOUNTABILITY,
            purpose="which member of staff issued the code",
            basis=PUBLIC,
            visible_to=Visible.NOBODY,
            retention=Retention.SHORT,
            erasure=Erasure.BLANK,  # the code stays with the pupil; the issuer is forgotten
        ),
        "used_at": _account(
            Category.TECHNICAL, "a code works once", Visible.NOBODY, retention=Retention.SHORT
        ),
    },
    not_personal=("id", "school", "created_at", "expires_at"),
)

_REQUEST_RETENTION = kept_while(
    "registration_request",
    "while the request waits; an answered request is kept as the record of who approved "
    "the person, as long as their account",
    INACTIVE_ACCOUNTS,
)


def _request(category: Category, purpose: str, visible_to: str = Visible.ADMINS) -> Personal:
    return Personal(
        category=category,
        purpose=purpose,
        basis=PUBLIC,
        visible_to=visible_to,
        retention=_REQUEST_RETENTION,
        erasure=Erasure.DELETE_ROW,
    )


declare(
    "accounts.RegistrationRequest",
    subject="email",
    description="Someone asking to join a school on its registration page (ACC-4).",
    personal={
        "user": _request(Category.RELATIONSHIP, "the account made for the request"),
        "email": _request(Category.CONTACT, "who is asking to join; their sign-in address"),
        "first_name": _request(Category.IDENTITY, "who is asking to join"),
        "last_name": _request(Category.IDENTITY, "who is asking to join"),
        "role": _request(Category.RELATIONSHIP, "whether they join as staff or as a pupil"),
        "year_group": _request(Category.EDUCATION, "a pupil's year group, for their record"),
        "parental_consent_at": _request(
            Category.ACCOUNTABILITY,
            "when a pupil confirmed their parent or carer agrees (ACC-4)",
        ),
        "decided_by": Personal(
            category=Category.ACCOUNTABILITY,
            purpose="which administrator answered the request",
            basis=PUBLIC,
            visible_to=Visible.ADMINS,
            retention=_REQUEST_RETENTION,
            erasure=Erasure.BLANK,
        ),
    },
    not_personal=("id", "school", "method", "status", "created_at", "decided_at"),
)
