"""Writes on pupils: adding, changing and removing them with their sign-in accounts,
and the rules every pupil row follows, for the pages, the API and the imports alike
(ROS-1, ROS-3, ROS-5, ACC-2, ACC-3, SEC-1, SEC-2, DSR-3).

Keyword-only, atomic and audited; run inside the request's school scope (TEN-4).
"""

import hmac
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.core.rows import insert_rows, unusable_passwords
from markbook.core.validators import text_too_long, uln_problem, upn_problem
from markbook.privacy.corrections import corrections_record
from markbook.rosters.models import Pupil
from markbook.rosters.services.common import add_error, raise_if
from markbook.rosters.services.usernames import USERNAME_PATTERN, pupil_username_generate
from markbook.schools.models import School

# Encrypted with the school's key (SEC-2): the audit log records only that they changed.
SENSITIVE_FIELDS = (
    "fsm",
    "disadvantaged",
    "sen_provision",
    "sen_need",
    "ethnicity",
    "medical_notes",
)
# Optional MIS fields of ROS-2 that pupil_create/pupil_update accept.
MIS_FIELDS = (
    "mis_id",
    "registration_group",
    "sex",
    "date_of_birth",
    "uln",
    "eal",
    "gifted_talented",
    "ks2_reading",
    "ks2_maths",
    "status",
    "left_on",
    *SENSITIVE_FIELDS,
)
BASIC_FIELDS = ("first_name", "last_name", "pseudonym", "username", "email", "upn", "year_group")
PUPIL_FIELDS = (*BASIC_FIELDS, *MIS_FIELDS)
# DfE Common Basic Data Set codes (docs/domain.md, Codes).
SEN_PROVISION_CODES = ("N", "K", "E")
SEN_NEED_CODES = (
    "SPLD",
    "MLD",
    "SLD",
    "PMLD",
    "SEMH",
    "SLCN",
    "HI",
    "VI",
    "MSI",
    "PD",
    "ASD",
    "OTH",
)
ETHNICITY_CODES = (
    "WBRI",
    "WIRI",
    "WIRT",
    "WROM",
    "WOTH",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
)


def upn_digest(upn: str) -> str:
    """The keyed hash of a UPN (ACC-3): imports match on it; it cannot be turned back."""
    key = settings.MARKBOOK_HASH_KEY.encode()
    return hmac.digest(key, upn.strip().upper().encode(), "sha256").hex()


def upn_hashes_remake() -> int:
    """Make every pupil's UPN hash again with the current MARKBOOK_HASH_KEY, school by
    school, each in that school's log with the count (ACC-3): after a backup restored
    under a new key (its old one lost, SEC-5). Returns how many were made."""
    from markbook.core.tenancy import school_scope

    made = 0
    for school in School.objects.order_by("pk"):
        with school_scope(school), transaction.atomic():
            pupils = list(Pupil.objects.filter(upn__isnull=False).only("pk", "upn", "upn_hash"))
            for pupil in pupils:
                pupil.upn_hash = upn_digest(pupil.upn or "")
            Pupil.objects.bulk_update(pupils, ["upn_hash"], batch_size=1000)
            if pupils:
                audit.record(
                    actor=None,
                    school=school,
                    action="rosters.upn_hashes.remade",
                    data={"pupils": len(pupils), "why": "restored under a new hash key"},
                )
            made += len(pupils)
    return made


def pupil_values_normalise(values: dict[str, Any]) -> dict[str, Any]:
    """`values` (pupil field -> value) as pupil_create and pupil_update store them: text
    stripped, email and username in lower case, UPN and census codes in upper case, a
    blank UPN, census code or medical note made None, newlines as LF. Changes `values` and
    returns it."""
    for name in ("first_name", "last_name", "pseudonym", "email", "mis_id", "registration_group"):
        if name in values and values[name] is not None:
            values[name] = str(values[name]).strip()
    if values.get("email"):
        values["email"] = values["email"].lower()
    if "username" in values and values["username"] is not None:
        values["username"] = str(values["username"]).strip().lower()
    if "upn" in values:
        values["upn"] = (str(values["upn"]).strip().upper() or None) if values["upn"] else None
    for name in ("sen_provision", "sen_need", "ethnicity"):
        if name in values and isinstance(values[name], str):
            values[name] = values[name].strip().upper() or None
    if isinstance(values.get("medical_notes"), str):
        # A browser sends a textarea's lines ending in CRLF: store one form of newline, so
        # a form saved unchanged is unchanged.
        notes = values["medical_notes"].replace("\r\n", "\n").replace("\r", "\n")
        values["medical_notes"] = notes or None
    if "uln" in values:
        values["uln"] = (values["uln"] or "").strip()
    return values


