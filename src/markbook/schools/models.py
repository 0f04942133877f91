import secrets
from datetime import date

from django.conf import settings
from django.db import models

from markbook.core.tenancy import SchoolScopedManager
from markbook.core.validators import validate_urn


def new_signin_slug() -> str:
    return secrets.token_urlsafe(12)


# The optional pupil fields a school may choose not to keep at all (ROS-5), with labels.
# Names, year group, UPN and MIS id are not optional: Markbook needs them to work.
KEEPABLE_PUPIL_FIELDS = {
    "registration_group": "Registration group",
    "sex": "Sex",
    "date_of_birth": "Date of birth",
    "uln": "ULN",
    "eal": "EAL",
    "gifted_talented": "Gifted and talented",
    "ks2_reading": "KS2 reading",
    "ks2_maths": "KS2 maths",
    "fsm": "FSM",
    "disadvantaged": "Disadvantaged (Pupil Premium)",
    "sen_provision": "SEN provision",
    "sen_need": "SEN primary need",
    "ethnicity": "Ethnicity",
    "medical_notes": "Medical notes",
}


def all_keepable_pupil_fields() -> list[str]:
    return list(KEEPABLE_PUPIL_FIELDS)


# The pupil fields a school may show its teachers for the pupils of their own classes
# (TEN-3), to plan lessons; every one shown is recorded in the access log (SEC-1).
TEACHER_VISIBLE_PUPIL_FIELDS = {
    name: KEEPABLE_PUPIL_FIELDS[name]
    for name in (
        "sen_provision",
        "sen_need",
        "disadvantaged",
        "fsm",
        "eal",
        "ks2_reading",
        "ks2_maths",
        "gifted_talented",
        "ethnicity",
        "medical_notes",
    )
}


def default_teacher_pupil_fields() -> list[str]:
    """SEN provision, Pupil Premium, EAL and KS2 results; never ethnicity or medical
    notes unless the school turns them on."""
    return ["sen_provision", "disadvantaged", "eal", "ks2_reading", "ks2_maths"]


# The ways a school's people may sign in (ACC-1): Markbook's own password, or an
# OpenID Connect identity from the school's Google or Microsoft accounts.
SIGNIN_METHODS = {
    "password": "Markbook password",
    "google": "Google",
    "microsoft": "Microsoft",
}


def default_signin_methods() -> list[str]:
    return ["password"]


class Trust(models.Model):
    """A multi-academy trust: schools whose trust administrators see all of them (TEN-1)."""

    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class TrustAdmin(models.Model):
    """A trust administrator (TEN-2): sees every school of the trust (TEN-3)."""

    trust = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trust_roles"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("trust", "user", name="trust_admin_once")]


class LiveSchools(models.Manager["School"]):
    """The schools that exist: a school whose data was deleted (schools.deletion) is
    left out of every page, list and sign-in (TEN-1, RET-5)."""

    def get_queryset(self) -> "models.QuerySet[School]":
        return super().get_queryset().filter(deleted_at__isnull=True)


