import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from markbook.core.tenancy import SchoolScopedManager


class User(AbstractUser):
    """A person who signs in. Roles come from memberships (TEN-2).

    Staff and parents sign in with their email address; pupils sign in on their
    school's page with the username the school knows them by (see Pupil.username),
    so `username` here is an internal, globally unique handle.
    """

    email = models.EmailField(blank=True, default="")
    is_platform_staff = models.BooleanField(default=False)
    must_change_password = models.BooleanField(default=False)
    # ACC-7: text size, font, contrast, motion, help read (markbook.accounts.preferences).
    display_preferences = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique",
            )
        ]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email or self.username


class Membership(models.Model):
    """A user's role in one school (TEN-2). A user's memberships are all in one school."""

    class Role(models.TextChoices):
        PUPIL = "pupil", "Pupil"
        PARENT = "parent", "Parent or carer"
        TEACHER = "teacher", "Teacher"
        SCHOOL_ADMIN = "school_admin", "School administrator"
        # The school's data protection lead (DSR-4, DSR-6): granted by a school
        # administrator to a member of staff, alongside their staff role.
        DPO = "dpo", "Data protection lead"

    school = models.ForeignKey(
        "schools.School", on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SchoolScopedManager()

    class Meta:
        constraints = [models.UniqueConstraint("school", "user", "role", name="membership_once")]


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def new_secret() -> str:
        return "mb_" + secrets.token_urlsafe(32)


class SignInCode(models.Model):
    """A one-time code a teacher issues so a pupil can sign in and set a password (ACC-2).

    Imported pupils get no password hash at all; the teacher sees the code once,
    never a password. Only an HMAC of the code is stored.
    """

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signin_codes")
    digest = models.CharField(max_length=64)
    issued_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = SchoolScopedManager()

    @staticmethod
    def digest_of(code: str) -> str:
        import hmac

        key = settings.MARKBOOK_HASH_KEY.encode()
        return hmac.new(key, code.strip().upper().encode(), hashlib.sha256).hexdigest()


class RegistrationRequest(models.Model):
    """Someone asking to join a school on their own (ACC-4).

    Staff who sign in with the school's Google or Microsoft accounts and a verified
    address in the school's domain are approved at once; everyone else waits for a
    school administrator. A pupil's request records when they confirmed their
    parent or carer agrees.
    """

    class Role(models.TextChoices):
        TEACHER = "teacher", "Teacher"
        PUPIL = "pupil", "Pupil"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a school administrator"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    school = models.ForeignKey(
        "schools.School", on_delete=models.CASCADE, related_name="registration_requests"
    )
    # The account made for the request: inactive until approved. None for a pupil,
    # whose account is made with their pupil record when approved.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField()
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    role = models.CharField(max_length=10, choices=Role.choices)
    year_group = models.CharField(max_length=10, blank=True, default="")
    method = models.CharField(max_length=20)  # "password", "google" or "microsoft"
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    parental_consent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SchoolScopedManager()

    class Meta:
        ordering = ["created_at"]

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email
