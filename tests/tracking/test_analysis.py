"""School and trust analysis (ASM-5, SEC-1, SEC-2, SEC-6, TEN-3)."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from markbook.audit.models import AuditEvent
from markbook.core import keys
from markbook.core.tenancy import all_schools, school_scope
from markbook.rosters.models import Pupil
from markbook.tracking.analysis.groups import ks2_band, progress_status, suppressed_lines
from markbook.tracking.models import (
    DataDrop,
    DropField,
    Grade,
    GradeScale,
    Subject,
    SubjectClass,
    Target,
    TrackingEntry,
)
from markbook.tracking.services import tracking_setup
from tests import factories as f


def seed(school, teaching_classes, *, grades, targets, drops=("Autumn",)):  # type: ignore[no-untyped-def]
    """One GCSE subject taught in `teaching_classes`; each pupil's grade label at each
    drop (`grades[pupil] = [label per drop]`) and target label."""
    with school_scope(school):
        tracking_setup(school=school)
        scale = GradeScale.objects.get(name="GCSE 9-1")
        by_label = {g.label: g for g in Grade.objects.filter(scale=scale)}
        subject = Subject.objects.create(school=school, name="Maths", scale=scale)
        for c in teaching_classes:
            SubjectClass.objects.create(school=school, subject=subject, teaching_class=c)
        made = []
        for i, name in enumerate(drops):
            drop = DataDrop.objects.create(
                school=school, name=name, date=datetime.date(2026, 10 + i, 1)
            )
            field = DropField.objects.create(
                school=school, drop=drop, key="working_at", label="Working at"
            )
            made.append(drop)
            for pupil, labels in grades.items():
                TrackingEntry.objects.create(
                    school=school,
                    drop=drop,
                    field=field,
                    pupil=pupil,
                    subject=subject,
                    grade=by_label[labels[i]],
                )
        for pupil, label in targets.items():
            Target.objects.create(
                school=school, pupil=pupil, subject=subject, grade=by_label[label], source="ks2"
            )
    return subject, made


def test_ks2_band_is_the_average_of_reading_and_maths():
    """ASM-5: low below 100, middle 100-109, high 110+ (DfE-style prior attainment)."""
    assert ks2_band(99, 100) == "low"  # 99.5
    assert ks2_band(100, 100) == "middle"
    assert ks2_band(109, 110) == "middle"  # 109.5
    assert ks2_band(110, 110) == "high"
    assert ks2_band(None, 112) == "high"
    assert ks2_band(None, None) is None


def test_progress_status_compares_ranks():
    """ASM-5: above / on / below by rank against the expected grade's rank."""
    assert [progress_status(r, 5) for r in (6, 5, 4)] == ["above", "on", "below"]
    assert progress_status(3, None) == "no_target"


def test_one_small_cell_hides_another_in_its_line():
    """ASM-5: a single hidden cell in a line with a shown total would be the total
    minus the others, so the smallest other is hidden too."""
    counts = {"yes": 3, "no": 40, "none": 12}
    hidden = suppressed_lines(counts, [list(counts)], minimum=5)
    assert hidden == {"yes", "none"}
    assert suppressed_lines({"a": 20, "b": 30}, [["a", "b"]], minimum=5) == set()


def test_matrix_suppression_holds_in_rows_and_columns():
    """ASM-5: in a matrix with row and column totals no line has exactly one hidden cell."""
    counts = {
        (r, c): n
        for (r, c), n in zip(
            [(r, c) for r in "abc" for c in "xyz"], [2, 10, 10, 10, 10, 10, 10, 10, 10], strict=True
        )
    }
    lines = [[(r, c) for c in "xyz"] for r in "abc"] + [[(r, c) for r in "abc"] for c in "xyz"]
    hidden = suppressed_lines(counts, lines, minimum=5)
    assert ("a", "x") in hidden
    for line in lines:
        assert sum(cell in hidden for cell in line) != 1


@pytest.fixture
def school(world):  # type: ignore[no-untyped-def]
    """Eight pupils in 7A (Amy, Ben and six more), three of them disadvantaged."""
    with all_schools():
        extra = [f.PupilFactory(school=world.a, year_group="7") for _ in range(6)]
        from markbook.rosters.models import Enrolment

        for p in extra:
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=p)
    pupils = [world.amy, world.ben, *extra]
    with school_scope(world.a):
        for i, p in enumerate(pupils):
            p.disadvantaged = i < 3
            p.ks2_reading, p.ks2_maths = (95, 95) if i < 3 else (105, 112)
            p.save()
    grades = {p: ["4", "5"] if i % 2 else ["5", "5"] for i, p in enumerate(pupils)}
    grades[world.cal] = ["3", "3"]
    targets = dict.fromkeys(pupils, "5") | {world.cal: "5"}
    seed(
        world.a,
        [world.class_7a, world.class_7b],
        grades=grades,
        targets=targets,
        drops=("Autumn", "Spring"),
    )
    return pupils


