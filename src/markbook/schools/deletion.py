"""Deleting a school's data (TEN-1, RET-1, RET-5): everything of an ended school, and
its key.

An ended school's data is deleted a year after its end date (the retention engine
calls `school_delete` then), or earlier when the school asks (platform staff, from
the platform's school page, its API, or `markbook school_delete`). First
`school_deletion_plan` says what goes and how much, and what stops it; the deletion
carries out exactly that plan, or refuses when the data changed since it was read.

What goes, in one transaction:
- every row of every tenant table of the school (pupils, classes, marks, practice,
  consents, requests, memberships, its settings...), and its media files once the
  transaction commits;
- the accounts that belonged only to this school (staff, pupils, parents); an account
  of another school, the trust's or the platform's stays, without this school;
- the school's whole access log (its own hash chain; every other chain still
  verifies), and the platform log's entries about the accounts that go are redacted;
- its data key (`keys.school_key_destroy`): every backup taken before can no longer
  reveal anything of the school (docs/backups.md, Deleting a school).

What stays, as the record that the school existed and was deleted: the school's row
(name, URN, trust, dates; no personal data), hidden from every page by
`School.objects` (`School.records` still has it); its contract records
(`TermsAcceptance`, who accepted the terms for the school: 7 years after the end,
RET-1); the breach register's rows naming it (SEC-3); its retention runs (counts
only). The deletion is recorded in the platform's log with its counts.

A live legal hold at the school (on a person, a class or the whole school) stops the
deletion until it is lifted (RET-3).
"""

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core import keys
from markbook.core.tenancy import all_schools, school_scope
from markbook.schools.models import School, TrustAdmin

logger = logging.getLogger(__name__)

REASON_MAX = 500

# Tenant tables whose rows outlive the school's deletion, and why (see the docstring):
# label -> (one, several, why).
KEPT = {
    "schools.TermsAcceptance": (
        "contract record (terms accepted)",
        "contract records (terms accepted)",
        "kept 7 years after the end",
    ),
    "breaches.BreachSchool": (
        "breach register entry naming the school",
        "breach register entries naming the school",
        "the register keeps them",
    ),
    "privacy.RetentionRun": ("retention run", "retention runs", "what they deleted, as counts"),
    "core.SchoolKey": (
        "key record",
        "key records",
        "the key itself is destroyed; only the time it was destroyed stays",
    ),
}


def kept_described(plan: "DeletionPlan") -> list[str]:
    """What outlives the deletion, in words: "1 contract record (terms accepted): kept
    7 years after the end"."""
    lines = []
    for label, rows in plan.kept.items():
        one, several, why = KEPT[label]
        lines.append(f"{rows} {one if rows == 1 else several}: {why}")
    return lines


# Tables that go another way: the access log with its chain (audit.school_chain_delete).
BY_CHAIN = {"audit.AuditEvent", "audit.AuditCheckpoint"}


class DeletionRefused(Exception):
    """The school's data cannot be deleted now; the message says why."""


@dataclass(frozen=True)
class TableCount:
    label: str  # "rosters.Pupil"
    name: str  # "pupils", for people
    rows: int


@dataclass
class DeletionPlan:
    """What deleting the school's data would delete now, and what stops it."""

    school: School
    tables: list[TableCount]
    accounts: int  # accounts that belonged only to this school
    accounts_kept: int  # accounts of other schools, the trust or the platform that stay
    log_events: int
    kept: dict[str, int]  # rows that stay, by label (contract records...)
    refusals: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def fingerprint(self) -> str:
        """What the plan deletes, as a short digest: the deletion carries out the plan
        that was shown, or refuses if the data changed since."""
        counts = [(t.label, t.rows) for t in self.tables]
        data = [self.school.pk, counts, self.accounts, self.log_events]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, object]:
        return {
            "school": self.school.pk,
            "rows": self.rows,
            "tables": {t.label: t.rows for t in self.tables},
            "accounts": self.accounts,
            "accounts_kept": self.accounts_kept,
            "log_events": self.log_events,
            "kept": self.kept,
        }


