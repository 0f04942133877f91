"""OneRoster lineItems.csv and results.csv: marks in and out (ROS-4, ASM-1, ASM-3)."""

from datetime import date
from decimal import Decimal

import pytest

from markbook.accounts.models import Membership
from markbook.assessment import services as assessment
from markbook.assessment.models import Assignment, Mark
from markbook.core.tenancy import school_scope
from markbook.rosters.oneroster import spec
from tests import factories as f
from tests.rosters.conftest import actions
from tests.rosters.test_oneroster import _as_oneroster_11, _export, _files, _import, _rows, _zip


@pytest.fixture
def marked(world):  # type: ignore[no-untyped-def]
    """School A with two assignments and marks: a score, an Absent and a Not required."""
    with school_scope(world.a):
        quiz = assessment.assignment_create(
            actor=world.teacher,
            teaching_class=world.class_7a,
            title="Fractions quiz",
            max_mark="20",
            due_date=date(2026, 10, 9),
        )
        essay = assessment.assignment_create(
            actor=world.colleague, teaching_class=world.class_7b, title="Essay", max_mark="40"
        )
        assessment.mark_record(actor=world.teacher, assignment=quiz, pupil=world.amy, score="15.5")
        assessment.mark_record(
            actor=world.teacher, assignment=quiz, pupil=world.ben, status=Mark.Status.ABSENT
        )
        assessment.mark_record(
            actor=world.colleague,
            assignment=essay,
            pupil=world.cal,
            status=Mark.Status.NOT_REQUIRED,
        )
    return world


def _marks(school) -> dict:  # type: ignore[no-untyped-def]
    with school_scope(school):
        return {
            "assignments": sorted(
                (a.teaching_class.name, a.title, a.max_mark, a.due_date)
                for a in Assignment.objects.select_related("teaching_class")
            ),
            "marks": sorted(
                (m.assignment.title, m.pupil.username, m.score, m.status)
                for m in Mark.objects.select_related("assignment", "pupil")
            ),
        }


def _new_school(world):  # type: ignore[no-untyped-def]
    """An empty school with the same teachers and parent (a parent account belongs to
    one school's people, TEN-2, so an import would refuse School A's)."""
    new = f.SchoolFactory(name="Newfield School")
    with school_scope(new):
        for user in (world.teacher, world.colleague):
            Membership.objects.create(school=new, user=user, role=Membership.Role.TEACHER)
        Membership.objects.create(school=new, user=world.parent, role=Membership.Role.PARENT)
    return new


# --- Export ------------------------------------------------------------------------


def test_export_writes_line_items_and_results_in_spec_order(marked):
    files = _files(_export(marked))
    assert files["lineItems"][0] == spec.HEADERS_12["lineItems"]
    assert files["results"][0] == spec.HEADERS_12["results"]
    manifest = dict(files["manifest"][1:])
    assert manifest["file.lineItems"] == manifest["file.results"] == "bulk"
    items = {i["title"]: i for i in _rows(files["lineItems"])}
    classes = {c["sourcedId"]: c["title"] for c in _rows(files["classes"])}
    quiz = items["Fractions quiz"]
    assert (classes[quiz["classSourcedId"]], quiz["dueDate"]) == ("7A Maths", "2026-10-09")
    assert (quiz["resultValueMin"], quiz["resultValueMax"]) == ("0", "20")
    users = {u["sourcedId"]: u["username"] for u in _rows(files["users"])}
    results = {
        (users[r["studentSourcedId"]], r["scoreStatus"], r["score"])
        for r in _rows(files["results"])
    }
    assert results == {
        ("amy.adams", "fully graded", "15.5"),
        ("ben.brown", "not submitted", ""),
        ("cal.clark", "exempt", ""),
    }


def test_export_with_marks_is_byte_stable(marked):
    assert _export(marked) == _export(marked)


# --- Round trip and re-import ----------------------------------------------------------


