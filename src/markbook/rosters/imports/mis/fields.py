"""The pupil fields an MIS export can fill, their header spellings, and the mapping of a
file's columns to them (ROS-2, ROS-5, ACC-3)."""

from dataclasses import dataclass
from difflib import get_close_matches

from markbook.rosters.imports import common
from markbook.rosters.imports.common import Problem
from markbook.rosters.imports.mis.result import MisImportResult
from markbook.schools.models import School

REQUIRED, RECOMMENDED, OPTIONAL = "required", "recommended", "optional"
IGNORE = "ignore"


@dataclass(frozen=True)
class Field:
    name: str  # the Pupil field
    label: str  # how reports name it
    level: str  # REQUIRED, RECOMMENDED or OPTIONAL
    aliases: tuple[str, ...]  # header keys (common.header_key), the preferred first


# Header spellings of SIMS, Arbor, Bromcom, Wonde and Xporter exports (domain.md,
# "Rosters and MIS exports"). When two columns mean the same field, the one whose
# spelling comes first here is used.
FIELDS = (
    Field(
        "first_name",
        "forename",
        REQUIRED,
        ("forename", "firstname", "legalforename", "givenname", "forenames", "preferredforename"),
    ),
    Field(
        "last_name",
        "surname",
        REQUIRED,
        ("surname", "lastname", "legalsurname", "familyname", "preferredsurname"),
    ),
    Field("pseudonym", "pseudonym", OPTIONAL, ("pseudonym", "alias")),
    Field("upn", "UPN", RECOMMENDED, ("upn", "uniquepupilnumber", "pupilupn")),
    Field(
        "mis_id",
        "MIS id",
        RECOMMENDED,
        ("misid", "admissionno", "admissionnumber", "adno", "pupilid", "personid", "externalid"),
    ),
    Field(
        "year_group",
        "year group",
        REQUIRED,
        ("ncyear", "yeargroup", "currentncyear", "nationalcurriculumyear", "year", "yeargrp"),
    ),
    Field(
        "registration_group",
        "registration group",
        OPTIONAL,
        ("reggroup", "registrationgroup", "regform", "formgroup", "tutorgroup", "form"),
    ),
    Field("sex", "sex", RECOMMENDED, ("sex", "gender", "legalsex")),
    Field("date_of_birth", "date of birth", RECOMMENDED, ("dateofbirth", "dob", "birthdate")),
    Field(
        "fsm",
        "FSM",
        OPTIONAL,
        ("fsm", "fsmeligible", "freeschoolmeals", "fsmeligibility", "eligibleforfsm"),
    ),
    Field(
        "disadvantaged",
        "disadvantaged",
        OPTIONAL,
        ("disadvantaged", "pupilpremium", "premiumpupilindicator", "pupilpremiumindicator", "pp"),
    ),
    Field("sen_provision", "SEN provision", OPTIONAL, ("senprovision", "senstatus", "sen")),
    Field("sen_need", "SEN primary need", OPTIONAL, ("senneed", "senprimaryneed", "primaryneed")),
    Field("eal", "EAL", OPTIONAL, ("eal", "englishasadditionallanguage")),
    Field(
        "gifted_talented",
        "gifted and talented",
        OPTIONAL,
        ("giftedandtalented", "giftedtalented", "giftedandtalentedstatus", "gandt", "gt"),
    ),
    Field("ethnicity", "ethnicity", OPTIONAL, ("ethnicity", "ethnicitycode", "ethniccode")),
    Field(
        "ks2_reading",
        "KS2 reading",
        OPTIONAL,
        ("ks2readingscaledscore", "ks2reading", "ks2readingscore", "ks2read"),
    ),
    Field(
        "ks2_maths",
        "KS2 maths",
        OPTIONAL,
        ("ks2mathsscaledscore", "ks2maths", "ks2mathematicsscaledscore", "ks2mathsscore"),
    ),
    Field("uln", "ULN", OPTIONAL, ("uln", "uniquelearnernumber", "learnernumber")),
)
BY_NAME = {f.name: f for f in FIELDS}
NAMES = ("first_name", "last_name")
KEYS = ("upn", "mis_id")
_ALIAS = {alias: f for f in FIELDS for alias in f.aliases}
# A column naming the school the export is from: checked against the school, never stored.
SCHOOL_URN_KEYS = frozenset({"urn", "schoolurn", "establishmenturn"})


