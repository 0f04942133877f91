"""OneRoster parents and carers: guardian, parent and relative users linked to pupils
by agentSourcedIds, in and out (ROS-4, TEN-2, TEN-3, ACC-2)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from markbook.accounts.models import Membership, User
from markbook.core.tenancy import all_schools, school_scope
from markbook.rosters import services
from markbook.rosters.models import GuardianLink
from markbook.rosters.oneroster import spec
from tests.rosters.conftest import actions
from tests.rosters.test_oneroster import (
    _assert_refused,
    _export,
    _files,
    _import,
    _newfield,
    _roster,
    _rows,
    _with,
    _zip,
)

PARENTS = ("parent@example.org", "dad@example.org", "gran@example.org")


@pytest.fixture
def families(world):  # type: ignore[no-untyped-def]
    """School A's parents: the world's parent (Amy), a father of Amy and Ben, Cal's gran."""
    with school_scope(world.a):
        for pupil in (world.amy, world.ben):
            services.guardian_link_create(
                actor=world.admin,
                school=world.a,
                pupil=pupil,
                parent_email="dad@example.org",
                first_name="Dan",
                last_name="Adams",
            )
        services.guardian_link_create(
            actor=world.admin,
            school=world.a,
            pupil=world.cal,
            parent_email="gran@example.org",
            first_name="Gwen",
            last_name="Clark",
        )
    return world


def _users(files) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    return {u["username"]: u for u in _rows(files["users"])}


def _change_user(files, username: str, **cells: str) -> None:  # type: ignore[no-untyped-def]
    header = files["users"][0]
    files["users"] = [
        header,
        *(
            _with(u, header, **cells) if u["username"] == username else [u[h] for h in header]
            for u in _rows(files["users"])
        ),
    ]


def _row_of(files, username: str) -> int:  # type: ignore[no-untyped-def]
    """users.csv row number (the header is row 1) of a user."""
    return 2 + [u["username"] for u in _rows(files["users"])].index(username)


def _add_guardian(files, ref: str, email: str, children: list[str], org: str = "") -> None:  # type: ignore[no-untyped-def]
    """A guardian row in users.csv and its role in roles.csv (at the school's org)."""
    header = files["users"][0]
    school = next(o for o in _rows(files["orgs"]) if o["type"] == "school")["sourcedId"]
    row = {"sourcedId": ref, "enabledUser": "true", "username": email, "email": email}
    row |= {"givenName": "Pat", "familyName": ref, "agentSourcedIds": ",".join(children)}
    files["users"].append([row.get(h, "") for h in header])
    role = {"sourcedId": f"role-{ref}", "userSourcedId": ref, "roleType": "primary"}
    role |= {"role": "guardian", "orgSourcedId": org or school}
    files["roles"].append([role.get(h, "") for h in files["roles"][0]])


def _delta_users(files, users_rows: list[list[str]]) -> bytes:  # type: ignore[no-untyped-def]
    """A zip whose users.csv is a delta of `users_rows`; orgs and roles bulk, no classes."""
    manifest = [["propertyName", "value"], ["manifest.version", "1.0"]]
    manifest += [["oneroster.version", "1.2"], ["file.users", "delta"]]
    manifest += [["file.orgs", "bulk"], ["file.roles", "bulk"]]
    return _zip(
        {
            "manifest": manifest,
            "orgs": files["orgs"],
            "roles": files["roles"],
            "users": [files["users"][0], *users_rows],
        }
    )


# --- Export and round trip -------------------------------------------------------------


def test_export_names_each_parents_children(families):
    users = _users(_files(_export(families)))
    dad = users["dad@example.org"]["agentSourcedIds"].split(",")
    assert sorted(dad) == sorted(users[u]["sourcedId"] for u in ("amy.adams", "ben.brown"))
    assert users["gran@example.org"]["agentSourcedIds"] == users["cal.clark"]["sourcedId"]


