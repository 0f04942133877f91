"""Sign-in cards for a whole class: each pupil's name, username, the school's sign-in
address and a fresh one-time code (ACC-2).

The codes come from accounts.services.pupil_signin_codes_issue, the mechanism of a
single pupil's "New sign-in code": issuing cards resets the pupils' passwords and
earlier codes, so the page asks first and the issue is audited, once for the class
and once per pupil.
"""

from dataclasses import dataclass

from django.db import transaction

from markbook.accounts import services as accounts
from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.rosters.models import Pupil, TeachingClass


@dataclass(frozen=True)
class SignInCard:
    pupil: Pupil
    code: str


@dataclass(frozen=True)
class CardPupils:
    """Who a class's cards would be for, and who cannot have one (left, or no account)."""

    issuable: list[Pupil]
    skipped: list[Pupil]


def signin_card_pupils(teaching_class: TeachingClass) -> CardPupils:
    """The class's pupils with their accounts, by name, in one query."""
    pupils = list(
        Pupil.objects.filter(enrolments__teaching_class=teaching_class)
        .select_related("school", "user")
        .order_by("last_name", "first_name", "pk")
    )
    issuable = [p for p in pupils if accounts.signin_code_issuable(p)]
    return CardPupils(issuable, [p for p in pupils if p not in issuable])


@transaction.atomic
def signin_cards_issue(*, actor: User, teaching_class: TeachingClass) -> list[SignInCard]:
    """Issue a new one-time sign-in code to every pupil of the class who can sign in,
    for printing (ACC-2); their old codes and passwords stop working at once.

    Audited as `rosters.signin_cards.issued` on the class (how many, how many skipped),
    besides each pupil's `accounts.signin_code.issued`."""
    pupils = signin_card_pupils(teaching_class)
    codes = accounts.pupil_signin_codes_issue(actor=actor, pupils=pupils.issuable)
    audit.record(
        actor=actor,
        school=teaching_class.school_id,
        action="rosters.signin_cards.issued",
        target=teaching_class,
        data={"pupils": len(codes), "skipped": len(pupils.skipped)},
    )
    return [SignInCard(p, codes[p.pk]) for p in pupils.issuable]
