from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import models
from django.utils import timezone

from markbook.core.fields import EncryptedBooleanField, EncryptedTextField
from markbook.core.tenancy import SchoolScopedManager
from markbook.rosters import codes

YEAR_GROUPS = [("N1", "N1"), ("N2", "N2"), ("R", "Reception")] + [
    (str(n), f"Year {n}") for n in range(1, 14)
]

# A school's medical notes on a pupil: a few paragraphs, not a medical record (DSR-1).
MEDICAL_NOTES_MAX = 2000


class Pupil(models.Model):
    """A pupil of one school (TEN-1), with the optional MIS fields of ROS-2.

    SEN, FSM, disadvantaged, ethnicity and medical notes are encrypted with the
    school's key (SEC-2).
    """

    class Sex(models.TextChoices):
        MALE = "M", "Male"
        FEMALE = "F", "Female"

    class Status(models.TextChoices):
        ON_ROLL = "on_roll", "On roll"
        LEFT = "left", "Left"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="pupils")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pupil",
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    pseudonym = models.CharField(max_length=100, blank=True)
    username = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    upn = models.CharField("UPN", max_length=13, null=True, blank=True)  # noqa: DJ001 - unique when set
    # HMAC of the UPN (settings.MARKBOOK_HASH_KEY): imports match on it, and a school
    # with pseudonyms keeps only this, never the UPN itself (ACC-3).
    upn_hash = models.CharField("UPN hash", max_length=64, blank=True, db_index=True)
    mis_id = models.CharField("MIS id", max_length=50, blank=True)
    oneroster_id = models.CharField(
        "OneRoster sourcedId",
        max_length=255,
        blank=True,
        help_text="The pupil's sourcedId in the last OneRoster file imported.",  # ROS-4
    )
    # Blank only when an import could not tell it (a OneRoster pupil with no grades).
    year_group = models.CharField(max_length=2, choices=YEAR_GROUPS, blank=True)
    registration_group = models.CharField(max_length=50, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    uln = models.CharField("ULN", max_length=10, blank=True)
    eal = models.BooleanField("EAL", null=True, blank=True)
    gifted_talented = models.BooleanField(null=True, blank=True)
    ks2_reading = models.PositiveSmallIntegerField(null=True, blank=True)
    ks2_maths = models.PositiveSmallIntegerField(null=True, blank=True)
    fsm = EncryptedBooleanField("FSM", null=True, blank=True)
    disadvantaged = EncryptedBooleanField(null=True, blank=True)
    sen_provision = EncryptedTextField(
        "SEN provision",
        max_length=4,
        null=True,
        blank=True,
        choices=list(codes.SEN_PROVISION.items()),
    )
    sen_need = EncryptedTextField(
        "SEN primary need",
        max_length=4,
        null=True,
        blank=True,
        choices=list(codes.SEN_NEED.items()),
    )
    ethnicity = EncryptedTextField(
        max_length=4, null=True, blank=True, choices=list(codes.ETHNICITY.items())
    )
    medical_notes = EncryptedTextField(max_length=MEDICAL_NOTES_MAX, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ON_ROLL)
    left_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            models.UniqueConstraint("school", "username", name="pupil_username_per_school"),
            models.UniqueConstraint(
                "school", "upn", condition=models.Q(upn__isnull=False), name="pupil_upn_per_school"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.school.pseudonymise_pupils and self.pseudonym:
            return self.pseudonym
        return f"{self.first_name} {self.last_name}".strip() or self.pseudonym or self.username

    def email_for_staff(self) -> str | None:
        """TEN-5: the address if it is in one of the school's domains, else None."""
        if self.email and self.school.has_domain(self.email):
            return self.email
        return None


class GuardianLink(models.Model):
    """A parent or carer linked to a child (TEN-3: a parent sees only linked children)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="children_links"
    )
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="guardian_links")
    relationship = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint("parent", "pupil", name="guardian_once")]


class TeachingClass(models.Model):
    """A teaching class: subject, year group, academic year; teachers and pupils attached.

    A class of a closed (archived) year is read-only: no enrolments, no marks."""

    class Kind(models.TextChoices):
        TEACHING = "teaching", "Teaching class"
        # A form or tutor group (OneRoster's homeroom), kept so an export says so (ROS-4).
        REGISTRATION = "registration", "Registration group"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="classes")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TEACHING)
    subject = models.CharField(max_length=100, blank=True)
    year_group = models.CharField(max_length=2, choices=YEAR_GROUPS, blank=True)
    # Deleting a year with classes is refused, unless the school itself is deleted.
    academic_year = models.ForeignKey(
        "schools.AcademicYear", on_delete=models.RESTRICT, related_name="classes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "teaching classes"
        constraints = [
            models.UniqueConstraint("school", "academic_year", "name", name="class_name_per_year")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def archived(self) -> bool:
        """Its academic year was closed by the year-end rollover: kept, read-only."""
        return self.academic_year.archived


class ClassTeacher(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    teaching_class = models.ForeignKey(
        TeachingClass, on_delete=models.CASCADE, related_name="teacher_links"
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_links"
    )

    objects = SchoolScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint("teaching_class", "teacher", name="teacher_once")]


class Enrolment(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    teaching_class = models.ForeignKey(
        TeachingClass, on_delete=models.CASCADE, related_name="enrolments"
    )
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="enrolments")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint("teaching_class", "pupil", name="enrolled_once")]


class ImportJob(models.Model):
    """A confirmed roster import waiting for, or run by, the background worker (ROS-2, ROS-4).

    The upload is kept only until the task has run, encrypted with the school's key
    (SEC-2); it is blanked when the job finishes or fails. `summary` holds counts
    only, never personal data. A job in status `preview` is not an import yet: the
    upload an administrator previewed, kept the same way for up to an hour so that
    confirming needs no second upload, and deleted once confirmed, cancelled or expired.

    `heartbeat_at` is the job's last sign of life: when it was queued (or queued
    again), claimed by the worker, or reported progress. A job is *stalled* when that
    is too long ago for its status (`stall_cutoffs`): its worker died, or no worker
    runs. `attempt` counts the runs a retry allowed; each transition is a conditional
    UPDATE on it, so two attempts never both run (see imports/jobs.py).
    """

    class Kind(models.TextChoices):
        MIS = "mis", "MIS export"
        ONEROSTER = "oneroster", "OneRoster zip"

    class Status(models.TextChoices):
        # A previewed upload kept for its confirmation, for an hour (imports/jobs.py).
        PREVIEW = "preview", "Previewed"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    filename = models.CharField(max_length=200, blank=True)
    # The import's choices (column mapping, full import): column headers, no pupil data.
    options = models.JSONField(default=dict, blank=True)
    # The file (base64), encrypted with the school's key; None once the job has run.
    upload = EncryptedTextField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # What progress_done and progress_total count: "rows checked", "pupil records written".
    progress_stage = models.CharField(max_length=40, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    attempt = models.PositiveSmallIntegerField(default=1)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def stalled(self) -> bool:
        """No sign of life for longer than its status allows (ROS-2, ROS-4)."""
        cutoff = stall_cutoffs(timezone.now()).get(self.status)
        return cutoff is not None and self.heartbeat_at < cutoff

    @property
    def upload_kept(self) -> bool:
        """Whether the uploaded file is still held, without decrypting it."""
        if "upload" not in self.__dict__:  # deferred
            self.refresh_from_db(fields=["upload"])
        return self.__dict__["upload"] is not None

    @property
    def retryable(self) -> bool:
        """Stalled, and its file is still kept: an administrator may queue it again."""
        return self.stalled and self.upload_kept

    @property
    def state_label(self) -> str:
        return "Stalled" if self.stalled else self.get_status_display()

    @classmethod
    def stalled_q(cls, now: datetime) -> models.Q:
        """The rows `stalled` is true of at `now`, as one filter (the same cutoffs)."""
        return reduce(
            or_,
            (models.Q(status=s, heartbeat_at__lt=c) for s, c in stall_cutoffs(now).items()),
        )


def stall_cutoffs(now: datetime) -> dict[str, datetime]:
    """Per unfinished status, the last sign of life older than which a job is stalled:
    running with no progress saved for MARKBOOK_IMPORT_STALL_MINUTES (its worker
    died), or queued and not started for MARKBOOK_IMPORT_QUEUE_HOURS (no worker runs)."""
    return {
        ImportJob.Status.RUNNING: now - timedelta(minutes=settings.MARKBOOK_IMPORT_STALL_MINUTES),
        ImportJob.Status.QUEUED: now - timedelta(hours=settings.MARKBOOK_IMPORT_QUEUE_HOURS),
    }
