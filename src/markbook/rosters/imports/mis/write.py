"""Writing a checked MIS import: new pupils (with their users and memberships), the
changed ones, and the access log events (ROS-2, ACC-2, ACC-3, SEC-2)."""

import secrets
from typing import Any

from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.core.rows import insert_rows, update_rows
from markbook.rosters import services
from markbook.rosters.imports.common import Report, Written
from markbook.rosters.imports.mis.plan import pupil_instance
from markbook.rosters.imports.mis.result import MisImportResult
from markbook.rosters.models import Pupil
from markbook.rosters.services import upn_digest
from markbook.schools.models import School


def generate_pseudonym(taken: set[str]) -> str:
    """A pseudonym like "Pupil K7QX2M", unique among `taken` (ACC-3)."""
    alphabet = "ABCDEFGHJKLMNPQRTUVWXYZ2346789"
    while True:
        candidate = "Pupil " + "".join(secrets.choice(alphabet) for _ in range(6))
        if candidate.lower() not in taken:
            taken.add(candidate.lower())
            return candidate


def write_result(
    *, actor: User | None, school: School, result: MisImportResult, progress: Report | None = None
) -> None:
    """Write what `result` plans, with one event per changed pupil and the import's
    summary in the access log; the caller holds the transaction. `progress(done, total,
    "pupil records written")` is told of the new and changed pupils and their events as
    they are written."""
    now = timezone.now()
    existing = list(Pupil.objects.values_list("username", "pseudonym"))
    taken = {u.lower() for u, _ in existing}
    pseudonyms = {p.lower() for _, p in existing if p}
    new_pupils: list[dict[str, Any]] = []
    for planned in result.added:
        values = dict(planned.values)
        upn = values.pop("upn", None)
        if upn:
            values["upn_hash"] = planned.upn_hash or upn_digest(upn)
            values["upn"] = None if school.pseudonymise_pupils else upn
        if school.pseudonymise_pupils and not values.get("pseudonym"):
            values["pseudonym"] = generate_pseudonym(pseudonyms)
        values["username"] = services.pupil_username_generate(
            first_name=values.get("first_name") or "",
            last_name=values.get("last_name") or "",
            pseudonym=values.get("pseudonym") or "",
            taken=taken,
            known=True,
        )
        taken.add(values["username"])
        values["school_id"] = school.pk
        new_pupils.append(values)
    # Users, memberships and pupils as bulk_create would write them, without a model
    # instance per row (insert_rows); no password hash is computed (ACC-2).
    user_ids = services.pupil_accounts_insert(
        school=school,
        people=[
            (v["username"], v.get("first_name", ""), v.get("last_name", "")) for v in new_pupils
        ],
        now=now,
    )
    for values, user_id in zip(new_pupils, user_ids, strict=True):
        values["user_id"] = user_id
    changed = [p for p in (*result.changed, *result.unchanged, *result.leavers) if p.values]
    logged = [planned for planned in changed if planned.changes]
    written = Written(
        progress, len(new_pupils) + len(changed) + len(logged), "pupil records written"
    )
    added_ids = insert_rows(Pupil, new_pupils, now=now, progress=written.part())
    names: set[str] = set()
    renamed: list[User] = []
    for planned in changed:
        assert planned.pupil is not None
        pupil = planned.pupil = pupil_instance(planned.pupil)
        for name, value in planned.values.items():
            setattr(pupil, name, value)
        pupil.updated_at = now
        names |= set(planned.values)
        if {"first_name", "last_name"} & set(planned.values) and pupil.user_id:
            user = User(pk=pupil.user_id, first_name=pupil.first_name[:150])
            user.last_name = pupil.last_name[:150]
            renamed.append(user)
    if changed:
        pupils = [p.pupil for p in changed if p.pupil is not None]
        # bulk_update's writes, one prepared UPDATE per pupil; encrypted fields encrypted (SEC-2).
        update_rows(Pupil, pupils, [*sorted(names), "updated_at"], progress=written.part())
    if renamed:
        update_rows(User, renamed, ["first_name", "last_name"])
    # One event per changed pupil, as pupil_update writes, appended to the chain at once.
    audit.record_many(
        actor=actor,
        school=school,
        events=[
            (
                "rosters.pupil.changed",
                planned.pupil,
                {
                    name: services.pupil_change_logged(
                        change.old, change.new, sensitive=change.sensitive
                    )
                    for name, change in planned.changes.items()
                },
            )
            for planned in logged
        ],
        progress=written.part(),
    )
    audit.record(
        actor=actor,
        school=school,
        action="rosters.mis.imported",
        data={
            "filename": result.filename[:200],
            "rows": result.rows,
            "full": result.full,
            "added": len(result.added),
            "added_ids": added_ids,
            "changed": len([p for p in result.changed if p.changes]),
            "unchanged": len(result.unchanged),
            "left": len(result.leavers),
            "columns_not_kept": result.not_kept_columns,
            "columns_unknown": result.unknown_columns,
        },
    )
