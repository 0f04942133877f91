"""Chain heads written outside the database (SEC-1): a second, append-only record.

`audit_heads_write` (run from cron) appends each chain's head, its last seq and
hash, to the file `settings.MARKBOOK_AUDIT_HEAD_FILE` (default var/audit-heads.log),
one JSON line each: `{"at": ..., "school": 12, "seq": 3417, "hash": "..."}`
(`"school": null` is the platform's chain). `audit_verify` compares every line with
the database: a chain rewritten by someone who can write the database, even resealed,
has other hashes at those seqs, or fewer events, and is reported as tampered, naming
the school and the seq. The file is only ever appended to (open it append-only for
the application's user, e.g. `chattr +a`); deleting a school's whole chain (with the
school) appends a line `{"school": 12, "deleted": true}`, after which the chain's
earlier heads no longer count. Heads of events pruned behind a checkpoint are
checked against the checkpoint where they coincide, and otherwise no longer can be.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from markbook.audit.services import Break, chain_heads, chain_state
from markbook.schools.models import School


def head_file() -> Path:
    return Path(settings.MARKBOOK_AUDIT_HEAD_FILE)


def _append(lines: list[dict[str, Any]]) -> None:
    if not lines:
        return
    path = head_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _read() -> tuple[list[dict[str, Any]], list[int]]:
    """The file's heads, and the numbers of lines that are not one."""
    path = head_file()
    if not path.exists():
        return [], []
    heads, unreadable = [], []
    with path.open() as f:
        for number, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                line = json.loads(text)
                school = line["school"]
                if not (school is None or isinstance(school, int)):
                    raise ValueError(school)
                if not line.get("deleted") and not (
                    isinstance(line["seq"], int) and isinstance(line["hash"], str)
                ):
                    raise ValueError(line)
            except (ValueError, KeyError, TypeError):
                unreadable.append(number)
                continue
            heads.append(line)
    return heads, unreadable


def _last_heads(heads: list[dict[str, Any]]) -> dict[int | None, dict[str, Any]]:
    last: dict[int | None, dict[str, Any]] = {}
    for line in heads:
        if line.get("deleted"):
            last.pop(line["school"], None)
        else:
            last[line["school"]] = line
    return last


def heads_write() -> int:
    """Append the head of every chain that moved since its last line (SEC-1); the
    number of lines written."""
    known = _last_heads(_read()[0])
    at = timezone.now().isoformat()
    lines = []
    for school_id, seq, hash_ in chain_heads():
        before = known.get(school_id)
        if before is not None and (before["seq"], before["hash"]) == (seq, hash_):
            continue
        lines.append({"at": at, "school": school_id, "seq": seq, "hash": hash_})
    _append(lines)
    return len(lines)


def chain_deleted(school_id: int) -> None:
    """Note in the file that the school's whole chain went with the school (no file
    yet: no head of it was written, nothing to note)."""
    if not head_file().exists():
        return
    _append([{"at": timezone.now().isoformat(), "school": school_id, "deleted": True}])


@dataclass(frozen=True)
class HeadCheck:
    heads: int  # lines compared
    breaks: list[Break]  # the first head of each chain that the database contradicts
    unreadable: list[int]  # line numbers that are not a head


def heads_check() -> HeadCheck:
    """Compare every recorded head with the chains in the database (SEC-1)."""
    heads, unreadable = _read()
    chains: dict[int | None, list[dict[str, Any]]] = {}
    for line in heads:
        if line.get("deleted"):
            chains.pop(line["school"], None)
        else:
            chains.setdefault(line["school"], []).append(line)
    existing = set(
        School.objects.filter(pk__in=[s for s in chains if s is not None]).values_list(
            "pk", flat=True
        )
    )
    breaks, compared = [], 0
    for school_id, lines in sorted(chains.items(), key=lambda item: item[0] or 0):
        if school_id is not None and school_id not in existing:
            continue  # the school is gone, and its log with it
        state = chain_state(school_id, [line["seq"] for line in lines])
        for line in lines:
            compared += 1
            reason = _contradiction(line, state)
            if reason:
                event_id = state.hashes.get(line["seq"], (0, ""))[0]
                breaks.append(Break(school_id, line["seq"], event_id, reason))
                break
    return HeadCheck(heads=compared, breaks=breaks, unreadable=unreadable)


def _contradiction(line: dict[str, Any], state: Any) -> str:
    seq, hash_ = line["seq"], line["hash"]
    recorded = f"the head recorded outside the database at {line.get('at', '?')}"
    found = state.hashes.get(seq)
    if found is not None:
        return "" if found[1] == hash_ else f"event hash differs from {recorded}: rewritten"
    if state.checkpoint is not None and seq <= state.checkpoint[0]:
        if seq == state.checkpoint[0] and state.checkpoint[1] != hash_:
            return f"checkpoint hash differs from {recorded}: rewritten"
        return ""  # pruned behind a verified checkpoint
    return f"event missing: the chain ends at seq {state.last_seq}, below {recorded}"
