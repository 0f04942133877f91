"""Matching an MIS export's rows to the school's pupils, by UPN (through its keyed hash)
or MIS id, and planning what is added, changed, left alone and, for a full import,
marked as left (ROS-2, ACC-3, SEC-2)."""

from typing import Any

from django.utils import timezone

from markbook.core import keys
from markbook.core.fields import Ciphertext, EncryptedTextField
from markbook.privacy.suppression import NOT_RECREATED, Suppressed
from markbook.rosters import services
from markbook.rosters.imports.common import Problem
from markbook.rosters.imports.mis.fields import BY_NAME
from markbook.rosters.imports.mis.result import Change, MisImportResult, Planned
from markbook.rosters.models import Pupil
from markbook.rosters.services import upn_digest
from markbook.schools.models import School


def _label(pupil: "Pupil | _Current", school: School) -> str:
    if school.pseudonymise_pupils:
        return pupil.pseudonym or pupil.username
    return f"{pupil.first_name} {pupil.last_name}".strip() or pupil.pseudonym or pupil.username


def plan_rows(
    rows: list[tuple[int, dict[str, Any]]],
    school: School,
    full: bool,
    result: MisImportResult,
    *,
    restore_erased: bool = False,
) -> None:
    """Fill `result`'s added, changed, unchanged and leavers from the parsed `rows`, or
    add to its errors a key that repeats or points at two different pupils. A new row
    of a pupil on the suppression list (erased at the school's request, DSR-4) is left
    out with a warning, unless `restore_erased`."""
    erased = None if restore_erased else Suppressed()
    read = set(rows[0][1]) if rows else set()
    pupils = _current_pupils(school, read)
    by_upn: dict[str, _Current] = {}
    by_mis: dict[str, _Current] = {}
    for pupil in pupils:
        digest = pupil.upn_hash or (upn_digest(pupil.upn) if pupil.upn else "")
        if digest:
            by_upn[digest] = pupil
        if pupil.mis_id:
            by_mis.setdefault(pupil.mis_id, pupil)
    seen_upn: dict[str, int] = {}
    seen_mis: dict[str, int] = {}
    matched: dict[int, int] = {}  # pupil id -> row
    for number, row in rows:
        digest = upn_digest(row["upn"]) if row.get("upn") else ""
        mis_id = row.get("mis_id") or ""
        bad = False
        for key, seen, column in ((digest, seen_upn, "UPN"), (mis_id, seen_mis, "MIS id")):
            if key and key in seen:
                bad = True
                result.errors.append(
                    Problem(number, column, f"The same {column} is also on row {seen[key]}.")
                )
            elif key:
                seen[key] = number
        if bad:
            continue
        by_key, by_id = by_upn.get(digest) if digest else None, by_mis.get(mis_id)
        if by_key is not None and by_id is not None and by_key.pk != by_id.pk:
            result.errors.append(
                Problem(
                    number,
                    "UPN",
                    f"This UPN belongs to another pupil of the school ({_label(by_key, school)}) "
                    f"than the MIS id {mis_id} ({_label(by_id, school)}).",
                )
            )
            continue
        found = by_key or by_id
        if found is not None:
            if found.pk in matched:
                result.errors.append(
                    Problem(
                        number,
                        "UPN" if by_key else "MIS id",
                        f"This is the same pupil as row {matched[found.pk]}.",
                    )
                )
                continue
            matched[found.pk] = number
            result_list, planned = _diff(number, row, found, school, full, digest)
            result_list_of = {"changed": result.changed, "unchanged": result.unchanged}
            result_list_of[result_list].append(planned)
        elif erased and erased.named(
            upn_hash=digest, mis_id=mis_id, email=str(row.get("email") or "")
        ):
            result.warnings.append(Problem(number, "", NOT_RECREATED))
            result.suppressed.append(number)
        else:
            name = row.get("pseudonym") or f"{row.get('first_name', '')} {row.get('last_name', '')}"
            result.added.append(
                Planned(
                    number, name.strip() or f"new pupil (row {number})", values=row, upn_hash=digest
                )
            )
    on_roll = sum(pupil.status != Pupil.Status.LEFT for pupil in pupils)
    if full and rows and on_roll and not matched:
        result.errors.append(
            Problem(
                None,
                "",
                f"None of the file's pupils is one of the school's {on_roll} pupils on roll, "
                f"so a full import would mark all {on_roll} as left: is this another school's "
                "export? To add these pupils without marking anyone as left, untick "
                "'every pupil on roll'.",
            )
        )
    if full and not result.errors:
        today = timezone.localdate()
        for pupil in pupils:
            if pupil.pk not in matched and pupil.status != Pupil.Status.LEFT:
                planned = Planned(0, _label(pupil, school), pupil)
                planned.values = {"status": Pupil.Status.LEFT, "left_on": today}
                planned.changes = {
                    "status": Change("status", pupil.status, Pupil.Status.LEFT),
                    "left_on": Change("left on", None, today),
                }
                result.leavers.append(planned)


