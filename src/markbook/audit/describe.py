"""The access log in words (SEC-1): who did what to whom, for the log page and the API.

`ACTIONS` is the one table of action names to phrases; a test fails for an action
recorded anywhere in the code that has no phrase here. `describe` names the actors
and the targets of a page of events in a fixed number of queries (one per kind of
object, never one per event): "Tess Teacher (teacher) changed pupil details: year
group 8 → 9" about "Pupil Amelia Smith (Year 8)"; an object deleted since reads
"Pupil #316 (deleted)". `group_reads` folds consecutive page views by one person into
one row, so the changes stand out.

Runs inside the request's school scope (TEN-4): another school's objects are never
found, so they could only read as deleted.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit.models import AuditEvent
from markbook.rosters.models import YEAR_GROUPS, ImportJob, Pupil, TeachingClass
from markbook.schools.models import School, TrustAdmin

ACTIONS: dict[str, str] = {
    "accounts.api_token.created": "created an API token",
    "assessment.markbook.viewed": "viewed a class's markbook",
    "assessment.demo.seeded": "seeded the demo's assignments and marks",
    "assessment.results.viewed": "viewed a pupil's results",
    "assessment.trust_assignment.changed": "changed a trust assignment",
    "assessment.trust_assignment.classes_added": "set a trust assignment to more classes",
    "assessment.trust_assignment.deleted": "deleted a trust assignment",
    "accounts.display_preferences.changed": "changed their display preferences",
    "accounts.api_token.revoked": "revoked an API token",
    "accounts.password.changed": "changed a password",
    "accounts.registration.approved": "approved a request to join the school",
    "accounts.registration.approved_automatically": "joined the school (approved automatically)",
    "accounts.registration.approved_by_email": "joined the school (confirmed by email)",
    "accounts.registration.refused": "refused a request to join the school",
    "accounts.registration.requested": "asked to join the school",
    "accounts.signin.failed": "failed to sign in",
    "accounts.signin.succeeded": "signed in",
    "accounts.signin_code.issued": "issued a sign-in code",
    "accounts.signin_code.redeemed": "used a sign-in code",
    "accounts.sso.linked": "linked a Google or Microsoft sign-in",
    "accounts.sso.refused": "was refused a Google or Microsoft sign-in",
    "assessment.assignment.changed": "changed an assignment",
    "assessment.assignment.created": "set an assignment",
    "assessment.assignment.deleted": "deleted an assignment",
    "assessment.mark.changed": "changed a mark",
    "audit.event.redacted": "redacted an access-log entry",
    "audit.addresses.removed": "removed old addresses and account ids from the access log",
    "audit.events.pruned": "removed old access-log entries behind a checkpoint",
    # Online practice (ASM-2, ASM-6).
    "practice.boards.rebuilt": "rebuilt the school's leaderboards",
    "practice.demo.seeded": "seeded the demo's practice, leaderboards and practice homework",
    # Teachers' own practice questions and what they see of pupils' practice (ASM-2).
    "practice.set.created": "created a practice set",
    "practice.set.changed": "changed a practice set",
    "practice.set.published": "published a practice set to pupils",
    "practice.set.unpublished": "took a practice set back from pupils",
    "practice.set.archived": "archived a practice set",
    "practice.set.restored": "restored a practice set from the archive",
    "practice.set.deleted": "deleted a practice set",
    "practice.question.created": "added a practice question",
    "practice.question.changed": "changed a practice question",
    "practice.question.deleted": "deleted a practice question",
    "practice.questions.reordered": "reordered a practice set's questions",
    "practice.media.uploaded": "uploaded an image or sound for a practice question",
    "practice.progress.viewed": "viewed a pupil's practice",
    # The service register and parents' consent (CON-1 to CON-4).
    "consent.demo.seeded": "seeded the demo's online services and parents' consent",
    "consent.register.set_up": "put Markbook and the default consent purposes on the register",
    "consent.service.created": "added a service to the online services register",
    "consent.service.changed": "changed a service on the online services register",
    "consent.service.deleted": "removed a service from the online services register",
    "consent.purpose.created": "added a consent purpose",
    "consent.purpose.changed": "changed a consent purpose",
    "consent.purpose.deleted": "removed a consent purpose",
    "consent.decision.given": "gave consent for a child",
    "consent.decision.refused": "refused or withdrew consent for a child",
    "consent.self_registered.listed": (
        "viewed the self-registered pupils whose parent has not answered about consent"
    ),
    "consent.paper_form.given": "recorded a parent's paper form giving consent for a child",
    "consent.paper_form.refused": "recorded a parent's paper form refusing consent for a child",
    "consent.class.viewed": "viewed a class's consent",
    "consent.class.exported": "downloaded a class's consent as CSV",
    # Restrictions, corrections and the privacy notice (DSR-3, DSR-5, DSR-10).
    # Online practice: built-in sets, fair use (ASM-2, ASM-7).
    "practice.builtin_sets.created": "gave the school its built-in practice sets",
    "practice.fair_use.warned": "warned a pupil that their answers looked automated",
    "practice.fair_use.suspended": "suspended a pupil's practice for answers that looked automated",
    "practice.fair_use.reinstated": "reinstated a pupil's practice",
    "privacy.corrections.viewed": "viewed a person's corrections",
    "privacy.notice.dismissed": "dismissed the notice of a changed privacy notice",
    "privacy.notice.published": "was told the privacy notice changed",
    "privacy.restriction.lifted": "lifted a restriction of processing",
    "privacy.restriction.placed": "restricted the processing of a person's data",
    "privacy.restrictions.listed": "viewed the restrictions and objections",
    "privacy.user.corrected": "corrected a person's details",
    # Subject access exports (DSR-2, DSR-9).
    "privacy.export.started": "started a copy of a person's data",
    "privacy.export.ready": "finished preparing a copy of a person's data",
    "privacy.export.failed": "tried to prepare a copy of a person's data, which failed",
    "privacy.export.downloaded": "downloaded a copy of a person's data",
    "privacy.exports.listed": "viewed the list of copies of people's data",
    "privacy.export.expired": "deleted copies of people's data whose download window ended",
    "privacy.export.requeued": (
        "queued again copies of people's data whose preparation stopped before it finished"
    ),
    # Erasure and legal holds (DSR-4, DSR-7, RET-3).
    "privacy.erasure.checked": "checked what erasing a person would do",
    "privacy.erasure.done": "erased a person's data",
    "support.grant.created": "granted Markbook's support staff access to the school",
    "support.grant.revoked": "ended support staff access to the school",
    "support.staff.added": "made a Markbook platform staff account",
    "support.staff.ended": "ended a Markbook platform staff account and its support access",
    "support.request.read": "opened a page under support access",
    "support.request.changed": "made a change under support access",
    "breaches.breach.recorded": "recorded a data breach in the register",
    "breaches.breach.changed": "changed what is known about a data breach",
    "breaches.breach.step": "recorded a step taken about a data breach",
    "breaches.breach.reported": "recorded the report of a data breach to the regulator",
    "breaches.breach.not_reported": "recorded why a data breach needs no report to the regulator",
    "breaches.school.notified": "told the school of a data breach affecting it",
    "breaches.school.count_changed": "changed how many of the school's people a breach affects",
    "breaches.school.acknowledged": "acknowledged a data breach affecting the school",
    "privacy.hold.placed": "placed a legal hold (on a person, a class or the whole school)",
    "privacy.hold.lifted": "lifted a legal hold",
    "privacy.retention.run": "ran the retention schedule (counts of what was deleted)",
    "privacy.retention.stopped": (
        "found a retention run stopped before it finished (counts of what it had deleted)"
    ),
    "privacy.retention.shortened": "shortened how long some of the school's data is kept",
    "privacy.retention.default": "went back to the default period for some of the school's data",
    "rosters.upn_hashes.remade": "made the pupils' UPN hashes again under a new hash key",
    "rosters.class.changed": "changed class details",
    "rosters.class.created": "added a class",
    "rosters.class.deleted": "deleted a class",
    "rosters.class.teacher_attached": "attached a teacher",
    "rosters.class.teacher_detached": "detached a teacher",
    "rosters.class.viewed": "viewed a class page",
    "rosters.classlist.imported": "imported a class list",
    "rosters.demo.seeded": "loaded the demonstration data",
    "rosters.enrolment.added": "enrolled a pupil",
    "rosters.enrolment.removed": "removed a pupil from the class",
    "rosters.guardian.linked": "linked a parent or carer",
    "rosters.guardian.unlinked": "unlinked a parent or carer",
    "rosters.import.cancelled": "cancelled a stalled import",
    "rosters.import.done": "finished an import",
    "rosters.import.failed": "ran an import that failed",
    "rosters.import.preview_cancelled": "cancelled a previewed import",
    "rosters.import.previewed": "checked a file to import",
    "rosters.import.queued": "queued an import",
    "rosters.import.retried": "retried a stalled import",
    "rosters.import.superseded": "ended an import attempt that had been replaced",
    "rosters.import_jobs.swept": "tidied up old imports",
    "rosters.mis.imported": "imported an MIS export",
    "rosters.oneroster.exported": "exported the roster as a OneRoster zip",
    "rosters.oneroster.imported": "imported a OneRoster zip",
    "rosters.pupil.changed": "changed pupil details",
    "rosters.pupil.created": "added a pupil",
    "rosters.pupil.deleted": "removed a pupil",
    "rosters.pupil.fields_read": "read a pupil's planning information",
    "rosters.pupil.moved": "moved a pupil to another class",
    "rosters.pupil.viewed": "viewed a pupil page",
    "rosters.pupils.listed": "viewed the pupil list",
    "rosters.demo.last_year_seeded": "seeded last year's demo classes",
    "rosters.year.rolled_over": "ended the academic year (pupils moved up, leavers marked, classes archived)",
    "rosters.signin_cards.issued": "printed sign-in cards for a class (new codes)",
    "rosters.roster.loaded": "loaded a roster in bulk",
    "rosters.staff.changed": "changed staff details",
    "rosters.staff.created": "added a member of staff",
    "rosters.staff.removed": "removed a member of staff",
    # Deleting staff, classes and the whole roster; pupils asking to be deleted (DSR-7).
    "rosters.staff.deleted": "deleted a member of staff and their account",
    "rosters.roster.deleted": "deleted the whole roster of pupils and classes",
    "rosters.roster.deletion_started": "started deleting the whole roster in the background",
    "rights.request.done_by_deletion": "deleted a pupil's account as they asked",
    "rights.request.passed_to_lead": "passed a pupil's deletion request to the data protection lead",
    # Data-subject requests (DSR-6, DSR-8, DSR-9), the data protection lead, term dates.
    "rights.request.received": "recorded a data-protection request",
    "rights.request.viewed": "viewed a data-protection request",
    "rights.requests.listed": "viewed the list of data-protection requests",
    "rights.request.identity_checked": "recorded how a requester's identity was checked",
    "rights.request.approved": "approved a data-protection request",
    "rights.request.refused": "refused a data-protection request",
    "rights.request.extended": "extended a data-protection request's deadline by two months",
    "rights.request.done_by_hand": "marked a data-protection request done (carried out by hand)",
    "rights.request.retried": "retried a data-protection request that had failed",
    "rights.request.started": "started carrying out a data-protection request",
    "rights.request.failed": "ran a data-protection request that failed",
    "rights.request.done": "finished carrying out a data-protection request",
    "rights.service.told": "recorded that a service on the register was told of a change",
    "rights.dpo.granted": "made a member of staff a data protection lead",
    "rights.dpo.revoked": "took the data protection lead role from a member of staff",
    "rights.calendar.added": "added term dates or closure days",
    "rights.calendar.deleted": "deleted term dates or closure days",
    "rights.calendar.default_filled": "entered England's usual term dates for the year",
    "schools.school.created": "created the school",
    "schools.settings.changed": "changed the school's settings",
    # The subscription's state and the emergency suspension (TEN-1, ACC-6).
    "schools.status.changed": "changed the school's subscription",
    "schools.deletion_reminder.sent": "reminded the administrators when the school's data is deleted",
    "core.backup.written": "made an encrypted backup of the whole platform",
    "core.backup.restored": "restored the platform from a backup",
    "schools.school.deleted": "deleted all of the school's data and its key",
    "schools.school.suspended": "suspended the whole school",
    "schools.school.suspension_lifted": "lifted the school's suspension",
    "schools.phase.changed": "changed the school's phase (who leaves when)",
    "schools.terms.accepted": "accepted the data-protection terms",
    "schools.trust.admin_added": "added a trust administrator",
    "schools.trust.created": "created the trust",
}

# Reads of pupil data (SEC-1): what a run of them is called ("viewed 14 pupil pages"),
# and what its targets are ("3 pupils").
READS: dict[str, tuple[str, str]] = {
    "rosters.pupil.viewed": ("pupil pages", "pupils"),
    "rosters.class.viewed": ("class pages", "classes"),
    "rosters.pupils.listed": ("pages of the pupil list", "lists"),
    "assessment.markbook.viewed": ("markbook pages", "classes"),
    "assessment.results.viewed": ("results pages", "pupils"),
    "rosters.pupil.fields_read": ("pupils' planning information", "pupils"),
    "rights.request.viewed": ("data-protection requests", "requests"),
    "rights.requests.listed": ("lists of data-protection requests", "lists"),
    "consent.class.viewed": ("class consent lists", "classes"),
    "consent.class.exported": ("class consent downloads", "classes"),
    "privacy.corrections.viewed": ("people's corrections", "people"),
    "privacy.restrictions.listed": ("lists of restrictions", "lists"),
    "practice.progress.viewed": ("pupils' practice pages", "pupils"),
}

ROLE_NAMES: dict[str, str] = {  # keyed by Membership.Role, looked up by stored value
    Membership.Role.SCHOOL_ADMIN: "school administrator",
    Membership.Role.TEACHER: "teacher",
    Membership.Role.PARENT: "parent",
    Membership.Role.PUPIL: "pupil",
    Membership.Role.DPO: "data protection lead",
}

# The object kinds an event names, by model label: the word shown, and the data keys
# that refer to one (an enrolment's pupil, a move's classes, a link's parent).
KINDS = {
    "rosters.pupil": "Pupil",
    "rosters.teachingclass": "Class",
    "accounts.user": "Person",
    "rosters.importjob": "Import",
    "schools.school": "School",
}
DATA_REFERENCES = {
    "pupil": "rosters.pupil",
    "class": "rosters.teachingclass",
    "from_class": "rosters.teachingclass",
    "to_class": "rosters.teachingclass",
    "teacher": "accounts.user",
    "parent": "accounts.user",
    "person": "accounts.user",  # whose data a subject access export holds (DSR-2)
}
FIELD_NAMES = {
    "upn": "UPN",
    "uln": "ULN",
    "mis_id": "MIS id",
    "eal": "EAL",
    "fsm": "FSM",
    "ks2_reading": "KS2 reading",
    "ks2_maths": "KS2 maths",
    "sen_provision": "SEN provision",
    "sen_need": "SEN need",
    "date_of_birth": "date of birth",
}
_YEARS = dict(YEAR_GROUPS)
PUPIL_NAME_FIELDS = (
    "pk",
    "school",
    "first_name",
    "last_name",
    "pseudonym",
    "username",
    "year_group",
)


def phrase(action: str) -> str:
    """The action in words; an unknown one (a test keeps there being none) as recorded."""
    return ACTIONS.get(action, action)


@dataclass
class Row:
    """One line of the log page: one event, or a run of reads by one person."""

    event: AuditEvent
    actor: str
    what: str
    target: str
    change: bool
    events: list[AuditEvent] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    targets_summary: str = ""

    @property
    def first_at(self) -> datetime:
        return self.events[-1].at if self.events else self.event.at


def _described(event: AuditEvent) -> bool:
    """Whether the event's data is what it recorded: not replaced by a redaction (an
    event whose addresses alone were removed, RET-1, keeps its data)."""
    data = event.data
    return isinstance(data, dict) and not (event.redacted_at and data.get("redacted") is True)


def _references(events: Iterable[AuditEvent]) -> dict[str, set[int]]:
    ids: dict[str, set[int]] = {label: set() for label in KINDS}
    for e in events:
        if e.target_type in ids and e.target_id.isdigit():
            ids[e.target_type].add(int(e.target_id))
        if e.actor_id is not None:
            ids["accounts.user"].add(e.actor_id)
        if _described(e):
            for key, label in DATA_REFERENCES.items():
                value = e.data.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    ids[label].add(value)
    return ids


def _pupil(p: Pupil) -> str:
    year = _YEARS.get(p.year_group, "")
    return f"Pupil {p.display_name}" + (f" ({year})" if year else "")


class Names:
    """The names of everything a page of events refers to, looked up at once: one
    query per kind of object, and one each for the actors' roles in the school."""

    def __init__(self, events: list[AuditEvent], school: School) -> None:
        ids = _references(events)
        self.labels: dict[tuple[str, int], str] = {}
        # Names only: never the encrypted fields, which would each be decrypted (SEC-2).
        pupils = (
            Pupil.objects.filter(pk__in=ids["rosters.pupil"])
            .select_related("school")
            .only(*PUPIL_NAME_FIELDS, "school__pseudonymise_pupils")
        )
        for p in pupils:
            self.labels["rosters.pupil", p.pk] = _pupil(p)
        for c in TeachingClass.objects.filter(pk__in=ids["rosters.teachingclass"]).only(
            "pk", "name", "academic_year"
        ):
            self.labels["rosters.teachingclass", c.pk] = f"Class {c.name} ({c.academic_year})"
        for j in ImportJob.objects.filter(pk__in=ids["rosters.importjob"]).only("pk", "kind"):
            self.labels["rosters.importjob", j.pk] = f"Import #{j.pk} ({j.get_kind_display()})"
        if school.pk in ids["schools.school"]:
            self.labels["schools.school", school.pk] = f"School {school.name}"
        self.users: dict[int, User] = {
            u.pk: u
            for u in User.objects.filter(pk__in=ids["accounts.user"]).only(
                "pk", "first_name", "last_name", "email", "username", "is_platform_staff"
            )
        }
        self.roles: dict[int, list[str]] = {}
        for user_id, role in Membership.objects.filter(user_id__in=self.users).values_list(
            "user_id", "role"
        ):
            self.roles.setdefault(user_id, []).append(ROLE_NAMES.get(role, role))
        if school.trust_id:
            for user_id in TrustAdmin.objects.filter(
                trust_id=school.trust_id, user_id__in=self.users
            ).values_list("user_id", flat=True):
                self.roles.setdefault(user_id, []).append("trust administrator")

    def person(self, user_id: int, fallback: str = "") -> str:
        """A person with their roles here: "Tess Teacher (teacher)"."""
        user = self.users.get(user_id)
        if user is None:
            return f"{fallback or f'Person #{user_id}'} (account deleted)"
        roles = sorted(self.roles.get(user_id, []))
        if not roles and user.is_platform_staff:
            roles = ["Markbook support"]
        return f"{user.display_name} ({', '.join(roles)})" if roles else user.display_name

    def thing(self, label: str, object_id: int | str) -> str:
        """An object by its model label and id, or "Pupil #316 (deleted)"."""
        kind = KINDS.get(label)
        if kind is None:
            return f"{label.split('.')[-1]} #{object_id}"
        if label == "accounts.user":
            user = self.users.get(int(object_id)) if str(object_id).isdigit() else None
            return self.person(user.pk) if user else f"Person #{object_id} (deleted)"
        found = self.labels.get((label, int(object_id))) if str(object_id).isdigit() else None
        return found or f"{kind} #{object_id} (deleted)"

    def actor(self, event: AuditEvent) -> str:
        if event.actor_id is None:
            return "Markbook" if not event.actor_label else event.actor_label
        return self.person(event.actor_id, event.actor_label)

    def target(self, event: AuditEvent) -> str:
        return self.thing(event.target_type, event.target_id) if event.target_type else ""


