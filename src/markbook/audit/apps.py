from typing import Any

from django.apps import AppConfig


def _backup_written(sender: type, manifest: dict[str, Any], **kwargs: Any) -> None:
    """A backup in the platform's log (SEC-1, SEC-5): which and how much, after its
    snapshot (so not in it); never where it went or what it holds."""
    from markbook.audit import services as audit

    tables = manifest["tables"]
    audit.record(
        actor=None,
        school=None,
        action="core.backup.written",
        data={
            "backup_id": manifest["backup_id"],
            "tables": len(tables),
            "rows": sum(t["rows"] for t in tables),
            "left_out": sum(t["left_out"] for t in tables),
            "files": manifest["media"]["files"],
        },
    )


def _backup_restored(sender: type, result: Any, **kwargs: Any) -> None:
    """A restore in the platform's log, after the restored chains (SEC-1, SEC-5)."""
    from markbook.audit import services as audit

    audit.record(
        actor=None,
        school=None,
        action="core.backup.restored",
        data={
            "rows": result.total,
            "tables": len(result.restored),
            "unreadable": sum(result.unreadable.values()),
            "schools_unreadable": sorted(result.unreadable_schools),
            "files": result.files,
            "secrets_lost": result.secrets_differ,
        },
    )


class Config(AppConfig):
    name = "markbook.audit"
    label = "audit"

    def ready(self) -> None:
        from markbook.core.backup import backup_restored, backup_written

        backup_written.connect(_backup_written, dispatch_uid="markbook_audit_backup")
        backup_restored.connect(_backup_restored, dispatch_uid="markbook_audit_restore")
