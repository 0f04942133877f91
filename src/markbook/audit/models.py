from typing import TYPE_CHECKING, Any

from django.db import models
from django_scopes import ScopedManager

from markbook.core.tenancy import SchoolScopedManager


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
    {
        "data",
        "redacted_at",
        "actor_id",
        "actor_label",
        "ip",
        "target_id",
        "pupil_ref",
        "user_ref",
        "salts",
    }
)


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained access log (SEC-1).

    Each school has its own chain (`school` null: the platform's chain). `hash` is an
    HMAC (audit key, outside the database) over the previous hash, the fixed fields
    and a salted digest of each other field (`digests`, `data_digest`; audit/chain.py),
    so a field's value can be removed with its salt (RET-1: addresses and user ids
    after 365 days; DSR-4: an erased person; `redacted_at` set) and the chain still
    verifies, while any changed value is detected.
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
    # The salted digest of `data` (its salt in `salts["data"]`).
    data_digest = models.CharField(max_length=64)
    # The salted digest of each of actor_id, actor_label, ip, target_id, pupil_ref and
    # user_ref (audit/chain.py), chained by `hash`; never changed.
    digests = models.JSONField(default=dict)
    # The random salt of each digest; a field's salt goes when its value is removed,
    # so that its digest no longer reveals it (an address could be guessed otherwise).
    salts = models.JSONField(default=dict)
    # The pupil and the account the event is about (its target, or an id in its data
    # under "pupil", "user", "teacher"...): an index, so that a person's events are
    # found without reading the whole log (DSR-4). Chained like the other fields.
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

        A redaction saves `data`, `redacted_at` (set) and `salts`, and may blank
        REDACTABLE fields; the chain covers their digests, so it stays verifiable.
        """
        if self._state.adding:
            # Never an UPDATE disguised as a new object with an existing primary key.
            kwargs["force_insert"] = True
        else:
            fields = kwargs.get("update_fields")
            if (
                fields is None
                or not {"data", "redacted_at", "salts"} <= set(fields) <= REDACTABLE
                or self.redacted_at is None
            ):
                raise AppendOnlyError(
                    f"access-log event {self.pk} cannot be changed; only redaction is allowed"
                )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"access-log event {self.pk} cannot be deleted")  # SEC-1


class AuditCheckpoint(models.Model):
    """A verified point of a school's chain (`school` null: the platform's) behind
    which its events were pruned (SEC-1, RET-1): the chain is verified from here.

    `last_seq` and `last_hash` are those of the last event pruned, `count` how many
    events that prune deleted, `at` when, `verified` that they verified first; `mac`
    seals it with the audit key, so that no checkpoint can be forged to hide a gap.
    """

    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_seq = models.PositiveBigIntegerField()
    last_hash = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    verified = models.BooleanField(default=False)
    mac = models.CharField(max_length=64)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["school_id", "last_seq"]
        constraints = [
            models.UniqueConstraint("school", "last_seq", name="audit_checkpoint_per_chain"),
            models.UniqueConstraint(
                "last_seq",
                condition=models.Q(school__isnull=True),
                name="audit_checkpoint_platform_chain",
            ),
        ]