def _value(name: str, value: Any) -> str:
    if value is None or value == "":
        return "(blank)"
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def _field(name: str) -> str:
    return FIELD_NAMES.get(name, name.replace("_", " "))


def _changes(data: dict[str, Any]) -> list[str]:
    """ "year group 8 → 9" for each {"old", "new"} value; "medical notes changed" for a
    sensitive field, whose values are never logged (SEC-2)."""
    out = []
    for name, value in data.items():
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            old, new = value["old"], value["new"]
            if isinstance(old, dict) or isinstance(new, dict):
                out.append(f"{_field(name)} changed")
            else:
                out.append(f"{_field(name)} {_value(name, old)} → {_value(name, new)}")
        elif isinstance(value, dict) and value.get("changed") is True:
            out.append(f"{_field(name)} changed")
    return out


def what(event: AuditEvent, names: Names) -> str:
    """The action as a phrase, with what it changed where the event says."""
    text = phrase(event.action)
    data = event.data if _described(event) else {}
    refs = []
    for key, label in DATA_REFERENCES.items():
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            refs.append((key, names.thing(label, value)))
    if event.action == "rosters.pupil.moved" and len(refs) == 2:
        found = dict(refs)
        return f"{text}: from {found['from_class']} to {found['to_class']}"
    details = _changes(data) + [name for _, name in refs]
    return f"{text}: {'; '.join(details)}" if details else text