@dataclass(frozen=True)
class DeletionOutcome:
    school_id: int
    rows: int
    tables: dict[str, int]
    accounts: int
    log_events: int


def tenant_models() -> list[type[models.Model]]:
    """Every model holding one school's rows: a `school` foreign key to School."""
    return [
        model
        for model in apps.get_models()
        if any(
            f.name == "school" and getattr(f, "related_model", None) is School
            for f in model._meta.concrete_fields
        )
    ]


def _deleted_models() -> list[type[models.Model]]:
    skip = set(KEPT) | BY_CHAIN
    return [m for m in tenant_models() if m._meta.label not in skip]


def _people_ids(school_id: int) -> set[int]:
    """Accounts of the school: its members, its parents and its pupils' accounts."""
    from markbook.rosters.models import GuardianLink, Pupil

    ids = set(Membership.objects.filter(school_id=school_id).values_list("user_id", flat=True))
    ids |= set(GuardianLink.objects.filter(school_id=school_id).values_list("parent_id", flat=True))
    ids |= {
        u
        for u in Pupil.objects.filter(school_id=school_id).values_list("user_id", flat=True)
        if u is not None
    }
    return ids


def _accounts(school_id: int) -> tuple[set[int], set[int]]:
    """The school's accounts that go with it, and those that stay (another school's, a
    trust administrator's, platform staff)."""
    from markbook.rosters.models import GuardianLink, Pupil

    with all_schools():
        ids = _people_ids(school_id)
        elsewhere = set(
            Membership.objects.filter(user_id__in=ids)
            .exclude(school_id=school_id)
            .values_list("user_id", flat=True)
        )
        elsewhere |= set(
            GuardianLink.objects.filter(parent_id__in=ids)
            .exclude(school_id=school_id)
            .values_list("parent_id", flat=True)
        )
        elsewhere |= set(
            Pupil.objects.filter(user_id__in=ids)
            .exclude(school_id=school_id)
            .values_list("user_id", flat=True)
        )
    elsewhere |= set(TrustAdmin.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
    elsewhere |= set(
        User.objects.filter(pk__in=ids)
        .filter(models.Q(is_platform_staff=True) | models.Q(is_superuser=True))
        .values_list("pk", flat=True)
    )
    return ids - elsewhere, ids & elsewhere


def _holds() -> list[str]:
    from markbook.privacy.models import LegalHold

    described = []
    for hold in LegalHold.objects.filter(lifted_at__isnull=True).order_by("placed_at"):
        if hold.whole_school:
            what = "the whole school"
        elif hold.pupil_id:
            what = "a pupil"
        elif hold.user_id:
            what = "an account"
        else:
            what = "a class"
        described.append(f"on {what}, placed {hold.placed_at:%-d %B %Y}")
    return described


def school_deletion_plan(school: School) -> DeletionPlan:
    """What deleting the school's data would delete now (nothing is changed), and why
    it cannot go ahead, if it cannot: the subscription has not ended, a legal hold, or
    it was deleted already."""
    with school_scope(school):
        tables = [
            TableCount(
                label=model._meta.label,
                name=str(model._meta.verbose_name_plural),
                rows=model._base_manager.filter(school_id=school.pk).count(),
            )
            for model in _deleted_models()
        ]
        kept = {
            label: apps.get_model(label)._base_manager.filter(school_id=school.pk).count()
            for label in KEPT
        }
        holds = _holds()
    going, staying = _accounts(school.pk)
    with all_schools():
        events = audit.AuditEvent.objects.filter(school_id=school.pk).count()
    refusals = []
    if school.deleted_at is not None:
        refusals.append(f"Its data was deleted on {school.deleted_at:%-d %B %Y}.")
    elif school.status != School.Status.ENDED:
        refusals.append(
            "Its subscription has not ended: only an ended school's data can be deleted."
        )
    if holds:
        refusals.append(
            f"{len(holds)} legal hold{'s' if len(holds) != 1 else ''} keep"
            f"{'' if len(holds) != 1 else 's'} data there ({'; '.join(holds)}): "
            "the school lifts them first."
        )
    return DeletionPlan(
        school=school,
        tables=sorted((t for t in tables if t.rows), key=lambda t: (-t.rows, t.label)),
        accounts=len(going),
        accounts_kept=len(staying),
        log_events=events,
        kept={k: v for k, v in kept.items() if v},
        refusals=refusals,
    )


def _delete_rows(school_id: int) -> dict[str, int]:
    """Delete every tenant row of the school, in passes: a table whose rows others
    still protect waits for the next pass."""
    deleted: dict[str, int] = {}
    waiting = _deleted_models()
    while waiting:
        blocked = []
        for model in waiting:
            try:
                with transaction.atomic():
                    _, by_label = model._base_manager.filter(school_id=school_id).delete()
            except (ProtectedError, RestrictedError):
                blocked.append(model)
                continue
            for label, count in by_label.items():
                deleted[label] = deleted.get(label, 0) + count
        if len(blocked) == len(waiting):
            names = ", ".join(m._meta.label for m in blocked)
            raise DeletionRefused(f"These rows are still referred to: {names}.")
        waiting = blocked
    return {label: count for label, count in deleted.items() if count}


def _media_dir(school_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "practice" / str(school_id)


def school_delete(
    *, school: School, fingerprint: str, actor: User | None, reason: str
) -> DeletionOutcome:
    """Delete the school's data as its plan said (see the module's docstring), for a
    reason: platform staff at the school's request, or the retention engine (`actor`
    None) a year after the end. `fingerprint` is the plan's that was shown; a plan that
    has changed since refuses (DeletionRefused), as does any refusal of the plan."""
    if actor is not None and not actor.is_platform_staff:
        raise ValidationError({"actor": ["Only Markbook's platform staff delete a school."]})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Give the reason for the deletion; it is recorded."]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [f"The reason is at most {REASON_MAX} characters."]})
    with transaction.atomic():
        school = School.records.select_for_update().get(pk=school.pk)
        plan = school_deletion_plan(school)
        if plan.refusals:
            raise DeletionRefused(" ".join(plan.refusals))
        if plan.fingerprint != fingerprint:
            raise DeletionRefused(
                "The school's data changed since the deletion was shown: review it again."
            )
        going, _ = _accounts(school.pk)
        events = audit.school_chain_delete(school_id=school.pk)
        with school_scope(school):
            tables = _delete_rows(school.pk)
            # In the school's scope: the rows naming an account that goes (its contract
            # records' signatory) are the school's, which row-level security guards.
            accounts = User.objects.filter(pk__in=going)
            going_ids = list(accounts.values_list("pk", flat=True))
            _, by_label = accounts.delete()
        for label, count in by_label.items():
            tables[label] = tables.get(label, 0) + count
        _platform_log_redact(going_ids)
        keys.school_key_destroy(school_id=school.pk)
        school.deleted_at = timezone.now()
        school.emergency_suspended_at = None
        school.save(update_fields=["deleted_at", "emergency_suspended_at"])
        rows = sum(tables.values())
        audit.record(
            actor=actor,
            school=None,
            action="schools.school.deleted",
            target=school,
            data={
                "school": school.pk,
                "reason": reason,
                "rows": rows,
                "accounts": len(going_ids),
                "log_events": events,
                "tables": tables,
            },
        )
        media = _media_dir(school.pk)
        transaction.on_commit(lambda: shutil.rmtree(media, ignore_errors=True))
    return DeletionOutcome(school.pk, rows, tables, len(going_ids), events)


def _platform_log_redact(user_ids: list[int]) -> int:
    """Blank who did it in the platform log's entries of accounts that went with the
    school, and the data of entries about them (their sign-in attempts...)."""
    if not user_ids:
        return 0
    with all_schools():
        platform = audit.AuditEvent.objects.filter(school__isnull=True)
        actor_ids = list(platform.filter(actor_id__in=user_ids).values_list("pk", flat=True))
        data_ids = list(platform.filter(user_ref__in=user_ids).values_list("pk", flat=True))
    return audit.audit_events_redact(
        data_ids=data_ids,
        actor_ids=actor_ids,
        target_ids=[],
        replacement={"redacted": True, "reason": "the school's data was deleted"},
    )
