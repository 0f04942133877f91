"""Online practice (ASM-2, ASM-6, ASM-7, ASM-8).

Every table is a tenant table (`school`, school-first unique constraints, scoped
manager; TEN-4).

- A `QuestionSet` is what a pupil practises: a generated bank (times tables,
  arithmetic in a graded range: `generator` holds its parameters) or a teacher's own
  questions (`Question` rows). In `TRIAL` mode it is timed: `question_count`
  questions, `seconds_per_question` each (the multiplication tables check: 25 x 6 s).
- `PromptMedia` is an image or audio prompt a teacher uploaded for a question, stored
  per school and served only to that school's users.
- An `Attempt` is one pupil working through one set, possibly as the work of an
  `assessment.Assignment`. It is resumable on any device (ASM-8): the server keeps
  which question is current and, for a trial, each question's deadline.
- An `Item` is one question put to the pupil in an attempt: chosen and timed by the
  server (`asked_at`, `deadline`), answered once (`answered_at`, `response`,
  `correct`, `response_ms`, `points`). The expected answer stays on the server
  (`expected`), never in a response before the pupil answers. `fact` names a
  times-table or arithmetic fact ("7x8", "56/8") or a teacher's question ("q:<id>"),
  for the heat maps; `style` is what diminishing points count repeats of.
- `FairUseEvent` records each warning, suspension and reinstatement of a pupil's
  practice (ASM-7); the latest decides whether the pupil may practise.
"""

from django.conf import settings
from django.db import models

from markbook.core.tenancy import SchoolScopedManager


class QuestionSet(models.Model):
    class Kind(models.TextChoices):
        TIMES_TABLES = "times_tables", "Times tables"
        ARITHMETIC = "arithmetic", "Arithmetic"
        CUSTOM = "custom", "Teacher's questions"

    class Mode(models.TextChoices):
        PRACTICE = "practice", "Practice"
        TRIAL = "trial", "Timed trial"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.PRACTICE)
    question_count = models.PositiveSmallIntegerField(default=25)
    seconds_per_question = models.PositiveSmallIntegerField(null=True, blank=True)
    # A generated bank's parameters, e.g. {"tables": [2, 3], "operations": ["multiply"]}
    # or {"operation": "add", "level": 2}; empty for a teacher's questions.
    generator = models.JSONField(default=dict, blank=True)
    description = models.TextField(max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    # Counts the changes to the set or its questions (authoring.py): a form saved
    # unchanged leaves it alone.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint("school", "title", name="questionset_title_once_per_school")
        ]

    def __str__(self) -> str:
        return self.title


def _media_path(instance: "PromptMedia", filename: str) -> str:
    # Stored per school; the original name is kept in the row, never in the path.
    return f"practice/{instance.school_id}/{instance.token}"


class PromptMedia(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        AUDIO = "audio", "Audio"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, help_text="Random name of the stored file.")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True)
    file = models.FileField(upload_to=_media_path, max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint("school", "token", name="promptmedia_token_once")]


