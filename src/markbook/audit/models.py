from django.db import models
from django_scopes import ScopedManager


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained access log (SEC-1).

    Each school has its own chain (`school` null: the platform's chain). `hash`
    covers the previous hash, the event's fields and `data_digest`, so a redacted
    `data` (DSR-4: audit rows are redacted, never deleted) keeps the chain intact.
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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    redacted_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["school_id", "seq"]
        constraints = [
            models.UniqueConstraint("school", "seq", name="audit_seq_per_chain"),
            models.UniqueConstraint(
                "seq", condition=models.Q(school__isnull=True), name="audit_seq_platform_chain"
            ),
        ]
        indexes = [models.Index(fields=["school", "-seq"])]
