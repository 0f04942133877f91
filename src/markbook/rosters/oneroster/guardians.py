"""Parents and carers in a OneRoster import (ROS-4, TEN-3): users whose role is
guardian, parent or relative, linked to pupils by agentSourcedIds on either row. The
decisions are listed in `import_`'s docstring.

A mixin of `import_._Import`, like marks.MarksMixin: it reads the users, roles and
pupils that the roster part of the import has checked, checks each parent's address
with the rule guardian_link_create applies (`services.parent_problem`), and writes
through the parent services, so a parent made by an import is made as one added by
hand: no password (ACC-2), the parent role, one audited event per link.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from markbook.privacy.suppression import NOT_RECREATED
from markbook.rosters import services
from markbook.rosters.models import GuardianLink, Pupil
from markbook.rosters.oneroster import spec

if TYPE_CHECKING:
    from markbook.rosters.oneroster.files import Row

# (role, org sourcedId, the row that gives the role) for each user, from import_.
Roles = dict[str, list[tuple[str, str, "Row"]]]


class GuardiansMixin:
    # Set by the roster part of the import (import_._Import).
    reader: Any
    result: Any
    actor: Any
    school: Any
    org: str
    orgs: dict[str, Row]
    modes: dict[str, str]
    users: dict[str, Row]
    user_roles: Roles
    pupils: dict[str, Row]
    known_pupils: dict[str, Pupil]
    erased: Any  # privacy.suppression.Suppressed, or None to bring erased people back

    _other_org: Any  # import_._Import._other_org: notes rows of another org

    def _check_guardians(self) -> None:
        reader = self.reader
        guardians = {
            ref: [(role, org, row) for role, org, row in roles if role in spec.GUARDIAN_ROLES]
            for ref, roles in self.user_roles.items()
        }
        guardians = {ref: roles for ref, roles in guardians.items() if roles}
        children: dict[str, set[str]] = defaultdict(set)  # guardian -> pupil sourcedIds
        for ref, roles in guardians.items():
            if ref in self.pupils:
                role, _, row = roles[0]
                reader.problem(
                    row.file,
                    row.number,
                    "role",
                    f"{ref!r} is a student of this school and also a {role}: a pupil "
                    "cannot be a parent or carer in Markbook.",
                )
                continue
            # A parent leaving (delta tobedeleted) is only looked at, never reported on.
            here = any(org == self.org for _, org, _ in roles)
            strict = here and self.users[ref].status != "tobedeleted"
            children[ref] = self._children(self.users[ref], strict=strict)
        self._check_agents_of_students(guardians, children)

        self.guardian_rows: dict[str, Row] = {}
        self.guardians_deleted: dict[str, Row] = {}
        childless = 0
        for ref, roles in guardians.items():
            row = self.users[ref]
            if ref in self.pupils:
                continue
            if not children[ref] and all(org != self.org for _, org, _ in roles):
                self._other_org("users", roles[0][1], self.orgs)
            elif row.status == "tobedeleted":
                self.guardians_deleted[ref] = row
            elif not children[ref]:
                childless += 1
            else:
                self.guardian_rows[ref] = row
        # A bulk users file that names any parent of this school speaks for all of them.
        self.lists_guardians = bool(self.guardian_rows or self.guardians_deleted or childless)
        self.guardian_children = {ref: children[ref] for ref in self.guardian_rows}
        if childless:
            reader.note(
                "childless",
                f"{childless} parent(s) or carer(s) with no child at this school in the file "
                "were not imported.",
            )

        rows = {**self.guardian_rows, **self.guardians_deleted}
        self.guardian_emails = {ref: row["email"].strip().lower() for ref, row in rows.items()}
        self.parent_accounts = services.parent_accounts(self.guardian_emails.values())
        self._skip_parents_of_other_schools()
        self._skip_erased_parents()
        for ref, row in self.guardian_rows.items():
            for column in ("givenName", "familyName"):
                if not row[column] and not any(o == self.org for _, o, _ in guardians[ref]):
                    reader.problem("users", row.number, column, "This must not be blank.")
            email = self.guardian_emails[ref]
            problem = (
                services.parent_problem(email, self.parent_accounts)
                if email
                else "A parent or carer needs an email address: it is how they sign in."
            )
            if problem:
                reader.problem("users", row.number, "email", problem)

    def _skip_parents_of_other_schools(self) -> None:
        """A parent whose address is already an account of another school (a sibling
        there, or staff) cannot be linked here (TEN-2), but the file is not wrong: their
        links are left out, with a note naming the rows, and the rest is imported."""
        elsewhere = [
            ref
            for ref in self.guardian_rows
            if services.parent_elsewhere(self.guardian_emails[ref], self.parent_accounts)
        ]
        if not elsewhere:
            return
        rows = ", ".join(str(self.guardian_rows[ref].number) for ref in elsewhere)
        self.reader.note(
            "guardians:elsewhere",
            f"users.csv: {len(elsewhere)} parent(s) or carer(s) were not linked because their "
            f"address already has a Markbook account outside this school (rows {rows}). "
            "Add them under the pupil's parents with another address.",
        )
        for ref in elsewhere:
            del self.guardian_rows[ref]
            del self.guardian_children[ref]
        self.result.parents_skipped += len(elsewhere)

    def _skip_erased_parents(self) -> None:
        """A parent erased at the school's request is not created or linked again
        (DSR-4), unless the school asked to bring them back: noted, naming the rows."""
        erased = self.erased
        if not erased:
            return
        gone = [
            ref
            for ref in self.guardian_rows
            if erased.named(email=self.guardian_emails[ref], oneroster_id=ref)
        ]
        if not gone:
            return
        rows = ", ".join(str(self.guardian_rows[ref].number) for ref in gone)
        self.reader.note(
            "guardians:erased",
            f"users.csv: {len(gone)} parent(s) or carer(s) {NOT_RECREATED[0].lower()}"
            f"{NOT_RECREATED[1:]} (rows {rows})",
        )
        for ref in gone:
            del self.guardian_rows[ref]
            del self.guardian_children[ref]
        self.result.parents_suppressed += len(gone)

    def _children(self, row: Row, *, strict: bool) -> set[str]:
        """The pupils of this school a guardian's agentSourcedIds name. `strict` for a
        guardian of this school: any other agent is an error, or a note when it is a
        student of another org; for another org's guardian, other agents are theirs."""
        found = set()
        for agent in spec.split_values(row["agentSourcedIds"]):
            if agent in self.pupils:
                found.add(agent)
            elif agent in self.users:
                if not strict:
                    continue
                if any(role == "student" for role, _, _ in self.user_roles[agent]):
                    self.reader.note(
                        "agents:other",
                        "users.csv: links between parents and pupils of other orgs were ignored.",
                    )
                else:
                    self.reader.problem(
                        "users",
                        row.number,
                        "agentSourcedIds",
                        f"{agent!r} is not a student: a parent's or carer's agentSourcedIds "
                        "name their children.",
                    )
            elif agent in self.known_pupils:
                found.add(agent)
            elif strict:
                self.reader.problem(
                    "users",
                    row.number,
                    "agentSourcedIds",
                    f"{agent!r} is neither a student in users.csv nor a pupil of this school.",
                )
        return found

    def _check_agents_of_students(self, guardians: Roles, children: dict[str, set[str]]) -> None:
        """Links named on the pupils' own rows, added to those of the parents' rows."""
        for ref, row in self.pupils.items():
            if row.status == "tobedeleted":
                continue
            for agent in spec.split_values(row["agentSourcedIds"]):
                if agent in guardians:
                    if agent not in self.pupils and self.users[agent].status != "tobedeleted":
                        children[agent].add(ref)
                elif agent in self.users:
                    self.reader.note(
                        "agents:notguardian",
                        "users.csv: pupils' agents that are not parents or carers "
                        "(guardian, parent or relative) were ignored.",
                    )
                elif self.modes.get("users") == "delta":
                    self.reader.note(
                        "agents:delta",
                        "users.csv: pupils' links to parents or carers who are not in this "
                        "delta file were left as they are.",
                    )
                else:
                    self.reader.problem(
                        "users",
                        row.number,
                        "agentSourcedIds",
                        f"{agent!r} is not a user in users.csv.",
                    )

    def _write_guardians(self, pupils: dict[str, Pupil]) -> None:
        result, reader, school = self.result, self.reader, self.school
        wanted: dict[str, dict[int, Pupil]] = defaultdict(dict)  # email -> children
        first_row: dict[str, Row] = {}
        for ref, refs in self.guardian_children.items():
            email = self.guardian_emails[ref]
            first_row.setdefault(email, self.guardian_rows[ref])
            for pupil_ref in sorted(refs):
                # A pupil of the file who left in it (delta tobedeleted) gets no new parent.
                pupil = (
                    pupils.get(pupil_ref)
                    if pupil_ref in self.pupils
                    else self.known_pupils.get(pupil_ref)
                )
                if pupil is not None:
                    wanted[email][pupil.pk] = pupil
        accounts = self.parent_accounts
        for email, children in wanted.items():
            problem = services.parent_problem(email, accounts, children=children.values())
            if problem:
                reader.problem("users", first_row[email].number, "email", problem)
        if result.problems:
            return
        people = {e: (first_row[e]["givenName"], first_row[e]["familyName"]) for e in wanted}
        parents, created = services.parents_ensure(school=school, people=people, accounts=accounts)
        result.parents_created += created
        result.parents_matched += len(people) - created
        existing = list(GuardianLink.objects.select_related("pupil"))
        linked = {(link.parent_id, link.pupil_id) for link in existing}
        pairs = [
            (parents[email], pupil)
            for email, children in wanted.items()
            for pupil in children.values()
            if (parents[email].pk, pupil.pk) not in linked
        ]
        services.guardian_links_add(actor=self.actor, school=school, pairs=pairs)
        result.parent_links_added += len(pairs)

        # Delta tobedeleted: the parent's links here go, by address or Markbook's sourcedId.
        own_ids = {
            spec.sourced_id(school.pk, "user", link.parent_id): link.parent_id for link in existing
        }
        gone = set()
        for ref in self.guardians_deleted:
            account = accounts.by_email.get(self.guardian_emails[ref])
            gone.add(account.pk if account is not None else own_ids.get(ref))
        remove = [link for link in existing if link.parent_id in gone]
        if self.modes.get("users") == "bulk":
            remove += self._not_in_bulk_file(existing, pupils, parents, wanted)
        services.guardian_links_delete(actor=self.actor, school=school, links=remove)
        result.parent_links_removed += len(remove)

    def _not_in_bulk_file(
        self,
        existing: list[GuardianLink],
        pupils: dict[str, Pupil],
        parents: dict[str, Any],
        wanted: dict[str, dict[int, Pupil]],
    ) -> list[GuardianLink]:
        """The links of the file's pupils to parents the file does not name, when it names
        any parent at all; a file without parents leaves Markbook's parents alone."""
        contained = {pupil.pk for pupil in pupils.values()}
        theirs = [link for link in existing if link.pupil_id in contained]
        if not self.lists_guardians:
            if theirs:
                self.reader.note(
                    "guardians:kept",
                    "users.csv lists no parents or carers, so the links between parents and "
                    "pupils made in Markbook were kept.",
                )
            return []
        named = {(parents[e].pk, pk) for e, children in wanted.items() for pk in children}
        remove = [link for link in theirs if (link.parent_id, link.pupil_id) not in named]
        self.reader.note(
            "guardians:bulk",
            f"users.csv is a bulk file that lists parents and carers, so for the "
            f"{len(contained)} pupil(s) in it, it is the whole truth: {len(remove)} link(s) "
            "to parents it does not name (made in Markbook or by an earlier file) were removed.",
        )
        return remove
