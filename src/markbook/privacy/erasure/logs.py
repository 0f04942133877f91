"""The access-log entries about a person (DSR-4): those they did, those done to their
record, and those whose data names them (their name, username, email address, ids).
They are redacted, never deleted: the chain covers salted digests of each field, so
the person's identifiers are blanked with their salts and the chain still verifies
(audit/chain.py)."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from markbook.audit.describe import ACTIONS
from markbook.audit.models import AuditEvent
from markbook.audit.services import PUPIL_KEYS, USER_KEYS
from markbook.core.tenancy import all_schools
from markbook.privacy.erasure.person import Person


def id_patterns(keys: tuple[str, ...], pk: int) -> list[str]:
    """How `"key": pk` starts in a JSON column's text (id_regex then checks the end)."""
    return [f'"{key}": {pk}' for key in keys]


def id_regex(keys: tuple[str, ...], pk: int) -> re.Pattern[str]:
    names = "|".join(re.escape(k) for k in keys)
    return re.compile(rf'"(?:{names})":\s*"?{pk}"?\s*[,}}\]]')


def names_regex(person: Person) -> re.Pattern[str] | None:
    terms = person.identifiers()
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<![\w.@-])(?:{alternatives})(?![\w@-]|\.\w)", re.IGNORECASE)


@dataclass
class LogEvents:
    """The events to redact: their data replaced, who did it blanked, to whom blanked."""

    data_ids: list[int] = field(default_factory=list)
    actor_ids: list[int] = field(default_factory=list)
    target_ids: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(set(self.data_ids) | set(self.actor_ids) | set(self.target_ids))


# Actions whose data may name a person by address, username or name without their id
# (registration, sign-in, Google or Microsoft sign-in, staff, parents): their events
# are searched by text. Every other event is found by who did it and whom it is about
# (actor_id, pupil_ref, user_ref: indexed), so an erasure does not read the whole log
# (DSR-4). A name in another event's free text is another person's record: the
# whole-database scan reports it for the data protection lead to judge.
TEXT_PREFIXES = (
    "accounts.",
    "rosters.staff.",
    "rosters.guardian",
    "rosters.pupil.deleted",
    "schools.",
)


def text_actions() -> list[str]:
    return sorted(a for a in ACTIONS if a.startswith(TEXT_PREFIXES))


def _text_matches(person: Person) -> Q:
    """Events of those actions whose data's text holds one of the person's names,
    usernames, email addresses or school ids (names_regex then decides)."""
    query = Q(pk__in=[])
    for term in person.identifiers():
        query |= Q(data_text__icontains=term)
    return Q(action__in=text_actions()) & query


def log_events_of(person: Person) -> LogEvents:
    """The person's events in the school's chain, and in the platform's when their
    account goes (sign-ins), not yet redacted of them."""
    refs = person.refs
    pupil_id, user_id = refs["rosters.Pupil"], refs["accounts.User"]
    about = Q(pk__in=[])
    if user_id is not None:
        about |= Q(actor_id=user_id) | Q(user_ref=user_id)
    if pupil_id is not None:
        about |= Q(pupil_ref=pupil_id)
    names = names_regex(person)
    ids = []
    if pupil_id is not None:
        ids.append(id_regex(PUPIL_KEYS, pupil_id))
    if user_id is not None:
        ids.append(id_regex(USER_KEYS, user_id))
    found = LogEvents()
    columns = ("pk", "actor_id", "target_type", "target_id", "data")
    chains = [Q(school_id=person.school.pk)]
    if person.account_goes:
        chains.append(Q(school_id__isnull=True))
    seen: set[int] = set()
    with all_schools():
        for chain in chains:
            events = AuditEvent.objects.filter(chain).order_by()
            texts = events.annotate(data_text=Cast("data", TextField())).filter(
                _text_matches(person)
            )
            for query in (events.filter(about), texts):
                for pk, actor_id, target_type, target_id, data in query.values_list(
                    *columns
                ).iterator(2000):
                    if pk in seen:
                        continue
                    seen.add(pk)
                    _sort(
                        found,
                        person,
                        pk,
                        actor_id,
                        target_type,
                        target_id,
                        data,
                        names,
                        ids,
                    )
    return found


def _sort(
    found: LogEvents,
    person: Person,
    pk: int,
    actor_id: int | None,
    target_type: str,
    target_id: str,
    data: Any,
    names: re.Pattern[str] | None,
    ids: list[re.Pattern[str]],
) -> None:
    import json

    refs = person.refs
    text = json.dumps(data, default=str)
    erased = person.pseudonym
    names_them = (names is not None and bool(names.search(text))) or any(
        r.search(text) for r in ids
    )
    is_target = (target_type == "rosters.pupil" and target_id == str(refs["rosters.Pupil"])) or (
        target_type == "accounts.user" and target_id == str(refs["accounts.User"])
    )
    if (names_them or is_target) and not (isinstance(data, dict) and data.get("erased") == erased):
        found.data_ids.append(pk)
    if is_target:
        found.target_ids.append(pk)
    if actor_id is not None and actor_id == refs["accounts.User"]:
        found.actor_ids.append(pk)