def pupil_validate(pupil: Pupil, changed: set[str], *, taken: set[str] | None = None) -> None:
    """Collect every problem with a pupil about to be saved, keyed by field (ROS-3).

    `changed` names the fields being set: only they are checked against the school's
    kept fields (ROS-5), their lengths, the census codes, ULN and KS2 score ranges, and a
    changed username or UPN for being valid and unused in the school; the field formats
    and names are checked on the whole pupil. Raises one ValidationError naming them all.

    `taken`, when given, holds every username (lower case) of the school's other pupils:
    a changed username is checked against it, without asking the database (imports)."""
    errors: dict[str, list[str]] = text_too_long(Pupil, {n: getattr(pupil, n) for n in changed})
    for name in sorted(changed):
        value = getattr(pupil, name)
        if value not in (None, "") and not pupil.school.keeps(name):
            add_error(
                errors, name, "The school does not keep this field (see its settings)."
            )  # ROS-5
    # The census codes are checked below, by a message that names the codes.
    coded = ("sen_provision", "sen_need", "ethnicity")
    exclude = [
        f.name
        for f in Pupil._meta.fields
        if f.name not in PUPIL_FIELDS or f.name in coded or f.name in errors
    ]
    try:
        pupil.clean_fields(exclude=exclude)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                add_error(errors, field, message)
    if not pupil.pseudonym:
        if not pupil.first_name:
            add_error(errors, "first_name", "Enter the pupil's first name (or a pseudonym).")
        if not pupil.last_name:
            add_error(errors, "last_name", "Enter the pupil's last name (or a pseudonym).")
    if "username" in changed and "username" not in errors:
        if not USERNAME_PATTERN.match(pupil.username):
            add_error(
                errors,
                "username",
                f"{pupil.username!r} is not a valid username: use letters, digits, '.', '-' or '_'.",
            )
        elif (
            pupil.username.lower() in taken
            if taken is not None
            else Pupil.objects.filter(username__iexact=pupil.username).exclude(pk=pupil.pk).exists()
        ):
            add_error(
                errors,
                "username",
                f"The username {pupil.username!r} is already used in this school.",
            )
    if "upn" in changed and pupil.upn and "upn" not in errors:
        problem = upn_problem(pupil.upn)
        if problem:
            add_error(errors, "upn", f"{pupil.upn!r} is not a valid UPN: {problem}.")
        elif Pupil.objects.filter(upn=pupil.upn).exclude(pk=pupil.pk).exists():
            add_error(
                errors,
                "upn",
                f"The UPN {pupil.upn} already belongs to another pupil in this school.",
            )
    if "uln" in changed and pupil.uln and "uln" not in errors:
        problem = uln_problem(pupil.uln)
        if problem:
            add_error(errors, "uln", f"{pupil.uln!r} is not a valid ULN: {problem}.")
    for name, codes in (
        ("sen_provision", SEN_PROVISION_CODES),
        ("sen_need", SEN_NEED_CODES),
        ("ethnicity", ETHNICITY_CODES),
    ):
        value = getattr(pupil, name)
        if name in changed and value and value not in codes and name not in errors:
            add_error(
                errors, name, f"{value!r} is not a census code; use one of {', '.join(codes)}."
            )
    for name in ("ks2_reading", "ks2_maths"):
        value = getattr(pupil, name)
        if name in changed and value is not None and not 80 <= int(value) <= 120:
            add_error(errors, name, f"A KS2 scaled score is 80 to 120, not {value}.")
    raise_if(errors)


def pupil_user_handle(school_id: int, username: str) -> str:
    """The User.username of a pupil's account: "pupil.<school id>.<username>" (ACC-3).

    User.username is a global, internal handle; pupils sign in with Pupil.username."""
    return f"pupil.{school_id}.{username}"


def pupil_change_logged(old: Any, new: Any, *, sensitive: bool) -> dict[str, Any]:
    """How a changed pupil field appears in a `rosters.pupil.changed` event (SEC-1):
    old and new values, or only that it changed for a sensitive field (SEC-2)."""
    if sensitive:
        return {"changed": True}
    as_json = [v.isoformat() if isinstance(v, date) else v for v in (old, new)]
    return {"old": as_json[0], "new": as_json[1]}


