"""Collect everything held about one person, by walking the data inventory (DSR-2).

Nothing here names a model: every declaration of `privacy.inventory.REGISTRY` is
visited, and its rows about the person are found from the declaration itself:

- `subject="self"`: the person's own row (a `accounts.User` or a `rosters.Pupil`);
- a `subject` or any personal field that is a foreign key (or many-to-many) to a
  person, or to a declared model that leads to one (`account.EmailConfirmation`
  through its email address): the rows pointing at the person;
- a `subject` that is not a relation (an id in the access log, an address, a
  session's data): a finder in `FINDERS`, one per such declaration. A declaration
  that can be reached in none of these ways makes `unreachable()` name it, and
  tests/privacy/test_export.py fails.

Which fields of a row are the person's (DSR-2: other people's personal data is left
out): a row found through its declaration's subject is about the person, so all its
personal fields are theirs, except a reference to another person (the teacher who
changed a mark), which is replaced by `REDACTED`. A row found only through another
personal field (a mark the teacher changed, in the teacher's export) shows that
field and the row's non-personal fields; the rest of its personal fields belong to
the row's subject and are left out. Credentials (a password hash, a session key, a
second-factor secret) are listed as held but never released (`WITHHELD`): an export
must not become a way into the account.

Encrypted fields are decrypted with the school's key for the export (SEC-2). The
collection runs inside the school's scope (the caller opens it, TEN-4): tenant
tables give this school's rows only; a model tied to a trust gives the school's
trust's rows; account-wide rows (the account, its addresses, sessions) are the
person's wherever they are.
"""

import base64
import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from markbook.accounts.models import User
from markbook.core import keys
from markbook.core.fields import Ciphertext, EncryptedTextField
from markbook.privacy.inventory import REGISTRY, Category, Declaration, Visible
from markbook.rosters.models import Pupil
from markbook.schools.models import School

PEOPLE = ("accounts.User", "rosters.Pupil")
REDACTED = "(left out: another person's data)"
WITHHELD = "(held, not released: a secret used for signing in, or other people's records)"
# Personal fields listed as held but whose values never leave Markbook, besides
# credentials only the software sees (see `withheld`).
ALSO_WITHHELD = frozenset(
    {
        "sessions.Session.session_data",  # holds the session's authentication hash
        "privacy.ExportArchive.archive",  # an earlier export: listed, not nested
        "rosters.ImportJob.upload",  # an uploaded roster file: other pupils' records
    }
)


@dataclass
class Person:
    """The data subject: their pupil records and user accounts in this school."""

    school: School
    pupil_ids: set[int] = field(default_factory=set)
    user_ids: set[int] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    # Rows created for this export itself (its own archive) are not part of it.
    exclude: dict[str, set[int]] = field(default_factory=dict)
    # The access log as of the request (its last sequence number then): a retried
    # export reads the same events.
    log_until: int | None = None

    def ids(self, label: str) -> set[int]:
        return self.pupil_ids if label == "rosters.Pupil" else self.user_ids


def person_of(*, school: School, pupil: Pupil | None = None, user: User | None = None) -> Person:
    """The person behind a pupil record or a user account: a pupil's account is theirs
    too, and an account's pupil records in this school are the account holder's."""
    found = Person(school=school)
    if pupil is not None:
        found.pupil_ids.add(pupil.pk)
        if pupil.user_id is not None:
            found.user_ids.add(pupil.user_id)
        if pupil.email:
            found.emails.add(pupil.email.lower())
    if user is not None:
        found.user_ids.add(user.pk)
    if found.user_ids:
        found.pupil_ids |= set(
            Pupil.objects.filter(user_id__in=found.user_ids).values_list("pk", flat=True)
        )
        found.emails |= {
            e.lower()
            for e in User.objects.filter(pk__in=found.user_ids).values_list("email", flat=True)
            if e
        }
    return found


# --- how rows are reached -----------------------------------------------------------


