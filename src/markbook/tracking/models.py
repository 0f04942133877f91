"""Tracking (ASM-4): subjects, grade scales mapped onto common bands, data drops, and
per pupil and subject a target and the grades collected at each drop.

Every table is a tenant table: it carries `school`, its unique constraints start with
`school` (so the Citus plan, distributed by school, stays true) and it is read through
django-scopes' `ScopedManager` (TEN-4).

- A `GradeScale` is a school's copy of a built-in scale (GCSE 9-1, A level, BTEC, KS2
  scaled score, percentage) or one the school defines. Its `Grade`s are ordered by
  `rank` (higher is better). A numeric scale (KS2 80-120, percentages) takes any number
  between `minimum` and `maximum`; its grades are then thresholds: a number counts as
  the highest grade whose `minimum` it reaches.
- `Band`s are the school's common bands (an editable table); every grade of every scale
  maps onto one, so unlike scales can be compared in one analysis (ASM-5).
- A `Subject` is taught on one scale; `SubjectClass` links a teaching class to its
  subject (classes keep the free-text subject their MIS or OneRoster file gave them).
- A `DataDrop` is an assessment point: a date, the year groups it covers, the fields it
  collects (`DropField`: working at, predicted, effort or any school-defined field,
  each on the subject's scale or a scale of its own), an entry deadline and a lock.
- A `Target` per pupil and subject, derived from KS2 prior attainment by the school's
  `TargetRule` table, imported, or set by a teacher; `path` says whether the expected
  grade is the target at every drop (flat) or a flight path from the starting grade.
- A `TrackingEntry` is one pupil's value of one drop field in one subject. `version`
  grows with every change, so a write based on an old version is refused (ASM-3's
  conflict rule, shared with marks).
"""

from django.conf import settings
from django.db import models

from markbook.core.tenancy import SchoolScopedManager


class GradeScale(models.Model):
    class Kind(models.TextChoices):
        GCSE = "gcse", "GCSE 9-1"
        A_LEVEL = "a_level", "A level A*-E"
        BTEC = "btec", "BTEC"
        KS2 = "ks2", "KS2 scaled score"
        PERCENT = "percent", "Percentage"
        CUSTOM = "custom", "School-defined"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CUSTOM)
    numeric = models.BooleanField(
        default=False, help_text="Grades are entered as numbers between the minimum and maximum."
    )
    minimum = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    maximum = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint("school", "name", name="gradescale_name_once_per_school"),
        ]

    def __str__(self) -> str:
        return self.name


class Band(models.Model):
    """One of the school's common bands, onto which every scale's grades map (ASM-4)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=50)
    rank = models.PositiveSmallIntegerField(help_text="Higher is better.")

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["rank", "pk"]
        constraints = [
            models.UniqueConstraint("school", "rank", name="band_rank_once_per_school"),
            models.UniqueConstraint("school", "name", name="band_name_once_per_school"),
        ]

    def __str__(self) -> str:
        return self.name


class Grade(models.Model):
    """A grade of a scale, in order (`rank`, higher is better), mapped onto a band."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    scale = models.ForeignKey(GradeScale, on_delete=models.CASCADE, related_name="grades")
    label = models.CharField(max_length=20)
    rank = models.SmallIntegerField(help_text="Higher is better.")
    minimum = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="On a numeric scale, the lowest number that counts as this grade.",
    )
    band = models.ForeignKey(Band, null=True, blank=True, on_delete=models.SET_NULL)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["scale_id", "rank", "pk"]
        constraints = [
            models.UniqueConstraint("school", "scale", "label", name="grade_label_once_per_scale"),
            models.UniqueConstraint("school", "scale", "rank", name="grade_rank_once_per_scale"),
        ]

    def __str__(self) -> str:
        return self.label


class Subject(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=20, blank=True)
    scale = models.ForeignKey(GradeScale, on_delete=models.PROTECT, related_name="subjects")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint("school", "name", name="subject_name_once_per_school"),
        ]

    def __str__(self) -> str:
        return self.name