def pupil_new(
    *,
    school: School,
    first_name: str,
    last_name: str,
    year_group: str,
    username: str | None = None,
    upn: str | None = None,
    email: str = "",
    pseudonym: str = "",
    taken: set[str] | None = None,
    **optional: Any,
) -> Pupil:
    """The pupil pupil_create adds, normalised and validated, not saved (ROS-3, ACC-3).

    With `taken` (every username of the school, lower case) the username is generated
    and checked against it without asking the database, and added to it (imports)."""
    unknown = sorted(set(optional) - set(MIS_FIELDS))
    raise_if({name: ["This is not a pupil field."] for name in unknown})
    values = pupil_values_normalise(
        {
            "first_name": first_name,
            "last_name": last_name,
            "year_group": str(year_group).strip().upper(),
            "username": username,
            "upn": upn,
            "email": email or "",
            "pseudonym": pseudonym or "",
            **optional,
        }
    )
    if not values["username"]:
        values["username"] = pupil_username_generate(
            first_name=values["first_name"],
            last_name=values["last_name"],
            pseudonym=values["pseudonym"],
            taken=taken,
            known=taken is not None,
        )
    pupil = Pupil(school=school, **values)
    pupil_validate(pupil, set(values), taken=taken)
    pupil.upn_hash = upn_digest(pupil.upn) if pupil.upn else ""
    if taken is not None:
        taken.add(pupil.username.lower())
    return pupil


def pupil_created_logged(pupil: Pupil) -> dict[str, Any]:
    """The data of a `rosters.pupil.created` event (SEC-1)."""
    return {"username": pupil.username, "year_group": pupil.year_group}


@transaction.atomic
def pupil_create(
    *,
    actor: User | None,
    school: School,
    first_name: str,
    last_name: str,
    year_group: str,
    **fields: Any,
) -> Pupil:
    """Add a pupil with a sign-in account that has no password yet (ROS-1, ACC-2, ACC-3).

    `fields` are pupil_new's: username, upn, email, pseudonym and the MIS fields. The
    username is generated when missing; the UPN is validated (ROS-3). No password hash
    is computed: the pupil signs in with a code from their teacher."""
    pupil = pupil_new(
        school=school, first_name=first_name, last_name=last_name, year_group=year_group, **fields
    )
    user = User(
        username=pupil_user_handle(school.pk, pupil.username),
        first_name=pupil.first_name[:150],
        last_name=pupil.last_name[:150],
    )
    user.set_unusable_password()  # no hash computed (ACC-2)
    user.save()
    Membership.objects.create(school=school, user=user, role=Membership.Role.PUPIL)
    pupil.user = user
    pupil.save()
    audit.record(
        actor=actor,
        school=school,
        action="rosters.pupil.created",
        target=pupil,
        data=pupil_created_logged(pupil),
    )
    return pupil


@transaction.atomic
def pupil_update(
    *, actor: User | None, pupil: Pupil, request_id: int | None = None, **changes: Any
) -> Pupil:
    """Change a pupil's details; old and new values go to the access log (ROS-1, DSR-3).

    For encrypted fields (SEC-2) the log records only that the value changed; each
    changed field is also recorded as a correction, its values encrypted (DSR-3),
    answering the rights request `request_id` when one is given."""
    changed = pupil_changes_apply(pupil, changes)
    if not changed:
        return pupil
    extra = ["upn_hash"] if "upn" in changed else []
    pupil.save(update_fields=[*changed, *extra, "updated_at"])
    corrections_record(
        school_id=pupil.school_id,
        label="rosters.Pupil",
        pupil=pupil,
        by=actor,
        changes={name: (old, getattr(pupil, name)) for name, old in changed.items()},
        request_id=request_id,
    )
    if pupil.user_id and {"username", "first_name", "last_name"} & set(changed):
        user = pupil.user
        assert user is not None  # user_id is set, and the foreign key guarantees the row
        user.username = pupil_user_handle(pupil.school_id, pupil.username)
        user.first_name, user.last_name = pupil.first_name[:150], pupil.last_name[:150]
        user.save(update_fields=["username", "first_name", "last_name"])
    if {"first_name", "last_name", "pseudonym"} & set(changed):
        # The leaderboards show the corrected name at once, not after the nightly
        # rebuild (DSR-3, ASM-6).
        from markbook.practice.boards import board_pupil_refresh

        board_pupil_refresh(pupil=pupil)
    audit.record(
        actor=actor,
        school=pupil.school_id,
        action="rosters.pupil.changed",
        target=pupil,
        data=pupil_changes_logged(pupil, changed),
    )
    return pupil