def _path_to_person(model: type[models.Model], name: str, seen: frozenset[str]) -> list[str]:
    """ORM paths from a relation field to a person model: ["pupil"] for a foreign key
    to Pupil, ["email_address__user"] through a declared model, [] if none."""
    try:
        f = model._meta.get_field(name)
    except Exception:
        return []
    if not f.is_relation or f.related_model is None:
        return []
    target = f.related_model._meta.label
    if target in PEOPLE:
        return [f"{name}:{target}"]
    decl = REGISTRY.get(target)
    if decl is None or target in seen or decl.subject == "self":
        return []
    # Through another declared model, by its subject only (an email confirmation
    # reaches the person through its address's user, nothing else).
    return [f"{name}__{p}" for p in _path_to_person(f.related_model, decl.subject, seen | {target})]


def _person_fields(decl: Declaration) -> list[str]:
    """A declaration's fields that may lead to a person: its subject, then its personal
    fields (relations among them lead somewhere; others are ignored by the caller)."""
    names = [decl.subject] if decl.subject != "self" else []
    return names + sorted(n for n in decl.personal if n != decl.subject)


@dataclass(frozen=True)
class Link:
    """One way a declaration's rows reach the person: a field and the ORM path."""

    field: str
    path: str  # "pupil:rosters.Pupil", "email_address__user:accounts.User", or "" (a finder)

    @property
    def lookup(self) -> str:
        return self.path.rsplit(":", 1)[0]

    @property
    def person(self) -> str:
        return self.path.rsplit(":", 1)[1]


def links(decl: Declaration) -> list[Link]:
    """Every way rows of a declared model reach a person, the subject's first."""
    model = apps.get_model(decl.label)
    found = []
    if decl.subject == "self":
        found.append(Link("self", "pk:" + decl.label))
    for name in _person_fields(decl):
        for path in _path_to_person(model, name, frozenset({decl.label})):
            found.append(Link(name, path))
    if decl.label in FINDERS:
        found.append(Link(decl.subject, ""))
    return found


def unreachable(registry: dict[str, Declaration] | None = None) -> list[str]:
    """Declarations holding personal data that the export could not reach (a new kind
    of subject needs a finder); one readable line each."""
    registry = REGISTRY if registry is None else registry
    problems = []
    for label, decl in sorted(registry.items()):
        if not decl.personal:
            continue
        if decl.subject == "self" and label not in PEOPLE:
            problems.append(f"{label}: subject 'self' but it is not a person model")
        subject_links = [
            lk for lk in links(decl) if lk.field == decl.subject or decl.subject == "self"
        ]
        if not subject_links:
            problems.append(
                f"{label}: its subject {decl.subject!r} leads to no person and has no finder"
            )
    return problems


# Finders for subjects that are not relations: (person, queryset) -> rows and, for each
# row id, the fields of that row that are the person's.
Finder = Callable[[Person, models.QuerySet[Any]], dict[int, set[str]]]


def _audit_events(person: Person, qs: models.QuerySet[Any]) -> dict[int, set[str]]:
    """Access-log entries where the person acted or was acted on (SEC-1): as the actor
    their id, name and address; as the target the id and what changed."""
    if person.log_until is not None:
        qs = qs.filter(seq__lte=person.log_until)
    found: dict[int, set[str]] = {}
    people_types = {"accounts.user": person.user_ids, "rosters.pupil": person.pupil_ids}
    if person.user_ids:
        for pk, target_type in qs.filter(actor_id__in=person.user_ids).values_list(
            "pk", "target_type"
        ):
            mine = {"actor_id", "actor_label", "digests", "ip"}
            if target_type not in people_types:  # what they did to no person: theirs
                mine |= {"target_id", "data"}
            found.setdefault(pk, set()).update(mine)
    for target_type, ids in people_types.items():
        if ids:
            targeted = qs.filter(target_type=target_type, target_id__in=[str(i) for i in ids])
            for pk in targeted.values_list("pk", flat=True):
                found.setdefault(pk, set()).update({"target_id", "data"})
    # Entries about them by the log's indexed references (a mark of theirs, a link).
    about = models.Q()
    if person.pupil_ids:
        about |= models.Q(pupil_ref__in=person.pupil_ids)
    if person.user_ids:
        about |= models.Q(user_ref__in=person.user_ids)
    if about:
        for pk, pupil_ref, user_ref in qs.filter(about).values_list("pk", "pupil_ref", "user_ref"):
            mine = {"data"}
            if pupil_ref in person.pupil_ids:
                mine.add("pupil_ref")
            if user_ref in person.user_ids:
                mine.add("user_ref")
            found.setdefault(pk, set()).update(mine)
    return found


