"""The OneRoster 1.2 CSV binding as Markbook uses it (docs/domain.md, Rosters).

1EdTech OneRoster: CSV Binding 1.2 (1.2.1, August 2023, is the current correction
level; manifest.csv still says oneroster.version 1.2): a zip of manifest.csv and one
CSV per entity; RFC 4180, UTF-8 (a BOM tolerated), header row required, header names
case-sensitive and in the order below. In 1.2 a user's role and orgs live in
roles.csv; 1.1 kept them in users.csv (orgSourcedIds, role), which the import still
reads.

Sources for the orders (the binding's own tables at imsglobal.org/spec/oneroster/v1p2/
bind/csv could not be read in full here, so this is uncertain): the users, roles,
lineItems and results orders below are those of LongsightGroup/oneroster's CSV schema,
which states it follows the corrected 1.2.1 binding and is gated on the 719 official
1.2.1 certification cases; roles.csv is the same in the Japan profile's 1.2
implementations. Those implementations, and Markbook before, also had a
resourceSourcedIds column in users.csv after userMasterIdentifier, which the 1.2.1
users.csv does not have: such files are still read (USERS_12_WITH_RESOURCES).
Multi-valued fields are comma-separated inside one quoted cell. In bulk files the
status and dateLastModified cells are blank; in delta files they are required
(status active|tobedeleted, dateLastModified an ISO 8601 date-time).
"""

import uuid