def _get(client_for, role, url, **params):  # type: ignore[no-untyped-def]
    return client_for(role).get(url, params)


def test_admin_sees_small_groups_as_fewer_than_5(world, school, client_for):
    """ASM-5: Cal alone in 7B is a group of one: shown as "fewer than 5", and another
    class hidden beside it so the total does not give it away."""
    url = f"/api/schools/{world.a.pk}/analysis"
    data = client_for("admin").get(url, {"by": "class"}).json()
    rows = {r["label"]: r for r in data["table"]["rows"]}
    assert rows["7B Maths"]["shown_as"] == "fewer than 5"
    assert rows["7B Maths"]["below"] is None
    assert rows["7A Maths"]["hidden"] == "other"
    assert data["table"]["total"]["pupils"] == 9


def test_teacher_sees_own_class_in_full_and_nothing_else(world, school, client_for):
    """TEN-3, ASM-5: the teacher of 7A sees 7A's pupils only, unhidden."""
    data = client_for("teacher").get(f"/api/schools/{world.a.pk}/analysis", {"by": "class"}).json()
    assert [r["label"] for r in data["table"]["rows"]] == ["7A Maths"]
    assert data["table"]["rows"][0]["pupils"] == 8
    assert data["minimum_group"] is None


def test_gap_analysis_and_pupils_behind(world, school, client_for):
    """ASM-5: disadvantaged against others, with counts and the pupils behind them."""
    data = client_for("admin").get(f"/api/schools/{world.a.pk}/analysis").json()
    gap = next(g for g in data["gaps"] if g["dimension"] == "disadvantaged")
    # Three disadvantaged pupils: fewer than 5, so the gap is hidden, and the others
    # with it (the rest against the group would give the group away).
    assert gap["hidden"] is True and gap["gap_on_or_above_percent"] is None
    assert gap["group"]["shown_as"] == "fewer than 5" and gap["group"]["pupils"] is None
    assert gap["others"]["hidden"] and gap["others"]["pupils"] is None
    # The setting can be raised but never lowered below 5.
    r = client_for("admin").patch(
        f"/api/schools/{world.a.pk}/settings",
        {"analysis_min_group": 3},
        content_type="application/json",
    )
    assert r.status_code in (400, 422)
    page = client_for("admin").get(
        f"/s/{world.a.pk}/analysis/pupils/", {"by": "year_group", "key": "7", "status": "below"}
    )
    assert page.status_code == 200
    assert b"Below target" in page.content
    hidden = client_for("admin").get(
        f"/s/{world.a.pk}/analysis/pupils/", {"by": "disadvantaged", "key": "yes"}
    )
    assert hidden.status_code == 404


def test_raising_the_threshold_hides_more(world, school, client_for):
    """ASM-5: a school's higher minimum hides a group of eight."""
    with school_scope(world.a):
        world.a.analysis_min_group = 10
        world.a.save(update_fields=["analysis_min_group"])
    data = client_for("admin").get(f"/api/schools/{world.a.pk}/analysis", {"by": "class"}).json()
    assert data["table"]["total"]["shown_as"] == "fewer than 10"


def test_movement_and_matrix(world, school, client_for):
    """ASM-5: movement from the drop before; KS2 band x common band matrix."""
    data = client_for("admin").get(f"/api/schools/{world.a.pk}/analysis").json()
    assert data["movement"]["from"] == "Autumn" and data["movement"]["to"] == "Spring"
    row = data["movement"]["rows"][0]
    assert (row["up"], row["same"], row["down"]) == (4, 5, 0)
    labels = [r["label"] for r in data["matrix"]["rows"]]
    assert labels[0].startswith("Low")


def test_report_is_logged_and_decrypts_once_per_field(world, school, client_for, monkeypatch):
    """SEC-1, SEC-2: the view is a staff read in the log; sensitive fields are decrypted
    with one key fetch per field, never per row, and queries do not grow with pupils."""
    calls = {"decrypter": 0, "decrypt": 0}
    real_decrypter, real_decrypt = keys.decrypter, keys.decrypt

    def decrypter(*a, **k):  # type: ignore[no-untyped-def]
        calls["decrypter"] += 1
        return real_decrypter(*a, **k)

    def decrypt(*a, **k):  # type: ignore[no-untyped-def]
        calls["decrypt"] += 1
        return real_decrypt(*a, **k)

    monkeypatch.setattr(keys, "decrypter", decrypter)
    monkeypatch.setattr(keys, "decrypt", decrypt)
    client = client_for("admin")
    url = f"/s/{world.a.pk}/analysis/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        calls.update(decrypter=0, decrypt=0)
        assert client.get(url).status_code == 200
    first = dict(calls)
    assert first["decrypt"] == 0
    assert 0 < first["decrypter"] <= 4  # fsm, disadvantaged, sen_provision, ethnicity
    with all_schools():
        from markbook.rosters.models import Enrolment

        more = [f.PupilFactory(school=world.a, year_group="7", fsm=True) for _ in range(15)]
        for p in more:
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7a, pupil=p)
    with CaptureQueriesContext(connection) as many:
        calls.update(decrypter=0, decrypt=0)
        assert client.get(url).status_code == 200
    # One key fetch per encrypted field holding any value (fsm now does), none per row.
    assert calls["decrypt"] == 0 and calls["decrypter"] <= 4
    assert len(many) == len(few)
    with school_scope(world.a):
        assert AuditEvent.objects.filter(action="tracking.analysis.viewed").count() == 3


