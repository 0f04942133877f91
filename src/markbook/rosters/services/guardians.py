"""Writes on parents and carers and their links to children (TEN-2, TEN-3, ACC-2).

Keyword-only, atomic and audited; run inside the request's school scope (TEN-4).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core.validators import text_too_long
from markbook.rosters.models import GuardianLink, Pupil
from markbook.rosters.services.common import email_validate, invalid, raise_if
from markbook.schools.models import School


@dataclass(frozen=True)
class ParentAccounts:
    """The accounts already holding some parents' addresses, and their roles in the
    school in scope: read once for one link or for a whole import (TEN-2, TEN-3)."""

    by_email: dict[str, User]  # lower-cased address -> account
    members: frozenset[int]  # ids of those accounts with any role in this school
    parents: frozenset[int]  # ... with the parent role in this school


def parent_accounts(emails: Iterable[str]) -> ParentAccounts:
    """Who holds `emails` (in any case), in two queries however many addresses."""
    wanted = {email.strip().lower() for email in emails if email.strip()}
    if not wanted:
        return ParentAccounts({}, frozenset(), frozenset())
    users = User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=wanted)
    by_email: dict[str, User] = {user.email.lower(): user for user in users}
    roles = list(
        Membership.objects.filter(user__in=list(by_email.values())).values_list("user_id", "role")
    )
    return ParentAccounts(
        by_email,
        frozenset(user_id for user_id, _ in roles),
        frozenset(user_id for user_id, role in roles if role == Membership.Role.PARENT),
    )


def parent_problem(
    email: str, accounts: ParentAccounts, *, children: Iterable[Pupil] = ()
) -> str | None:
    """Why `email` (lower-cased) cannot be a parent or carer of `children` in this
    school, or None: not a valid address; an account with no role in this school (a
    user's roles are all in one school, TEN-2: staff or parents of another school,
    trust or platform staff); or the account of one of the children."""
    try:
        email_validate(email)
    except ValidationError as error:
        return error.messages[0]
    account = accounts.by_email.get(email)
    if account is None:
        return None
    if parent_elsewhere(email, accounts):
        return (
            f"{email} already has a Markbook account outside this school; ask the parent "
            "for another address."
        )
    if any(child.user_id == account.pk for child in children):
        return "A pupil cannot be their own parent."
    return None


def parent_elsewhere(email: str, accounts: ParentAccounts) -> bool:
    """Whether `email` (lower-cased) is the address of an account with no role in this
    school: someone of another school, trust or platform staff (TEN-2)."""
    account = accounts.by_email.get(email)
    return account is not None and account.pk not in accounts.members


@transaction.atomic
def parents_ensure(
    *, school: School, people: dict[str, tuple[str, str]], accounts: ParentAccounts
) -> tuple[dict[str, User], int]:
    """Parent accounts for `people` (address -> first and last name), with the parent
    role in `school` (TEN-2, ACC-2): an existing account is kept as it is, a new one
    gets no password (the parent sets one through the emailed reset link). The
    caller has checked each address with `parent_problem`. Returns the accounts by
    address and how many were created; a fixed number of queries."""
    new = []
    for email, (first_name, last_name) in people.items():
        if email not in accounts.by_email:
            user = User(
                username=email,
                email=email,
                first_name=first_name.strip()[:150],
                last_name=last_name.strip()[:150],
            )
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new)
    users = {**accounts.by_email, **{user.email: user for user in new}}
    Membership.objects.bulk_create(
        Membership(school=school, user=users[email], role=Membership.Role.PARENT)
        for email in people
        if users[email].pk not in accounts.parents
    )
    return {email: users[email] for email in people}, len(new)


@transaction.atomic
def guardian_links_add(
    *,
    actor: User | None,
    school: School,
    pairs: Iterable[tuple[User, Pupil]],
    relationship: str = "",
) -> list[GuardianLink]:
    """Link parents to children (TEN-3), each link audited as `rosters.guardian.linked`;
    one insert and one access-log write however many. The caller leaves out pairs
    already linked."""
    links = [
        GuardianLink(
            school=school, parent=parent, pupil=pupil, relationship=relationship.strip()[:50]
        )
        for parent, pupil in pairs
    ]
    GuardianLink.objects.bulk_create(links)
    audit.record_many(
        actor=actor,
        school=school,
        events=[
            ("rosters.guardian.linked", link.pupil, {"parent": link.parent_id}) for link in links
        ],
    )
    return links


@transaction.atomic
def guardian_links_delete(
    *, actor: User | None, school: School | int, links: list[GuardianLink]
) -> None:
    """Unlink parents from children (TEN-3), each audited as `rosters.guardian.unlinked`.
    Give the links with their pupils loaded (select_related), or each costs a query."""
    audit.record_many(
        actor=actor,
        school=school,
        events=[
            ("rosters.guardian.unlinked", link.pupil, {"parent": link.parent_id}) for link in links
        ],
    )
    GuardianLink.objects.filter(pk__in=[link.pk for link in links]).delete()


@transaction.atomic
def guardian_link_create(
    *,
    actor: User | None,
    school: School,
    pupil: Pupil,
    parent_email: str,
    first_name: str = "",
    last_name: str = "",
    relationship: str = "",
) -> GuardianLink:
    """Link a parent or carer to a child, creating their account if new (TEN-3).

    A new parent gets no password: they set one through the emailed reset link."""
    email = parent_email.strip().lower()
    raise_if(
        {
            **text_too_long(User, {"first_name": first_name, "last_name": last_name}),
            **text_too_long(GuardianLink, {"relationship": relationship.strip()}),
            **{
                f"parent_{name}": messages
                for name, messages in text_too_long(User, {"email": email}).items()
            },
        }
    )
    email_validate(email, field="parent_email")
    if pupil.school_id != school.pk:
        raise invalid("pupil", "This pupil is not in this school.")
    accounts = parent_accounts([email])
    problem = parent_problem(email, accounts, children=[pupil])
    if problem:
        raise invalid("parent_email", problem)
    parents, _ = parents_ensure(
        school=school, people={email: (first_name, last_name)}, accounts=accounts
    )
    if GuardianLink.objects.filter(parent=parents[email], pupil=pupil).exists():
        raise invalid("parent_email", f"{email} is already linked to this pupil.")
    [link] = guardian_links_add(
        actor=actor, school=school, pairs=[(parents[email], pupil)], relationship=relationship
    )
    return link


def guardian_link_delete(*, actor: User | None, link: GuardianLink) -> None:
    """Unlink a parent from a child (TEN-3)."""
    guardian_links_delete(actor=actor, school=link.school_id, links=[link])
