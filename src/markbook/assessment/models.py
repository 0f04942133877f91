"""Assignments and the marks pupils get for them (ASM-1, ASM-3).

Scores are checked against the assignment's maximum in `services.mark_record`, not in
the database. An assignment with boundaries turns a mark into a grade on its subject's
scale (`AssignmentBoundary`, the lowest mark for each grade). A mark's `version` grows
with every change, so a write based on an old version is refused rather than silently
overwriting a colleague's (ASM-3).
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models

from markbook.core.tenancy import SchoolScopedManager


class TrustAssignment(models.Model):
    """A trust administrator's original of work set to classes across the trust's schools
    (ASM-1). Not a tenant table: it belongs to the trust, and only that trust's
    administrators reach it (through the /trust/<trust_id>/ URLs admission admits). Each
    school gets its own `Assignment` copy, linked by `Assignment.trust_origin`; classes
    can be added later, each getting its copy of the original as it then is. Deleting
    the original deletes its copies without marks; a copy with marks stays with its
    school as that school's own assignment (the link cleared) unless the trust
    administrator chooses it for deletion and types the title to confirm
    (`services.trust_assignment_delete`)."""

    trust = models.ForeignKey("schools.Trust", on_delete=models.CASCADE, related_name="assignments")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, default="homework")
    due_date = models.DateField(null=True, blank=True)
    max_mark = models.DecimalField(max_digits=7, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return self.title


class Assignment(models.Model):
    """A piece of work set to one class: title, kind, due date, maximum mark (ASM-1)."""

    class Kind(models.TextChoices):
        HOMEWORK = "homework", "Homework"
        CLASSWORK = "classwork", "Classwork"
        TEST = "test", "Test"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    teaching_class = models.ForeignKey(
        "rosters.TeachingClass", on_delete=models.CASCADE, related_name="assignments"
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HOMEWORK)
    subject = models.ForeignKey(
        "tracking.Subject",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
        help_text="The subject whose scale the grade boundaries use.",
    )
    due_date = models.DateField(null=True, blank=True)
    max_mark = models.DecimalField(
        max_digits=7, decimal_places=2, validators=[MinValueValidator(0.01)]
    )
    oneroster_id = models.CharField(
        "OneRoster sourcedId",
        max_length=255,
        blank=True,
        help_text="The lineItem's sourcedId in the OneRoster file it came from.",  # ROS-4
    )
    trust_origin = models.ForeignKey(
        TrustAssignment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="copies",
        help_text="The trust's original this assignment is a copy of.",
    )
    # Homework that is a practice set (ASM-1, ASM-2): the markbook shows each pupil's
    # completion, and with `score_is_mark` their score (correct answers out of the
    # set's questions) becomes the mark, unless a teacher entered one.
    question_set = models.ForeignKey(
        "practice.QuestionSet",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The practice set pupils do for this assignment.",
    )
    score_is_mark = models.BooleanField(
        "The practice score counts as the mark",
        default=False,
        help_text="Correct answers out of the set's questions are recorded as each pupil's "
        "mark, unless a teacher has entered one.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["due_date", "title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_mark__gt=0), name="assignment_max_mark_positive"
            )
        ]

    def __str__(self) -> str:
        return self.title


class AssignmentBoundary(models.Model):
    """The lowest mark that earns a grade on the assignment's subject's scale."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="boundaries")
    grade = models.ForeignKey("tracking.Grade", on_delete=models.CASCADE, related_name="+")
    minimum_mark = models.DecimalField(max_digits=7, decimal_places=2)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["assignment_id", "-minimum_mark"]
        constraints = [
            models.UniqueConstraint(
                "school", "assignment", "grade", name="boundary_once_per_grade"
            ),
        ]


class Mark(models.Model):
    """One pupil's mark for one assignment: a score, or Absent, or Not required (ASM-3).

    A cell cleared in the markbook keeps its row as `CLEARED` (no score), so its version
    goes on growing and a write based on the mark it held is told the cell changed;
    everything that reads marks (completion, averages, results, exports) takes a
    cleared mark as no mark (`HELD`)."""

    class Status(models.TextChoices):
        MARKED = "marked", "Marked"
        ABSENT = "absent", "Absent"
        NOT_REQUIRED = "not_required", "Not required"
        CLEARED = "cleared", "Cleared"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="marks")
    pupil = models.ForeignKey("rosters.Pupil", on_delete=models.CASCADE, related_name="marks")
    score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.MARKED)
    feedback = models.TextField(max_length=2000, blank=True, validators=[MaxLengthValidator(2000)])
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Recorded from the pupil's practice attempt (ASM-2), not entered by a teacher: a
    # later, better attempt may replace it; a teacher's mark is never replaced.
    from_practice = models.BooleanField(default=False)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["assignment_id", "pupil_id"]
        constraints = [
            models.UniqueConstraint("school", "assignment", "pupil", name="mark_once_per_pupil"),
        ]
        # A pupil's marks, found without reading the school's (export, erasure: DSR-2,
        # DSR-4); the planner otherwise takes the unique index's school prefix.
        indexes = [models.Index(fields=["school", "pupil"], name="mark_school_pupil")]

    def __str__(self) -> str:
        return f"{self.assignment_id}/{self.pupil_id}: {self.score} ({self.status})"


# The marks a pupil holds: not the rows of cleared cells (kept for their version, ASM-3).
HELD = ~models.Q(status=Mark.Status.CLEARED)
# What a mark may be recorded as.
RECORDED_STATUSES = tuple(s for s in Mark.Status.values if s != Mark.Status.CLEARED)
