"""The OneRoster import's writes (ROS-4): pupils, classes, enrolments and teacher
links in bulk, one access-log event per row through `audit.record_many` with the
services' action names and data (SEC-1). A mixin of `import_._Import`, like
guardians.GuardiansMixin and marks.MarksMixin."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.core.rows import insert_rows, update_rows
from markbook.privacy.suppression import NOT_RECREATED
from markbook.rosters import selectors, services
from markbook.rosters.imports.common import Written
from markbook.rosters.models import ClassTeacher, Enrolment, Pupil, TeachingClass
from markbook.rosters.oneroster import spec
from markbook.rosters.oneroster.files import PHASES, Row, year_group
from markbook.rosters.oneroster.spec import split_values as _split


class WriteMixin:
    # Set by the reading and checking parts of the import (import_._Import).
    reader: Any
    result: Any
    actor: Any
    school: Any
    progress: Any
    writing: Any  # imports.common.Report, or None
    erased: Any  # privacy.suppression.Suppressed, or None to bring erased people back
    modes: dict[str, str]  # file -> "bulk" or "delta"
    users: dict[str, Row]
    pupils: dict[str, Row]
    classes: dict[str, Row]
    class_years: dict[str, str]
    enrolments: list[Row]
    years: dict[str, str]  # pupil -> year group (import_._Import._years)
    demographics: dict[str, dict[str, Any]]  # pupil -> date_of_birth, sex (kept ones)

    # From the other mixins.
    _write_guardians: Any
    _write_marks: Any

    def write(self) -> None:
        result, actor, school = self.result, self.actor, self.school
        self.progress(PHASES.index("pupils"), len(PHASES), "steps")
        pupils = self._write_pupils()
        if result.problems:
            return
        self.progress(PHASES.index("classes"), len(PHASES), "steps")
        existing = {
            (c.academic_year.name, c.name.casefold()): c
            for c in TeachingClass.objects.select_related("academic_year")
        }
        taken = set(existing)
        # The file's academic sessions as the school's academic years, made if new.
        years = {name: services.class_year(school, name) for name in set(self.class_years.values())}
        classes: dict[str, TeachingClass] = {}
        new: list[TeachingClass] = []
        for ref, row in self.classes.items():
            key = (self.class_years[ref], row["title"].casefold())
            teaching_class = existing.get(key)
            if teaching_class is None:
                try:
                    teaching_class = services.class_new(
                        school=school,
                        name=row["title"],
                        subject=_split(row["subjects"])[0] if _split(row["subjects"]) else "",
                        year_group=year_group(row["grades"]),
                        academic_year=years[self.class_years[ref]],
                        taken=taken,
                    )
                except ValidationError as error:
                    self._errors("classes", row, error, {"name": "title"})
                    continue
                teaching_class.kind = spec.CLASS_KINDS[row["classType"] or "scheduled"]
                existing[key] = teaching_class
                new.append(teaching_class)
                result.classes_created += 1
            classes[ref] = teaching_class
        if result.problems:
            return
        # As class_create writes them, in bulk, one event per class (SEC-1).
        _insert(TeachingClass, new, timezone.now())
        audit.record_many(
            actor=actor,
            school=school,
            events=[("rosters.class.created", c, services.class_created_logged(c)) for c in new],
        )
        self.progress(PHASES.index("enrolments"), len(PHASES), "steps")
        unknown = self._write_enrolments(classes, pupils)
        self.progress(PHASES.index("parents"), len(PHASES), "steps")
        self._write_guardians(pupils)
        self.progress(PHASES.index("marks"), len(PHASES), "steps")
        self._write_marks(classes, pupils)
        if unknown:
            self.reader.note(
                "unknown",
                "Teachers not found among this school's staff (add them "
                "under Staff, then import again); their classes were imported "
                f"without them: {', '.join(sorted(unknown))}.",
            )

    def _write_enrolments(
        self, classes: dict[str, TeachingClass], pupils: dict[str, Pupil]
    ) -> set[str]:
        """Enrolments and teacher links as enrolment_add, enrolment_remove,
        class_teacher_attach and class_teacher_detach make them, written in bulk with one
        event per link appended at once (SEC-1); the teachers not among the staff."""
        result = self.result
        staff = {u.email.lower(): u for u in selectors.staff() if u.email}
        unknown: set[str] = set()
        enrolled = {
            (class_id, pupil_id): pk
            for class_id, pupil_id, pk in Enrolment.objects.values_list(
                "teaching_class_id", "pupil_id", "pk"
            )
        }
        linked = {
            (class_id, teacher_id): pk
            for class_id, teacher_id, pk in ClassTeacher.objects.values_list(
                "teaching_class_id", "teacher_id", "pk"
            )
        }
        pairs, links = _Links(set(enrolled)), _Links(set(linked))
        events: list[tuple[str, Any, dict[Any, Any] | None]] = []  # in the file's order
        listed: dict[int, set[int]] = defaultdict(set)
        for row in self.enrolments:
            teaching_class = classes[row["classSourcedId"]]
            user_row = self.users[row["userSourcedId"]]
            leaving = row.status == "tobedeleted"
            if row["role"] == "student":
                pupil = pupils.get(row["userSourcedId"])
                if pupil is None:
                    continue  # a pupil who left (delta tobedeleted)
                pair = (teaching_class.pk, pupil.pk)
                if teaching_class.archived and (pair in pairs.present) == leaving:
                    self.reader.problem(
                        "enrollments",
                        row.number,
                        "classSourcedId",
                        f"{teaching_class.name} is archived with "
                        f"{teaching_class.academic_year.name}: no one can be enrolled in it "
                        "or taken out of it.",
                    )
                    continue
                if not leaving:
                    listed[teaching_class.pk].add(pupil.pk)
                if pairs.change(pair, remove=leaving):
                    action = "removed" if leaving else "added"
                    events.append(
                        (f"rosters.enrolment.{action}", teaching_class, {"pupil": pupil.pk})
                    )
                    if leaving:
                        result.enrolments_removed += 1
                    else:
                        result.enrolments_added += 1
                continue
            email = (user_row["email"] or user_row["username"]).lower()
            teacher = staff.get(email)
            if teacher is None:
                unknown.add(email or user_row["sourcedId"])
                continue
            if links.change((teaching_class.pk, teacher.pk), remove=leaving):
                action = "detached" if leaving else "attached"
                events.append(
                    (f"rosters.class.teacher_{action}", teaching_class, {"teacher": teacher.pk})
                )
                if leaving:
                    result.teacher_links_removed += 1
                else:
                    result.teacher_links_added += 1
        if self.modes.get("enrollments") == "bulk":
            # The classes' pupils the file does not list, class by class.
            by_class: dict[int, list[int]] = defaultdict(list)
            for (class_id, pupil_id), _ in sorted(enrolled.items(), key=lambda item: item[1]):
                if (class_id, pupil_id) in pairs.present and pupil_id not in listed[class_id]:
                    by_class[class_id].append(pupil_id)
            for teaching_class in {c.pk: c for c in classes.values()}.values():
                if teaching_class.archived:
                    continue  # read-only: its pupils stay as they were
                for pupil_id in by_class.pop(teaching_class.pk, []):
                    pairs.change((teaching_class.pk, pupil_id), remove=True)
                    events.append(
                        ("rosters.enrolment.removed", teaching_class, {"pupil": pupil_id})
                    )
                    result.enrolments_removed += 1
        _delete(Enrolment, [enrolled[pair] for pair in pairs.removed])
        _delete(ClassTeacher, [linked[link] for link in links.removed])
        school_id = self.school.pk
        written = Written(
            self.writing,
            len(pairs.added) + len(links.added) + len(events),
            "enrolment records written",
        )
        insert_rows(
            Enrolment,
            [
                {"school_id": school_id, "teaching_class_id": class_id, "pupil_id": pupil_id}
                for class_id, pupil_id in sorted(pairs.added)
            ],
            progress=written.part(),
        )
        insert_rows(
            ClassTeacher,
            [
                {"school_id": school_id, "teaching_class_id": class_id, "teacher_id": teacher_id}
                for class_id, teacher_id in sorted(links.added)
            ],
            progress=written.part(),
        )
        audit.record_many(
            actor=self.actor, school=self.school, events=events, progress=written.part()
        )
        return unknown

    def _errors(self, file: str, row: Row, error: ValidationError, names: dict[str, str]) -> None:
        for name, messages in error.message_dict.items():
            for message in messages:
                self.reader.problem(file, row.number, names.get(name, name), message)

    def _write_pupils(self) -> dict[str, Pupil]:
        """Create, change and mark as left the file's pupils, with the values, checks and
        access log events of pupil_create and pupil_update, written in bulk: users,
        memberships and pupils of new pupils by insert_rows (no password hash, ACC-2),
        changed pupils by update_rows, every event appended at once (SEC-1)."""
        result, school = self.result, self.school
        now = timezone.now()
        existing = list(Pupil.objects.all())
        pupil: Pupil | None
        for pupil in existing:
            pupil.school = school  # the checks read the school's kept fields
        by_id = {p.oneroster_id: p for p in existing if p.oneroster_id}
        by_username = {p.username.lower(): p for p in existing}
        taken = set(by_username)
        names = {
            "first_name": "givenName",
            "last_name": "familyName",
            "year_group": "grades",
            "username": "username",
            "email": "email",
            "date_of_birth": "birthDate",
            "sex": "sex",
        }
        pupils: dict[str, Pupil] = {}
        new: list[Pupil] = []
        events: list[tuple[str, Pupil, dict[str, Any]]] = []  # in the file's order
        dirty: dict[int, tuple[Pupil, set[str]]] = {}
        for ref, row in self.pupils.items():
            pupil = by_id.get(ref) or by_username.get(row["username"].lower())
            if row.status == "tobedeleted":
                if pupil is not None and pupil.status != Pupil.Status.LEFT:
                    changes = {"status": Pupil.Status.LEFT, "left_on": row.modified}
                    try:
                        self._change(pupil, changes, dirty, events, now)
                    except ValidationError as error:
                        self._errors("users", row, error, names)
                        continue
                    result.pupils_left += 1
                continue
            values: dict[str, Any] = {
                "first_name": row["givenName"],
                "last_name": row["familyName"],
            }
            if self.years[ref] or pupil is None:
                values["year_group"] = self.years[ref]  # a known pupil keeps theirs (_years)
            values |= self.demographics.get(ref, {})  # the kept fields only (ROS-5)
            email = row["email"].lower()
            if email and school.has_domain(email):
                values["email"] = email
            if (
                pupil is None
                and self.erased
                and self.erased.named(email=row["email"], oneroster_id=ref)
            ):
                result.pupils_suppressed += 1
                self.reader.note(
                    "erased:pupils",
                    f"users.csv: {NOT_RECREATED} (pupils who were erased are left out; "
                    "tick 'bring back erased people' to import them)",
                )
                continue
            try:
                if pupil is None:
                    pupil = services.pupil_new(
                        school=school,
                        username=row["username"].lower() or None,
                        taken=taken,
                        **values,
                    )
                    pupil.oneroster_id = ref
                    new.append(pupil)
                    events.append(("rosters.pupil.created", pupil, {}))
                    result.pupils_created += 1
                elif self._change(pupil, values, dirty, events, now):
                    result.pupils_updated += 1
                else:
                    result.pupils_matched += 1
            except ValidationError as error:
                self._errors("users", row, error, names)
                continue
            if pupil.oneroster_id != ref:
                pupil.oneroster_id = ref
                dirty.setdefault(pupil.pk, (pupil, set()))[1].add("oneroster_id")
            pupils[ref] = pupil
        if result.problems:
            return pupils  # nothing is kept: the caller rolls back
        written = Written(
            self.writing, len(new) + len(dirty) + len(events), "pupil records written"
        )
        self._insert_pupils(new, now, written)
        groups: dict[tuple[str, ...], list[Pupil]] = defaultdict(list)
        renamed: list[User] = []
        for pupil, fields in dirty.values():
            groups[tuple(sorted(fields))].append(pupil)
            if pupil.user_id and {"first_name", "last_name"} & fields:
                renamed.append(
                    User(
                        pk=pupil.user_id,
                        username=services.pupil_user_handle(pupil.school_id, pupil.username),
                        first_name=pupil.first_name[:150],
                        last_name=pupil.last_name[:150],
                    )
                )
        for columns, members in groups.items():
            update_rows(Pupil, members, list(columns), progress=written.part())
        update_rows(User, renamed, ["username", "first_name", "last_name"])
        audit.record_many(
            actor=self.actor,
            school=school,
            events=[
                (action, pupil, data or services.pupil_created_logged(pupil))
                for action, pupil, data in events
            ],
            progress=written.part(),
        )
        return pupils

    @staticmethod
    def _change(
        pupil: Pupil,
        values: dict[str, Any],
        dirty: dict[int, tuple[Pupil, set[str]]],
        events: list[tuple[str, Pupil, dict[str, Any]]],
        now: datetime,
    ) -> bool:
        """Set `values` on an existing pupil as pupil_update does (written later, in
        bulk); whether anything changed."""
        changed = services.pupil_changes_apply(pupil, dict(values))
        if not changed:
            return False
        pupil.updated_at = now
        fields = dirty.setdefault(pupil.pk, (pupil, set()))[1]
        fields |= {*changed, "updated_at", *(["upn_hash"] if "upn" in changed else [])}
        events.append(
            ("rosters.pupil.changed", pupil, services.pupil_changes_logged(pupil, changed))
        )
        return True

    def _insert_pupils(self, new: list[Pupil], now: datetime, written: Written) -> None:
        """New pupils' users, memberships and pupils, as pupil_create writes them."""
        school = self.school
        user_ids = services.pupil_accounts_insert(
            school=school,
            people=[(p.username, p.first_name, p.last_name) for p in new],
            now=now,
        )
        for pupil, user_id in zip(new, user_ids, strict=True):
            pupil.user_id = user_id
        _insert(Pupil, new, now, progress=written.part())