def test_csv_is_neutralised_and_logged(world, school, client_for):
    """ASM-5, SEC-1: every table downloads as CSV through csv_for_people."""
    with school_scope(world.a):
        Subject.objects.filter(name="Maths").update(name="=cmd|' /C calc'!A0")
    r = client_for("admin").get(f"/s/{world.a.pk}/analysis/csv/", {"table": "progress"})
    assert r.status_code == 200 and r["Content-Type"] == "text/csv"
    assert "'=cmd" in r.content.decode()
    for table in ("gaps", "movement", "matrix"):
        assert (
            client_for("admin").get(f"/s/{world.a.pk}/analysis/csv/", {"table": table}).status_code
            == 200
        )
    api = client_for("admin").get(f"/api/schools/{world.a.pk}/analysis/csv", {"table": "matrix"})
    assert api.status_code == 200 and "KS2 prior attainment" in api.content.decode()
    with school_scope(world.a):
        assert AuditEvent.objects.filter(action="tracking.analysis.exported").count() == 5


def test_governors_pdf_is_a_real_pdf(world, school, client_for):
    """ASM-5: the summary downloads as a PDF that a PDF reader opens."""
    from pypdf import PdfReader

    r = client_for("admin").get(f"/s/{world.a.pk}/analysis/summary.pdf", {"by": "class"})
    assert r["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    assert "progress against target" in text
    assert "fewer than 5" in text  # 7B, as on the page


def test_trust_sees_only_its_schools(world, school, client_for):
    """SEC-6: the trust's analysis lists its schools; a school outside it never appears."""
    with all_schools():
        seed(world.b, [world.class_b1], grades={world.dee: ["4"]}, targets={world.dee: "4"})
    data = client_for("trust_admin").get(f"/api/trusts/{world.a.trust_id}/analysis").json()
    names = [s["name"] for s in data["schools"]]
    assert names == ["Oakfield Academy"]
    assert world.b.name not in str(data)
    page = client_for("trust_admin").get(f"/trust/{world.a.trust_id}/analysis/", {"format": "csv"})
    assert b"Oakfield Academy" in page.content and b"Birchwood" not in page.content
    assert client_for("other_admin").get(f"/trust/{world.a.trust_id}/analysis/").status_code == 404


def test_pupil_and_parent_get_404(world, school, client_for):
    """TEN-3: analysis is for staff."""
    for role in ("pupil", "parent", "other_teacher"):
        assert client_for(role).get(f"/s/{world.a.pk}/analysis/").status_code == 404
    assert Pupil  # imported for the factories' scope


def _report_queries(world, dimension: str = "year_group"):  # type: ignore[no-untyped-def]
    """The queries of the whole report (split by `dimension`) and of the by-subject
    table, as the page computes them, for the school's administrator."""
    from markbook.admission import Access
    from markbook.tracking.analysis import selectors

    with school_scope(world.a):
        viewer = selectors.viewer_for(
            world.admin, Access(school=world.a, roles=frozenset({"school_admin"}))
        )
        with CaptureQueriesContext(connection) as whole:
            result = selectors.report(viewer, dimension=dimension)
        with CaptureQueriesContext(connection) as by_subject:
            facts = selectors.report_facts(viewer)
            selectors.table(facts, viewer, "subject")
    return len(whole), len(by_subject), result


def test_report_query_count_is_pinned_and_does_not_grow_with_pupils(world, school, monkeypatch):  # type: ignore[no-untyped-def]
    """ASM-5, SEC-2: the report counts in SQL, one aggregate query per table, so its
    queries are a fixed number whatever the number of pupils; the by-subject table
    reads no pupil group field, so it fetches no key to decrypt one."""
    fetched = []
    real_decrypter = keys.decrypter
    monkeypatch.setattr(
        keys, "decrypter", lambda *a, **k: fetched.append(a) or real_decrypter(*a, **k)
    )
    # The shared reads (drops and their fields, grades, subjects, bands), then per table:
    # the year group table's pupils (1) and per-pupil counts (1); gaps reuse them; the
    # movement (1) and the KS2 matrix (1) one aggregate each.
    whole, by_subject, result = _report_queries(world)
    assert result["table"]["total"]["pupils"] == 9
    # drops, their fields, grades, subjects, bands; the subject aggregate, its pupils.
    assert by_subject == 7
    assert whole == 9
    # By subject, the page's first view: the subject aggregate (1) instead of the year
    # group's, and no pupil count of its own: the gaps' per-pupil counts give it.
    by_subject_whole, _, by_subject_result = _report_queries(world, "subject")
    assert by_subject_result["table"]["total"]["pupils"] == 9
    assert by_subject_whole == 10
    keys.forget_cached_keys()
    fetched.clear()
    with school_scope(world.a):
        from markbook.admission import Access
        from markbook.tracking.analysis import selectors

        viewer = selectors.viewer_for(
            world.admin, Access(school=world.a, roles=frozenset({"school_admin"}))
        )
        selectors.table(selectors.report_facts(viewer), viewer, "subject")
    assert fetched == []
    with all_schools():
        from markbook.rosters.models import Enrolment

        more = [f.PupilFactory(school=world.a, year_group="8", fsm=True) for _ in range(20)]
        for p in more:
            Enrolment.objects.create(school=world.a, teaching_class=world.class_7b, pupil=p)
    with school_scope(world.a):
        subject = Subject.objects.get(name="Maths")
        grade = Grade.objects.get(scale=subject.scale, label="6")
        drops = list(DataDrop.objects.order_by("date"))
        for drop in drops:
            field = drop.fields.get()
            for p in more:
                TrackingEntry.objects.create(
                    school=world.a, drop=drop, field=field, pupil=p, subject=subject, grade=grade
                )
    whole_after, by_subject_after, result = _report_queries(world)
    assert result["table"]["total"]["pupils"] == 29
    assert (whole_after, by_subject_after) == (whole, by_subject)


def _solutions(hidden_cells, bounds, total):  # type: ignore[no-untyped-def]
    """Every way of filling the hidden cells that agrees with what a reader sees."""
    if not hidden_cells:
        if total == 0:
            yield ()
        return
    lo, hi = bounds[0]
    for n in range(lo, min(hi, total) + 1):
        for rest in _solutions(hidden_cells[1:], bounds[1:], total - n):
            yield (n, *rest)


@given(
    counts=st.lists(st.integers(min_value=0, max_value=14), min_size=2, max_size=6),
    minimum=st.integers(min_value=5, max_value=7),
)
@settings(max_examples=300, deadline=None)
def test_no_hidden_count_of_a_split_can_be_worked_out_from_what_is_shown(counts, minimum):
    """ASM-5: a split whose total is shown: from the total, the shown groups and which
    hidden ones are "fewer than N" (1 to N-1) or "not shown" (at least N), every hidden
    group could still be at least two different numbers; or the total is hidden too."""
    from markbook.tracking.analysis.selectors import Line, _hide

    lines = [Line(str(i), str(i), pupils=n) for i, n in enumerate(counts)]
    total = Line("all", "All pupils", pupils=sum(counts))
    _hide(lines, total, minimum)
    if total.hidden:
        return
    hidden = [ln for ln in lines if ln.hidden]
    assert all(ln.pupils > 0 for ln in hidden)
    assert {ln.hidden for ln in hidden if ln.pupils < minimum} <= {"small"}
    left = total.pupils - sum(ln.pupils for ln in lines if not ln.hidden)
    big = sum(ln.pupils for ln in lines)  # an upper bound for "at least N"
    bounds = [(1, minimum - 1) if ln.hidden == "small" else (minimum, big) for ln in hidden]
    fillings = list(_solutions(hidden, bounds, left))
    assert tuple(ln.pupils for ln in hidden) in fillings
    for i in range(len(hidden)):
        assert len({f[i] for f in fillings}) >= 2, (counts, minimum, [ln.hidden for ln in lines])


@given(
    counts=st.lists(st.integers(min_value=0, max_value=14), min_size=2, max_size=6),
    minimum=st.integers(min_value=5, max_value=7),
)
@settings(max_examples=200, deadline=None)
def test_suppression_never_leaves_a_line_with_one_hidden_cell(counts, minimum):
    """ASM-5: complementary suppression: a line never has exactly one hidden cell, and
    every cell of 1 to N-1 is hidden."""
    cells = {str(i): n for i, n in enumerate(counts)}
    hidden = suppressed_lines(cells, [list(cells)], minimum=minimum)
    assert {c for c, n in cells.items() if 0 < n < minimum} <= hidden
    assert len(hidden) != 1 or sum(n > 0 for n in cells.values()) == 1
