"""OneRoster 1.2 CSV export and import (ROS-4, SEC-1)."""

import csv
import io
import re
import zipfile

import pytest

from markbook.accounts.models import Membership
from markbook.core.tenancy import school_scope
from markbook.rosters.models import (
    ClassTeacher,
    Enrolment,
    GuardianLink,
    ImportJob,
    Pupil,
    TeachingClass,
)
from markbook.rosters.oneroster import spec
from markbook.rosters.oneroster.export import oneroster_export
from markbook.rosters.oneroster.import_ import oneroster_import
from tests import factories as f
from tests.rosters.conftest import actions


def _export(world, school=None) -> bytes:  # type: ignore[no-untyped-def]
    school = school or world.a
    admin = world.admin if school == world.a else None
    with school_scope(school):
        return oneroster_export(actor=admin, school=school)


def _files(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name[:-4]: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))
            for name in archive.namelist()
        }


def _zip(files: dict[str, list[list[str]] | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, rows in files.items():
            if isinstance(rows, bytes):
                archive.writestr(f"{name}.csv", rows)
                continue
            out = io.StringIO()
            csv.writer(out, lineterminator="\r\n").writerows(rows)
            archive.writestr(f"{name}.csv", out.getvalue())
    return buffer.getvalue()


def _rows(table: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(table[0], row, strict=True)) for row in table[1:]]


def _import(school, data: bytes, confirm: bool = True, actor=None):  # type: ignore[no-untyped-def]
    with school_scope(school):
        return oneroster_import(actor=actor, school=school, data=data, confirm=confirm)


def _roster(school) -> dict:  # type: ignore[no-untyped-def]
    with school_scope(school):
        return {
            "pupils": sorted(
                (p.first_name, p.last_name, p.username, p.year_group) for p in Pupil.objects.all()
            ),
            "classes": sorted(
                (c.name, c.subject, c.year_group, c.academic_year.name)
                for c in TeachingClass.objects.all()
            ),
            "teachers": sorted(
                (link.teaching_class.name, link.teacher.email)
                for link in ClassTeacher.objects.select_related("teaching_class", "teacher")
            ),
            "enrolments": sorted(
                (e.teaching_class.name, e.pupil.username)
                for e in Enrolment.objects.select_related("teaching_class", "pupil")
            ),
            "parents": sorted(
                (link.parent.email, link.pupil.username)
                for link in GuardianLink.objects.select_related("parent", "pupil")
            ),
        }


def _newfield(world, *, teachers: bool = True, parent: bool = True):  # type: ignore[no-untyped-def]
    """An empty school whose people include School A's teachers and parent: a parent
    account belongs to one school's people (TEN-2), so an import refuses School A's."""
    new = f.SchoolFactory(name="Newfield School")
    with school_scope(new):
        for user in (world.teacher, world.colleague) if teachers else ():
            Membership.objects.create(school=new, user=user, role=Membership.Role.TEACHER)
        if parent:
            Membership.objects.create(school=new, user=world.parent, role=Membership.Role.PARENT)
    return new


# --- Export -------------------------------------------------------------------


def test_export_has_every_file_with_the_spec_header_in_order(world):
    files = _files(_export(world))
    assert files["manifest"][0] == ["propertyName", "value"]
    for name in ("orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments"):
        assert files[name][0] == spec.HEADERS_12[name], name
    assert files["users"][0][:6] == [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
    ]


def test_export_users_header_is_the_121_one_without_resource_sourced_ids(world):
    """ROS-4: OneRoster CSV Binding 1.2.1 users.csv has no resourceSourcedIds column;
    userMasterIdentifier is followed by the preferred names (sources in spec.py)."""
    header = _files(_export(world))["users"][0]
    assert "resourceSourcedIds" not in header
    at = header.index("userMasterIdentifier")
    assert header[at - 2 : at + 2] == [
        "grades",
        "password",
        "userMasterIdentifier",
        "preferredGivenName",
    ]
    assert header[-2:] == ["primaryOrgSourcedId", "pronouns"] and len(header) == 22


def test_a_users_file_with_the_first_12_resource_column_is_read_with_a_note(world):
    """ROS-4: files written to the first 1.2 binding (resourceSourcedIds after
    userMasterIdentifier) are still read, each cell under its own column."""
    files = _files(_export(world))
    at = files["users"][0].index("userMasterIdentifier") + 1
    files["users"] = [
        [*row[:at], "resourceSourcedIds" if n == 0 else "res-1", *row[at:]]
        for n, row in enumerate(files["users"])
    ]
    result = _import(world.a, _zip(files))
    assert result.ok, result.problems
    assert result.pupils_matched == 3 and result.pupils_updated == 0
    assert any("resourceSourcedIds" in n and "1.2.1" in n for n in result.notes)


def test_export_manifest_says_version_bulk_files_and_marks_absent(world):
    manifest = dict(_files(_export(world))["manifest"][1:])
    assert manifest["manifest.version"] == "1.0"
    assert manifest["oneroster.version"] == "1.2"
    assert manifest["file.users"] == "bulk"
    assert manifest["file.enrollments"] == "bulk"
    assert manifest["file.lineItems"] == "absent"
    assert manifest["file.results"] == "absent"
    assert manifest["source.systemName"] == "Markbook"


def test_export_never_carries_a_password_and_leaves_out_school_b(world):
    files = _files(_export(world))
    users = _rows(files["users"])
    assert all(u["password"] == "" for u in users)
    usernames = {u["username"] for u in users}
    assert {"amy.adams", "ben.brown", "cal.clark", "teacher@oakfield.sch.uk"} <= usernames
    assert "dee.davies" not in usernames
    assert "teacher@birchwood.sch.uk" not in usernames
    # School B's pupil by full name (a surname alone could be a Faker staff name) and its
    # staff by address.
    assert ("Dee", "Davies") not in {(u["givenName"], u["familyName"]) for u in users}
    assert b"birchwood.sch.uk" not in zipfile.ZipFile(io.BytesIO(_export(world))).read("users.csv")


def test_export_roles_orgs_and_guardian_agents(world):
    files = _files(_export(world))
    users = {u["sourcedId"]: u for u in _rows(files["users"])}
    roles = {(users[r["userSourcedId"]]["username"], r["role"]) for r in _rows(files["roles"])}
    assert ("amy.adams", "student") in roles
    assert ("teacher@oakfield.sch.uk", "teacher") in roles
    assert ("admin@oakfield.sch.uk", "siteAdministrator") in roles
    assert ("parent@example.org", "guardian") in roles
    parent = next(u for u in users.values() if u["username"] == "parent@example.org")
    amy = next(u for u in users.values() if u["username"] == "amy.adams")
    assert parent["agentSourcedIds"] == amy["sourcedId"]
    orgs = {o["type"]: o for o in _rows(files["orgs"])}
    assert orgs["school"]["name"] == "Oakfield Academy"
    assert orgs["district"]["name"] == "Oak Learning Trust"
    assert orgs["school"]["parentSourcedId"] == orgs["district"]["sourcedId"]
    assert amy["grades"] == "07"


def test_export_ids_are_stable_and_it_is_logged(world):
    assert _export(world) == _export(world)
    assert len(actions(world.a, "rosters.oneroster.exported")) == 2


def test_export_uses_pseudonyms_when_the_school_does(world):
    world.a.pseudonymise_pupils = True
    world.a.save()
    with school_scope(world.a):
        Pupil.objects.filter(pk=world.amy.pk).update(pseudonym="Blue Fox")
    users = _rows(_files(_export(world))["users"])
    amy = next(u for u in users if u["username"] == "amy.adams")
    assert amy["givenName"] == "Blue Fox"
    assert "Adams" not in str(users)


# --- Round trip -----------------------------------------------------------------


def test_round_trip_into_an_empty_school_gives_the_same_roster(world):
    new = _newfield(world)
    preview = _import(new, _export(world), confirm=False)
    assert preview.ok, preview.problems
    assert preview.pupils_created == 3
    assert _roster(new)["pupils"] == []  # a preview writes nothing
    result = _import(new, _export(world))
    assert result.ok and result.confirmed
    assert (result.pupils_created, result.classes_created, result.enrolments_added) == (3, 2, 3)
    assert _roster(new) == _roster(world.a)
    again = _files(_export(world, new))
    first = _files(_export(world))
    for name, columns in (
        ("users", ("username", "givenName", "familyName", "grades")),
        ("classes", ("title", "grades", "subjects")),
    ):
        pick = lambda t, columns=columns: sorted(  # noqa: E731
            tuple(r[c] for c in columns) for r in _rows(t)
        )
        if name == "users":
            mine = sorted(
                tuple(r[c] for c in columns)
                for r in _rows(first[name])
                if r["username"] != "admin@oakfield.sch.uk"
            )
            assert pick(again[name]) == mine
        else:
            assert pick(again[name]) == pick(first[name])


def test_reimporting_the_same_file_changes_nothing(world):
    data = _export(world)
    result = _import(world.a, data)
    assert result.ok, result.problems
    assert result.pupils_created == result.classes_created == result.enrolments_added == 0
    assert result.pupils_matched == 3


# --- Import: delta, lenient ----------------------------------------------------------


def _delta(world, users_rows, enrol_rows) -> bytes:  # type: ignore[no-untyped-def]
    files = _files(_export(world))
    manifest = [
        ["propertyName", "value"],
        ["manifest.version", "1.0"],
        ["oneroster.version", "1.2"],
    ]
    manifest += [[f"file.{n}", "delta"] for n in ("users", "enrollments")]
    manifest += [
        [f"file.{n}", "bulk"] for n in ("orgs", "roles", "classes", "academicSessions", "courses")
    ]
    files["manifest"] = manifest
    files["users"] = [files["users"][0], *users_rows]
    files["enrollments"] = [files["enrollments"][0], *enrol_rows]
    return _zip(files)


def _with(row: dict[str, str], header: list[str], **changes: str) -> list[str]:
    return [changes.get(h, row[h]) for h in header]


def test_delta_tobedeleted_removes_an_enrolment_and_marks_a_pupil_left(world):
    files = _files(_export(world))
    users = {u["username"]: u for u in _rows(files["users"])}
    enrolments = _rows(files["enrollments"])
    ben_id = users["ben.brown"]["sourcedId"]
    ben_enrol = next(e for e in enrolments if e["userSourcedId"] == ben_id)
    header_u, header_e = files["users"][0], files["enrollments"][0]
    data = _delta(
        world,
        [
            _with(users["ben.brown"], header_u, status="active", dateLastModified="2026-10-01"),
            _with(
                users["cal.clark"],
                header_u,
                status="TOBEDELETED",
                dateLastModified="2026-10-02T09:00:00Z",
            ),
        ],
        [_with(ben_enrol, header_e, status="tobedeleted", dateLastModified="2026-10-01")],
    )
    result = _import(world.a, data)
    assert result.ok, result.problems
    assert (result.enrolments_removed, result.pupils_left) == (1, 1)
    assert any("another case" in n for n in result.notes)
    with school_scope(world.a):
        assert not Enrolment.objects.filter(pupil=world.ben).exists()
        cal = Pupil.objects.get(pk=world.cal.pk)
        assert cal.status == Pupil.Status.LEFT and str(cal.left_on) == "2026-10-02"
        assert Pupil.objects.filter(pk=world.cal.pk).exists()  # never deleted


def test_delta_rows_need_status_and_date(world):
    files = _files(_export(world))
    users = {u["username"]: u for u in _rows(files["users"])}
    data = _delta(world, [_with(users["ben.brown"], files["users"][0])], [])
    result = _import(world.a, data)
    columns = {(p.file, p.column) for p in result.problems}
    assert ("users", "status") in columns and ("users", "dateLastModified") in columns


def test_lenient_inputs_are_accepted_and_listed(world):
    files = _files(_export(world))
    files["classes"] = [files["classes"][0]] + [
        [v.upper() if v == "scheduled" else v for v in row] for row in files["classes"][1:]
    ]
    files["academicSessions"] = [files["academicSessions"][0]] + [
        [("01/09/2026" if i == 5 else v) for i, v in enumerate(row)]
        for row in files["academicSessions"][1:]
    ]
    users = _rows(files["users"])
    header = files["users"][0]
    files["users"] = [header] + [
        _with(u, header, password="secret1", enabledUser="TRUE") for u in users
    ]
    raw = io.StringIO()
    csv.writer(raw, lineterminator="\r\n").writerows(files.pop("orgs"))
    data = _zip({**files, "orgs": b"\xef\xbb\xbf" + raw.getvalue().encode()})
    result = _import(world.a, data)
    assert result.ok, result.problems
    notes = " ".join(result.notes)
    assert "classes.csv, column classType" in notes
    assert "users.csv, column enabledUser" in notes
    assert "'01/09/2026'" in notes
    assert "byte order mark" in notes
    assert "never stored" in notes
    with school_scope(world.a):
        assert not any(
            p.user.check_password("secret1") for p in Pupil.objects.select_related("user")
        )


def _as_oneroster_11(files, extra=()) -> None:  # type: ignore[no-untyped-def]
    """Rewrite an export's files as OneRoster 1.1 writes them: a 1.1 manifest, users
    with their role and org inline, no roles.csv; `extra` names further bulk files."""
    users = _rows(files["users"])
    roles = {r["userSourcedId"]: r for r in _rows(files["roles"])}
    files["manifest"] = [
        ["propertyName", "value"],
        ["manifest.version", "1.0"],
        ["oneroster.version", "1.1"],
        *[
            [f"file.{n}", "bulk"]
            for n in (
                *("orgs", "academicSessions", "courses", "classes", "users", "enrollments"),
                *extra,
            )
        ],
    ]
    school = next(o for o in _rows(files["orgs"]) if o["type"] == "school")["sourcedId"]
    role_11 = {"siteAdministrator": "administrator"}
    files["users"] = [spec.HEADERS_11["users"]] + [
        [
            {
                **u,
                "orgSourcedIds": school,
                "role": role_11.get(roles[u["sourcedId"]]["role"], roles[u["sourcedId"]]["role"]),
            }.get(h, "")
            for h in spec.HEADERS_11["users"]
        ]
        for u in users
    ]
    del files["roles"]


def test_oneroster_11_is_read_with_a_note(world):
    files = _files(_export(world))
    _as_oneroster_11(files)
    result = _import(world.a, _zip(files))
    assert result.ok, result.problems
    assert any("1.1" in n for n in result.notes)
    assert result.pupils_matched == 3


# --- Import: refused files, nothing written ---------------------------------------


def _broken(world, **changes) -> bytes:  # type: ignore[no-untyped-def]
    files = _files(_export(world))
    for name, change in changes.items():
        if change is None:
            del files[name]
        else:
            files[name] = change(files[name])
    return _zip(files)


def _set(row_index: int, column: str, value: str):  # type: ignore[no-untyped-def]
    def change(table):  # type: ignore[no-untyped-def]
        table = [list(r) for r in table]
        table[row_index][table[0].index(column)] = value
        return table

    return change


@pytest.mark.parametrize(
    ("make", "file", "row", "column", "words"),
    [
        (lambda w: b"name,class\nAmy,7A\n", "", None, "", "not a zip file"),
        (lambda w: _broken(w, manifest=None), "manifest", None, "", "manifest.csv is missing"),
        (lambda w: _broken(w, users=None), "users", None, "", "does not contain it"),
        (
            lambda w: _broken(
                w,
                orgs=lambda t: [
                    ["sourcedId", "status", "dateLastModified", "title", *t[0][4:]],
                    *t[1:],
                ],
            ),
            "orgs",
            1,
            "title",
            "must be 'name'",
        ),
        (
            lambda w: _broken(w, classes=_set(1, "classType", "lecture")),
            "classes",
            2,
            "classType",
            "'lecture' is not allowed",
        ),
        (
            lambda w: _broken(w, academicSessions=_set(1, "startDate", "next autumn")),
            "academicSessions",
            2,
            "startDate",
            "is not a date",
        ),
        (
            lambda w: _broken(w, enrollments=_set(1, "classSourcedId", "nope")),
            "enrollments",
            2,
            "classSourcedId",
            "'nope' is not a class",
        ),
        (
            lambda w: _broken(w, users=_set(1, "grades", "14")),
            "users",
            2,
            "grades",
            "'14' is not a year group",
        ),
    ],
)
def test_bad_files_are_refused_naming_file_row_and_column(world, make, file, row, column, words):
    _assert_refused(world.a, make(world), (file, row, column), words)


def _assert_refused(school, data: bytes, where: tuple, words: str) -> None:  # type: ignore[no-untyped-def]
    """The import refuses `data` with a problem at (file, row, column) saying `words`,
    and writes nothing: no roster change, no access-log event (ROS-3)."""
    before = _roster(school)
    events = len(actions(school))
    result = _import(school, data)
    assert not result.ok
    problem = next(p for p in result.problems if words in p.message)
    assert (problem.file, problem.row, problem.column) == where
    assert _roster(school) == before
    assert len(actions(school)) == events


def test_a_file_for_another_school_is_refused_naming_its_org(world):
    data = _export(world, world.b)
    before = _roster(world.a)
    result = _import(world.a, data)
    assert not result.ok
    assert "Birchwood Primary" in result.problems[0].message
    assert "not for Oakfield Academy" in result.problems[0].message
    assert _roster(world.a) == before


def test_unknown_teachers_are_reported_not_created(world):
    new = _newfield(world, teachers=False)
    result = _import(new, _export(world))
    assert result.ok, result.problems
    assert result.teacher_links_added == 0
    assert any("teacher@oakfield.sch.uk" in n for n in result.notes)
    with school_scope(new):
        assert not Membership.objects.filter(role=Membership.Role.TEACHER).exists()


def test_confirmed_import_is_audited(world):
    new = _newfield(world)
    _import(new, _export(world), actor=None)
    assert actions(new, "rosters.oneroster.imported")[0].data["pupils_created"] == 3


# --- Page ------------------------------------------------------------------------


def test_admin_downloads_the_zip_then_previews_and_confirms_an_upload(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client = client_for("admin")
    download = client.get(reverse("rosters:oneroster_export", kwargs={"school_id": world.a.pk}))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    data = download.content
    assert "users.csv" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    url = reverse("rosters:oneroster", kwargs={"school_id": world.a.pk})
    preview = client.post(url, {"file": SimpleUploadedFile("r.zip", data)}).content.decode()
    assert "Preview: nothing has been changed yet" in preview and "Import this file" in preview
    signature = re.search(r'name="signature" value="([0-9a-f]{64})"', preview)[1]
    done = client.post(
        url,
        {"file": SimpleUploadedFile("r.zip", data), "action": "confirm", "signature": signature},
    )
    assert "Imported." in done.content.decode()  # small: in the request, no job (ROS-4)
    with school_scope(world.a):
        assert not ImportJob.objects.exists()
    bad = client.post(url, {"file": SimpleUploadedFile("r.zip", b"not a zip")})
    assert "not a zip file" in bad.content.decode()


def test_page_confirms_only_the_previewed_zip(world, client_for):
    """A confirmation with another file (or none previewed) is a new preview (ROS-4)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client = client_for("admin")
    url = reverse("rosters:oneroster", kwargs={"school_id": world.a.pk})
    confirm = {
        "file": SimpleUploadedFile("r.zip", _export(world)),
        "action": "confirm",
        "signature": "0" * 64,
    }
    page = client.post(url, confirm).content.decode()
    assert "The file changed since the preview" in page
    assert "Preview: nothing has been changed yet" in page
    assert actions(world.a, "rosters.oneroster.imported") == []


def test_large_confirmed_zip_goes_to_the_worker_with_the_progress_page(
    world, client_for, monkeypatch
):
    """The OneRoster page queues a confirmed zip of INLINE_ROWS records or more, as
    the MIS page does, and follows it on the progress page (ROS-4)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from markbook.rosters.imports import jobs
    from tests.rosters.test_import_jobs import run_worker

    data = _export(world)
    with school_scope(world.a):
        size = jobs.oneroster_rows(
            oneroster_import(actor=None, school=world.a, data=data, confirm=False)
        )
    monkeypatch.setattr(jobs, "INLINE_ROWS", size)
    client = client_for("trust_admin")
    url = reverse("rosters:oneroster", kwargs={"school_id": world.a.pk})
    preview = client.post(url, {"file": SimpleUploadedFile("r.zip", data)}).content.decode()
    signature = re.search(r'name="signature" value="([0-9a-f]{64})"', preview)[1]
    response = client.post(
        url,
        {"file": SimpleUploadedFile("r.zip", data), "action": "confirm", "signature": signature},
    )
    with school_scope(world.a):
        job = ImportJob.objects.get()
    assert (job.kind, job.status, job.filename) == ("oneroster", "queued", "r.zip")
    assert response.status_code == 302
    assert response["Location"] == reverse("rosters:import_job", args=[world.a.pk, job.pk])
    assert actions(world.a, "rosters.oneroster.imported") == []  # not in the request
    run_worker()
    page = client.get(response["Location"]).content.decode()
    assert "Imported." in page and "Pupils matched: 3" in page
    assert len(actions(world.a, "rosters.oneroster.imported")) == 1
    listed = client.get(url)
    assert [j.pk for j in listed.context["recent_jobs"]] == [job.pk]


def test_a_csv_in_the_zip_may_be_larger_than_the_upload_limit(world, settings):
    """ROS-4: the upload limit is the zip's; a large school's enrollments.csv unpacks
    past it (the CSV inside a zip is limited to 50 MB in all)."""
    data = _export(world)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        biggest = max(info.file_size for info in archive.infolist())
    settings.MARKBOOK_MAX_UPLOAD_BYTES = biggest - 1
    result = _import(world.a, data, confirm=False)
    assert result.ok, result.problems