class Question(models.Model):
    class Kind(models.TextChoices):
        NUMERIC = "numeric", "Numeric"
        CHOICE = "choice", "Multiple choice"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    question_set = models.ForeignKey(
        QuestionSet, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    prompt = models.TextField(max_length=2000)
    media = models.ForeignKey(
        PromptMedia, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Numeric: the answer, an allowed tolerance either side, optional units shown.
    answer = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    tolerance = models.DecimalField(max_digits=18, decimal_places=6, default=0)
    units = models.CharField(max_length=30, blank=True)
    # Multiple choice: 2-6 option texts and the indexes of the correct ones (one or more).
    choices = models.JSONField(default=list, blank=True)
    correct = models.JSONField(default=list, blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["question_set", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                "school", "question_set", "position", name="question_position_once"
            )
        ]


class Attempt(models.Model):
    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey("rosters.Pupil", on_delete=models.CASCADE, related_name="+")
    question_set = models.ForeignKey(QuestionSet, on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(
        "assessment.Assignment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    mode = models.CharField(max_length=10, choices=QuestionSet.Mode.choices)
    total = models.PositiveSmallIntegerField(help_text="Questions in this attempt.")
    seconds_per_question = models.PositiveSmallIntegerField(null=True, blank=True)
    answered = models.PositiveSmallIntegerField(default=0)
    correct_count = models.PositiveSmallIntegerField(default=0)
    points = models.PositiveIntegerField(default=0)
    seed = models.BigIntegerField(default=0)
    started_at = models.DateTimeField()
    last_active_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # The question on screen now (None when finished): read with the attempt in the one
    # locking query of an answer (practice/answering.py), never looked up by position.
    current = models.ForeignKey(
        "Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The pupil's running state, locked with the attempt in that same query.
    standing = models.ForeignKey(
        "Standing", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-started_at", "pk"]
        indexes = [
            models.Index(fields=["school", "pupil", "state"], name="attempt_school_pupil_state")
        ]


class Item(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    pupil = models.ForeignKey("rosters.Pupil", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fact = models.CharField(max_length=40)
    style = models.CharField(max_length=40)
    prompt = models.CharField(max_length=200, blank=True)
    expected = models.CharField(max_length=100, blank=True)
    asked_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    response = models.CharField(max_length=100, blank=True)
    correct = models.BooleanField(null=True)
    timed_out = models.BooleanField(default=False)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    points = models.PositiveSmallIntegerField(default=0)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint("school", "attempt", "position", name="item_position_once")
        ]
        indexes = [
            models.Index(fields=["school", "pupil", "answered_at"], name="item_school_pupil_time")
        ]


class FairUseEvent(models.Model):
    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        SUSPENSION = "suspension", "Suspension"
        REINSTATEMENT = "reinstatement", "Reinstatement"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey("rosters.Pupil", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    reason = models.TextField(max_length=2000)
    attempt = models.ForeignKey(
        Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["school", "pupil", "created_at"], name="fairuse_school_pupil")
        ]


class Standing(models.Model):
    """One pupil's running practice state, one row per pupil, locked and updated with
    every answer so an answer costs the same however long the pupil's history is:

    - the points counted today and this week, and today's correct answers per style,
      for the caps and diminishing points (practice/points.py, ASM-2);
    - the response times of the latest consecutive answers of one type, the warnings
      since the last reinstatement and whether practice is suspended (ASM-7,
      practice/fairuse.py; `FairUseEvent` keeps the history of each decision);
    - the facts the pupil finds hard (wrong or slow), weighted, a bounded few, so the
      next question can bring them back more often.
    """

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.OneToOneField(
        "rosters.Pupil", on_delete=models.CASCADE, related_name="practice_standing"
    )
    day = models.DateField(null=True, blank=True)
    day_points = models.PositiveIntegerField(default=0)
    week = models.DateField(null=True, blank=True, help_text="The Monday of the week counted.")
    week_points = models.PositiveIntegerField(default=0)
    # {style: correct answers today}
    styles = models.JSONField(default=dict, blank=True)
    # The type ("set:<id>") of the latest run of answers and its response times (ms).
    run_type = models.CharField(max_length=40, blank=True)
    run_ms = models.JSONField(default=list, blank=True)
    warnings = models.PositiveSmallIntegerField(default=0)
    suspended = models.BooleanField(default=False)
    # {fact: weight}: the facts to bring back, at most practice.answering.WEAK_FACTS.
    weak = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint("school", "pupil", name="standing_once_per_pupil")]


class BoardEntry(models.Model):
    """One pupil's standing on the leaderboards for one period (ASM-6): the declared
    projection that the trust and global boards read across schools.

    It holds only what a board may show outside the pupil's class: the name already
    reduced to first name and surname initial (or the pupil's pseudonym where the
    school uses them), the school's name, and the period's points and timed-trial
    figures. A restricted pupil (DSR-5) has no rows at all; `on_trust` and `on_global`
    hold only for a pupil whose parents consented (CON-2) at a school that joined that
    board. Rows are written by `practice.boards` only: rebuilt per school from its
    own scoped data, and kept up to date by each answer.

    A tenant table like every other (school first in its unique constraint, scoped
    manager, row-level security): a school's writes can only touch its own rows, and the
    one cross-school read (`practice.board_reads`) is listed in UNSCOPED_ALLOW_LIST.
    """

    class Period(models.TextChoices):
        WEEK = "week", "This week"
        MONTH = "month", "This month"
        YEAR = "year", "This school year"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey("rosters.Pupil", on_delete=models.CASCADE, related_name="+")
    trust = models.ForeignKey(
        "schools.Trust", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.CharField(max_length=5, choices=Period.choices)
    starts = models.DateField(help_text="The period's first day.")
    name = models.CharField(max_length=120, help_text="First name and surname initial.")
    school_name = models.CharField(max_length=200)
    points = models.PositiveIntegerField(default=0)
    trial_correct = models.PositiveIntegerField(default=0)
    trial_ms = models.BigIntegerField(default=0)
    on_trust = models.BooleanField(default=False)
    on_global = models.BooleanField(default=False)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-points", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "school", "pupil", "period", "starts", name="boardentry_once_per_period"
            )
        ]
        indexes = [
            models.Index(fields=["period", "starts", "on_global"], name="boardentry_global"),
            models.Index(fields=["trust", "period", "starts"], name="boardentry_trust"),
            models.Index(fields=["school", "period", "starts"], name="boardentry_school"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.school_name}) {self.period} {self.starts}: {self.points}"

    @property
    def speed(self) -> float | None:
        """Correct times-table facts per minute in timed trials (None: too few to rank)."""
        from markbook.practice.boards import SPEED_MIN_FACTS

        if self.trial_correct < SPEED_MIN_FACTS or self.trial_ms <= 0:
            return None
        return self.trial_correct * 60000 / self.trial_ms
