"""The school's register of online services and parents' consent (CON-1 to CON-4).

Every table is a tenant table (`school`, school-first unique constraints, scoped
manager; TEN-4).

- A `ServiceEntry` is one online service the school shares pupil data with. The
  entry for Markbook itself (`builtin`) keeps only what the school decides (its risk
  assessment, year groups, the offline alternative); its purpose and the data it holds
  are generated from the data inventory when shown (`markbook.consent.markbook`), so they
  cannot drift from it.
- A `ConsentPurpose` is a use of a child's data that is not a service (photographs on
  the school website, names in newsletters: CON-4), or one of Markbook's own features
  that needs consent (the global leaderboard: `key`).
- What a parent agrees to is a service's or purpose's description at one `version`;
  changing the description makes a new `DescriptionVersion` and earlier answers no
  longer count (the parent is asked again).
- A `ConsentDecision` is one answer for one child: given or refused, by whom, when, for
  which version. Decisions are never changed; the latest for the current version is
  the child's state (none: not answered).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from markbook.core.tenancy import SchoolScopedManager


class ServiceEntry(models.Model):
    class Type(models.TextChoices):
        FREE = "free", "Free"
        PURCHASED = "purchased", "Purchased"
        GOVERNMENT = "government", "Government"
        EXTERNAL = "external", "External"

    class Section(models.TextChoices):
        PUPILS_PARENTS = "pupils", "Pupils and parents"
        MANAGEMENT = "management", "School management"
        OTHER = "other", "Other online services and their controls"

    class Status(models.TextChoices):
        APPROVED = "approved", "Approved"
        AWAITING = "awaiting", "Awaiting assessment"
        NOT_APPROVED = "not_approved", "Not approved"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    builtin = models.BooleanField(default=False, help_text="Markbook itself.")
    name = models.CharField("service", max_length=200)
    provider = models.CharField(max_length=200)
    website = models.URLField(blank=True)
    purpose = models.TextField(max_length=2000, blank=True)
    data_shared = models.JSONField(
        default=list, blank=True, help_text="The data inventory's categories."
    )
    data_detail = models.TextField("details of the data shared", max_length=2000, blank=True)
    service_type = models.CharField(max_length=12, choices=Type.choices, default=Type.FREE)
    year_groups = models.JSONField(default=list, blank=True, help_text="Empty: every year.")
    section = models.CharField(
        max_length=12, choices=Section.choices, default=Section.PUPILS_PARENTS
    )
    risk_assessed_on = models.DateField("risk assessment date", null=True, blank=True)
    risk_status = models.CharField(
        "risk assessment", max_length=14, choices=Status.choices, default=Status.AWAITING
    )
    consent_needed = models.BooleanField("parental consent needed", default=False)
    offline_alternative = models.TextField(max_length=2000, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-builtin", "section", "name", "pk"]
        verbose_name = "service register entry"
        verbose_name_plural = "service register entries"
        constraints = [
            models.UniqueConstraint("school", "name", name="serviceentry_name_once_per_school"),
            models.UniqueConstraint(
                "school", condition=Q(builtin=True), name="serviceentry_one_builtin_per_school"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ConsentPurpose(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(max_length=50, help_text="How Markbook's own features find it.")
    name = models.CharField(max_length=200)
    description = models.TextField(max_length=2000)
    builtin = models.BooleanField(default=False, help_text="A Markbook feature's gate.")
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "consent purpose"
        constraints = [
            models.UniqueConstraint("school", "key", name="consentpurpose_key_once_per_school"),
            models.UniqueConstraint("school", "name", name="consentpurpose_name_once_per_school"),
        ]

    def __str__(self) -> str:
        return self.name


class DescriptionVersion(models.Model):
    """What parents were asked to agree to: a service's or purpose's description at
    one version, kept when it changes."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(
        ServiceEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="versions"
    )
    purpose = models.ForeignKey(
        ConsentPurpose, null=True, blank=True, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["number", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__isnull=True) ^ Q(purpose__isnull=True),
                name="descriptionversion_one_target",
            ),
            models.UniqueConstraint(
                "school", "service", "number", name="descriptionversion_service_number_once"
            ),
            models.UniqueConstraint(
                "school", "purpose", "number", name="descriptionversion_purpose_number_once"
            ),
        ]


class ConsentDecision(models.Model):
    class Answer(models.TextChoices):
        GIVEN = "given", "Consented"
        REFUSED = "refused", "Refused"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(
        "rosters.Pupil", on_delete=models.CASCADE, related_name="consent_decisions"
    )
    service = models.ForeignKey(
        ServiceEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    purpose = models.ForeignKey(
        ConsentPurpose, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions"
    )
    version = models.PositiveIntegerField()
    answer = models.CharField(max_length=8, choices=Answer.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()
    # Recorded by a member of staff (decided_by) from a signed paper form the school
    # received (CON-2): the parent or carer as the form names them. Blank when the
    # parent answered on their own page.
    paper_form_from = models.CharField(max_length=200, blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["decided_at", "pk"]
        verbose_name = "consent decision"
        constraints = [
            models.CheckConstraint(
                condition=Q(service__isnull=True) ^ Q(purpose__isnull=True),
                name="consentdecision_one_target",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "service", "pupil"], name="consent_service_pupil"),
            models.Index(fields=["school", "purpose", "pupil"], name="consent_purpose_pupil"),
        ]