def _suppressions(person: Person, qs: models.QuerySet[Any]) -> dict[int, set[str]]:
    """Keyed hashes of the person's own identifiers on the suppression list: held only
    for someone erased before and brought back at the school's say (DSR-4)."""
    from markbook.privacy.models import Suppression
    from markbook.privacy.suppression import digest_of

    values = [(Suppression.Kind.EMAIL, e) for e in sorted(person.emails)]
    values += [
        (Suppression.Kind.UPN, upn)
        for upn in Pupil.objects.filter(pk__in=person.pupil_ids).values_list("upn", flat=True)
        if upn
    ]
    q = models.Q()
    for kind, value in values:
        q |= models.Q(kind=kind, digest=digest_of(kind, value))
    if not q:
        return {}
    return {pk: {"digest"} for pk in qs.filter(q).values_list("pk", flat=True)}


def _by_email(person: Person, qs: models.QuerySet[Any]) -> dict[int, set[str]]:
    """Rows naming the person's address (a request to join made before any account)."""
    if not person.emails:
        return {}
    q = models.Q()
    for email in sorted(person.emails):
        q |= models.Q(email__iexact=email)
    decl_fields = set(REGISTRY[qs.model._meta.label].personal)
    return {pk: set(decl_fields) for pk in qs.filter(q).values_list("pk", flat=True)}


def _sessions(person: Person, qs: models.QuerySet[Any]) -> dict[int, set[str]]:
    """The person's signed-in sessions (the user id is inside the session's data)."""
    if not User.objects.filter(pk__in=person.user_ids, last_login__isnull=False).exists():
        return {}  # never signed in: no session can be theirs
    # Every live session is decoded (the user id is inside its signed data): a cost of
    # the platform's signed-in sessions, not of the school's size.
    wanted = {str(i) for i in person.user_ids}
    found: dict[Any, set[str]] = {}
    for session in qs.filter(expire_date__gt=timezone.now()):
        if str(session.get_decoded().get("_auth_user_id")) in wanted:
            found[session.pk] = {"session_key", "session_data"}
    return found


def _tasks(person: Person, qs: models.QuerySet[Any]) -> dict[int, set[str]]:
    """Background tasks of the person's own jobs (imports they started, exports of them)."""
    from markbook.privacy.models import ExportArchive
    from markbook.rosters.models import ImportJob

    task_ids = set(
        ImportJob.objects.filter(created_by_id__in=person.user_ids).values_list(
            "task_id", flat=True
        )
    )
    archives = ExportArchive.objects.filter(
        models.Q(pupil_id__in=person.pupil_ids) | models.Q(user_id__in=person.user_ids)
    ).exclude(pk__in=person.exclude.get("privacy.ExportArchive", set()))
    task_ids |= set(archives.values_list("task_id", flat=True))
    task_ids.discard("")
    fields = set(REGISTRY[qs.model._meta.label].personal)
    return {pk: set(fields) for pk in qs.filter(pk__in=task_ids).values_list("pk", flat=True)}


FINDERS: dict[str, Finder] = {
    "audit.AuditEvent": _audit_events,
    "accounts.RegistrationRequest": _by_email,
    "sessions.Session": _sessions,
    "django_tasks_database.DBTaskResult": _tasks,
    "privacy.Suppression": _suppressions,
}


# --- collecting ---------------------------------------------------------------------


def withheld(label: str, name: str) -> bool:
    """A value listed as held but not released: a secret only the software sees."""
    p = REGISTRY[label].personal[name]
    secret = p.category == Category.CREDENTIALS and p.visible_to == Visible.NOBODY
    return secret or f"{label}.{name}" in ALSO_WITHHELD


@dataclass
class Table:
    """One declared model's rows about the person, ready to write."""

    label: str
    columns: list[str]
    rows: list[dict[str, Any]]


