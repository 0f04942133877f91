"""The keyed chain over per-field commitments (SEC-1, RET-1, DSR-4), and checkpoints.

Every event gets a salted digest of each removable field and an HMAC link with the
audit key (audit/chain.py). Each existing chain is resealed only if it verifies under
the rule it was written with (before migration 0002: by value; since: on the digests
of who and whom); a broken chain is left as it was, for audit_verify to report (its
first event no longer matches), and named here. Values already blanked by a
redaction are resealed as removed (no salt). The rule is copied here: migrations do
not follow later changes of audit/chain.py.
"""

import hashlib
import hmac
import json
import os
import sys
from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

GENESIS = "0" * 64
BLANK: dict[str, Any] = {
    "actor_id": None,
    "actor_label": "",
    "ip": None,
    "target_id": "",
    "pupil_ref": None,
    "user_ref": None,
}


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _sha(value: Any) -> str:
    return hashlib.sha256(_canonical(value)).hexdigest()


def _key() -> bytes:
    if settings.MARKBOOK_AUDIT_KEY:
        return settings.MARKBOOK_AUDIT_KEY.encode()
    return hmac.new(
        settings.MARKBOOK_HASH_KEY.encode(), b"markbook access-log chain", hashlib.sha256
    ).digest()


def _commit(salt: str, name: str, value: Any) -> str:
    return hashlib.sha256(f"{salt}|{name}|".encode() + _canonical(value)).hexdigest()


def _old_hash(e: Any) -> str:
    if e.actor_digest:
        body = {
            "school": e.school_id,
            "seq": e.seq,
            "at": e.at.isoformat(),
            "action": e.action,
            "target_type": e.target_type,
            "actor_digest": e.actor_digest,
            "target_digest": e.target_digest,
            "data_digest": e.data_digest,
            "prev": e.prev_hash,
        }
    else:
        body = {
            "school": e.school_id,
            "seq": e.seq,
            "at": e.at.isoformat(),
            "actor_id": e.actor_id,
            "actor_label": e.actor_label,
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "ip": e.ip,
            "data_digest": e.data_digest,
            "prev": e.prev_hash,
        }
    return _sha(body)


def _redacted_data(e: Any) -> bool:
    return e.redacted_at is not None and isinstance(e.data, dict) and e.data.get("redacted") is True


def _old_intact(e: Any) -> bool:
    if not _redacted_data(e) and _sha(e.data) != e.data_digest:
        return False
    if e.actor_digest:
        actor = _sha({"actor_id": e.actor_id, "actor_label": e.actor_label, "ip": e.ip})
        blank = e.actor_id is None and e.actor_label == "" and e.ip is None
        if actor != e.actor_digest and not (e.redacted_at is not None and blank):
            return False
        target = _sha({"target_id": e.target_id})
        if target != e.target_digest and not (e.redacted_at is not None and e.target_id == ""):
            return False
    return _old_hash(e) == e.hash


def _reseal(e: Any, prev: str, key: bytes) -> None:
    raw = os.urandom(16 * 7).hex()
    names = (*BLANK, "data")
    salts = {name: raw[32 * i : 32 * (i + 1)] for i, name in enumerate(names)}
    digests = {}
    for name in BLANK:
        value = getattr(e, name)
        if e.redacted_at is not None and value == BLANK[name]:
            del salts[name]  # removed by a redaction: its digest only holds the place
            digests[name] = _sha({"removed": name, "event": e.hash})
        else:
            digests[name] = _commit(salts[name], name, value)
    if _redacted_data(e):
        del salts["data"]
    else:
        e.data_digest = _commit(salts["data"], "data", e.data)
    e.salts, e.digests, e.prev_hash = salts, digests, prev
    body = {
        "school": e.school_id,
        "seq": e.seq,
        "at": e.at.isoformat(),
        "action": e.action,
        "target_type": e.target_type,
        "fields": digests,
        "data": e.data_digest,
        "prev": prev,
    }
    e.hash = hmac.new(key, _canonical(body), hashlib.sha256).hexdigest()


def reseal(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # every school's rows (row-level security)
            cursor.execute("SELECT set_config('markbook.school_ids', '*', true)")
    key = _key()
    chains = set(AuditEvent.objects.values_list("school_id", flat=True))
    for school_id in sorted(chains, key=lambda s: s or 0):
        events = AuditEvent.objects.filter(
            models.Q(school_id__isnull=True) if school_id is None else models.Q(school_id=school_id)
        ).order_by("seq")
        prev, expected, broken = GENESIS, 1, None
        for e in events.iterator(2000):
            if e.seq != expected or e.prev_hash != prev or not _old_intact(e):
                broken = e.seq
                break
            prev, expected = e.hash, expected + 1
        if broken is not None:
            chain = "platform" if school_id is None else f"school {school_id}"
            print(
                f"\n  audit: the chain of {chain} is broken at seq {broken}: not resealed",
                file=sys.stderr,
            )
            continue
        prev, batch = GENESIS, []
        for e in events.iterator(2000):
            _reseal(e, prev, key)
            prev = e.hash
            batch.append(e)
            if len(batch) == 1000:
                _save(AuditEvent, batch)
                batch = []
        _save(AuditEvent, batch)


def _save(model: Any, batch: list[Any]) -> None:
    if batch:
        model.objects.bulk_update(batch, ["salts", "digests", "data_digest", "prev_hash", "hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_auditevent_target_index"),
        ("schools", "0010_analysis_min_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="digests",
            field=models.JSONField(default=dict),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="salts",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(reseal, migrations.RunPython.noop),
        migrations.RemoveField(model_name="auditevent", name="actor_digest"),
        migrations.RemoveField(model_name="auditevent", name="target_digest"),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("last_seq", models.PositiveBigIntegerField()),
                ("last_hash", models.CharField(max_length=64)),
                ("count", models.PositiveBigIntegerField()),
                ("at", models.DateTimeField()),
                ("verified", models.BooleanField(default=False)),
                ("mac", models.CharField(max_length=64)),
                (
                    "school",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="schools.school",
                    ),
                ),
            ],
            options={
                "ordering": ["school_id", "last_seq"],
                "constraints": [
                    models.UniqueConstraint(
                        models.F("school"), models.F("last_seq"), name="audit_checkpoint_per_chain"
                    ),
                    models.UniqueConstraint(
                        models.F("last_seq"),
                        condition=models.Q(("school__isnull", True)),
                        name="audit_checkpoint_platform_chain",
                    ),
                ],
            },
        ),
    ]
