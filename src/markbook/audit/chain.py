"""The access log's chain rule (SEC-1): a keyed chain over per-field commitments.

Each event commits to each of its removable fields (who did it, from which address,
to whom, the pupil and account it is about, its data) with a salted digest,
`sha256(salt | field | value)`, a fresh random salt per field and event. The event's
`hash` is an HMAC, with the audit key (`audit_key`, kept outside the database), of
its fixed fields (school, seq, when, action, target type), those digests and the
previous event's hash.

A field's value is removed by blanking it and deleting its salt (RET-1: addresses
and user ids after 365 days; DSR-4: an erased person). The digest stays, so the
link still verifies, and without the salt it no longer reveals the value (an IP
address or a user id could otherwise be found again by trying every one). A blank
value without its salt is accepted only on an event marked redacted (`redacted_at`);
any other change to a value, a digest, a fixed field or a link is reported, and a
chain rewritten consistently needs the key to reseal (and differs from the heads
written outside the database, audit/heads.py).
"""

import hashlib
import hmac
import json
import os
from typing import Any

from django.conf import settings

GENESIS = "0" * 64

# The fields an event commits to one by one, so that each can be removed, and the
# value each has once removed.
BLANK: dict[str, Any] = {
    "actor_id": None,
    "actor_label": "",
    "ip": None,
    "target_id": "",
    "pupil_ref": None,
    "user_ref": None,
}
REMOVABLE = tuple(BLANK)
# The data's commitment is stored in `data_digest` (its salt under "data").
DATA = "data"
SALTED = (*REMOVABLE, DATA)
# Who did it and from where, and which accounts it names: what RET-1's log rule removes.
ADDRESS_FIELDS = ("actor_id", "actor_label", "ip", "user_ref")

CHANGED = "event hash does not match its content"
DATA_CHANGED = "data does not match its digest"
UNSEALED = (
    "event not sealed with the keyed chain (its chain did not verify when migration "
    "0005 resealed the log, or its digests were removed)"
)


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def audit_key() -> bytes:
    """The chain's HMAC key: MARKBOOK_AUDIT_KEY, or else one derived from
    MARKBOOK_HASH_KEY for this use only (neither is stored in the database)."""
    explicit = settings.MARKBOOK_AUDIT_KEY
    if explicit:
        return explicit.encode()
    return hmac.new(
        settings.MARKBOOK_HASH_KEY.encode(), b"markbook access-log chain", hashlib.sha256
    ).digest()


def commit(salt: str, name: str, value: Any) -> str:
    """The salted digest of one field's value."""
    return hashlib.sha256(f"{salt}|{name}|".encode() + canonical(value)).hexdigest()


def new_salts() -> dict[str, str]:
    raw = os.urandom(16 * len(SALTED)).hex()
    return {name: raw[32 * i : 32 * (i + 1)] for i, name in enumerate(SALTED)}


def link_hash(values: dict[str, Any], key: bytes | None = None) -> str:
    """The event's hash from its column values (attnames), as stored."""
    body = {
        "school": values["school_id"],
        "seq": values["seq"],
        "at": values["at"].isoformat(),
        "action": values["action"],
        "target_type": values["target_type"],
        "fields": values["digests"],
        "data": values["data_digest"],
        "prev": values["prev_hash"],
    }
    return hmac.new(key or audit_key(), canonical(body), hashlib.sha256).hexdigest()


def seal(values: dict[str, Any], key: bytes | None = None) -> None:
    """Fill in a new event's salts, digests, data digest and hash (values: attnames)."""
    salts = new_salts()
    values["salts"] = salts
    values["digests"] = {name: commit(salts[name], name, values[name]) for name in REMOVABLE}
    values["data_digest"] = commit(salts[DATA], DATA, values[DATA])
    values["hash"] = link_hash(values, key)


def is_redacted_data(data: Any) -> bool:
    return isinstance(data, dict) and data.get("redacted") is True


def check(values: dict[str, Any], key: bytes) -> str:
    """Why the event's stored values do not match what it commits to, or ""."""
    redacted = values["redacted_at"] is not None
    salts = values["salts"] if isinstance(values["salts"], dict) else {}
    digests = values["digests"] if isinstance(values["digests"], dict) else {}
    if not digests:
        return UNSEALED
    for name in REMOVABLE:
        salt = salts.get(name)
        if salt is None:
            if not (redacted and values[name] == BLANK[name]):
                return CHANGED if values[name] != BLANK[name] else f"{name} removed unredacted"
        elif commit(salt, name, values[name]) != digests.get(name):
            return CHANGED
    salt = salts.get(DATA)
    if salt is None:
        if not (redacted and is_redacted_data(values[DATA])):
            return DATA_CHANGED
    elif commit(salt, DATA, values[DATA]) != values["data_digest"]:
        return DATA_CHANGED
    if not hmac.compare_digest(link_hash(values, key), values["hash"]):
        return CHANGED
    return ""


def checkpoint_mac(values: dict[str, Any], key: bytes | None = None) -> str:
    """The seal of a checkpoint (audit.AuditCheckpoint), so that none can be forged."""
    body = {
        "school": values["school_id"],
        "last_seq": values["last_seq"],
        "last_hash": values["last_hash"],
        "count": values["count"],
        "at": values["at"].isoformat(),
        "verified": values["verified"],
    }
    return hmac.new(key or audit_key(), canonical(body), hashlib.sha256).hexdigest()