def map_columns(
    header: list[str], school: School, mapping: dict[str, str], result: MisImportResult
) -> dict[str, int] | None:
    """Field name -> column index, after mapping, aliases and dropping unkept fields."""
    mapping = {k.strip(): v for k, v in mapping.items()}
    for target in set(mapping.values()) - {IGNORE} - set(BY_NAME):
        result.errors.append(
            Problem(None, "", f"{target!r} is not a pupil field to map a column to.")
        )
    chosen: dict[str, tuple[int, int]] = {}  # field -> (rank, index)
    for index, raw in enumerate(header):
        title = raw.strip()
        if not title:
            continue
        if title in mapping:
            if mapping[title] == IGNORE or mapping[title] not in BY_NAME:
                continue
            spec, rank = BY_NAME[mapping[title]], -1  # the user's choice wins
        else:
            key = common.header_key(title)
            if key in SCHOOL_URN_KEYS:
                result.school_urn_column = (index, title)
                continue
            spec = _ALIAS.get(key)  # type: ignore[assignment]
            if spec is None:
                result.unknown_columns.append(title)
                guess = get_close_matches(key, list(_ALIAS), n=1, cutoff=0.75)
                result.suggestions[title] = _ALIAS[guess[0]].name if guess else IGNORE
                result.warnings.append(
                    Problem(
                        1,
                        title,
                        "Markbook does not know this column; it is ignored unless you map it "
                        "to a pupil field.",
                    )
                )
                continue
            rank = spec.aliases.index(key)
        pseudonyms = school.pseudonymise_pupils and spec.name in NAMES
        if pseudonyms or not school.keeps(spec.name):
            # Dropped at the door (ROS-5, ACC-3): its values are never read.
            result.not_kept_columns.append(title)
            continue
        if spec.name in chosen:
            other_rank, other = chosen[spec.name]
            keep, drop = (index, other) if rank < other_rank else (other, index)
            result.warnings.append(
                Problem(
                    1,
                    header[drop].strip(),
                    f"Two columns mean {spec.label}; using {header[keep].strip()!r}.",
                )
            )
            chosen[spec.name] = (min(rank, other_rank), keep)
            continue
        chosen[spec.name] = (rank, index)
    positions = {name: index for name, (_, index) in chosen.items()}
    result.columns = {header[i].strip(): BY_NAME[n].label for n, i in positions.items()}
    needed = [f for f in FIELDS if f.level == REQUIRED and school.keeps(f.name)]
    if school.pseudonymise_pupils:
        needed = [f for f in needed if f.name not in NAMES]
    elif "pseudonym" in positions:
        needed = [f for f in needed if f.name not in NAMES or f.name in positions]
    missing = [f.label for f in needed if f.name not in positions]
    if missing:
        found = ", ".join(repr(v.strip()) for v in header if v.strip()) or "nothing"
        result.errors.append(
            Problem(1, "", f"The file has no column for {', '.join(missing)}. Found: {found}.")
        )
    if not set(KEYS) & set(positions):
        result.errors.append(
            Problem(
                1,
                "",
                "The file needs a UPN or an MIS id column (like 'UPN' or 'Admission No'), "
                "so that pupils are found again by the next import.",
            )
        )
    for spec in FIELDS:
        if spec.level == RECOMMENDED and spec.name not in positions and school.keeps(spec.name):
            result.warnings.append(Problem(1, "", f"No {spec.label} column: it is recommended."))
    return None if result.errors else positions