def _queryset(model: type[models.Model], school: School) -> models.QuerySet[Any]:
    # No ORDER BY in SQL (rows are sorted by id here): a model's default ordering would
    # lead the planner to walk the whole school's index to avoid a sort.
    qs = model._default_manager.order_by()
    names = {f.name for f in model._meta.fields}
    if "trust" in names and "school" not in names:
        qs = qs.filter(trust_id=school.trust_id)  # a trust's rows: this school's trust only
    return qs


def _fetch(
    decl: Declaration, person: Person, attnames: list[str]
) -> tuple[list[tuple[Any, ...]], dict[Any, set[str]]]:
    """The declaration's rows about the person as tuples of `attnames` (the primary key
    first), sorted by id, and for each row the fields that are the person's. One query
    for the rows; a direct foreign key's match is read off each row, and only links
    through another model, or a finder, query apart."""
    model = apps.get_model(decl.label)
    qs = _queryset(model, person.school)
    excluded = person.exclude.get(decl.label)
    if excluded:
        qs = qs.exclude(pk__in=excluded)
    personal = set(decl.personal)
    owned: dict[Any, set[str]] = {}
    direct: list[tuple[int, set[int], set[str]]] = []  # (position in the row, ids, fields)
    condition = models.Q(pk__in=[])
    for link in links(decl):
        if link.path == "":
            for pk, names in FINDERS[decl.label](person, qs).items():
                owned.setdefault(pk, set()).update(names)
            continue
        ids = person.ids(link.person)
        if not ids:
            continue
        # The subject's rows are the person's whole; another link gives only itself.
        mine = personal if link.field in ("self", decl.subject) else {link.field}
        f: Any = None
        if "__" not in link.lookup:
            f = model._meta.pk if link.lookup == "pk" else model._meta.get_field(link.lookup)
        if f is None or f.many_to_many:
            for pk in qs.filter(**{f"{link.lookup}__in": ids}).values_list("pk", flat=True):
                owned.setdefault(pk, set()).update(mine)
            continue
        direct.append((attnames.index(f.attname), ids, mine))
        condition |= models.Q(**{f"{link.lookup}__in": ids})
    if owned:
        condition |= models.Q(pk__in=list(owned))
    if not direct and not owned:
        return [], {}
    rows = sorted(qs.filter(condition).values_list(*attnames), key=lambda row: row[0])
    for row in rows:
        mine_here = owned.setdefault(row[0], set())
        for position, ids, fields in direct:
            if row[position] in ids:
                mine_here.update(fields)
    return rows, owned