def test_round_trip_with_parents_of_several_children_into_an_empty_school(families):
    """ROS-4: an export re-imported into an empty school gives the same roster, parents'
    links included (by email and pupil). On another Markbook none of the parents has
    an account: each is made with no password (ACC-2) and the parent role (TEN-2)."""
    world = families
    before = _roster(world.a)
    assert len(before["parents"]) == 4
    data = _export(world)
    with all_schools():
        User.objects.filter(email__in=PARENTS).delete()
    new = _newfield(world, parent=False)
    preview = _import(new, data, confirm=False)
    assert preview.ok, preview.problems
    assert (preview.parents_created, preview.parent_links_added) == (3, 4)
    assert _roster(new)["parents"] == []  # a preview writes nothing
    result = _import(new, data)
    assert result.ok and result.confirmed, result.problems
    counts = result.counts()
    assert (counts["parents_created"], counts["parents_matched"]) == (3, 0)
    assert (counts["parent_links_added"], counts["parent_links_removed"]) == (4, 0)
    assert _roster(new) == before
    with school_scope(new):
        parents = list(User.objects.filter(email__in=PARENTS))
        assert len(parents) == 3 and not any(p.has_usable_password() for p in parents)
        assert {(p.first_name, p.last_name) for p in parents} >= {("Dan", "Adams")}
        roles = Membership.objects.filter(user__in=parents).values_list("role", flat=True)
        assert list(roles) == [Membership.Role.PARENT] * 3
    linked = actions(new, "rosters.guardian.linked")
    assert len(linked) == 4 and all(e.target_type == "rosters.pupil" for e in linked)
    assert actions(new, "rosters.oneroster.imported")[0].data["parent_links_added"] == 4
    # The new school's own export, imported again, changes nothing. (The first file
    # itself is now refused: the school took the file's org only while it was empty.)
    again = _import(new, _export(world, new))
    assert again.ok, again.problems
    assert (again.parents_created, again.parents_matched) == (0, 3)
    assert (again.parent_links_added, again.parent_links_removed) == (0, 0)
    assert len(actions(new, "rosters.guardian.linked")) == 4
    assert _roster(new) == before


def test_reimporting_a_schools_own_export_leaves_its_parents_as_they_are(families):
    with school_scope(families.a):
        links = set(GuardianLink.objects.values_list("pk", "parent_id", "pupil_id"))
    events = len(actions(families.a))
    result = _import(families.a, _export(families))
    assert result.ok, result.problems
    assert result.counts() | {"pupils_matched": 0} == dict.fromkeys(result.counts(), 0) | {
        "parents_matched": 3
    }
    with school_scope(families.a):
        assert set(GuardianLink.objects.values_list("pk", "parent_id", "pupil_id")) == links
    # The export and the import are logged, nothing else.
    assert [e.action for e in actions(families.a)[events:]] == [
        "rosters.oneroster.exported",
        "rosters.oneroster.imported",
    ]


# --- Links from either row -------------------------------------------------------------


def test_links_on_pupils_rows_and_parents_rows_are_merged(world):
    """OneRoster puts a user's agents on their own row: a parent's children, a pupil's
    parents. Both count; a bulk file that lists parents is the whole truth for the
    pupils in it, so Amy's link, named on neither row any more, goes."""
    files = _files(_export(world))
    users = _users(files)
    parent, cal = (users[u]["sourcedId"] for u in ("parent@example.org", "cal.clark"))
    _change_user(files, "parent@example.org", agentSourcedIds=cal)
    _change_user(files, "ben.brown", agentSourcedIds=parent)
    result = _import(world.a, _zip(files))
    assert result.ok, result.problems
    assert (result.parent_links_added, result.parent_links_removed) == (2, 1)
    assert any("whole truth" in n for n in result.notes)
    assert _roster(world.a)["parents"] == [
        ("parent@example.org", "ben.brown"),
        ("parent@example.org", "cal.clark"),
    ]


def test_a_parent_listed_under_the_trust_is_a_parent_of_the_schools_pupils(world):
    files = _files(_export(world))
    trust = next(o for o in _rows(files["orgs"]) if o["type"] == "district")["sourcedId"]
    parent = _users(files)["parent@example.org"]["sourcedId"]
    header = files["roles"][0]
    files["roles"] = [header] + [
        [trust if h == "orgSourcedId" and r["userSourcedId"] == parent else r[h] for h in header]
        for r in _rows(files["roles"])
    ]
    result = _import(world.a, _zip(files))
    assert result.ok, result.problems
    assert (result.parents_matched, result.parent_links_removed) == (1, 0)


# --- Bulk files: the whole truth only when they list parents -------------------------


def _hand_link(world, email: str = "aunt@example.org"):  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        return services.guardian_link_create(
            actor=world.admin, school=world.a, pupil=world.ben, parent_email=email
        )


def test_a_bulk_file_listing_parents_removes_links_it_does_not_name(world):
    data = _export(world)  # written before Ben's aunt was added by hand
    link = _hand_link(world)
    preview = _import(world.a, data, confirm=False)
    assert preview.ok and preview.parent_links_removed == 1
    assert any("1 link(s) to parents it does not name" in n for n in preview.notes)
    with school_scope(world.a):
        assert GuardianLink.objects.filter(pk=link.pk).exists()  # only a preview
    result = _import(world.a, data)
    assert result.ok and result.parent_links_removed == 1
    with school_scope(world.a):
        assert not GuardianLink.objects.filter(pk=link.pk).exists()
        assert Membership.objects.filter(user=link.parent, role="parent").exists()  # kept
    unlinked = actions(world.a, "rosters.guardian.unlinked")
    assert [(e.target_id, e.data) for e in unlinked] == [
        (str(world.ben.pk), {"parent": link.parent_id})
    ]