class _Current(dict[str, Any]):
    """A pupil as stored, for comparing with a row: only the columns the import reads,
    without a model instance (a school's whole roll is compared on every import)."""

    def __getattr__(self, name: str) -> Any:
        return self[name]

    @property
    def pk(self) -> int:
        return self["id"]


_ALWAYS_LOADED = (
    "id",
    "school_id",
    "user_id",
    "first_name",
    "last_name",
    "pseudonym",
    "username",
    "upn",
    "upn_hash",
    "mis_id",
    "status",
)


def _current_pupils(school: School, read: set[str]) -> list[_Current]:
    """Every pupil of the school in scope, with the columns the file has, decrypted
    (SEC-2: each field's key looked up once). One query."""
    names = [*_ALWAYS_LOADED, *sorted(read - set(_ALWAYS_LOADED))]
    pupils = [
        _Current(zip(names, values, strict=True)) for values in Pupil.objects.values_list(*names)
    ]
    for name in names:
        model_field = Pupil._meta.get_field(name)
        if isinstance(model_field, EncryptedTextField):
            decrypt = keys.decrypter(school.pk, model_field.context)
            for pupil in pupils:
                if isinstance(pupil[name], Ciphertext):
                    pupil[name] = model_field.decode(decrypt(pupil[name]))
    return pupils


def pupil_instance(current: _Current) -> Pupil:
    """The model instance a planned write needs (update_rows, the audit target)."""
    # from_db takes the values in the model's field order.
    fields = [f for f in Pupil._meta.concrete_fields if f.attname in current]
    return Pupil.from_db(None, [f.attname for f in fields], [current[f.attname] for f in fields])


def _diff(
    number: int, row: dict[str, Any], pupil: Any, school: School, full: bool, digest: str = ""
) -> tuple[str, Planned]:
    planned = Planned(number, _label(pupil, school), pupil)
    for name, new in row.items():
        if name == "upn":
            if not new:
                continue  # a blank key never clears the one on record
            digest = digest or upn_digest(new)
            stored = None if school.pseudonymise_pupils else new
            if pupil.upn_hash == digest and pupil.upn == stored:
                continue
            # Also when only the hash is missing, or a clear UPN must go (pseudonyms turned
            # on later): written, but not reported as a change of UPN.
            planned.values |= {"upn_hash": digest, "upn": stored}
            old_digest = pupil.upn_hash or (upn_digest(pupil.upn) if pupil.upn else "")
            if old_digest != digest:
                planned.changes["upn"] = (
                    Change("UPN", sensitive=True)
                    if school.pseudonymise_pupils
                    else Change("UPN", pupil.upn, new)
                )
            continue
        if name == "mis_id" and not new:
            continue
        old = getattr(pupil, name)
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        planned.values[name] = new
        sensitive = name in services.SENSITIVE_FIELDS
        planned.changes[name] = Change(BY_NAME[name].label, old, new, sensitive)
    if full and pupil.status == Pupil.Status.LEFT:
        planned.values |= {"status": Pupil.Status.ON_ROLL, "left_on": None}
        planned.changes["status"] = Change("status", pupil.status, Pupil.Status.ON_ROLL)
    return ("changed" if planned.changes else "unchanged"), planned