def pupil_changes_apply(pupil: Pupil, changes: dict[str, Any]) -> dict[str, Any]:
    """Set `changes` on `pupil` as pupil_update does, normalised and validated, without
    saving (a changed UPN sets upn_hash too); the changed fields and their old values.
    When they are not valid the pupil is left as it was and a ValidationError raised."""
    unknown = sorted(set(changes) - set(PUPIL_FIELDS))
    raise_if({name: ["This is not a pupil field that can be changed."] for name in unknown})
    if "year_group" in changes and changes["year_group"] is not None:
        changes["year_group"] = str(changes["year_group"]).strip().upper()
    changes = pupil_values_normalise(dict(changes))
    changed: dict[str, Any] = {}
    for name, new in changes.items():
        old = getattr(pupil, name)
        if old != new and not (old in (None, "") and new in (None, "")):
            changed[name] = old
            setattr(pupil, name, new)
    if not changed:
        return changed
    try:
        pupil_validate(pupil, set(changed))
    except ValidationError:
        for name, old in changed.items():
            setattr(pupil, name, old)
        raise
    if "upn" in changed:
        pupil.upn_hash = upn_digest(pupil.upn) if pupil.upn else ""
    return changed


def pupil_changes_logged(pupil: Pupil, changed: dict[str, Any]) -> dict[str, Any]:
    """The data of a `rosters.pupil.changed` event for `changed` (field -> old value)."""
    return {
        name: pupil_change_logged(old, getattr(pupil, name), sensitive=name in SENSITIVE_FIELDS)
        for name, old in changed.items()
    }


def pupil_delete_impact(*, pupil: Pupil) -> Any:
    """What deleting the pupil will remove and keep (DSR-7): the erasure engine's plan
    (privacy.erasure), shown before the deletion is confirmed."""
    from markbook.privacy.erasure import erasure_impact

    return erasure_impact(school=pupil.school, subject=pupil)


@transaction.atomic
def pupil_delete(*, actor: User | None, pupil: Pupil, fingerprint: str = "") -> None:
    """Remove a pupil completely (ROS-1, DSR-7): through the erasure engine, so their
    marks, grades, enrolments, parent links, sign-in account and the access log's
    identifiers of them all go, as the data inventory says (DSR-4). With `fingerprint`
    (of the plan shown to the actor), refused if the data changed since; refused under
    a legal hold (RET-3). A ValidationError says why; nothing is changed then."""
    from markbook.privacy.erasure import ErasureRefused, erasure_execute, erasure_impact

    plan = erasure_impact(school=pupil.school, subject=pupil)
    if fingerprint and fingerprint != plan.fingerprint:
        raise ValidationError(
            {"pupil": ["Their records changed since you looked: check what will be removed."]}
        )
    if not plan.eligible:
        raise ValidationError({"pupil": plan.refusals})
    try:
        outcome = erasure_execute(school=pupil.school, subject=pupil, approved_plan=plan, by=actor)
    except ErasureRefused as refused:
        raise ValidationError({"pupil": [str(refused)]}) from None
    audit.record(
        actor=actor,
        school=pupil.school_id,
        action="rosters.pupil.deleted",
        data={"erased": outcome.pseudonym, "records": outcome.rows_deleted},
    )


def pupil_accounts_insert(
    *, school: School, people: list[tuple[str, str, str]], now: datetime
) -> list[int]:
    """Sign-in accounts for many new pupils at once, as pupil_create makes them: a user
    per (username, first name, last name) with no password hash (ACC-2: a teacher gives
    a sign-in code) and the pupil role in `school`. The user ids, in order; two
    INSERTs whatever the number (the imports write the pupils themselves)."""
    user_ids = insert_rows(
        User,
        [
            {
                "username": pupil_user_handle(school.pk, username),
                "first_name": first_name[:150],
                "last_name": last_name[:150],
                "password": password,
            }
            for (username, first_name, last_name), password in zip(
                people, unusable_passwords(len(people)), strict=True
            )
        ],
        now=now,
    )
    insert_rows(
        Membership,
        [
            {"school_id": school.pk, "user_id": user_id, "role": Membership.Role.PUPIL}
            for user_id in user_ids
        ],
        now=now,
    )
    return user_ids


def roster_read_record(
    *,
    actor: User,
    school: School,
    action: str,
    target: Any = None,
    data: dict | None = None,
) -> None:
    """Log a read of pupil data by staff (SEC-1). Pages and the API call this."""
    audit.record(actor=actor, school=school, action=action, target=target, data=data)