def test_round_trip_of_marks_into_an_empty_school_gives_the_same_marks(marked):
    new = _new_school(marked)
    data = _export(marked)
    preview = _import(new, data, confirm=False)
    assert preview.ok, preview.problems
    assert (preview.assignments_created, preview.marks_recorded) == (2, 3)
    assert _marks(new) == {"assignments": [], "marks": []}  # a preview writes nothing
    result = _import(new, data)
    assert result.ok and result.confirmed, result.problems
    assert (result.assignments_created, result.marks_recorded) == (2, 3)
    assert _marks(new) == _marks(marked.a)
    assert len(actions(new, "assessment.mark.changed")) == 3
    assert len(actions(new, "assessment.assignment.created")) == 2
    # and the new school's export names the same line items as the file it came from
    ids = lambda d: sorted(i["sourcedId"] for i in _rows(_files(d)["lineItems"]))  # noqa: E731
    assert ids(_export(marked, new)) == ids(data)


def test_reimporting_the_same_marks_changes_nothing(marked):
    before = len(actions(marked.a, "assessment.mark.changed"))
    result = _import(marked.a, _export(marked))
    assert result.ok, result.problems
    assert result.counts()["assignments_created"] == 0
    assert (result.assignments_updated, result.marks_recorded, result.marks_removed) == (0, 0, 0)
    assert len(actions(marked.a, "assessment.mark.changed")) == before


def test_another_schools_scope_sees_none_of_the_imported_marks(marked):
    new = _new_school(marked)
    assert _import(new, _export(marked)).ok
    assert _marks(marked.b) == {"assignments": [], "marks": []}


# --- Import: statuses, bulk and delta -------------------------------------------------


def _edit_results(world, rows, mode: str = "bulk") -> bytes:  # type: ignore[no-untyped-def]
    """A's export with results.csv replaced by `rows` (dicts of changed cells)."""
    files = _files(_export(world))
    header = files["results"][0]
    base = _rows(files["results"])[0]
    files["results"] = [header, *([r.get(h, base[h]) for h in header] for r in rows)]
    if mode == "delta":
        files["manifest"] = [
            [p, "delta" if p == "file.results" else v] for p, v in files["manifest"]
        ]
    return _zip(files)


def _ids(world):  # type: ignore[no-untyped-def]
    files = _files(_export(world))
    users = {u["username"]: u["sourcedId"] for u in _rows(files["users"])}
    items = {i["title"]: i["sourcedId"] for i in _rows(files["lineItems"])}
    return users, items


def test_score_statuses_become_marks_absent_and_not_required(marked):
    users, items = _ids(marked)
    quiz = items["Fractions quiz"]
    data = _edit_results(
        marked,
        [
            {
                "lineItemSourcedId": quiz,
                "studentSourcedId": users["amy.adams"],
                "scoreStatus": "exempt",
                "score": "",
            },
            {
                "sourcedId": "r2",
                "lineItemSourcedId": quiz,
                "studentSourcedId": users["ben.brown"],
                "scoreStatus": "fully graded",
                "score": "20",
            },
            {
                "sourcedId": "r3",
                "lineItemSourcedId": items["Essay"],
                "studentSourcedId": users["cal.clark"],
                "scoreStatus": "submitted",
                "score": "",
            },
        ],
    )
    result = _import(marked.a, data)
    assert result.ok, result.problems
    assert any("'submitted' result(s) were skipped" in n for n in result.notes)
    marks = _marks(marked.a)["marks"]
    assert ("Fractions quiz", "amy.adams", None, "not_required") in marks
    assert ("Fractions quiz", "ben.brown", Decimal("20.00"), "marked") in marks
    # a bulk results file is the whole truth for its line items: Cal's essay mark is
    # listed (as submitted) so it stays
    assert ("Essay", "cal.clark", None, "not_required") in marks
    assert result.marks_recorded == 2


