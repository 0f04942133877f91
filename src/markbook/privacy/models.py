"""The privacy app's records: legal holds (RET-3) and the suppression list of erased
people (DSR-4)."""

from django.conf import settings
from django.db import models

from markbook.core.tenancy import SchoolScopedManager


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
    reason = models.TextField(max_length=1000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(max_length=1000, blank=True)

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pupil__isnull=False) | models.Q(user__isnull=False),
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
