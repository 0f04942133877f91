"""The privacy notice's published versions (DSR-10).

The notice is generated from the data inventory (privacy.record), so it changes when
a deploy changes a declaration: a purpose, a category, who sees a field, how long it
is kept. `notice_publish` compares the inventory with the version in force (by the
digest of its rows) and, when they differ, records a new version (its HTML and text
as published, the rows it stated), marks the earlier one superseded, and tells each
school's administrators what changed: a notice on the school's page until one of them
dismisses it, and an email through Django's mail framework with the same summary.
Every version stays readable with its dates (privacy:versions).

When it runs: after every `migrate` (post_migrate, privacy's turn), since a deploy
that changes the inventory runs the migrations anyway; and on demand with
`markbook privacy_notice_publish`. Checking at the first request instead would put a
digest of the whole inventory and a write in the way of a user's page, and race when
several workers start; a migrate runs once, before the new code serves anyone.
"""

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core.tenancy import school_scope
from markbook.privacy.cookies import cookies
from markbook.privacy.inventory import Declaration
from markbook.privacy.models import NoticeAlert, NoticeVersion
from markbook.privacy.record import notice_sections, processing_rows
from markbook.schools.models import School

logger = logging.getLogger(__name__)

# What the notice says of each item, compared between versions.
STATED = ("category", "purpose", "basis", "visible_to", "retention", "erasure", "encrypted")
STATED_NAMES = {
    "category": "kind of data",
    "purpose": "why it is held",
    "basis": "lawful basis",
    "visible_to": "who can see it",
    "retention": "how long it is kept",
    "erasure": "what erasure does",
    "encrypted": "encryption",
}


def notice_rows(registry: dict[str, Declaration] | None = None) -> list[dict[str, Any]]:
    """The notice's items as plain data: one per personal field, then the cookies."""
    rows = [
        {
            "key": f"{r.model}.{r.field}",
            "what": f"{r.field_name} ({r.model_name})",
            "category": str(r.category),
            "purpose": r.purpose,
            "basis": r.basis,
            "visible_to": r.visible_to,
            "retention": r.retention,
            "erasure": r.erasure,
            "encrypted": r.encrypted,
        }
        for r in processing_rows(registry)
    ]
    rows += [
        {"key": f"cookie:{c.name}", "what": f"the {c.name} cookie", **asdict(c)} for c in cookies()
    ]
    return rows