def test_bulk_results_remove_marks_of_pupils_not_listed(marked):
    users, items = _ids(marked)
    data = _edit_results(
        marked,
        [
            {
                "lineItemSourcedId": items["Fractions quiz"],
                "studentSourcedId": users["amy.adams"],
                "scoreStatus": "fully graded",
                "score": "15.5",
            }
        ],
    )
    result = _import(marked.a, data)
    assert result.ok, result.problems
    assert result.marks_removed == 2  # Ben's Absent and Cal's Not required
    assert [m[1] for m in _marks(marked.a)["marks"]] == ["amy.adams"]
    assert actions(marked.a, "assessment.mark.changed")[-1].data["new"] is None


def test_delta_tobedeleted_removes_a_mark_and_an_assignment(marked):
    users, _ = _ids(marked)
    files = _files(_export(marked))
    quiz_row = next(r for r in files["results"][1:] if r[4] == users["amy.adams"])
    header = files["results"][0]
    row = dict(zip(header, quiz_row, strict=True))
    row.update(status="tobedeleted", dateLastModified="2026-11-01")
    files["results"] = [header, [row[h] for h in header]]
    essay = next(r for r in files["lineItems"][1:] if r[3] == "Essay")
    essay[1], essay[2] = "tobedeleted", "2026-11-01"
    files["lineItems"] = [files["lineItems"][0], essay]
    files["manifest"] = [
        [p, "delta" if p in ("file.results", "file.lineItems") else v] for p, v in files["manifest"]
    ]
    result = _import(marked.a, _zip(files))
    assert result.ok, result.problems
    assert (result.marks_removed, result.assignments_deleted) == (1, 1)
    assert _marks(marked.a) == {
        "assignments": [("7A Maths", "Fractions quiz", Decimal("20.00"), date(2026, 10, 9))],
        "marks": [("Fractions quiz", "ben.brown", None, "absent")],
    }


# --- Import: bad files name file, row and column; nothing is written ----------------------


def _dee_id(world) -> str:  # type: ignore[no-untyped-def]
    files = _files(_export(world, world.b))
    return next(u["sourcedId"] for u in _rows(files["users"]) if u["username"] == "dee.davies")


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"scoreStatus": "fully graded", "score": "21"}, "score", "outside 0 to 20"),
        ({"scoreStatus": "fully graded", "score": "-1"}, "score", "outside 0 to 20"),
        ({"scoreStatus": "fully graded", "score": "lots"}, "score", "not a number"),
        ({"scoreStatus": "fully graded", "score": ""}, "score", "needs a score"),
        ({"scoreStatus": "graded"}, "scoreStatus", "not allowed here"),
        ({"scoreStatus": "exempt", "score": "12"}, "score", "has no score"),
        ({"lineItemSourcedId": "no-such-item"}, "lineItemSourcedId", "not a line item"),
        ({"studentSourcedId": "DEE"}, "studentSourcedId", "not a student of this school"),
    ],
)
def test_a_bad_result_is_named_by_file_row_and_column_and_nothing_is_written(
    marked, cells, column, words
):
    users, items = _ids(marked)
    if cells.get("studentSourcedId") == "DEE":
        cells = {**cells, "studentSourcedId": _dee_id(marked)}
    good = {
        "lineItemSourcedId": items["Fractions quiz"],
        "studentSourcedId": users["ben.brown"],
        "scoreStatus": "fully graded",
        "score": "12",
    }
    data = _edit_results(marked, [good, {"sourcedId": "bad", **good, **cells}])
    before = _marks(marked.a)
    events = len(actions(marked.a))
    result = _import(marked.a, data)
    assert not result.ok
    assert [(p.file, p.row, p.column) for p in result.problems] == [("results", 3, column)]
    assert words in result.problems[0].message
    assert _marks(marked.a) == before
    assert len(actions(marked.a)) == events


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("resultValueMax", "", "must not be blank"),
        ("resultValueMax", "0", "more than 0"),
        ("resultValueMin", "5", "must be 0 or blank"),
        ("classSourcedId", "nowhere", "not a class"),
        ("dueDate", "soon", "not a date"),
        ("title", "", "must not be blank"),
    ],
)
def test_a_bad_line_item_is_named_by_file_row_and_column(marked, column, value, words):
    files = _files(_export(marked))
    header = files["lineItems"][0]
    files["lineItems"][1][header.index(column)] = value
    new = _new_school(marked)
    result = _import(new, _zip(files))
    assert not result.ok
    assert ("lineItems", 2, column) in [(p.file, p.row, p.column) for p in result.problems]
    assert any(words in p.message for p in result.problems)
    assert _marks(new) == {"assignments": [], "marks": []}
    with school_scope(new):
        assert not new.pupils.exists()


