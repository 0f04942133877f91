"""Personal data held by the rosters app (DSR-1). See markbook.privacy.inventory.

Markbook processes pupil data for the school, which is the controller; the bases
below are the school's. Pupil records are part of the school's education record
(public task); special category data (ethnicity, SEN, health) additionally rests
on substantial public interest (UK GDPR 9(2)(g) with DPA 2018 Schedule 1).
"""

from markbook.privacy.inventory import (
    Basis,
    Category,
    Erasure,
    Personal,
    Retention,
    Visible,
    declare,
)
from markbook.privacy.retention.rules import LOGS, RULES, RetentionRule, kept_while

PUBLIC = Basis.PUBLIC_TASK
SPECIAL = Basis.SUBSTANTIAL_PUBLIC_INTEREST


def _pupil(
    category: Category,
    purpose: str,
    visible_to: str = Visible.PUPIL_ADMIN,
    *,
    basis: Basis = PUBLIC,
    encrypted: bool = False,
) -> Personal:
    """A field of the pupil's record: kept while on roll, deleted with the pupil (DSR-4, DSR-7)."""
    return Personal(
        category=category,
        purpose=purpose,
        basis=basis,
        visible_to=visible_to,
        retention=Retention.PUPIL,
        erasure=Erasure.DELETE_ROW,
        encrypted=encrypted,
    )


def _link(purpose: str, visible_to: str, retention: RetentionRule = Retention.LINK) -> Personal:
    return Personal(
        category=Category.RELATIONSHIP,
        purpose=purpose,
        basis=PUBLIC,
        visible_to=visible_to,
        retention=retention,
        erasure=Erasure.DELETE_ROW,
    )


ANALYSIS = "analysis of attainment and progress by pupil group (ASM-5)"

declare(
    "rosters.Pupil",
    subject="self",
    description="A pupil of one school, with the MIS fields the school chose to keep (ROS-2, ROS-5).",
    personal={
        "user": _link("the pupil's sign-in account", Visible.PUPIL, Retention.PUPIL),
        "first_name": _pupil(
            Category.IDENTITY, "identify the pupil to staff and parents", Visible.PUPIL
        ),
        "last_name": _pupil(
            Category.IDENTITY, "identify the pupil to staff and parents", Visible.PUPIL
        ),
        "pseudonym": _pupil(
            Category.IDENTITY,
            "shown instead of the name where the school uses pseudonyms (ACC-3)",
            Visible.PUPIL,
        ),
        "username": _pupil(
            Category.IDENTITY, "sign-in on the school's page (ACC-3)", Visible.PUPIL
        ),
        "email": _pupil(
            Category.CONTACT, "sign-in and messages about the pupil's work", Visible.PUPIL_EMAIL
        ),
        "upn": _pupil(Category.IDENTITY, "match the school's MIS records on import (ROS-2)"),
        "upn_hash": _pupil(
            Category.IDENTITY,
            "match the school's MIS records on import without keeping the UPN (ROS-2, ACC-3)",
        ),
        "mis_id": _pupil(Category.IDENTITY, "match the school's MIS records on import (ROS-2)"),
        "oneroster_id": _pupil(
            Category.IDENTITY, "match the pupil in OneRoster files on import and export (ROS-4)"
        ),
        "uln": _pupil(
            Category.IDENTITY, "the learner number used for qualifications records (ROS-2)"
        ),
        "date_of_birth": _pupil(Category.IDENTITY, "tell pupils apart; age-related analysis"),
        "year_group": _pupil(
            Category.EDUCATION, "place the pupil in classes and reports", Visible.PUPIL
        ),
        "registration_group": _pupil(Category.EDUCATION, "group pupils as the school does"),
        "status": _pupil(
            Category.EDUCATION, "whether the pupil is on roll; starts retention (RET-1)"
        ),
        "left_on": _pupil(Category.EDUCATION, "when the pupil left; starts retention (RET-1)"),
        "ks2_reading": _pupil(Category.EDUCATION, "prior attainment bands for progress (ASM-5)"),
        "ks2_maths": _pupil(Category.EDUCATION, "prior attainment bands for progress (ASM-5)"),
        "sex": _pupil(Category.CHARACTERISTICS, ANALYSIS),
        "eal": _pupil(Category.CHARACTERISTICS, ANALYSIS),
        "gifted_talented": _pupil(Category.CHARACTERISTICS, ANALYSIS),
        "fsm": _pupil(
            Category.CHARACTERISTICS,
            ANALYSIS + "; pupil premium",
            Visible.PUPIL_SENSITIVE,
            encrypted=True,
        ),
        "disadvantaged": _pupil(
            Category.CHARACTERISTICS,
            ANALYSIS + "; pupil premium",
            Visible.PUPIL_SENSITIVE,
            encrypted=True,
        ),
        "sen_provision": _pupil(
            Category.SPECIAL,
            "support for special educational needs; " + ANALYSIS,
            Visible.PUPIL_SENSITIVE,
            basis=SPECIAL,
            encrypted=True,
        ),
        "sen_need": _pupil(
            Category.SPECIAL,
            "support for special educational needs; " + ANALYSIS,
            Visible.PUPIL_SENSITIVE,
            basis=SPECIAL,
            encrypted=True,
        ),
        "ethnicity": _pupil(
            Category.SPECIAL,
            "equality of opportunity monitoring; " + ANALYSIS,
            Visible.PUPIL_SENSITIVE,
            basis=SPECIAL,
            encrypted=True,
        ),
        "medical_notes": _pupil(
            Category.SPECIAL,
            "look after the pupil's health needs in lessons",
            Visible.PUPIL_SENSITIVE,
            basis=SPECIAL,
            encrypted=True,
        ),
    },
    not_personal=("id", "school", "created_at", "updated_at"),
)