class SubjectClass(models.Model):
    """Which subject a teaching class is tracked in (one subject per class)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="class_links")
    teaching_class = models.ForeignKey(
        "rosters.TeachingClass", on_delete=models.CASCADE, related_name="subject_links"
    )

    objects = SchoolScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "school", "teaching_class", name="subjectclass_one_subject_per_class"
            ),
        ]


class DataDrop(models.Model):
    """An assessment point (ASM-4): what is collected, from whom, by when."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    date = models.DateField()
    year_groups = models.JSONField(default=list, blank=True, help_text="NC year codes.")
    deadline = models.DateField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint("school", "name", name="datadrop_name_once_per_school"),
        ]

    def __str__(self) -> str:
        return self.name


class DropField(models.Model):
    """One thing a drop collects: working at, predicted, effort or a school's own."""

    WORKING_AT, PREDICTED, EFFORT = "working_at", "predicted", "effort"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    drop = models.ForeignKey(DataDrop, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(max_length=30)
    label = models.CharField(max_length=50)
    scale = models.ForeignKey(
        GradeScale,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: each subject's own scale.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["drop_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint("school", "drop", "key", name="dropfield_key_once_per_drop"),
        ]

    def __str__(self) -> str:
        return self.label


class TargetRule(models.Model):
    """The school's table from KS2 prior attainment to a target on a scale (ASM-4)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    scale = models.ForeignKey(GradeScale, on_delete=models.CASCADE, related_name="target_rules")
    ks2_minimum = models.PositiveSmallIntegerField(
        help_text="The lowest KS2 scaled score (average of reading and maths) for this target."
    )
    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, related_name="+")

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["scale_id", "ks2_minimum"]
        constraints = [
            models.UniqueConstraint(
                "school", "scale", "ks2_minimum", name="targetrule_once_per_score"
            ),
        ]


class Target(models.Model):
    class Source(models.TextChoices):
        KS2 = "ks2", "From KS2 prior attainment"
        IMPORTED = "imported", "Imported"
        TEACHER = "teacher", "Set by a teacher"

    class Path(models.TextChoices):
        FLAT = "flat", "Flat (the target at every drop)"
        STEPPED = "stepped", "Stepped (a flight path to the target)"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey("rosters.Pupil", on_delete=models.CASCADE, related_name="targets")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="targets")
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    path = models.CharField(max_length=10, choices=Path.choices, default=Path.FLAT)
    starting_grade = models.ForeignKey(
        Grade,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where a stepped path starts.",
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "school", "pupil", "subject", name="target_once_per_pupil_subject"
            ),
        ]


class TrackingEntry(models.Model):
    """One pupil's value of one drop field in one subject: a grade, or a number on a
    numeric scale."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    drop = models.ForeignKey(DataDrop, on_delete=models.CASCADE, related_name="entries")
    field = models.ForeignKey(DropField, on_delete=models.CASCADE, related_name="entries")
    pupil = models.ForeignKey(
        "rosters.Pupil", on_delete=models.CASCADE, related_name="tracking_entries"
    )
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="entries")
    grade = models.ForeignKey(Grade, null=True, blank=True, on_delete=models.PROTECT)
    value = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["drop_id", "subject_id", "pupil_id", "field_id"]
        constraints = [
            models.UniqueConstraint(
                "school", "field", "pupil", "subject", name="trackingentry_once_per_cell"
            ),
        ]
        # A pupil's entries, found without reading the school's (DSR-2, DSR-4).
        indexes = [models.Index(fields=["school", "pupil"], name="entry_school_pupil")]


# The entries that hold a value: not the rows of cleared cells, kept for their version
# (ASM-3's conflict rule) and counted nowhere.
HELD = models.Q(grade__isnull=False) | models.Q(value__isnull=False)
