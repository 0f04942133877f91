from django.conf import settings
from django.db import models

from markbook.core.fields import EncryptedTextField
from markbook.core.tenancy import SchoolScopedManager


class ExportArchive(models.Model):
    """A subject access export of one person (DSR-2), built in the background and kept
    for a download window (DSR-9).

    The subject is a pupil record or a user account (a parent, a member of staff):
    exactly one of `pupil` and `user`. The zip is kept in `archive` (base64), encrypted
    with the school's key (SEC-2) and blanked when the window ends. Kept in the
    database, not as a file under var/: the bytes are written and blanked in the same
    transaction as the row's state, they sit behind the school's scope and row-level
    security like every other tenant row, destroying the school's key (RET-5) makes
    them unreadable with the rest of its data, and every app server sees them without
    a shared disk. One person's export is small (kilobytes to a few megabytes).
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being prepared"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired and deleted"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(
        "rosters.Pupil", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The rights request this export answers; the lead turns it into a foreign key.
    request_id = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # The access log as of the request: the last event's sequence number then.
    log_until = models.PositiveBigIntegerField(null=True, blank=True)
    archive = EncryptedTextField(null=True, blank=True)
    size = models.PositiveIntegerField(default=0)
    digest = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life of a running export: claimed, or progress saved.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pupil__isnull=False, user__isnull=True)
                | models.Q(pupil__isnull=True, user__isnull=False),
                name="export_one_subject",
            ),
        ]
        indexes = [models.Index(fields=["school", "state", "expires_at"])]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.READY, self.State.FAILED, self.State.EXPIRED)
