"""The school's data protection lead (DSR-6): a membership role (`dpo`) a school
administrator grants to, or takes back from, a member of staff. The lead approves or
refuses data-subject requests, records identity checks and extends deadlines.

Runs inside the school's scope (TEN-4).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.schools.models import School

STAFF_ROLES = (Membership.Role.TEACHER, Membership.Role.SCHOOL_ADMIN)


@dataclass(frozen=True)
class StaffMember:
    user: User
    roles: tuple[str, ...]
    is_lead: bool


def staff_with_lead_role() -> list[StaffMember]:
    """The school's staff, each with whether they are a data protection lead."""
    roles: dict[int, set[str]] = {}
    users: dict[int, User] = {}
    for m in Membership.objects.filter(role__in=(*STAFF_ROLES, Membership.Role.DPO)).select_related(
        "user"
    ):
        roles.setdefault(m.user_id, set()).add(m.role)
        users[m.user_id] = m.user
    return sorted(
        (
            StaffMember(users[uid], tuple(sorted(r - {"dpo"})), "dpo" in r)
            for uid, r in roles.items()
            if r & set(STAFF_ROLES)
        ),
        key=lambda s: (
            not s.is_lead,
            s.user.last_name.lower(),
            s.user.first_name.lower(),
            s.user.pk,
        ),
    )


def lead_ids() -> set[int]:
    return set(
        Membership.objects.filter(role=Membership.Role.DPO).values_list("user_id", flat=True)
    )


@transaction.atomic
def dpo_grant(*, actor: User | None, school: School, user: User) -> bool:
    """Make a member of staff a data protection lead; False if they are one already."""
    if not Membership.objects.filter(user=user, role__in=STAFF_ROLES).exists():
        raise ValidationError(
            {"user": ["Only a member of staff of this school can be its data protection lead."]}
        )
    _, made = Membership.objects.get_or_create(school=school, user=user, role=Membership.Role.DPO)
    if made:
        audit.record(actor=actor, school=school, action="rights.dpo.granted", target=user)
    return made


@transaction.atomic
def dpo_revoke(*, actor: User | None, school: School, user: User) -> bool:
    """Take the data protection lead role back; False if they did not hold it."""
    deleted, _ = Membership.objects.filter(user=user, role=Membership.Role.DPO).delete()
    if deleted:
        audit.record(actor=actor, school=school, action="rights.dpo.revoked", target=user)
    return bool(deleted)
