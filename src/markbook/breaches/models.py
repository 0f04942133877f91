"""The platform's breach register (SEC-3).

A `Breach` is a platform record kept by Markbook's staff: when it was detected, what
happened, which categories of data, how many people, the risk assessment and the
containment steps, and whether and when it was reported to the regulator (the
Information Commissioner's Office: within 72 hours of becoming aware, unless it is
unlikely to result in a risk to people's rights).

`BreachSchool` is one affected school (a tenant table: each school reads its own
rows in its scope, TEN-4): how many of its people, when its administrators were told,
and when one of them acknowledged it. `BreachUpdate` is the timeline of what was done.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models

from markbook.core.tenancy import SchoolScopedManager

REPORT_WITHIN = timedelta(hours=72)


class Breach(models.Model):
    class Risk(models.TextChoices):
        UNLIKELY = "unlikely", "Unlikely to result in a risk to people"
        RISK = "risk", "A risk to people's rights and freedoms"
        HIGH = "high", "A high risk to people's rights and freedoms"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CONTAINED = "contained", "Contained"
        CLOSED = "closed", "Closed"

    reference = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    detected_at = models.DateTimeField()
    occurred_at = models.DateTimeField(null=True, blank=True)
    description = models.TextField("what happened", max_length=5000)
    data_categories = models.JSONField(
        default=list, blank=True, help_text="The data inventory's categories involved."
    )
    people_affected = models.PositiveIntegerField(default=0)
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.RISK)
    risk_assessment = models.TextField(max_length=5000, blank=True)
    consequences = models.TextField("likely consequences", max_length=5000, blank=True)
    containment = models.TextField("containment and recovery", max_length=5000, blank=True)
    advice = models.TextField(
        "what people can do to protect themselves", max_length=5000, blank=True
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    regulator_reported_at = models.DateTimeField(null=True, blank=True)
    regulator_reference = models.CharField(max_length=100, blank=True)
    not_reported_reason = models.TextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    warned_at = models.DateTimeField(
        null=True, blank=True, help_text="When staff were warned the report is nearly due."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-detected_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def report_due_at(self) -> datetime:
        return self.detected_at + REPORT_WITHIN

    @property
    def report_settled(self) -> bool:
        """Reported, or recorded as not reportable with the reason."""
        return self.regulator_reported_at is not None or bool(self.not_reported_reason)


class BreachSchool(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="schools")
    people_affected = models.PositiveIntegerField(default=0)
    notified_at = models.DateTimeField(null=True, blank=True)
    told_admins = models.PositiveIntegerField(default=0)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["breach", "school"]
        constraints = [
            models.UniqueConstraint("school", "breach", name="breachschool_once_per_school")
        ]


class BreachUpdate(models.Model):
    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=5000)

    class Meta:
        ordering = ["at", "pk"]
