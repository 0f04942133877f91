"""Support access (TEN-6): a school administrator grants a named member of Markbook's
platform staff time-limited access to the school, with a reason, a scope (read only,
or read and change) and the areas it covers. Without a live grant platform staff see
nothing of the school (admission answers 404). Every request under a grant is written
to the school's access log and listed to the school; revoking ends it at once.

A tenant table (`school`, school-first constraints, scoped manager; TEN-4).
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from markbook.core.tenancy import SchoolScopedManager


class SupportGrant(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "Read only"
        CHANGE = "change", "Read and change"

    # The areas of the school a grant can open (see markbook.support.areas).
    class Area(models.TextChoices):
        ROSTER = "roster", "Pupils, staff, classes and imports"
        ASSESSMENT = "assessment", "Assignments, marks, tracking, analysis and practice"
        SETTINGS = "settings", "School settings and the online services register"
        PRIVACY = "privacy", "Access log, data-protection requests and privacy records"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(max_length=2000)
    scope = models.CharField(max_length=6, choices=Scope.choices, default=Scope.READ)
    areas = models.JSONField(default=list)
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-granted_at", "-pk"]
        indexes = [models.Index(fields=["school", "staff"], name="supportgrant_school_staff")]

    def live(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.granted_at <= now < self.expires_at

    def area_labels(self) -> list[str]:
        labels = dict(self.Area.choices)
        return [str(labels.get(a, a)) for a in self.areas]