def _insert(
    model: type[Pupil] | type[TeachingClass],
    new: list[Any],
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Insert unsaved instances (insert_rows) and make them saved ones, with their ids."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for instance in new:
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                setattr(instance, f.attname, now)
    ids = insert_rows(
        model,
        [{f.attname: getattr(i, f.attname) for f in fields} for i in new],
        now=now,
        progress=progress,
    )
    for instance, pk in zip(new, ids, strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = "default"


@dataclass
class _Links:
    """Links of one kind (a class and a pupil, or a class and a teacher) as the import
    changes them: those there now, those to insert, and those of the database to delete.
    A link removed and added again is in both: deleted, then made anew, as the services
    would."""

    present: set[tuple[int, int]]
    added: set[tuple[int, int]] = field(default_factory=set)
    removed: set[tuple[int, int]] = field(default_factory=set)

    def change(self, key: tuple[int, int], *, remove: bool) -> bool:
        """Add or remove `key`; whether that changed anything."""
        if remove:
            if key not in self.present:
                return False
            self.present.discard(key)
            if key in self.added:
                self.added.discard(key)  # added by this import: not added after all
            else:
                self.removed.add(key)
            return True
        if key in self.present:
            return False
        self.present.add(key)
        self.added.add(key)
        return True


def _delete(model: type[Enrolment] | type[ClassTeacher], pks: list[int]) -> None:
    """Delete rows of `model` by primary key, a batch of them per query."""
    for start in range(0, len(pks), 500):
        model.objects.filter(pk__in=pks[start : start + 500]).delete()
