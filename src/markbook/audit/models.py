from typing import TYPE_CHECKING, Any

from django.db import models
from django_scopes import ScopedManager


class AppendOnlyError(Exception):
    """An attempt to change or delete an access-log entry other than by redaction (SEC-1)."""


class AuditEventQuerySet(models.QuerySet):
    """Bulk changes are refused: the log is append-only (SEC-1)."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the access log is append-only: events cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the access log is append-only: events cannot be deleted")


_AppendOnlyManager = models.Manager.from_queryset(AuditEventQuerySet)
if TYPE_CHECKING:
    _ScopedAppendOnly = _AppendOnlyManager
else:
    _ScopedAppendOnly = type(ScopedManager(_AppendOnlyManager, school="school"))


class AuditEventManager(_ScopedAppendOnly):
    """Scoped to the school (TEN-4, as core.tenancy.SchoolScopedManager) and append-only."""


# The only fields a saved event may change: its data, replaced when redacted (DSR-4),
# and who did it and to whom, blanked when that person's data is erased.
REDACTABLE = frozenset(
    {"data", "redacted_at", "actor_id", "actor_label", "ip", "target_id", "pupil_ref", "user_ref"}
)


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained access log (SEC-1).

    Each school has its own chain (`school` null: the platform's chain). `hash`
    covers the previous hash, the event's fields and `data_digest`, so a redacted
    `data` (DSR-4: audit rows are redacted, never deleted) keeps the chain intact.
    Events written with `actor_digest` and `target_digest` are chained on those
    digests instead of who did it and to whom, so the person's identifiers can be
    blanked too when their data is erased (DSR-4) and the chain still verifies.
    """

    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict)
    data_digest = models.CharField(max_length=64)
    # SHA-256 of (actor_id, actor_label, ip) and of target_id; blank on events written
    # before they existed, which the chain covers by value (audit/services.py).
    actor_digest = models.CharField(max_length=64, blank=True, default="")
    target_digest = models.CharField(max_length=64, blank=True, default="")
    # The pupil and the account the event is about (its target, or an id in its data
    # under "pupil", "user", "teacher"...): an index, so that a person's events are
    # found without reading the whole log (DSR-4). Not chained: derived from what is.
    pupil_ref = models.BigIntegerField(null=True, blank=True)
    user_ref = models.BigIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    redacted_at = models.DateTimeField(null=True, blank=True)

    objects = AuditEventManager()

    class Meta:
        ordering = ["school_id", "seq"]
        constraints = [
            models.UniqueConstraint("school", "seq", name="audit_seq_per_chain"),
            models.UniqueConstraint(
                "seq", condition=models.Q(school__isnull=True), name="audit_seq_platform_chain"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "-seq"]),
            # One person's entries, for their subject access export and erasure (DSR-2,
            # DSR-4): found through indexed references, without reading the whole log.
            models.Index(fields=["school", "actor_id"], name="audit_school_actor"),
            models.Index(fields=["school", "target_type", "target_id"], name="audit_by_target"),
            models.Index(fields=["school", "pupil_ref"], name="audit_school_pupil"),
            models.Index(fields=["school", "user_ref"], name="audit_school_user"),
            models.Index(fields=["school", "action"], name="audit_school_action"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert a new event; a saved one may only be redacted (SEC-1, DSR-4).

        A redaction saves exactly `data` and `redacted_at` (with `redacted_at` set);
        the hash chain covers `data_digest`, not `data`, so it stays verifiable.
        """
        if self._state.adding:
            # Never an UPDATE disguised as a new object with an existing primary key.
            kwargs["force_insert"] = True
        else:
            fields = kwargs.get("update_fields")
            if (
                fields is None
                or not {"data", "redacted_at"} <= set(fields) <= REDACTABLE
                or self.redacted_at is None
            ):
                raise AppendOnlyError(
                    f"access-log event {self.pk} cannot be changed; only redaction is allowed"
                )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"access-log event {self.pk} cannot be deleted")  # SEC-1