class School(models.Model):
    """The tenant (TEN-1)."""

    class Status(models.TextChoices):
        TRIAL = "trial", "Trial"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        ENDED = "ended", "Ended"

    class Phase(models.TextChoices):
        PRIMARY = "primary", "Primary (to Year 6)"
        SECONDARY = "secondary", "Secondary (from Year 7)"
        ALL_THROUGH = "all_through", "All-through (Reception to Year 11 or 13)"

    name = models.CharField(max_length=200)
    urn = models.CharField(
        "URN", max_length=6, null=True, blank=True, unique=True, validators=[validate_urn]
    )
    trust = models.ForeignKey(
        Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="schools"
    )
    email_domains = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRIAL)
    subscription_ends = models.DateField(null=True, blank=True)
    # The subscription's lifecycle (TEN-1): changed by platform staff with a reason
    # (schools.lifecycle.school_status_change), each change in the access log.
    trial_ends = models.DateField(null=True, blank=True)
    ended_on = models.DateField(
        null=True, blank=True, help_text="When the subscription ended; its data goes a year later."
    )
    # The deletion reminders sent to the administrators of an ended school, each once:
    # "<deletion date>:<days before>", like "2027-12-02:90".
    deletion_reminders_sent = models.JSONField(default=list, blank=True)
    # When the school's data was deleted (schools.deletion): the row stays as the
    # record that the school existed, hidden by `School.objects`.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Emergency suspension by the school's administrators (ACC-6): while set, nobody but
    # them gets in, and background work for the school waits (schools.lifecycle).
    emergency_suspended_at = models.DateTimeField(null=True, blank=True)
    # Sessions signed in, and API tokens made, before this no longer open the school.
    sessions_valid_after = models.DateTimeField(null=True, blank=True)
    signin_slug = models.CharField(max_length=40, unique=True, default=new_signin_slug)
    pseudonymise_pupils = models.BooleanField(  # ACC-3
        default=False, help_text="Show pupils by pseudonym instead of their names."
    )
    require_admin_2fa = models.BooleanField(
        "Require two-factor sign-in for administrators",
        default=False,
        help_text="School administrators must set up an authenticator app.",  # ACC-5
    )
    kept_pupil_fields = models.JSONField(
        default=all_keepable_pupil_fields,
        blank=True,
        help_text="The optional pupil fields the school keeps; others are never stored.",  # ROS-5
    )
    teacher_pupil_fields = models.JSONField(
        default=default_teacher_pupil_fields,
        blank=True,
        help_text="The pupil fields teachers see for the pupils of their own classes.",  # TEN-3
    )
    signin_methods = models.JSONField(
        default=default_signin_methods,
        blank=True,
        help_text="How the school's people sign in: password, google, microsoft.",  # ACC-1
    )
    phase = models.CharField(
        max_length=12,
        choices=Phase.choices,
        blank=True,
        help_text="Which year groups the school teaches: its last year's pupils leave at the "
        "year-end rollover.",
    )
    sixth_form = models.BooleanField(
        default=False, help_text="A secondary school with Years 12 and 13."
    )
    # What pupils and parents see of tracking on their results pages (ASM-3, TEN-3).
    families_see_working_at = models.BooleanField("Families see working-at grades", default=True)
    families_see_predicted = models.BooleanField("Families see predicted grades", default=False)
    families_see_targets = models.BooleanField("Families see targets", default=True)
    analysis_min_group = models.PositiveSmallIntegerField(  # ASM-5
        default=5,
        help_text="Groups smaller than this are shown as 'fewer than N' in school-wide "
        "and trust analysis (at least 5).",
    )
    # Whether the school's pupils appear on (and its users see) the leaderboards shared
    # with other schools: its trust's and the global one (ASM-6).
    boards_trust = models.BooleanField(
        "Join the trust leaderboard",
        default=True,
        help_text="Pupils whose parents consented appear on the board of the trust's schools.",
    )
    boards_global = models.BooleanField(
        "Join the global leaderboard",
        default=True,
        help_text="Pupils whose parents consented appear on the board of every school "
        "using Markbook.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LiveSchools()
    records = models.Manager()  # noqa: DJ012 - deleted schools' rows too: the platform's records

    class Meta:
        ordering = ["name"]
        base_manager_name = "records"

    def __str__(self) -> str:
        return self.name

    def is_named(self, typed: str) -> bool:
        """Whether `typed` is the school's name, ignoring case and surrounding spaces:
        the confirmation of an action on the whole school (its suspension, ACC-6; the
        deletion of its data, TEN-1)."""
        return typed.strip().casefold() == self.name.strip().casefold()

    @property
    def final_year_group(self) -> str:
        """The NC year group whose pupils leave at the end of the year ("" until the
        phase is set): Year 6 at a primary school, Year 11 at a secondary, Year 13 with
        a sixth form (docs/domain.md, Codes)."""
        if self.phase == self.Phase.PRIMARY:
            return "6"
        if self.phase in (self.Phase.SECONDARY, self.Phase.ALL_THROUGH):
            return "13" if self.sixth_form else "11"
        return ""

    def has_domain(self, email: str) -> bool:
        """Whether an address is in one of the school's own domains (TEN-5, ACC-4)."""
        domain = email.rpartition("@")[2].lower()
        return bool(domain) and domain in {d.lower() for d in self.email_domains}

    def allows_signin(self, method: str) -> bool:
        """Whether the school lets its people sign in this way (ACC-1)."""
        return method in self.signin_methods

    def keeps(self, field: str) -> bool:
        """Whether the school keeps this pupil field (ROS-5); non-optional fields always."""
        return field not in KEEPABLE_PUPIL_FIELDS or field in self.kept_pupil_fields

    def teacher_fields(self) -> tuple[str, ...]:
        """The pupil fields teachers see for their own classes: those chosen that the
        school also keeps (ROS-5), in the settings' order (TEN-3)."""
        chosen = set(self.teacher_pupil_fields)
        return tuple(n for n in TEACHER_VISIBLE_PUPIL_FIELDS if n in chosen and self.keeps(n))

    def terms_accepted(self, version: str) -> bool:
        from markbook.core.tenancy import school_scope

        with school_scope(self):
            return TermsAcceptance.objects.filter(version=version).exists()


class TermsAcceptance(models.Model):
    """TEN-7: who accepted which version of the data-protection terms, and when."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms_acceptances")
    version = models.CharField(max_length=20)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by_name = models.CharField(max_length=200)
    accepted_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint("school", "version", name="terms_once_per_version")]


def academic_year_name(start: date) -> str:
    """The name of the UK academic year that starts in `start`'s year: "2026/27"."""
    return f"{start.year}/{(start.year + 1) % 100:02d}"


class AcademicYear(models.Model):
    """A school's academic year (UK: 1 September to 31 August), like "2026/27".

    One year per school is current: new classes go into it and lists show it first.
    The year-end rollover closes it (`closed_at`): its classes are archived, read-only
    and kept, and the next year becomes current (ROS-1)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="academic_years")
    name = models.CharField(max_length=9, help_text="For example 2026/27")
    start_date = models.DateField()
    end_date = models.DateField()
    is_current = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint("school", "name", name="academic_year_name_per_school"),
            models.UniqueConstraint(
                "school",
                condition=models.Q(is_current=True),
                name="academic_year_one_current_per_school",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")),
                name="academic_year_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def archived(self) -> bool:
        """Closed by the year-end rollover: its classes are read-only."""
        return self.closed_at is not None
