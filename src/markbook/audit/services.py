"""The access log (SEC-1): append-only, hash-chained, one chain per school.

`record()` is called from services (never views) with a dotted action name, for
every change and for every read of pupil data by staff.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from markbook.audit.context import current
from markbook.audit.models import AuditEvent
from markbook.core.rows import insert_rows
from markbook.core.tenancy import all_schools

GENESIS = "0" * 64


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _digest(data: dict) -> str:
    return hashlib.sha256(_canonical(data)).hexdigest()


_LINKED = (
    "school_id",
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "ip",
    "data_digest",
    "actor_digest",
    "target_digest",
    "prev_hash",
)


def _actor_digest_of(values: dict[str, Any]) -> str:
    """The digest of who did it: the chain covers it, not the values (DSR-4)."""
    return _digest(
        {"actor_id": values["actor_id"], "actor_label": values["actor_label"], "ip": values["ip"]}
    )


def _target_digest_of(values: dict[str, Any]) -> str:
    """The digest of to whom (the target's id): the chain covers it, not the id (DSR-4)."""
    return _digest({"target_id": values["target_id"]})


# Keys of an event's data holding a pupil's id, and those holding an account's (DSR-4).
PUPIL_KEYS = ("pupil", "pupil_id")
USER_KEYS = ("user", "user_id", "teacher", "parent", "actor", "actor_id")


def _first_id(data: Any, keys: tuple[str, ...]) -> int | None:
    if not isinstance(data, dict):
        return None
    for key in keys:
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def person_refs(target_type: str, target_id: str, data: Any) -> tuple[int | None, int | None]:
    """The pupil and the account an event is about: its target, or an id in its data."""
    pupil = _first_id(data, PUPIL_KEYS)
    user = _first_id(data, USER_KEYS)
    if target_type == "rosters.pupil" and target_id.isdigit():
        pupil = int(target_id)
    elif target_type == "accounts.user" and target_id.isdigit():
        user = int(target_id)
    return pupil, user


def _link_hash(event: AuditEvent) -> str:
    return _link_hash_of({name: getattr(event, name) for name in _LINKED})


def _link_hash_of(values: dict[str, Any]) -> str:
    """The event's hash from its column values (attnames), as stored.

    An event with `actor_digest` (every event written since erasure existed) is
    chained on the digests of who did it and to whom, so that those can be blanked
    when the person is erased (DSR-4); an older one on the values themselves."""
    if values.get("actor_digest"):
        body = {
            "school": values["school_id"],
            "seq": values["seq"],
            "at": values["at"].isoformat(),
            "action": values["action"],
            "target_type": values["target_type"],
            "actor_digest": values["actor_digest"],
            "target_digest": values["target_digest"],
            "data_digest": values["data_digest"],
            "prev": values["prev_hash"],
        }
        return hashlib.sha256(_canonical(body)).hexdigest()
    body = {
        "school": values["school_id"],
        "seq": values["seq"],
        "at": values["at"].isoformat(),
        "actor_id": values["actor_id"],
        "actor_label": values["actor_label"],
        "action": values["action"],
        "target_type": values["target_type"],
        "target_id": values["target_id"],
        "ip": values["ip"],
        "data_digest": values["data_digest"],
        "prev": values["prev_hash"],
    }
    return hashlib.sha256(_canonical(body)).hexdigest()


def _identities_intact(event: AuditEvent) -> str:
    """Why the event's who and whom do not match their digests, or "" (SEC-1).

    A redacted event (DSR-4) may have them blanked; changed to anything else, or
    blanked without a redaction, is tampering."""
    if not event.actor_digest:
        return ""  # an older event: covered by value in its hash
    values = {name: getattr(event, name) for name in _LINKED}
    redacted = event.redacted_at is not None
    actor_blank = event.actor_id is None and event.actor_label == "" and event.ip is None
    if _actor_digest_of(values) != event.actor_digest and not (redacted and actor_blank):
        return "event hash does not match its content"
    if _target_digest_of(values) != event.target_digest and not (
        redacted and event.target_id == ""
    ):
        return "event hash does not match its content"
    return ""


def _chain(school_id: int | None) -> models.Q:
    """The events of one chain: a school's, or with None the platform's (no school)."""
    return models.Q(school_id__isnull=True) if school_id is None else models.Q(school_id=school_id)


def _chain_end(school_id: int | None) -> tuple[int, str]:
    """Lock the school's chain for this transaction; the next seq and the last hash."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(7243, %s)", [school_id or 0])
    last = (
        AuditEvent.objects.filter(_chain(school_id))
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    return (last[0] + 1, last[1]) if last else (1, GENESIS)


def _actor_label(actor: Any) -> str:
    return (getattr(actor, "email", "") or getattr(actor, "username", "")) if actor else ""


def record(
    *,
    actor: Any,
    school: Any,
    action: str,
    target: Any = None,
    data: dict | None = None,
) -> AuditEvent:
    """Append one event to the school's chain (SEC-1)."""
    school_id = getattr(school, "pk", school)
    data = data or {}
    # The log is written whatever scope the caller is in (sign-in events have none).
    with transaction.atomic(), all_schools():
        seq, prev = _chain_end(school_id)
        event = AuditEvent(
            school_id=school_id,
            seq=seq,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=_actor_label(actor),
            action=action,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            ip=current.get().ip,
            data=data,
            data_digest=_digest(data),
            prev_hash=prev,
        )
        event.pupil_ref, event.user_ref = person_refs(event.target_type, event.target_id, data)
        values = {name: getattr(event, name) for name in _LINKED}
        event.actor_digest = _actor_digest_of(values)
        event.target_digest = _target_digest_of(values)
        event.hash = _link_hash(event)
        event.save(force_insert=True)
    return event


def record_many(
    *,
    actor: Any,
    school: Any,
    events: list[tuple[str, Any, dict | None]],
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Append several events (action, target, data) to the school's chain at once (SEC-1);
    their ids, in order.

    The same events, in the same order and chain, as calling `record` for each; the
    chain is locked and its end read once, and the events go in with one bulk insert
    (an import that changes two thousand pupils writes two thousand events);
    `progress(events written)` as insert_rows calls it."""
    if not events:
        return []
    school_id = getattr(school, "pk", school)
    actor_id = getattr(actor, "pk", None)
    actor_label = _actor_label(actor)
    ip = current.get().ip
    with transaction.atomic(), all_schools():
        seq, prev = _chain_end(school_id)
        rows = []
        at = timezone.now()
        for action, target, data in events:
            data = data or {}
            row = {
                "school_id": school_id,
                "seq": seq,
                "at": at,
                "actor_id": actor_id,
                "actor_label": actor_label,
                "action": action,
                "target_type": target._meta.label_lower if target is not None else "",
                "target_id": str(target.pk) if target is not None else "",
                "ip": ip,
                "data": data,
                "data_digest": _digest(data),
                "prev_hash": prev,
            }
            row["pupil_ref"], row["user_ref"] = person_refs(
                row["target_type"], row["target_id"], data
            )
            row["actor_digest"] = _actor_digest_of(row)
            row["target_digest"] = _target_digest_of(row)
            row["hash"] = prev = _link_hash_of(row)
            rows.append(row)
            seq += 1
        # The rows bulk_create would write, without a model instance each (core.rows).
        return insert_rows(AuditEvent, rows, now=at, progress=progress)


def audit_event_redact(
    *,
    actor: Any,
    event: AuditEvent,
    reason: str,
    data: dict | None = None,
    actor_identity: bool = False,
    target_identity: bool = False,
    record_redaction: bool = True,
) -> AuditEvent:
    """Replace an event's data, keeping the event and its chain intact (DSR-4).

    The hash covers the data's digest, not the data, so the chain still verifies;
    the redaction itself is recorded in the same school's chain. `data` is what
    replaces it (by default `{"redacted": true}`); `actor_identity` blanks who did it
    (id, label, address) and `target_identity` the target's id, on events chained on
    their digests (`redactable_identity`); erasure redacts many at once and records
    one event for them all (`record_redaction=False`).
    """
    if not reason.strip():
        raise ValueError("a redaction needs a reason")
    if (actor_identity or target_identity) and not redactable_identity(event):
        raise ValueError(f"access-log event {event.seq} is chained on who did it, by value")
    # The event may belong to any chain (the platform's too), whatever scope the caller is in.
    with transaction.atomic(), all_schools():
        fields = ["data", "redacted_at"]
        event.data = {"redacted": True} if data is None else data
        event.redacted_at = timezone.now()
        if actor_identity:
            event.actor_id, event.actor_label, event.ip = None, "", None
            fields += ["actor_id", "actor_label", "ip"]
        if target_identity:
            event.target_id = ""
            fields.append("target_id")
        if data is None or target_identity:
            event.pupil_ref = event.user_ref = None
            fields += ["pupil_ref", "user_ref"]
        event.save(update_fields=fields)
        if record_redaction:
            record(
                actor=actor,
                school=event.school_id,
                action="audit.event.redacted",
                data={"seq": event.seq, "reason": reason},
            )
    return event


def audit_events_redact(
    *,
    data_ids: list[int],
    actor_ids: list[int],
    target_ids: list[int],
    replacement: dict,
) -> int:
    """Redact many events of a person at once (DSR-4): `data_ids` get `replacement` as
    their data, `actor_ids` lose who did it (id, label, address), `target_ids` the
    target's id. Only events chained on digests may lose who and whom (the caller
    passes those); the chain still verifies. The caller records the erasure that did
    it, in the same transaction; returns the number of events changed."""
    now = timezone.now()
    with transaction.atomic(), all_schools():
        base = AuditEvent.objects.all()
        # The model's queryset refuses updates (SEC-1); redaction is the sanctioned path.
        for chunk in _chunks(data_ids):
            models.QuerySet.update(
                base.filter(pk__in=chunk),
                data=replacement,
                redacted_at=now,
                pupil_ref=None,
                user_ref=None,
            )
        for chunk in _chunks(actor_ids):
            models.QuerySet.update(
                base.filter(pk__in=chunk).exclude(actor_digest=""),
                actor_id=None,
                actor_label="",
                ip=None,
                redacted_at=now,
            )
        for chunk in _chunks(target_ids):
            models.QuerySet.update(
                base.filter(pk__in=chunk).exclude(actor_digest=""), target_id="", redacted_at=now
            )
    return len(set(data_ids) | set(actor_ids) | set(target_ids))


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def redactable_identity(event: AuditEvent) -> bool:
    """Whether who did it and to whom can be blanked without breaking the chain: the
    event is chained on their digests (DSR-4)."""
    return bool(event.actor_digest)


def school_chain_delete(*, school_id: int) -> int:
    """Delete a school's whole chain, only as part of deleting the school itself.

    Each school has its own chain, so every other chain still verifies; this is the
    one way events leave the log besides redaction (RET-1: an ended school's data
    goes, its log with it). Returns the number of events deleted.
    """
    with transaction.atomic(), all_schools():
        events = AuditEvent.objects.filter(school_id=school_id)
        # The model's queryset refuses deletes (SEC-1); this sanctioned path bypasses it.
        deleted, _ = models.QuerySet.delete(events)
    return deleted


@dataclass(frozen=True)
class Break:
    school_id: int | None
    seq: int
    event_id: int
    reason: str


def verify_chain(school_id: int | None) -> Break | None:
    """Recompute one chain; return its first broken link, or None if it is intact."""
    prev, expected_seq = GENESIS, 1
    with all_schools():
        events = AuditEvent.objects.filter(_chain(school_id)).order_by("seq").iterator(2000)
        for event in events:
            if event.seq != expected_seq:
                return Break(school_id, event.seq, event.pk, f"expected sequence {expected_seq}")
            if event.prev_hash != prev:
                return Break(school_id, event.seq, event.pk, "previous-hash link does not match")
            redacted = (
                event.redacted_at is not None
                and isinstance(event.data, dict)
                and event.data.get("redacted") is True
            )
            if not redacted and _digest(event.data) != event.data_digest:
                return Break(school_id, event.seq, event.pk, "data does not match its digest")
            tampered = _identities_intact(event)
            if tampered:
                return Break(school_id, event.seq, event.pk, tampered)
            if _link_hash(event) != event.hash:
                return Break(
                    school_id, event.seq, event.pk, "event hash does not match its content"
                )
            prev, expected_seq = event.hash, expected_seq + 1
    return None


@dataclass(frozen=True)
class Verification:
    chains: int
    events: int
    breaks: list[Break]


def chains_verify(*, school_id: int | None = None, platform: bool = False) -> Verification:
    """Verify every chain, or one school's (or the platform's) chain (SEC-1, audit_verify)."""
    with all_schools():
        events = AuditEvent.objects.all()
        if school_id is not None or platform:
            events = events.filter(_chain(school_id))
        chains = sorted(set(events.values_list("school_id", flat=True)), key=lambda s: s or 0)
        count = events.count()
    breaks = [b for b in (verify_chain(s) for s in chains) if b is not None]
    return Verification(chains=len(chains), events=count, breaks=breaks)


def verify_all() -> list[Break]:
    """Verify every chain; one entry per broken chain."""
    with all_schools():
        chains = sorted(
            set(AuditEvent.objects.values_list("school_id", flat=True)), key=lambda s: s or 0
        )
    return [b for b in (verify_chain(s) for s in chains) if b is not None]