def describe(events: list[AuditEvent], school: School) -> list[Row]:
    """Each event as a Row, names resolved in a fixed number of queries."""
    names = Names(events, school)
    return [
        Row(
            event=e,
            actor=names.actor(e),
            what=what(e, names),
            target=names.target(e),
            change=e.action not in READS,
        )
        for e in events
    ]


def _time(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def group_reads(rows: list[Row]) -> list[Row]:
    """Consecutive reads of one kind by one person (newest first, as the log runs)
    become one row: "viewed 14 pupil pages between 10:02 and 10:15". Changes, and
    reads interrupted by anything else, stay rows of their own."""
    grouped: list[Row] = []
    for row in rows:
        last = grouped[-1] if grouped else None
        if (
            last is not None
            and not row.change
            and not last.change
            and last.event.action == row.event.action
            and last.event.actor_id == row.event.actor_id
            and last.event.actor_label == row.event.actor_label
        ):
            if not last.events:
                last.events, last.targets = [last.event], [last.target]
            last.events.append(row.event)
            last.targets.append(row.target)
            continue
        grouped.append(row)
    for row in grouped:
        if len(row.events) > 1:
            many, targets = READS[row.event.action]
            row.what = (
                f"viewed {len(row.events)} {many} between {_time(row.first_at)} "
                f"and {_time(row.event.at)}"
            )
            row.targets = list(dict.fromkeys(t for t in row.targets if t))
            row.target = row.targets[0] if len(row.targets) == 1 else ""
            row.targets_summary = f"{len(row.targets)} {targets}"
    return grouped