def _plain(value: Any) -> Any:
    """A JSON-ready value."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


LABEL_FIELDS = ("name", "title", "label")


def label_field(f: Any) -> str | None:
    """The field naming a related row in the export (a class's name, an assignment's
    title, a grade's label), if the relation may be named: not to a person, not to the
    school (the archive names it once), and the naming field not personal data."""
    if not (f.is_relation and f.related_model is not None) or f.many_to_many:
        return None
    model = f.related_model
    label = model._meta.label
    if label in PEOPLE or f.name == "school":
        return None
    decl = REGISTRY.get(label)
    names = {x.name for x in model._meta.concrete_fields}
    for candidate in LABEL_FIELDS:
        if candidate in names and (decl is None or candidate not in decl.personal):
            return candidate
    return None


def _is_person_ref(f: models.Field[Any, Any] | Any) -> str | None:
    """The person model a relation field points at, if it does."""
    if f.is_relation and f.related_model is not None:
        label = f.related_model._meta.label
        if label in PEOPLE:
            return str(label)
    return None


@dataclass(frozen=True)
class _Column:
    """How one concrete field of a declared model is written."""

    name: str
    personal: bool
    person: str | None  # the person model it points at, for a relation to one
    withheld: bool
    field: Any  # the model field, for decrypting (None if not encrypted)
    label_of: str | None  # the related model's naming field


def _columns(decl: Declaration, model: type[models.Model]) -> list[_Column]:
    pk = model._meta.pk
    concrete = [pk, *(f for f in model._meta.concrete_fields if f is not pk)]
    out = []
    for f in concrete:
        personal = f.name in decl.personal
        encrypted = isinstance(f, EncryptedTextField) and personal
        hidden = personal and withheld(decl.label, f.name)
        out.append(
            _Column(
                f.name,
                personal,
                _is_person_ref(f),
                hidden,
                f if encrypted and not hidden else None,
                label_field(f),
            )
        )
    return out


def collect_table(decl: Declaration, person: Person) -> Table | None:
    """The declaration's rows about the person, or None if the model holds no personal
    data (it is still named in the manifest)."""
    if not decl.personal:
        return None
    model = apps.get_model(decl.label)
    plan = _columns(decl, model)
    attnames = [model._meta.get_field(c.name).attname for c in plan]
    many = list(model._meta.many_to_many)
    columns: list[str] = []
    for c in plan:
        columns.append(c.name)
        if c.label_of is not None:
            columns.append(f"{c.name}_label")
    columns += [m.name for m in many]
    found, owned = _fetch(decl, person, attnames)
    if not found:
        return Table(decl.label, columns, [])
    school_at = attnames.index("school_id") if "school_id" in attnames else None
    decrypters: dict[tuple[int, int], Callable[[str], str]] = {}
    labels = _related_labels(model, plan, attnames, found)
    values_of_many = _many_values(model, many, [row[0] for row in found])
    rows = []
    for values in found:
        mine = owned[values[0]]
        row: dict[str, Any] = {}
        for i, c in enumerate(plan):
            value = values[i]
            if c.field is not None and isinstance(value, Ciphertext):
                school_id = values[school_at] if school_at is not None else person.school.pk
                key = (i, school_id)
                decrypt = decrypters.get(key)
                if decrypt is None:
                    decrypt = decrypters[key] = keys.decrypter(school_id, c.field.context)
                value = c.field.decode(decrypt(value))
            if not c.personal or value is None or value == "":
                row[c.name] = _plain(value)
            elif c.name not in mine:
                row[c.name] = REDACTED
            elif c.person is not None and value not in person.ids(c.person):
                row[c.name] = REDACTED  # the subject's row, pointing at somebody else
            elif c.withheld:
                row[c.name] = WITHHELD
            else:
                row[c.name] = _plain(value)
            if c.label_of is not None:
                raw = values[i]
                row[f"{c.name}_label"] = labels[c.name].get(raw) if raw is not None else None
        for m in many:
            if m.name in decl.personal and m.name not in mine:
                row[m.name] = REDACTED
            else:
                row[m.name] = sorted(values_of_many[m.name].get(values[0], []))
        rows.append(row)
    return Table(decl.label, columns, rows)


def _related_labels(
    model: type[models.Model],
    plan: list[_Column],
    attnames: list[str],
    found: list[tuple[Any, ...]],
) -> dict[str, dict[Any, str]]:
    """The names of related rows that may be named (see label_field), one query each."""
    labels: dict[str, dict[Any, str]] = {}
    for i, c in enumerate(plan):
        if c.label_of is None:
            continue
        ids = {row[i] for row in found} - {None}
        related = model._meta.get_field(c.name).related_model
        assert related is not None and not isinstance(related, str)
        manager = related._default_manager
        query = manager.filter(pk__in=ids).order_by().values_list("pk", c.label_of)
        labels[c.name] = dict(query) if ids else {}
    return labels


def _many_values(
    model: type[models.Model], many: list[Any], pks: list[Any]
) -> dict[str, dict[Any, list[str]]]:
    """For each many-to-many field, each row's related rows by name (one query each)."""
    out: dict[str, dict[Any, list[str]]] = {}
    for m in many:
        naming = next(
            (n for n in LABEL_FIELDS if n in {f.name for f in m.related_model._meta.fields}),
            "pk",
        )
        pairs = model._default_manager.filter(pk__in=pks, **{f"{m.name}__isnull": False})
        found: dict[Any, list[str]] = {}
        for pk, name in pairs.order_by().values_list("pk", f"{m.name}__{naming}"):
            found.setdefault(pk, []).append(str(name))
        out[m.name] = found
    return out


def collect(person: Person, progress: Callable[[int, int], None] | None = None) -> list[Table]:
    """Every declared model's rows about the person, by model label (DSR-2);
    `progress(done, total)` after each model."""
    labels = sorted(REGISTRY)
    tables = []
    for done, label in enumerate(labels, start=1):
        table = collect_table(REGISTRY[label], person)
        if table is not None:
            tables.append(table)
        if progress is not None:
            progress(done, len(labels))
    return tables
