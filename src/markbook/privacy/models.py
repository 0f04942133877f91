"""The privacy app's records: restrictions and objections (DSR-5), corrections (DSR-3),
and the published versions of the privacy notice with the schools told of a change
(DSR-10).

A restriction or correction is about one person: a pupil record, or a user (a member
of staff or a parent), never both. `request_id` points at the rights request a record
answers; a plain integer until the requests workflow's model exists to link to.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

from markbook.core.fields import EncryptedTextField
from markbook.core.tenancy import SchoolScopedManager

ONE_PERSON = models.Q(pupil__isnull=False, user__isnull=True) | models.Q(
    pupil__isnull=True, user__isnull=False
)


class Restriction(models.Model):
    """A person's data is kept but not processed while this is in force (DSR-5).

    Placing one and lifting it are both decisions, recorded with who, when and why."""

    class Kind(models.TextChoices):
        RESTRICTION = "restriction", "Restriction of processing"
        OBJECTION = "objection", "Objection to processing"

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
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RESTRICTION)
    reason = models.TextField(max_length=2000, validators=[MaxLengthValidator(2000)])
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(
        max_length=2000, blank=True, validators=[MaxLengthValidator(2000)]
    )
    request_id = models.PositiveIntegerField(null=True, blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=ONE_PERSON, name="restriction_one_person"),
            # One restriction in force per person: a second is refused, not stacked.
            models.UniqueConstraint(
                "school",
                "pupil",
                condition=models.Q(lifted_at__isnull=True, pupil__isnull=False),
                name="restriction_one_active_per_pupil",
            ),
            models.UniqueConstraint(
                "school",
                "user",
                condition=models.Q(lifted_at__isnull=True, user__isnull=False),
                name="restriction_one_active_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({'lifted' if self.lifted_at else 'in force'})"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class Correction(models.Model):
    """One field of a person's record corrected (DSR-3): the old and new values, who
    made the change and when, and the request it answers if any.

    The values are kept encrypted with the school's key (SEC-2), for every field: for
    the sensitive ones (SEN, FSM, ethnicity, medical notes) the record then holds what
    the access log does not (it says only "changed"). They are stored as JSON, so a
    blank (null) and an empty text stay apart."""

    class Source(models.TextChoices):
        EDIT = "edit", "An edit of the record"
        REQUEST = "request", "A request for correction"

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
    field = models.CharField(max_length=100)
    sensitive = models.BooleanField(default=False)
    old_value = EncryptedTextField(null=True, blank=True)
    new_value = EncryptedTextField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.EDIT)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_at = models.DateTimeField()
    request_id = models.PositiveIntegerField(null=True, blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-corrected_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=ONE_PERSON, name="correction_one_person"),
        ]
        indexes = [
            models.Index(fields=["school", "pupil"]),
            models.Index(fields=["school", "user"]),
        ]

    def __str__(self) -> str:
        return f"{self.field} corrected"


class NoticeVersion(models.Model):
    """One published version of the privacy notice (DSR-10): its text as published,
    the digest of what it says (purposes, categories and the rest of the inventory's
    rows), and when it was in force. Not a school's: the notice is Markbook's."""

    digest = models.CharField(max_length=64, db_index=True)
    rows = models.JSONField(help_text="The inventory's rows as the notice stated them.")
    html = models.TextField()
    text = models.TextField()
    published_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return f"Privacy notice of {self.published_at:%d %B %Y}"


class NoticeAlert(models.Model):
    """A school's administrators told that the privacy notice changed (DSR-10): shown on
    the school's page until one of them dismisses it; `summary` lists what changed."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(NoticeVersion, on_delete=models.CASCADE, related_name="alerts")
    previous = models.ForeignKey(
        NoticeVersion, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.JSONField(default=list)
    created_at = models.DateTimeField()
    told_admins = models.PositiveIntegerField(default=0)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint("school", "version", name="notice_alert_per_school_version")
        ]

    def __str__(self) -> str:
        return f"Privacy notice changed ({self.created_at:%d %B %Y})"


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


class LegalHold(models.Model):
    """A hold on a person's data (RET-3): while it is in place (not lifted) nothing of
    theirs is erased, by a request or by a deletion. Placed and lifted by the school's
    data protection lead, each with a reason."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    # The person: a pupil, or a member of staff or parent (their account).
    pupil = models.ForeignKey(
        "rosters.Pupil", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="legal_holds",
    )
    reason = models.TextField(max_length=1000, validators=[MaxLengthValidator(1000)])
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(
        max_length=1000, blank=True, validators=[MaxLengthValidator(1000)]
    )
    # Or a class (its pupils and teachers), or the whole school (RET-3): erasure and
    # the retention engine leave every one of them alone while the hold is in place.
    # A class under a hold in place is not deleted (rosters.services refuse it); a
    # lifted hold outlives its class, as the record of the decision.
    teaching_class = models.ForeignKey(
        "rosters.TeachingClass",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    whole_school = models.BooleanField(default=False)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pupil__isnull=False)
                | models.Q(user__isnull=False)
                | models.Q(teaching_class__isnull=False)
                | models.Q(whole_school=True)
                | models.Q(lifted_at__isnull=False),
                name="legal_hold_on_someone",
            )
        ]

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class Suppression(models.Model):
    """A keyed hash (HMAC with MARKBOOK_HASH_KEY) of an erased person's email address,
    UPN, MIS or OneRoster id, username or full name (DSR-4): imports and self-registration do not create an
    account or pupil for it again unless the school says so. Never the value itself."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email address"
        UPN = "upn", "UPN"
        MIS_ID = "mis_id", "MIS id"
        ONEROSTER_ID = "oneroster_id", "OneRoster id"
        # A class list names pupils only by name and username.
        USERNAME = "username", "Username"
        NAME = "name", "Full name"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint("school", "kind", "digest", name="suppression_once")]


class RetentionOverride(models.Model):
    """A school's shorter retention period for one rule of RET-1 (RET-2): in days, never
    longer than the default (retention.rules.override_problem; refused otherwise). Who
    set it is in the access log."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)
    days = models.PositiveIntegerField()
    set_at = models.DateTimeField()

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint("school", "key", name="retention_override_once"),
            models.CheckConstraint(condition=models.Q(days__gte=1), name="retention_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.days} days"


class RetentionRun(models.Model):
    """One run of the retention engine for one school (RET-4): counts per category of
    what it deleted (or, for a dry run, would delete) and held back, never what the
    data was; updated as it goes, so a page shows a running one's progress."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    dry_run = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    held = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["school", "state"])]

    def __str__(self) -> str:
        return f"Retention run {self.pk} ({self.state})"


class RetentionWarning(models.Model):
    """An account the retention engine will delete soon for not being signed in to
    (RET-1): listed for the school's administrators, who were emailed once about it.
    Removed when the account is deleted or signed in to again."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField()
    warned_at = models.DateTimeField()

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [models.UniqueConstraint("school", "user", name="retention_warning_once")]

    def __str__(self) -> str:
        return f"Account due for deletion on {self.due_on}"
