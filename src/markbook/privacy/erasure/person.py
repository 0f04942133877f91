"""The person an erasure is about (DSR-4): a pupil (with their sign-in account, if
any), or a member of staff or a parent (their account), and what identifies them."""

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from markbook.accounts.models import Membership, User
from markbook.core.tenancy import all_schools
from markbook.rosters.models import GuardianLink, Pupil
from markbook.schools.models import School, TrustAdmin

PUPIL = "rosters.Pupil"
USER = "accounts.User"


@dataclass
class Person:
    school: School
    pupil: Pupil | None
    user: User | None
    # The account also serves another school, a trust or the platform: it stays, and
    # only this school's data about the person goes.
    account_shared: bool = False
    names: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.pupil is not None:
            return "pupil"
        if self.user is not None and self.user.children_links.exists():
            return "parent"
        return "staff"

    @property
    def refs(self) -> dict[str, int | None]:
        """The primary key of each of the person's own rows, by model label."""
        return {
            PUPIL: self.pupil.pk if self.pupil is not None else None,
            USER: self.user.pk if self.user is not None else None,
        }

    @property
    def account_goes(self) -> bool:
        return self.user is not None and not self.account_shared

    @property
    def name(self) -> str:
        if self.pupil is not None:
            return self.pupil.display_name
        assert self.user is not None
        return self.user.display_name

    @property
    def pseudonym(self) -> str:
        """The anonymised reference other people's records keep, like "Erased pupil 7f3a":
        the same for the impact check and the erasure, and not the person's name."""
        key = settings.MARKBOOK_HASH_KEY.encode()
        ids = f"{self.school.pk}:{self.refs[PUPIL]}:{self.refs[USER]}"
        tag = hmac.new(key, f"erased:{ids}".encode(), hashlib.sha256).hexdigest()[:4]
        return f"Erased {'pupil' if self.pupil is not None else 'person'} {tag}"

    def identifiers(self) -> list[str]:
        """The person's names, usernames, email addresses and school ids, as text (the
        scan and the log's redaction look for these). A name is the full name: a first
        name or surname alone is shared with too many others (a sibling keeps it)."""
        values: list[str] = []
        pupil, user = self.pupil, self.user
        if pupil is not None:
            values += [
                f"{pupil.first_name} {pupil.last_name}",
                f"{pupil.last_name}, {pupil.first_name}",
                pupil.pseudonym if not pupil.pseudonym.startswith("Erased ") else "",
                pupil.username,
                pupil.email,
                pupil.upn or "",
                pupil.uln,
                pupil.mis_id,
                pupil.oneroster_id,
            ]
        if user is not None:
            values += [
                f"{user.first_name} {user.last_name}",
                f"{user.last_name}, {user.first_name}",
                user.username,
                user.email,
            ]
        found: list[str] = []
        for value in values:
            value = value.strip()
            if len(re.sub(r"[\s,]", "", value)) >= 3 and value.lower() not in found:
                found.append(value.lower())
        return found


def person_of(*, school: School, subject: Pupil | User) -> Person:
    """The person behind `subject`, in `school` (its scope is open). A user who is a
    pupil of the school is that pupil."""
    pupil: Pupil | None
    user: User | None
    if isinstance(subject, Pupil):
        pupil, user = subject, subject.user
    else:
        user = subject
        pupil = Pupil.objects.filter(user=user).first()
    shared = False
    if user is not None:
        with all_schools():
            shared = (
                user.is_platform_staff
                or Membership.objects.filter(user=user).exclude(school=school).exists()
                or TrustAdmin.objects.filter(user=user).exists()
                or GuardianLink.objects.filter(parent=user).exclude(school=school).exists()
            )
    return Person(school=school, pupil=pupil, user=user, account_shared=shared)


def in_school(*, school: School, subject: Pupil | User) -> bool:
    """Whether the subject is one of the school's people (the scope is the school's)."""
    if isinstance(subject, Pupil):
        return subject.school_id == school.pk
    return (
        Membership.objects.filter(user=subject).exists()
        or GuardianLink.objects.filter(Q(parent=subject)).exists()
        or Pupil.objects.filter(user=subject).exists()
    )


def person_described(
    *,
    school: School,
    pupil_id: int | None = None,
    user_id: int | None = None,
    first_name: str = "",
    last_name: str = "",
    username: str = "",
    email: str = "",
    upn: str = "",
) -> Person:
    """A person by what is known of them, for a scan after their rows are gone: the
    pupil's or account's former id and their names and identifiers (privacy_scan)."""
    pupil = user = None
    if pupil_id is not None or upn:
        pupil = Pupil(
            pk=pupil_id,
            school=school,
            first_name=first_name,
            last_name=last_name,
            username=username,
            email=email,
            upn=upn or None,
        )
    if user_id is not None or (pupil is None and (email or username)):
        user = User(
            pk=user_id, first_name=first_name, last_name=last_name, username=username, email=email
        )
    return Person(school=school, pupil=pupil, user=user)