def rows_digest(rows: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Change:
    kind: str  # "added", "removed" or "changed"
    what: str
    details: tuple[str, ...] = ()

    def line(self) -> str:
        if self.kind == "added":
            return f"Added: {self.what}."
        if self.kind == "removed":
            return f"No longer held: {self.what}."
        return f"Changed for {self.what}: {'; '.join(self.details)}."


def notice_diff(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    """What changed between two versions' rows, item by item, in the new order."""
    before = {r["key"]: r for r in old}
    after = {r["key"]: r for r in new}
    changes = []
    for key, row in after.items():
        if key not in before:
            changes.append(Change("added", row["what"]))
            continue
        was = before[key]
        details = tuple(
            f"{STATED_NAMES.get(name, name.replace('_', ' '))} was \u201c{was.get(name)}\u201d, "
            f"now \u201c{row.get(name)}\u201d"
            for name in sorted(set(was) | set(row))
            if name not in ("key", "what") and was.get(name) != row.get(name)
        )
        if details:
            changes.append(Change("changed", row["what"], details))
    changes += [Change("removed", r["what"]) for key, r in before.items() if key not in after]
    return changes


def _render(registry: dict[str, Declaration] | None) -> tuple[str, str]:
    sections = notice_sections(registry)
    html = render_to_string(
        "privacy/_notice_body.html", {"sections": sections, "cookies": cookies()}
    )
    lines = ["Privacy notice", ""]
    for section in sections:
        lines += [str(section.category).capitalize(), ""]
        for r in section.rows:
            lines.append(
                f"- {r.field_name} ({r.model_name}): {r.purpose}. Lawful basis: {r.basis}. "
                f"Who can see it: {r.visible_to}. How long: {r.retention}. "
                f"On erasure: {r.erasure}."
            )
        lines.append("")
    return html, "\n".join(lines)


def notice_current() -> NoticeVersion | None:
    return NoticeVersion.objects.filter(superseded_at__isnull=True).order_by("-pk").first()


@dataclass
class Published:
    version: NoticeVersion
    created: bool
    changes: list[Change]
    schools_told: int = 0
    emails_sent: int = 0


@transaction.atomic
def notice_publish(
    *, registry: dict[str, Declaration] | None = None, notify: bool = True
) -> Published:
    """Record the notice as the inventory now states it, if it differs from the
    version in force; tell every school's administrators what changed (see the
    module's doc). The first version tells no one: there was nothing before it."""
    rows = notice_rows(registry)
    digest = rows_digest(rows)
    current = notice_current()
    if current is not None and current.digest == digest:
        return Published(current, False, [])
    now = timezone.now()
    previous = current
    if previous is not None:
        previous.superseded_at = now
        previous.save(update_fields=["superseded_at"])
    html, text = _render(registry)
    version = NoticeVersion.objects.create(
        digest=digest, rows=rows, html=html, text=text, published_at=now
    )
    changes = notice_diff(previous.rows, rows) if previous is not None else []
    result = Published(version, True, changes)
    if previous is not None and notify:
        for school in School.objects.order_by("pk"):
            result.emails_sent += _tell(school, version, previous, changes)
            result.schools_told += 1
    return result


def _tell(
    school: School, version: NoticeVersion, previous: NoticeVersion, changes: list[Change]
) -> int:
    """One school's notice on its page and email to its administrators; emails sent."""
    summary = [c.line() for c in changes]
    with school_scope(school):
        admins = list(
            User.objects.filter(
                memberships__school=school,
                memberships__role=Membership.Role.SCHOOL_ADMIN,
                is_active=True,
            )
            .exclude(email="")
            .distinct()
            .order_by("pk")
        )
        alert = NoticeAlert.objects.create(
            school=school,
            version=version,
            previous=previous,
            summary=summary,
            created_at=version.published_at,
        )
        link = reverse("privacy:version", kwargs={"version_id": version.pk})
        body = "\n".join(
            [
                f"Markbook's privacy notice changed on {version.published_at:%d %B %Y}.",
                "What changed:",
                *(f"- {line}" for line in summary),
                "",
                f"The new notice: {link}",
                "Earlier versions stay readable there, with their dates. You may need to tell "
                "your pupils, parents and staff, or update the school's own privacy notice.",
            ]
        )
        sent = 0
        if admins:
            try:
                sent = send_mail(
                    subject=f"{school.name}: Markbook's privacy notice has changed",
                    message=body,
                    from_email=None,
                    recipient_list=[u.email for u in admins],
                )
            except Exception:  # the notice on the school's page still tells them
                logger.exception("privacy notice email to school %s not sent", school.pk)
        alert.told_admins = len(admins) if sent else 0
        alert.save(update_fields=["told_admins"])
        audit.record(
            actor=None,
            school=school,
            action="privacy.notice.published",
            data={"version": version.pk, "changes": len(changes), "emailed": alert.told_admins},
        )
    return sent


@transaction.atomic
def notice_alert_dismiss(*, alert: NoticeAlert, by: User) -> NoticeAlert:
    """An administrator has read the change: the notice leaves the school's page."""
    if alert.dismissed_at is None:
        alert.dismissed_at, alert.dismissed_by = timezone.now(), by
        alert.save(update_fields=["dismissed_at", "dismissed_by"])
        audit.record(
            actor=by,
            school=alert.school_id,
            action="privacy.notice.dismissed",
            data={"version": alert.version_id},
        )
    return alert


def notice_alerts_open() -> list[NoticeAlert]:
    """The scope's school's notices not yet dismissed, newest first."""
    return list(NoticeAlert.objects.filter(dismissed_at__isnull=True).select_related("version"))
