"""Data-subject requests (DSR-6, DSR-8, DSR-9) and the school's term dates.

A `DataRequest` records what is asked (its kind), whose data it is about (a pupil
record, or the account of a parent or member of staff), who asked and how it
arrived, how the requester's identity was checked, and its stage as stored state.
Every change of stage is a `DataRequestEvent` row (and an access-log event); the
stage only ever moves by a conditional UPDATE naming the stage it expects, so no
stage runs twice at once (rights/services.py).

`SchoolCalendarPeriod` holds the school's terms and closure days, which define the
school days of a parent's request for their child's educational record (DSR-8).
"""

from django.conf import settings
from django.db import models

from markbook.core.fields import EncryptedTextField
from markbook.core.tenancy import SchoolScopedManager

DETAILS_MAX = 4000
NOTE_MAX = 2000


class DataRequest(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", "A copy of the data held (subject access)"
        PORTABILITY = "portability", "The data in a form to take elsewhere"
        RECTIFICATION = "rectification", "Correct data that is wrong"
        ERASURE = "erasure", "Erase the data"
        RESTRICTION = "restriction", "Restrict how the data is used"
        OBJECTION = "objection", "Object to how the data is used"
        EDUCATIONAL_RECORD = "educational_record", "See a child's educational record"

    class SubjectKind(models.TextChoices):
        PUPIL = "pupil", "A pupil"
        PARENT = "parent", "A parent or carer"
        STAFF = "staff", "A member of staff"

    class Requester(models.TextChoices):
        SELF = "self", "The person themself"
        PARENT = "parent", "A parent or carer for their child"
        SCHOOL = "school", "The school, on the person's behalf"

    class Channel(models.TextChoices):
        OWN_PAGE = "own_page", "Their own Markbook page"
        LETTER = "letter", "A letter"
        EMAIL = "email", "An email"
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "A telephone call"

    class Stage(models.TextChoices):
        RECEIVED = "received", "Received"
        IDENTITY_CHECKED = "identity_checked", "Identity checked"
        APPROVED = "approved", "Approved"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"

    class IdentityMethod(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in to their own Markbook account"
        KNOWN_IN_PERSON = "known_in_person", "Known to staff and seen in person"
        DOCUMENT = "document", "An identity document was checked"
        KNOWN_CONTACT = "known_contact", "Confirmed through contact details the school holds"
        OTHER = "other", "Another way (described in the note)"

    OPEN = (Stage.RECEIVED, Stage.IDENTITY_CHECKED, Stage.APPROVED, Stage.IN_PROGRESS, Stage.FAILED)
    CLOSED = (Stage.DONE, Stage.REFUSED)

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject_kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    # The data subject: a pupil record, or the account of a parent or member of staff.
    # Kept (unlinked) when the person is erased: the request is the school's record.
    subject_pupil = models.ForeignKey(
        "rosters.Pupil", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requester_kind = models.CharField(max_length=10, choices=Requester.choices)
    # The requester's account when they have one (a pupil or parent asking on their page).
    requester_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who wrote, as the letter or email gives it, when the school records a request.
    requester_name = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What is asked: what to correct, what to erase. Encrypted with the school's key:
    # it may name sensitive data ("my SEN record is wrong").
    details = EncryptedTextField(max_length=DETAILS_MAX, null=True, blank=True)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.RECEIVED)
    received_on = models.DateField()
    due_on = models.DateField()
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    extension_reason = models.TextField(blank=True)
    identity_method = models.CharField(max_length=20, choices=IdentityMethod.choices, blank=True)
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    identity_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_reason = models.TextField(blank=True)
    # Carried out by the data protection lead by hand (no handler for its kind).
    by_hand = models.BooleanField(default=False)
    outcome_note = models.TextField(blank=True)
    # The last failure: the stage it stopped in, and the error.
    failed_stage = models.CharField(max_length=20, blank=True)
    error = models.TextField(blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_stage = models.CharField(max_length=60, blank=True)
    # Where the handler got to (its own keys), so a retry resumes there (DSR-9).
    checkpoint = models.JSONField(default=dict, blank=True)
    # What the handler reported when done: counts and references, no personal data.
    result = models.JSONField(default=dict, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the requester opened the request after it was done or refused: until then
    # their home page shows a notice of the outcome.
    requester_seen_at = models.DateTimeField(null=True, blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["school", "stage", "due_on"], name="rights_request_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request {self.pk} ({self.stage})"

    @property
    def is_open(self) -> bool:
        return self.stage in self.OPEN

    @property
    def extended(self) -> bool:
        return self.extended_at is not None


class DataRequestEvent(models.Model):
    """One change of a request's stage, or a note on it: who, when, from, to (DSR-9)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_stage = models.CharField(max_length=20, blank=True)
    to_stage = models.CharField(max_length=20)
    note = models.TextField(blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["at", "pk"]


class SchoolCalendarPeriod(models.Model):
    """A term of the school, or days it is closed inside a term (DSR-8)."""

    class Kind(models.TextChoices):
        TERM = "term", "Term"
        CLOSURE = "closure", "Closed (half term, training day, holiday)"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100)
    start = models.DateField()
    end = models.DateField()

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["start", "kind", "pk"]
        constraints = [
            models.UniqueConstraint("school", "kind", "start", name="calendar_period_once"),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="calendar_period_ordered"
            ),
        ]


class ServiceTold(models.Model):
    """The school told a service on its register of a change to a person's data
    (DSR-10: "and records when it did"): which service, which change (a request, a
    restriction or a correction), who told it, when, with an optional note."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(
        "consent.ServiceEntry", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the service was called when it was told, kept if it later leaves the register.
    service_called = models.CharField(max_length=200)
    request = models.ForeignKey(
        DataRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="told"
    )
    restriction = models.ForeignKey(
        "privacy.Restriction", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # For a person's corrections: the latest correction when the service was told.
    correction = models.ForeignKey(
        "privacy.Correction", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    told_at = models.DateTimeField()
    note = models.TextField(max_length=NOTE_MAX, blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["told_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        request__isnull=False, restriction__isnull=True, correction__isnull=True
                    )
                    | models.Q(
                        request__isnull=True, restriction__isnull=False, correction__isnull=True
                    )
                    | models.Q(
                        request__isnull=True, restriction__isnull=True, correction__isnull=False
                    )
                ),
                name="servicetold_one_change",
            ),
            models.UniqueConstraint(
                "school",
                "service",
                "request",
                condition=models.Q(request__isnull=False),
                name="servicetold_once_per_request",
            ),
            models.UniqueConstraint(
                "school",
                "service",
                "restriction",
                condition=models.Q(restriction__isnull=False),
                name="servicetold_once_per_restriction",
            ),
            models.UniqueConstraint(
                "school",
                "service",
                "correction",
                condition=models.Q(correction__isnull=False),
                name="servicetold_once_per_correction",
            ),
        ]
