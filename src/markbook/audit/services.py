"""The access log (SEC-1): append-only, hash-chained, one chain per school.

`record()` is called from services (never views) with a dotted action name, for
every change and for every read of pupil data by staff. The chain is keyed and
commits to each field on its own (audit/chain.py), so values can be removed
(erasure, DSR-4; addresses and user ids after 365 days, RET-1:
`events_redact_addresses`) and old events pruned behind a sealed checkpoint
(`events_prune`) while it still verifies; its heads are also written outside the
database (audit/heads.py). Only the paths here change or delete events: on
PostgreSQL a trigger refuses any other UPDATE or DELETE (`_sanctioned`).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, Func, JSONField
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from markbook.audit import chain as rule
from markbook.audit.chain import GENESIS, REMOVABLE
from markbook.audit.context import current
from markbook.audit.models import AuditCheckpoint, AuditEvent
from markbook.core.rows import insert_rows
from markbook.core.tenancy import all_schools

__all__ = ["GENESIS", "REMOVABLE"]


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


def _values(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _COLUMNS}


_COLUMNS = (
    "school_id",
    "seq",
    "at",
    "action",
    "target_type",
    *REMOVABLE,
    "data",
    "data_digest",
    "digests",
    "salts",
    "prev_hash",
    "hash",
    "redacted_at",
)


def _link_hash(event: AuditEvent) -> str:
    """The event's hash as its stored values give it (audit/chain.py)."""
    return rule.link_hash(_values(event))


def _ip(value: str | None) -> str | None:
    """The address as the database stores it (an IPv6 address in its short form), so
    that its digest matches what is read back."""
    return clean_ipv6_address(value) if value and ":" in value else value


@contextmanager
def _sanctioned(mode: str) -> Iterator[None]:
    """Let this transaction change the log the one way `mode` names ("redact",
    "prune", "chain_delete"): on PostgreSQL the log's trigger refuses every other
    UPDATE and DELETE (migration 0006). Inside a transaction; the setting is local
    to it, and cleared again when the block ends."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('markbook.audit_write', %s, true)", [mode])
    yield
    # Not on an error: the transaction (or savepoint) rolls back, and the setting with it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('markbook.audit_write', '', true)")


class _SaltsWithout(Func):
    """`salts` without the salts of `names`: their values are removed (audit/chain.py)."""

    output_field = JSONField()

    def __init__(self, *names: str) -> None:
        super().__init__(F("salts"))
        self.names = names

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        paths = ", ".join("%s" for _ in self.names)
        return f"json_remove({sql}, {paths})", [*params, *(f"$.{n}" for n in self.names)]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} - %s::text[])", [*params, list(self.names)]


def _chain(school_id: int | None) -> models.Q:
    """The events of one chain: a school's, or with None the platform's (no school)."""
    return models.Q(school_id__isnull=True) if school_id is None else models.Q(school_id=school_id)


def _checkpoint(school_id: int | None) -> AuditCheckpoint | None:
    """The chain's latest checkpoint (events up to it were pruned), if any."""
    return AuditCheckpoint.objects.filter(_chain(school_id)).order_by("-last_seq").first()


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
    # Pruning always keeps a chain's last event (events_prune), so an empty chain has no
    # checkpoint behind it: it starts afresh, without a query for one.
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
    key = rule.audit_key()
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
            ip=_ip(current.get().ip),
            data=data,
            prev_hash=prev,
        )
        event.pupil_ref, event.user_ref = person_refs(event.target_type, event.target_id, data)
        values = _values(event)
        rule.seal(values, key)
        event.salts, event.digests = values["salts"], values["digests"]
        event.data_digest, event.hash = values["data_digest"], values["hash"]
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
    ip = _ip(current.get().ip)
    key = rule.audit_key()
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
                "prev_hash": prev,
            }
            row["pupil_ref"], row["user_ref"] = person_refs(
                row["target_type"], row["target_id"], data
            )
            rule.seal(row, key)
            prev = row["hash"]
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

    The hash covers the data's salted digest, not the data, so the chain still
    verifies; the data's salt goes with it. The redaction itself is recorded in the
    same school's chain. `data` is what replaces it (by default `{"redacted": true}`);
    `actor_identity` blanks who did it (id, label, address) and `target_identity`
    the target's id, with their salts (audit/chain.py); erasure redacts many at once
    and records one event for them all (`record_redaction=False`).
    """
    if not reason.strip():
        raise ValueError("a redaction needs a reason")
    # The event may belong to any chain (the platform's too), whatever scope the caller is in.
    with transaction.atomic(), all_schools(), _sanctioned("redact"):
        fields = ["data", "redacted_at", "salts"]
        event.data = {"redacted": True} if data is None else data
        event.redacted_at = timezone.now()
        removed = ["data"]
        if actor_identity:
            event.actor_id, event.actor_label, event.ip = None, "", None
            removed += ["actor_id", "actor_label", "ip"]
        if target_identity:
            event.target_id = ""
            removed.append("target_id")
        if data is None or target_identity:
            event.pupil_ref = event.user_ref = None
            removed += ["pupil_ref", "user_ref"]
        fields += [name for name in removed if name != "data"]
        event.salts = {k: v for k, v in (event.salts or {}).items() if k not in removed}
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
    target's id, each with its salt; the chain still verifies. The caller records the
    erasure that did it, in the same transaction; returns the number of events changed."""
    now = timezone.now()
    with transaction.atomic(), all_schools(), _sanctioned("redact"):
        base = AuditEvent.objects.all()
        # The model's queryset refuses updates (SEC-1); redaction is the sanctioned path.
        for chunk in _chunks(data_ids):
            models.QuerySet.update(
                base.filter(pk__in=chunk),
                data=replacement,
                redacted_at=now,
                pupil_ref=None,
                user_ref=None,
                salts=_SaltsWithout("data", "pupil_ref", "user_ref"),
            )
        for chunk in _chunks(actor_ids):
            models.QuerySet.update(
                base.filter(pk__in=chunk),
                actor_id=None,
                actor_label="",
                ip=None,
                redacted_at=now,
                salts=_SaltsWithout("actor_id", "actor_label", "ip"),
            )
        for chunk in _chunks(target_ids):
            models.QuerySet.update(
                base.filter(pk__in=chunk),
                target_id="",
                redacted_at=now,
                salts=_SaltsWithout("target_id"),
            )
    return len(set(data_ids) | set(actor_ids) | set(target_ids))


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def redactable_identity(event: AuditEvent) -> bool:
    """Whether who did it and to whom can be blanked without breaking the chain: every
    event commits to each field on its own (audit/chain.py), so always (DSR-4)."""
    return True