MANIFEST_HEADER = ["propertyName", "value"]
# Every data file of the 1.2 binding, in the manifest's file.<name> rows.
ALL_FILES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
)
_COMMON = ["sourcedId", "status", "dateLastModified"]
HEADERS_12: dict[str, list[str]] = {
    "orgs": [*_COMMON, "name", "type", "identifier", "parentSourcedId"],
    "academicSessions": [
        *_COMMON,
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ],
    "courses": [
        *_COMMON,
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ],
    "classes": [
        *_COMMON,
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ],
    "users": [
        *_COMMON,
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "userMasterIdentifier",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "primaryOrgSourcedId",
        "pronouns",
    ],
    "roles": [
        *_COMMON,
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ],
    "enrollments": [
        *_COMMON,
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ],
    # A user's birth date and sex, by the user's sourcedId; the rest is US race and
    # residence data, which Markbook does not keep.
    "demographics": [
        *_COMMON,
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    ],
    # Gradebook files (marks, ASM-1, ASM-3); sources in the module docstring.
    "lineItems": [
        *_COMMON,
        "title",
        "description",
        "assignDate",
        "dueDate",
        "classSourcedId",
        "categorySourcedId",
        "academicSessionSourcedId",
        "resultValueMin",
        "resultValueMax",
        "schoolSourcedId",
    ],
    "results": [
        *_COMMON,
        "lineItemSourcedId",
        "studentSourcedId",
        "scoreStatus",
        "score",
        "scoreDate",
        "comment",
        "textScore",
        "classSourcedId",
        "inProgress",
        "incomplete",
        "late",
        "missing",
    ],
}
# users.csv as the first 1.2 binding's implementations wrote it: read, with a note.
USERS_12_WITH_RESOURCES = [
    *HEADERS_12["users"][:17],
    "resourceSourcedIds",
    *HEADERS_12["users"][17:],
]
# Other header orders a file may have, each read as it says, with a note.
HEADER_VARIANTS_12: dict[str, list[list[str]]] = {"users": [USERS_12_WITH_RESOURCES]}
# OneRoster 1.1 differs for users (role and orgs inline, no 1.2 additions) and has no roles.
HEADERS_11: dict[str, list[str]] = {
    **{k: v for k, v in HEADERS_12.items() if k != "roles"},
    "users": [
        *_COMMON,
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
    ],
    # 1.1 named the session gradingPeriodSourcedId and had no schoolSourcedId.
    "lineItems": [
        *_COMMON,
        "title",
        "description",
        "assignDate",
        "dueDate",
        "classSourcedId",
        "categorySourcedId",
        "gradingPeriodSourcedId",
        "resultValueMin",
        "resultValueMax",
    ],
    "results": [
        *_COMMON,
        "lineItemSourcedId",
        "studentSourcedId",
        "scoreStatus",
        "score",
        "scoreDate",
        "comment",
    ],
}
# The files the import reads, in order, and the columns it reads of each (1.1's users
# columns too): every other file in the zip, and every other column holding values, is
# named in the import's notes as not read (ROS-4). Demographics are read only into the
# pupil fields the school keeps (ROS-5; DEMOGRAPHIC_FIELDS).
READ: dict[str, tuple[str, ...]] = {
    "orgs": (*_COMMON, "name", "type", "identifier", "parentSourcedId"),
    "academicSessions": (*_COMMON, "title", "type", "startDate", "endDate"),
    "courses": (*_COMMON, "subjects"),
    "classes": (
        *_COMMON,
        "title",
        "grades",
        "courseSourcedId",
        "classType",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
    ),
    "users": (
        *_COMMON,
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "givenName",
        "familyName",
        "email",
        "agentSourcedIds",
        "grades",
        "password",  # only counted, for a note: never stored
    ),
    "demographics": (*_COMMON, "birthDate", "sex"),
    "roles": (*_COMMON, "userSourcedId", "roleType", "role", "orgSourcedId"),
    "enrollments": (*_COMMON, "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
    "lineItems": (
        *_COMMON,
        "title",
        "dueDate",
        "classSourcedId",
        "resultValueMin",
        "resultValueMax",
    ),
    "results": (*_COMMON, "lineItemSourcedId", "studentSourcedId", "scoreStatus", "score"),
}
# demographics.csv column -> the pupil field it fills, when the school keeps it.
DEMOGRAPHIC_FIELDS = {"birthDate": "date_of_birth", "sex": "sex"}
SEXES = ("male", "female", "unspecified", "other")
ORG_TYPES = ("department", "school", "district", "local", "state", "national")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
CLASS_TYPES = ("homeroom", "scheduled")
# classType <-> TeachingClass.kind: a homeroom is a registration (form) group.
CLASS_KINDS = {"homeroom": "registration", "scheduled": "teaching"}
CLASS_TYPE_OF = {kind: class_type for class_type, kind in CLASS_KINDS.items()}
STATUSES = ("active", "tobedeleted")
ROLE_TYPES = ("primary", "secondary")
# 1.2 user roles (roles.csv), plus 1.1's "administrator" read as a site administrator.
USER_ROLES = (
    "aide",
    "counselor",
    "districtAdministrator",
    "guardian",
    "parent",
    "principal",
    "proctor",
    "relative",
    "siteAdministrator",
    "student",
    "systemAdministrator",
    "teacher",
    "administrator",
)
# Roles read as a parent or carer (Markbook's parent role, TEN-2), and roles that
# would make an administrator, which an import never creates.
GUARDIAN_ROLES = ("guardian", "parent", "relative")
ADMIN_ROLES = ("administrator", "districtAdministrator", "siteAdministrator", "systemAdministrator")
ENROLMENT_ROLES = ("administrator", "proctor", "student", "teacher")
BOOLEANS = ("true", "false")
SCORE_STATUSES = ("exempt", "fully graded", "not submitted", "partially graded", "submitted")

# Markbook's sourcedIds are UUID5s over this namespace, the school and the row, so an
# export is stable from one day to the next without storing anything.
NAMESPACE = uuid.UUID("6f1c2a8e-8d0b-5b7e-9a51-3c1f1f0d4b21")


def split_values(cell: str) -> list[str]:
    """A multi-valued cell ("a,b, c") as its values; blanks dropped."""
    return [part.strip() for part in cell.split(",") if part.strip()]


def sourced_id(school_id: int, kind: str, key: object) -> str:
    return str(uuid.uuid5(NAMESPACE, f"markbook:{school_id}:{kind}:{key}"))


def grade_for(year_group: str) -> str:
    """A Markbook year group as written in OneRoster `grades`: the English NC year,
    two digits for numbers ("07"), R, N1, N2 (uncertain against CEDS grade codes,
    which are American; domain.md lists the NC years)."""
    return f"{int(year_group):02d}" if year_group.isdigit() else year_group
