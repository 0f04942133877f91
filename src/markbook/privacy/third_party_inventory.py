"""Declarations (DSR-1) for third-party models: django-allauth, sessions, background tasks.

Django's auth Group and Permission, contenttypes and allauth's SocialApp hold no
personal data and link to nobody (a user's groups are declared on accounts.User).
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
from markbook.privacy.retention.rules import RetentionRule


def _signin(
    category: Category,
    purpose: str,
    retention: RetentionRule = Retention.ACCOUNT,
    visible: str = Visible.PERSON,
) -> Personal:
    return Personal(
        category=category,
        purpose=purpose,
        basis=Basis.PUBLIC_TASK,
        visible_to=visible,
        retention=retention,
        erasure=Erasure.DELETE_ROW,
    )


declare(
    "account.EmailAddress",
    subject="user",
    description="django-allauth: a sign-in email address of a user.",
    personal={
        "user": _signin(Category.RELATIONSHIP, "whose address it is"),
        "email": _signin(Category.CONTACT, "sign-in and password reset"),
    },
    not_personal=("id", "verified", "primary"),
)

declare(
    "account.EmailConfirmation",
    subject="email_address",
    description="django-allauth: a pending confirmation of an email address.",
    personal={
        "email_address": _signin(
            Category.RELATIONSHIP, "the address being confirmed", Retention.SHORT
        ),
        "key": _signin(
            Category.CREDENTIALS, "the confirmation link's secret", Retention.SHORT, Visible.NOBODY
        ),
    },
    not_personal=("id", "created", "sent"),
)

declare(
    "socialaccount.SocialAccount",
    subject="user",
    description="django-allauth: a Google or Microsoft identity linked to a user (ACC-1).",
    personal={
        "user": _signin(Category.RELATIONSHIP, "whose identity it is"),
        "uid": _signin(
            Category.IDENTITY,
            "the identity provider's id for the person (ACC-1)",
            visible=Visible.NOBODY,
        ),
        "extra_data": _signin(
            Category.IDENTITY,
            "claims the provider returned at sign-in (name, email, tenant)",
            visible=Visible.NOBODY,
        ),
        "last_login": _signin(Category.TECHNICAL, "security", visible=Visible.NOBODY),
        "date_joined": _signin(
            Category.TECHNICAL, "when the identity was linked", visible=Visible.NOBODY
        ),
    },
    not_personal=("id", "provider"),
)

declare(
    "socialaccount.SocialToken",
    subject="account",
    description="django-allauth: an OAuth token of a linked identity.",
    personal={
        "account": _signin(Category.RELATIONSHIP, "whose token it is", visible=Visible.NOBODY),
        "token": _signin(
            Category.CREDENTIALS, "call the provider for the person", visible=Visible.NOBODY
        ),
        "token_secret": _signin(
            Category.CREDENTIALS, "call the provider for the person", visible=Visible.NOBODY
        ),
    },
    not_personal=("id", "app", "expires_at"),
)

declare(
    "mfa.Authenticator",
    subject="user",
    description="django-allauth: a TOTP authenticator or recovery codes (ACC-5).",
    personal={
        "user": _signin(Category.RELATIONSHIP, "whose second factor it is"),
        "data": _signin(
            Category.CREDENTIALS,
            "two-factor sign-in: the TOTP secret, recovery codes",
            visible=Visible.NOBODY,
        ),
        "last_used_at": _signin(Category.TECHNICAL, "security", visible=Visible.NOBODY),
    },
    not_personal=("id", "type", "created_at"),
)

declare(
    "sessions.Session",
    subject="session_data",
    description="A signed-in session; its data holds the user's id.",
    personal={
        "session_key": _signin(
            Category.CREDENTIALS, "keep the person signed in", Retention.SESSION, Visible.NOBODY
        ),
        "session_data": _signin(
            Category.TECHNICAL, "keep the person signed in", Retention.SESSION, Visible.NOBODY
        ),
    },
    not_personal=("expire_date",),
)

TASK = "run background work (exports, erasure, imports); arguments may carry people's ids"

declare(
    "django_tasks_database.DBTaskResult",
    subject="args_kwargs",
    description="A queued or finished background task (django-tasks-db).",
    personal={
        "args_kwargs": _signin(Category.TECHNICAL, TASK, Retention.TASK, Visible.NOBODY),
        "return_value": _signin(Category.TECHNICAL, TASK, Retention.TASK, Visible.NOBODY),
        "traceback": _signin(
            Category.TECHNICAL,
            "diagnose a failed task; may quote its arguments",
            Retention.TASK,
            Visible.NOBODY,
        ),
    },
    not_personal=(
        "id",
        "status",
        "enqueued_at",
        "started_at",
        "finished_at",
        "priority",
        "task_path",
        "worker_ids",
        "queue_name",
        "backend_name",
        "run_after",
        "exception_class_path",
    ),
)