declare(
    "rosters.GuardianLink",
    subject="pupil",
    description=(
        "A parent or carer linked to a child (TEN-3). The school provides the link: a "
        "school administrator adds it in Markbook, or it is read from the school's "
        "OneRoster file on import (ROS-4), which may also create the parent's account."
    ),
    personal={
        "parent": _link(
            "let a parent see their own child's work (TEN-3); the link is provided by the "
            "school, added in Markbook or read from its OneRoster import (ROS-4)",
            Visible.ADMINS + " and the parent",
        ),
        "pupil": _link(
            "let a parent see their own child's work (TEN-3)", Visible.ADMINS + " and the parent"
        ),
        "relationship": _link(
            "how the adult is related to the child", Visible.ADMINS + " and the parent"
        ),
    },
    not_personal=("id", "school", "created_at"),
)

CLASS_VIEWERS = (
    "anyone who can see the class: its pupils and their parents, its teachers, administrators"
)

declare(
    "rosters.ClassTeacher",
    subject="teacher",
    description="A teacher attached to a class (ROS-1).",
    personal={
        "teacher": _link(
            "who teaches the class; decides what a teacher sees (TEN-3)", CLASS_VIEWERS
        )
    },
    not_personal=("id", "school", "teaching_class"),
)

declare(
    "rosters.Enrolment",
    subject="pupil",
    description="A pupil in a class (ROS-1).",
    personal={
        "pupil": Personal(
            category=Category.EDUCATION,
            purpose="which classes a pupil is taught in; decides who teaches and sees them (TEN-3)",
            basis=PUBLIC,
            visible_to=Visible.PUPIL,
            retention=Retention.PUPIL,
            erasure=Erasure.DELETE_ROW,
        )
    },
    not_personal=("id", "school", "teaching_class", "created_at"),
)

# Who started an import is a user id in a log (RET-1): the sweep deletes job records
# after the logs rule's period (rosters.imports.stalled.JOB_RETENTION_DAYS).
IMPORT_JOB_RETENTION = RULES[LOGS]

declare(
    "rosters.ImportJob",
    subject="created_by",
    description=(
        "A confirmed roster import run in the background (ROS-2, ROS-4): who started it, "
        "its progress and counts; the uploaded file only until it has run."
    ),
    personal={
        "created_by": Personal(
            category=Category.ACCOUNTABILITY,
            purpose="who started the import, shown on its progress page",
            basis=PUBLIC,
            visible_to=Visible.ADMINS,
            retention=IMPORT_JOB_RETENTION,
            erasure=Erasure.BLANK,
        ),
        "filename": Personal(
            category=Category.TECHNICAL,
            purpose="name the uploaded file on the progress page (a file name may name a person)",
            basis=PUBLIC,
            visible_to=Visible.ADMINS,
            retention=IMPORT_JOB_RETENTION,
            erasure=Erasure.DELETE_ROW,
        ),
        "upload": Personal(
            category=Category.SPECIAL,
            purpose=(
                "the pupils' records of the uploaded MIS or OneRoster file, held only until "
                "the background import has read them"
            ),
            basis=SPECIAL,
            visible_to=Visible.NOBODY,
            retention=kept_while(
                "import_upload",
                "until the import has run (done or failed), or is cancelled or found stalled "
                "by the daily sweep (ROS-2, ROS-4), then blanked",
            ),
            erasure=Erasure.BLANK,
            encrypted=True,
        ),
    },
    not_personal=(
        "id",
        "school",
        "kind",
        "status",
        "options",
        "progress_done",
        "progress_total",
        "progress_stage",
        "summary",
        "error",
        "task_id",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "attempt",
    ),
)
