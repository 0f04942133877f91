"""On PostgreSQL, a trigger refuses UPDATE and DELETE on the access log (SEC-1).

Only the sanctioned paths of audit/services.py pass: they set the transaction-local
setting `markbook.audit_write` first ("redact": an UPDATE that leaves the event's
seq, time, action, digests and links as they were and marks it redacted; "prune" and
"chain_delete": a DELETE). Checkpoints are never updated, and deleted only with
their school's chain. SQLite keeps the model's append-only guard (audit/models.py).

This stops the application's own mistakes and any plain UPDATE or DELETE; someone
who can set the setting or drop the trigger can still write the table, which the
keyed chain and the heads written outside the database detect (audit/heads.py).
"""

from typing import Any

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION markbook_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  mode text := coalesce(current_setting('markbook.audit_write', true), '');
BEGIN
  IF TG_OP = 'DELETE' AND mode IN ('prune', 'chain_delete') THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND mode = 'redact'
     AND NEW.id = OLD.id
     AND NEW.school_id IS NOT DISTINCT FROM OLD.school_id
     AND NEW.seq = OLD.seq
     AND NEW.at = OLD.at
     AND NEW.action = OLD.action
     AND NEW.target_type = OLD.target_type
     AND NEW.data_digest = OLD.data_digest
     AND NEW.digests = OLD.digests
     AND NEW.prev_hash = OLD.prev_hash
     AND NEW.hash = OLD.hash
     AND NEW.redacted_at IS NOT NULL THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'the access log is append-only: % of event % refused', TG_OP, OLD.id
    USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER IF EXISTS markbook_audit_append_only ON audit_auditevent;
CREATE TRIGGER markbook_audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION markbook_audit_append_only();

CREATE OR REPLACE FUNCTION markbook_audit_checkpoint_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE'
     AND coalesce(current_setting('markbook.audit_write', true), '') = 'chain_delete' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'access-log checkpoints cannot be changed: % of checkpoint % refused',
    TG_OP, OLD.id USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER IF EXISTS markbook_audit_checkpoint_guard ON audit_auditcheckpoint;
CREATE TRIGGER markbook_audit_checkpoint_guard BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
  FOR EACH ROW EXECUTE FUNCTION markbook_audit_checkpoint_guard();
"""

REMOVE = """
DROP TRIGGER IF EXISTS markbook_audit_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS markbook_audit_append_only();
DROP TRIGGER IF EXISTS markbook_audit_checkpoint_guard ON audit_auditcheckpoint;
DROP FUNCTION IF EXISTS markbook_audit_checkpoint_guard();
"""


def _run(sql: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_keyed_chain")]

    operations = [migrations.RunPython(_run(INSTALL), _run(REMOVE))]