def events_redact_addresses(*, school_id: int | None, before: datetime) -> int:
    """Remove the IP addresses and user ids from the events of a chain written before
    `before` (RET-1: 365 days); `school_id` None is the platform's chain.

    Who did it (account id, their address as label, IP address), the account an event
    is about (`user_ref`) and an account as its target (its id) are blanked with their
    salts; the chain still verifies (audit/chain.py), what was done, when and to which
    pupil stays. Idempotent; records the count in the chain when there was any;
    returns the number of events changed."""
    addressed = (
        models.Q(ip__isnull=False)
        | models.Q(actor_id__isnull=False)
        | ~models.Q(actor_label="")
        | models.Q(user_ref__isnull=False)
    )
    account_target = models.Q(target_type="accounts.user") & ~models.Q(target_id="")
    now = timezone.now()
    with transaction.atomic(), all_schools():
        old = AuditEvent.objects.filter(_chain(school_id), at__lt=before)
        count = old.filter(addressed | account_target).count()
        if not count:
            return 0
        with _sanctioned("redact"):
            models.QuerySet.update(
                old.filter(addressed),
                ip=None,
                actor_id=None,
                actor_label="",
                user_ref=None,
                redacted_at=now,
                salts=_SaltsWithout(*rule.ADDRESS_FIELDS),
            )
            models.QuerySet.update(
                old.filter(account_target),
                target_id="",
                redacted_at=now,
                salts=_SaltsWithout("target_id"),
            )
        record(
            actor=None,
            school=school_id,
            action="audit.addresses.removed",
            data={"before": before.isoformat(), "events": count},
        )
    return count


class PruneRefused(Exception):
    """The events to prune do not verify: nothing was pruned (SEC-1)."""


def events_prune(*, school_id: int | None, before: datetime) -> int:
    """Delete a chain's events written before `before`, behind a verified checkpoint
    (RET-1, SEC-1); `school_id` None is the platform's chain.

    The events up to the last one before `before` are verified first (PruneRefused
    if they do not: nothing goes); a checkpoint then records that event's seq and
    hash, sealed with the audit key, and the chain is verified from it from then on.
    The chain's last event is kept (the next one links to it). Records the prune in
    the chain; returns the number of events deleted."""
    with transaction.atomic(), all_schools():
        next_seq, _ = _chain_end(school_id)  # locks the chain
        events = AuditEvent.objects.filter(_chain(school_id))
        last = (
            events.filter(at__lt=before, seq__lt=next_seq - 1)
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        )
        if last is None:
            return 0
        broken = verify_chain(school_id, upto=last[0])
        if broken is not None:
            raise PruneRefused(
                f"the chain does not verify at seq {broken.seq} ({broken.reason}): nothing pruned"
            )
        doomed = events.filter(seq__lte=last[0])
        checkpoint = AuditCheckpoint(
            school_id=school_id,
            last_seq=last[0],
            last_hash=last[1],
            count=doomed.count(),
            at=timezone.now(),
            verified=True,
        )
        checkpoint.mac = rule.checkpoint_mac(_checkpoint_values(checkpoint))
        checkpoint.save(force_insert=True)
        with _sanctioned("prune"):
            # The model's queryset refuses deletes (SEC-1); this sanctioned path bypasses it.
            deleted, _ = models.QuerySet.delete(doomed)
        record(
            actor=None,
            school=school_id,
            action="audit.events.pruned",
            data={"up_to_seq": last[0], "events": deleted, "before": before.isoformat()},
        )
    return deleted