def test_a_bulk_file_without_parents_keeps_the_parents_made_in_markbook(world):
    files = _files(_export(world))
    parent = _users(files)["parent@example.org"]["sourcedId"]
    files["users"] = [files["users"][0]] + [r for r in files["users"][1:] if r[0] != parent]
    files["roles"] = [files["roles"][0]] + [
        r for r in files["roles"][1:] if r[files["roles"][0].index("userSourcedId")] != parent
    ]
    _hand_link(world)
    result = _import(world.a, _zip(files))
    assert result.ok, result.problems
    assert (result.parent_links_added, result.parent_links_removed) == (0, 0)
    assert any("lists no parents or carers" in n for n in result.notes)
    assert len(_roster(world.a)["parents"]) == 2


# --- Delta files ------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["parent@example.org", ""])
def test_delta_tobedeleted_parent_loses_their_links_here_not_their_account(families, email):
    """By address, or by Markbook's own sourcedId when the row has none."""
    world = families
    files = _files(_export(world))
    row = _users(files)["parent@example.org"]
    data = _delta_users(
        files,
        [
            _with(
                row,
                files["users"][0],
                status="tobedeleted",
                dateLastModified="2026-10-01",
                email=email,
            )
        ],
    )
    result = _import(world.a, data)
    assert result.ok, result.problems
    assert (result.parent_links_removed, result.parent_links_added) == (1, 0)
    parents = _roster(world.a)["parents"]
    assert ("parent@example.org", "amy.adams") not in parents and len(parents) == 3
    with school_scope(world.a):
        assert Membership.objects.filter(user=world.parent, role="parent").exists()
        assert User.objects.filter(pk=world.parent.pk, is_active=True).exists()


def test_a_delta_parent_row_adds_links_and_keeps_those_it_does_not_name(families):
    world = families
    files = _files(_export(world))
    users = _users(files)
    row = users["dad@example.org"]
    data = _delta_users(
        files,
        [
            _with(
                row,
                files["users"][0],
                status="active",
                dateLastModified="2026-10-01",
                agentSourcedIds=users["cal.clark"]["sourcedId"],
            )
        ],
    )
    result = _import(world.a, data)
    assert result.ok, result.problems
    assert (result.parent_links_added, result.parent_links_removed) == (1, 0)
    assert ("dad@example.org", "amy.adams") in _roster(world.a)["parents"]


# --- Refused files: nothing written --------------------------------------------------------


def _give_amy_an_address(world) -> None:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        User.objects.filter(pk=world.amy.user_id).update(email="amy.home@example.org")


def _guardian_role_for_amy(files) -> None:  # type: ignore[no-untyped-def]
    amy = _users(files)["amy.adams"]["sourcedId"]
    school = next(o for o in _rows(files["orgs"]) if o["type"] == "school")["sourcedId"]
    role = {"sourcedId": "amy-guardian", "userSourcedId": amy, "roleType": "secondary"}
    role |= {"role": "parent", "orgSourcedId": school}
    files["roles"].append([role.get(h, "") for h in files["roles"][0]])


def _bad(world, change) -> tuple[bytes, int]:  # type: ignore[no-untyped-def]
    files = _files(_export(world))
    where = change(files)
    return _zip(files), where


PARENT = "parent@example.org"


@pytest.mark.parametrize(
    ("change", "file", "column", "words"),
    [
        (
            lambda f: _change_user(f, PARENT, email="") or _row_of(f, PARENT),
            "users",
            "email",
            "needs an email address",
        ),
        (
            lambda f: _change_user(f, PARENT, email="mum at home") or _row_of(f, PARENT),
            "users",
            "email",
            "'mum at home' is not a valid email address",
        ),
        (
            lambda f: (
                _change_user(
                    f, PARENT, agentSourcedIds=_users(f)["teacher@oakfield.sch.uk"]["sourcedId"]
                )
                or _row_of(f, PARENT)
            ),
            "users",
            "agentSourcedIds",
            "is not a student",
        ),
        (
            lambda f: _change_user(f, PARENT, agentSourcedIds="nobody") or _row_of(f, PARENT),
            "users",
            "agentSourcedIds",
            "'nobody' is neither a student in users.csv nor a pupil of this school",
        ),
        (
            lambda f: (
                _change_user(f, "ben.brown", agentSourcedIds="ghost") or _row_of(f, "ben.brown")
            ),
            "users",
            "agentSourcedIds",
            "'ghost' is not a user in users.csv",
        ),
        (
            lambda f: _guardian_role_for_amy(f) or len(f["roles"]),
            "roles",
            "role",
            "is a student of this school and also a parent",
        ),
    ],
)
def test_bad_parent_rows_are_refused_naming_file_row_and_column(
    families, change, file, column, words
):
    """ROS-3, ROS-4, TEN-2: the rules of guardian_link_create, by file, row and column."""
    data, row = _bad(families, change)
    _assert_refused(families.a, data, (file, row, column), words)


