"""Writes on schools and trusts: creating a school, accepting terms (TEN-1, TEN-7)."""

import secrets
from dataclasses import dataclass

from django.db import transaction

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core import keys
from markbook.core.tenancy import all_schools, school_scope
from markbook.schools.models import School, TermsAcceptance, Trust


@dataclass(frozen=True)
class NewSchool:
    school: School
    admin: User
    temporary_password: str


def temporary_password() -> str:
    """A one-time temporary password, shown once and never stored in clear (ACC-2)."""
    return "-".join(secrets.token_hex(3) for _ in range(4))


@transaction.atomic
def school_create(
    *,
    name: str,
    admin_email: str,
    admin_first_name: str = "",
    admin_last_name: str = "",
    urn: str | None = None,
    trust: Trust | None = None,
    email_domains: list[str] | None = None,
    status: str = School.Status.TRIAL,
    actor: User | None = None,
) -> NewSchool:
    """Create a school with its data key and first administrator, who gets a
    temporary password to change at first sign-in (TEN-1, ACC-2, SEC-2)."""
    school = School(
        name=name,
        urn=urn or None,
        trust=trust,
        email_domains=[d.lower() for d in (email_domains or [])],
        status=status,
    )
    school.full_clean()
    school.save()
    with all_schools():
        keys.school_key_create(school_id=school.pk)
    password = temporary_password()
    admin = User(
        username=admin_email.lower(),
        email=admin_email.lower(),
        first_name=admin_first_name,
        last_name=admin_last_name,
        must_change_password=True,
    )
    admin.set_password(password)
    admin.save()
    with school_scope(school):
        Membership.objects.create(school=school, user=admin, role=Membership.Role.SCHOOL_ADMIN)
        audit.record(actor=actor, school=school, action="schools.school.created", target=school)
    return NewSchool(school=school, admin=admin, temporary_password=password)


@transaction.atomic
def terms_accept(*, school: School, user: User, version: str) -> TermsAcceptance:
    """Record that a school administrator accepted the data-protection terms (TEN-7)."""
    acceptance, _ = TermsAcceptance.objects.get_or_create(
        school=school,
        version=version,
        defaults={"accepted_by": user, "accepted_by_name": user.display_name},
    )
    audit.record(
        actor=user,
        school=school,
        action="schools.terms.accepted",
        target=acceptance,
        data={"version": version},
    )
    return acceptance