def test_oneroster_11_line_items_and_results_are_read(marked):
    files = _files(_export(marked))
    _as_oneroster_11(files, extra=("lineItems", "results"))
    for name in ("lineItems", "results"):
        rows = _rows(files[name])
        for row in rows:
            row["gradingPeriodSourcedId"] = row.get("academicSessionSourcedId", "")
        files[name] = [spec.HEADERS_11[name]] + [
            [row.get(h, "") for h in spec.HEADERS_11[name]] for row in rows
        ]
    assert "gradingPeriodSourcedId" in files["lineItems"][0]
    new = _new_school(marked)
    result = _import(new, _zip(files))
    assert result.ok, result.problems
    assert (result.assignments_created, result.marks_recorded) == (2, 3)
    assert _marks(new) == _marks(marked.a)


def test_the_upload_page_preview_counts_marks(marked, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    users, items = _ids(marked)
    data = _edit_results(
        marked,
        [
            {
                "lineItemSourcedId": items["Fractions quiz"],
                "studentSourcedId": users["amy.adams"],
                "scoreStatus": "fully graded",
                "score": "19",
            }
        ],
    )
    url = reverse("rosters:oneroster", kwargs={"school_id": marked.a.pk})
    preview = client_for("admin").post(url, {"file": SimpleUploadedFile("r.zip", data)})
    page = preview.content.decode()
    assert "Preview: nothing has been changed yet" in page
    assert "1 marks recorded, 2 removed" in page
    # still the old score: a preview writes nothing
    assert ("Fractions quiz", "amy.adams", Decimal("15.50"), "marked") in _marks(marked.a)["marks"]


def test_kinds_subjects_and_boundaries_are_not_carried_and_survive_a_reimport(marked):
    """ASM-1, ROS-4: OneRoster's lineItem category needs a categories.csv Markbook does
    not write, so an assignment's kind (like its subject and boundaries) is not carried:
    the export leaves categorySourcedId blank, an import into a new school gives
    homework, and re-importing a school's own export keeps the kind, subject and
    boundaries it had, while title, due date and maximum still round-trip."""
    maths = f.gcse_subject(marked.a, classes=[marked.class_7a])
    with school_scope(marked.a):
        quiz = Assignment.objects.get(title="Fractions quiz")
        nine = maths.scale.grades.get(label="9")
        assessment.assignment_update(
            actor=None,
            assignment=quiz,
            title=quiz.title,
            max_mark=quiz.max_mark,
            due_date=quiz.due_date,
            kind="test",
            subject=maths,
            boundaries={nine.pk: "18"},
        )
    data = _export(marked)
    assert {i["categorySourcedId"] for i in _rows(_files(data)["lineItems"])} == {""}
    result = _import(marked.a, data)
    assert result.ok and result.assignments_updated == 0, result.problems
    with school_scope(marked.a):
        quiz = Assignment.objects.get(title="Fractions quiz")
        assert (quiz.kind, quiz.subject, [b.grade for b in quiz.boundaries.all()]) == (
            "test",
            maths,
            [nine],
        )
    new = _new_school(marked)
    assert _import(new, data).ok
    with school_scope(new):
        assert set(Assignment.objects.values_list("kind", flat=True)) == {"homework"}
    assert _marks(new)["assignments"] == _marks(marked.a)["assignments"]