def _checkpoint_values(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {
        name: getattr(checkpoint, name)
        for name in ("school_id", "last_seq", "last_hash", "count", "at", "verified")
    }


def school_chain_delete(*, school_id: int) -> int:
    """Delete a school's whole chain, only as part of deleting the school itself.

    Each school has its own chain, so every other chain still verifies; besides
    redaction and pruning this is the one way events leave the log (RET-1: an ended
    school's data goes, its log with it). Its checkpoints go too, and the head file
    notes that the chain was deleted (audit/heads.py). Returns the events deleted.
    """
    from markbook.audit import heads

    with transaction.atomic(), all_schools(), _sanctioned("chain_delete"):
        events = AuditEvent.objects.filter(school_id=school_id)
        # The model's queryset refuses deletes (SEC-1); this sanctioned path bypasses it.
        deleted, _ = models.QuerySet.delete(events)
        AuditCheckpoint.objects.filter(school_id=school_id).delete()
        heads.chain_deleted(school_id)
    return deleted


@dataclass(frozen=True)
class Break:
    school_id: int | None
    seq: int
    event_id: int
    reason: str


def verify_chain(school_id: int | None, *, upto: int | None = None) -> Break | None:
    """Recompute one chain (from its latest checkpoint, up to seq `upto`); return its
    first broken link, or None if it is intact."""
    key = rule.audit_key()
    with all_schools():
        prev, expected_seq = GENESIS, 1
        checkpoint = _checkpoint(school_id)
        if checkpoint is not None:
            if checkpoint.mac != rule.checkpoint_mac(_checkpoint_values(checkpoint), key):
                return Break(
                    school_id, checkpoint.last_seq, 0, "checkpoint does not match its seal"
                )
            prev, expected_seq = checkpoint.last_hash, checkpoint.last_seq + 1
        events = AuditEvent.objects.filter(_chain(school_id), seq__gte=expected_seq)
        if upto is not None:
            events = events.filter(seq__lte=upto)
        rows = events.order_by("seq").values_list("pk", *_COLUMNS).iterator(2000)
        for pk, *columns in rows:
            values = dict(zip(_COLUMNS, columns, strict=True))
            seq = values["seq"]
            if seq != expected_seq:
                return Break(school_id, seq, pk, f"expected sequence {expected_seq}")
            if values["prev_hash"] != prev:
                return Break(school_id, seq, pk, "previous-hash link does not match")
            reason = rule.check(values, key)
            if reason:
                return Break(school_id, seq, pk, reason)
            prev, expected_seq = values["hash"], expected_seq + 1
    return None


@dataclass(frozen=True)
class Verification:
    chains: int
    events: int
    breaks: list[Break]


def _chain_ids(events: models.QuerySet[AuditEvent]) -> list[int | None]:
    return sorted(set(events.values_list("school_id", flat=True)), key=lambda s: s or 0)


def chains_verify(*, school_id: int | None = None, platform: bool = False) -> Verification:
    """Verify every chain, or one school's (or the platform's) chain (SEC-1, audit_verify)."""
    with all_schools():
        events = AuditEvent.objects.all()
        if school_id is not None or platform:
            events = events.filter(_chain(school_id))
        chains = _chain_ids(events)
        count = events.count()
    breaks = [b for b in (verify_chain(s) for s in chains) if b is not None]
    return Verification(chains=len(chains), events=count, breaks=breaks)


def verify_all() -> list[Break]:
    """Verify every chain; one entry per broken chain."""
    with all_schools():
        chains = _chain_ids(AuditEvent.objects.all())
    return [b for b in (verify_chain(s) for s in chains) if b is not None]


def chain_heads() -> list[tuple[int | None, int, str]]:
    """Each chain's head: (school, seq, hash) of its last event (audit/heads.py)."""
    with all_schools():
        chains = _chain_ids(AuditEvent.objects.all())
        heads = []
        for school_id in chains:
            last = (
                AuditEvent.objects.filter(_chain(school_id))
                .order_by("-seq")
                .values_list("seq", "hash")
                .first()
            )
            if last is not None:
                heads.append((school_id, last[0], last[1]))
    return heads


@dataclass(frozen=True)
class ChainState:
    """What a chain holds now, to compare with its recorded heads (audit/heads.py)."""

    hashes: dict[int, tuple[int, str]]  # seq: (event id, hash) of the seqs asked for
    last_seq: int  # 0: no event
    checkpoint: tuple[int, str] | None  # (last_seq, last_hash) of the latest checkpoint


def chain_state(school_id: int | None, seqs: list[int]) -> ChainState:
    with all_schools():
        events = AuditEvent.objects.filter(_chain(school_id))
        hashes: dict[int, tuple[int, str]] = {}
        for chunk in _chunks(sorted(set(seqs))):
            for pk, seq, hash_ in events.filter(seq__in=chunk).values_list("pk", "seq", "hash"):
                hashes[seq] = (pk, hash_)
        last = events.aggregate(m=models.Max("seq"))["m"] or 0
        checkpoint = _checkpoint(school_id)
    return ChainState(
        hashes=hashes,
        last_seq=last,
        checkpoint=(checkpoint.last_seq, checkpoint.last_hash) if checkpoint else None,
    )
