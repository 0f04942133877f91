"""Chain access-log events on digests of who did it and to whom (DSR-4, SEC-1).

Existing chains are resealed under the new link rule, each only if it verifies under
the old one first (a broken chain is left as it was, for audit_verify to report).
"""

import hashlib
import json
from typing import Any

from django.db import migrations, models

GENESIS = "0" * 64


def _sha(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(text).hexdigest()


def _old_hash(e: Any) -> str:
    return _sha(
        {
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
    )


def _new_hash(e: Any) -> str:
    return _sha(
        {
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
    )


def reseal(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("audit", "AuditEvent")
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # every school's rows (row-level security)
            cursor.execute("SELECT set_config('markbook.school_ids', '*', true)")
    chains = set(AuditEvent.objects.values_list("school_id", flat=True))
    for school_id in chains:
        events = AuditEvent.objects.filter(
            models.Q(school_id__isnull=True) if school_id is None else models.Q(school_id=school_id)
        ).order_by("seq")
        prev, intact = GENESIS, True
        for e in events.iterator(2000):
            if e.prev_hash != prev or _old_hash(e) != e.hash:
                intact = False
                break
            prev = e.hash
        if not intact:
            continue
        prev = GENESIS
        for e in events.iterator(2000):
            e.actor_digest = _sha(
                {"actor_id": e.actor_id, "actor_label": e.actor_label, "ip": e.ip}
            )
            e.target_digest = _sha({"target_id": e.target_id})
            e.prev_hash = prev
            e.hash = prev = _new_hash(e)
            AuditEvent.objects.filter(pk=e.pk).update(
                actor_digest=e.actor_digest,
                target_digest=e.target_digest,
                prev_hash=e.prev_hash,
                hash=e.hash,
            )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="actor_digest",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="target_digest",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(reseal, migrations.RunPython.noop),
    ]