def test_a_pupils_own_account_cannot_be_their_parent(families):
    world = families
    _give_amy_an_address(world)
    files = _files(_export(world))
    _change_user(files, PARENT, email="amy.home@example.org")
    before = _roster(world.a)
    result = _import(world.a, _zip(files))
    assert [(p.file, p.row, p.column, p.message) for p in result.problems] == [
        ("users", _row_of(files, PARENT), "email", "A pupil cannot be their own parent.")
    ]
    assert _roster(world.a) == before


@pytest.mark.parametrize(
    "email",
    [
        "Parent2@Example.org",  # a parent of School B
        "teacher@birchwood.sch.uk",  # staff of School B
        "ceo@oaktrust.org.uk",  # the trust's administrator
    ],
)
def test_a_parent_whose_address_is_another_schools_account_is_left_out_with_a_note(families, email):
    """TEN-2: an account of another school cannot be linked here, but the file is not
    wrong: that parent is left out, the note names the row, the rest is imported."""
    world = families
    files = _files(_export(world))
    _change_user(files, PARENT, email=email)
    row = _row_of(files, PARENT)
    result = _import(world.a, _zip(files))
    assert result.ok, result.problems
    assert result.parents_skipped == 1
    note = next(n for n in result.notes if "outside this school" in n)
    assert f"(rows {row})" in note
    with school_scope(world.a):
        account = User.objects.get(email=email.lower())
        assert not GuardianLink.objects.filter(parent=account).exists()
        assert not Membership.objects.filter(user=account).exists()
    assert actions(world.a, "rosters.oneroster.imported")[0].data["parents_skipped"] == 1


def test_another_schools_parents_are_left_out_and_the_roster_imported(families):
    """TEN-2: School A's parents belong to School A's people: importing A's export into
    another school leaves each of them out, with a note, and imports the pupils."""
    new = _newfield(families, parent=False)
    result = _import(new, _export(families))
    assert result.ok, result.problems
    assert (result.parents_skipped, result.parents_created, result.parent_links_added) == (3, 0, 0)
    assert any("3 parent(s) or carer(s) were not linked" in n for n in result.notes)
    roster = _roster(new)
    assert len(roster["pupils"]) == len(_roster(families.a)["pupils"])
    assert roster["parents"] == []


# --- Administrators, notes, queries, page and API ------------------------------------------


def test_administrators_are_never_created_from_a_file(world):
    new = _newfield(world)
    result = _import(new, _export(world))
    assert result.ok, result.problems
    note = next(n for n in result.notes if "siteAdministrator" in n)
    assert "never created from a file" in note and "administrator rights" in note
    with school_scope(new):
        assert not Membership.objects.filter(role=Membership.Role.SCHOOL_ADMIN).exists()
        assert not Membership.objects.filter(user=world.admin).exists()


def test_parents_cost_the_same_queries_however_many(world):
    """Parents are checked and written in bulk: 2 new parents or 12, the same queries."""
    counted, results = [], []
    for n in (2, 12):
        files = _files(_export(world))
        children = [_users(files)[u]["sourcedId"] for u in ("amy.adams", "ben.brown")]
        for i in range(n):
            _add_guardian(files, f"g{n}-{i}", f"carer{n}.{i}@example.org", children)
        with CaptureQueriesContext(connection) as queries:
            results.append(_import(world.a, _zip(files), confirm=False))
        counted.append(len(queries))
    assert [(r.parents_created, r.parent_links_added) for r in results] == [(2, 4), (12, 24)]
    assert counted[0] == counted[1]


def test_upload_page_shows_parent_counts(families, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    page = client_for("admin").post(
        reverse("rosters:oneroster", kwargs={"school_id": families.a.pk}),
        {"file": SimpleUploadedFile("r.zip", _export(families))},
    )
    assert "3 parents matched, 0 added; 0 parent links added, 0 removed" in page.content.decode()


def test_parent_and_administrator_roles_are_in_the_12_vocabulary():
    assert set(spec.GUARDIAN_ROLES) <= set(spec.USER_ROLES)
    assert set(spec.ADMIN_ROLES) <= set(spec.USER_ROLES)
