"""The leaderboards (ASM-6) and their declared projection (DSR-5, CON-2, SEC-6, DSR-4).

Names: full inside the class, first name and surname initial (or the pseudonym) with the
school's name outside it. Opted-out schools leave the shared boards and do not see
them; restricted and unconsented pupils are on none; the global board shows the top 20
and the viewer's own place; erasure removes a pupil's rows; rebuilding is idempotent.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from markbook.admission import school_access
from markbook.consent import services as consent
from markbook.consent.models import ConsentPurpose
from markbook.core.tenancy import all_schools, school_scope
from markbook.practice import board_reads, boards
from markbook.practice.models import Attempt, BoardEntry, Item, QuestionSet
from markbook.privacy.services import restriction_lift, restriction_place
from markbook.rosters.models import Pupil
from markbook.schools.models import School
from tests import factories as f
from tests.conftest import World

pytestmark = pytest.mark.django_db


def practise(pupil: Pupil, answers: list[tuple[str, bool, int, int]], *, trial: bool = False):
    """Items answered by `pupil` now: (fact, correct, response ms, points), each counted
    on the boards through `boards.answered` as the answering service does."""
    school = pupil.school
    with school_scope(school):
        qset, _ = QuestionSet.objects.get_or_create(
            school=school,
            title="Trial" if trial else "Tables",
            defaults={
                "kind": QuestionSet.Kind.TIMES_TABLES,
                "mode": "trial" if trial else "practice",
            },
        )
        now = timezone.now()
        attempt = Attempt.objects.create(
            school=school,
            pupil=pupil,
            question_set=qset,
            mode=qset.mode,
            total=len(answers),
            started_at=now,
            last_active_at=now,
        )
        for position, (fact, correct, ms, points) in enumerate(answers):
            item = Item.objects.create(
                school=school,
                attempt=attempt,
                pupil=pupil,
                position=position,
                fact=fact,
                style="tt",
                asked_at=now,
                answered_at=now,
                correct=correct,
                response_ms=ms,
                points=points,
            )
            boards.answered(item=item)
    return attempt


def consent_to_boards(world: World, *pupils: Pupil) -> None:
    for pupil in pupils:
        school = pupil.school
        with school_scope(school):
            if not ConsentPurpose.objects.filter(key=consent.GLOBAL_LEADERBOARD).exists():
                consent.consent_setup(school=school)
            purpose = ConsentPurpose.objects.get(key=consent.GLOBAL_LEADERBOARD)
            consent.consent_decide(actor=None, pupil=pupil, answer="given", purpose=purpose)


def board(world: World, user, school: School, kind: str, metric: str = "points", **kw):
    with school_scope(school):
        access = school_access(user, school)
        viewer = board_reads.viewer_for(user, access)
        assert kind in viewer.kinds, viewer.kinds
        if kind == "class" and "teaching_class" not in kw:
            kw["teaching_class"] = viewer.classes[0]
        return board_reads.board_read(viewer, kind=kind, metric=metric, period="week", **kw)


def names(found) -> list[tuple[str, str, int]]:
    return [(r.name, r.school, r.points) for r in found.rows]


@pytest.fixture
def played(world: World) -> World:
    """Amy 30 points, Ben 20, Cal 10 (School A, in the trust, consent for Amy and Cal);
    Dee 25 at School B (no trust, consent given)."""
    consent_to_boards(world, world.amy, world.cal, world.dee)
    practise(world.amy, [("7x8", True, 2000, 10)] * 3)
    practise(world.ben, [("6x7", True, 2000, 10)] * 2)
    practise(world.cal, [("3x4", True, 2000, 10)])
    practise(world.dee, [("2x9", True, 2000, 25)])
    return world


def test_the_class_board_shows_full_names_and_outside_it_first_name_and_initial(played):
    """ASM-6: inside the class, the full name; on the school board, first name and
    surname initial with the school's name."""
    world = played
    inside = board(world, world.amy.user, world.a, "class")
    assert [(r.name, r.points) for r in inside.rows] == [("Amy Adams", 30), ("Ben Brown", 20)]
    assert inside.rows[0].me and inside.me is inside.rows[0]
    school = board(world, world.amy.user, world.a, "school")
    assert names(school) == [
        ("Amy A.", "Oakfield Academy", 30),
        ("Ben B.", "Oakfield Academy", 20),
        ("Cal C.", "Oakfield Academy", 10),
    ]


def test_a_pseudonymising_school_shows_pseudonyms_everywhere(played):
    """ACC-3, ASM-6: a school using pseudonyms shows them on every board, the class too."""
    world = played
    with school_scope(world.a):
        Pupil.objects.filter(pk=world.amy.pk).update(pseudonym="Blue Fox")
    from markbook.schools import services as school_services

    school_services.school_settings_update(
        actor=world.admin,
        school=world.a,
        email_domains=world.a.email_domains,
        pseudonymise_pupils=True,
    )
    assert board(world, world.amy.user, world.a, "class").rows[0].name == "Blue Fox"
    assert board(world, world.amy.user, world.a, "school").rows[0].name == "Blue Fox"
    shared = board(world, world.dee.user, world.b, "global")
    assert ("Blue Fox", "Oakfield Academy", 30) in names(shared)


def test_another_schools_user_sees_only_initials_on_the_global_board(played, client_for):
    """ASM-6, SEC-6: School B's teacher sees School A's consented pupils by first name
    and initial with the school; never Ben (no consent); never a full name."""
    world = played
    response = client_for("other_teacher").get(
        reverse("boards:home", kwargs={"school_id": world.b.pk}) + "?board=global"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Amy A." in page and "Oakfield Academy" in page and "Dee D." in page
    assert "Adams" not in page and "Ben" not in page
    found = board(world, world.other_teacher, world.b, "global")
    assert names(found) == [
        ("Amy A.", "Oakfield Academy", 30),
        ("Dee D.", "Birchwood Primary", 25),
        ("Cal C.", "Oakfield Academy", 10),
    ]


def test_the_trust_board_is_the_trusts_schools_only(played):
    """ASM-6: a school of the trust sees the trust's consented pupils; School B (no
    trust) has no trust board."""
    world = played
    with all_schools():
        c = f.SchoolFactory(name="Elm Park School", trust=world.a.trust)
        teacher_c = f.member(c, "teacher")
    eve = f.pupil_with_account(c, first_name="Eve", last_name="Evans")
    f.teaching_class(c, "C1", teachers=[teacher_c], pupils=[eve])
    consent_to_boards(world, eve)
    practise(eve, [("9x9", True, 1500, 15)])
    found = board(world, teacher_c, c, "trust")
    assert names(found) == [
        ("Amy A.", "Oakfield Academy", 30),
        ("Eve E.", "Elm Park School", 15),
        ("Cal C.", "Oakfield Academy", 10),
    ]
    with school_scope(world.b):
        viewer = board_reads.viewer_for(
            world.other_teacher, school_access(world.other_teacher, world.b)
        )
    assert "trust" not in viewer.kinds


def test_a_school_that_opts_out_leaves_the_shared_boards_and_does_not_see_them(played, client_for):
    """ASM-6: opting out of the global board removes the school's pupils from it at once
    and hides the board from its users; the trust board likewise."""
    world = played
    response = client_for("admin").post(
        reverse("schools:settings", kwargs={"school_id": world.a.pk}),
        {"email_domains": "oakfield.sch.uk", "boards_shown": "1", "boards_trust": "on"},
    )
    assert response.status_code == 302
    world.a.refresh_from_db()
    assert world.a.boards_global is False and world.a.boards_trust is True
    assert names(board(world, world.dee.user, world.b, "global")) == [
        ("Dee D.", "Birchwood Primary", 25)
    ]
    with all_schools():
        assert not BoardEntry.objects.filter(school=world.a, on_global=True).exists()
    assert (
        client_for("pupil")
        .get(reverse("boards:home", kwargs={"school_id": world.a.pk}) + "?board=global")
        .status_code
        == 404
    )
    api = client_for("admin").patch(
        f"/api/schools/{world.a.pk}/settings",
        {"boards_trust": False},
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["boards_trust"] is False
    with all_schools():
        assert not BoardEntry.objects.filter(school=world.a, on_trust=True).exists()


def test_restricted_and_unconsented_pupils_are_on_no_board(played):
    """DSR-5: a restricted pupil is on no board, their own class's included, and back
    when the restriction is lifted; CON-2: without consent, on no shared board."""
    world = played
    with school_scope(world.a):
        restriction = restriction_place(
            school=world.a, subject=world.amy, kind="restriction", reason="Contested.", by=None
        )
    assert "Amy Adams" not in [r.name for r in board(world, world.teacher, world.a, "class").rows]
    assert "Amy A." not in [r.name for r in board(world, world.teacher, world.a, "school").rows]
    assert "Amy A." not in [r.name for r in board(world, world.dee.user, world.b, "global").rows]
    with all_schools():
        assert not BoardEntry.objects.filter(pupil=world.amy).exists()
    # Answers while restricted are not counted on any board...
    practise(world.amy, [("7x8", True, 2000, 10)])
    with all_schools():
        assert not BoardEntry.objects.filter(pupil=world.amy).exists()
    with school_scope(world.a):
        restriction_lift(restriction=restriction, reason="Resolved.", by=None)
    # ...and all of them are once it is lifted (the rows are rebuilt from the items).
    assert ("Amy A.", "Oakfield Academy", 40) in names(
        board(world, world.dee.user, world.b, "global")
    )
    # Ben (no consent) is on his class's and school's boards, not on the shared ones.
    assert "Ben B." in [r.name for r in board(world, world.teacher, world.a, "school").rows]
    assert "Ben B." not in [r.name for r in board(world, world.dee.user, world.b, "global").rows]
    with school_scope(world.a):
        purpose = ConsentPurpose.objects.get(key=consent.GLOBAL_LEADERBOARD)
        consent.consent_decide(actor=None, pupil=world.cal, answer="refused", purpose=purpose)
    assert "Cal C." not in [r.name for r in board(world, world.dee.user, world.b, "global").rows]


def test_a_pupil_without_consent_does_not_see_the_shared_boards(played, client_for):
    """CON-2: the global board is off for a child without consent; only pupils in a
    class see the school board."""
    world = played
    with school_scope(world.a):
        ben = board_reads.viewer_for(world.ben.user, school_access(world.ben.user, world.a))
        amy = board_reads.viewer_for(world.amy.user, school_access(world.amy.user, world.a))
        lone = f.pupil_with_account(world.a, first_name="Lou", last_name="Lone")
        alone = board_reads.viewer_for(lone.user, school_access(lone.user, world.a))
    assert ben.kinds == ["class", "school"]
    assert amy.kinds == ["class", "school", "trust", "global"]
    assert alone.kinds == []


def test_the_global_board_shows_the_top_20_and_the_viewers_own_place(world: World):
    """ASM-6: 25 pupils; the viewer in 23rd place sees the top 20 and their own row."""
    pupils = [
        f.PupilFactory(school=world.b, first_name=f"P{n:02d}", last_name="Zed") for n in range(24)
    ]
    consent_to_boards(world, world.dee, *pupils)
    for n, pupil in enumerate(pupils):
        practise(pupil, [("2x2", True, 1000, 100 - n)])
    practise(world.dee, [("2x3", True, 1000, 78)])  # 23rd: 22 have more than 78 points
    found = board(world, world.dee.user, world.b, "global")
    assert len(found.rows) == 20 and found.rows[0].points == 100
    assert not any(r.me for r in found.rows)
    assert found.me is not None and (found.me.place, found.me.points) == (23, 78)
    assert found.me.name == "Dee D."


def test_speed_ranks_correct_trial_facts_per_minute_from_ten_answers(world: World):
    """ASM-6: speed counts timed-trial times-table answers only, from 10 correct ones."""
    practise(world.amy, [("7x8", True, 3000, 1)] * 10, trial=True)  # 20 a minute
    practise(world.ben, [("7x8", True, 1500, 1)] * 10 + [("7x9", False, 3000, 0)], trial=True)
    practise(world.cal, [("7x8", True, 500, 1)] * 9, trial=True)  # too few to rank
    practise(world.cal, [("7x8", True, 500, 1)] * 5)  # practice, not a trial
    found = board(world, world.teacher, world.a, "school", metric="speed")
    assert [(r.name, r.speed) for r in found.rows] == [("Ben B.", 33.3), ("Amy A.", 20.0)]


def test_rebuild_is_idempotent_and_agrees_with_the_answers(played):
    """ASM-6: rebuilding from the items writes the rows the answers built, twice over."""
    world = played

    def rows():
        with school_scope(world.a):
            return sorted(
                BoardEntry.objects.values_list(
                    "pupil_id", "period", "starts", "name", "points", "on_trust", "on_global"
                )
            )

    built = rows()
    assert len(built) == 9
    assert boards.boards_rebuild(school=world.a) == 9
    assert rows() == built
    boards.boards_rebuild(school=world.a)
    assert rows() == built


def test_a_new_week_starts_new_rows(played):
    """ASM-6: last week's points are not this week's."""
    world = played
    next_week = timezone.localdate() + timedelta(days=7)
    with school_scope(world.a):
        viewer = board_reads.viewer_for(world.teacher, school_access(world.teacher, world.a))
        found = board_reads.board_read(
            viewer, kind="school", metric="points", period="week", day=next_week
        )
    assert found.rows == []


def test_the_answer_hot_path_is_one_statement(played):
    """ASM-6: an answer of a pupil already on this period's boards costs one UPDATE."""
    world = played
    with school_scope(world.a):
        item = Item.objects.filter(pupil=world.amy).select_related("attempt").first()
        with CaptureQueriesContext(connection) as ctx:
            boards.answered(item=item)
    assert len(ctx.captured_queries) == 1
    assert ctx.captured_queries[0]["sql"].startswith("UPDATE")


def test_erasure_removes_the_pupils_projection_rows(played):
    """DSR-4: the inventory's DELETE_ROW for BoardEntry (subject: pupil) removes the
    erased pupil's rows, the other pupils' stay."""
    from markbook.privacy.erasure import erasure_execute, erasure_impact

    world = played
    with school_scope(world.a):
        plan = erasure_impact(school=world.a, subject=world.ben)
        erasure_execute(school=world.a, subject=world.ben, approved_plan=plan, by=world.admin)
    with all_schools():
        assert not BoardEntry.objects.filter(pupil_id=world.ben.pk).exists()
        assert BoardEntry.objects.filter(pupil_id=world.amy.pk).count() == 3


def test_board_reads_cost_the_same_whatever_the_size(world: World):
    """ASM-6: a board is read in a fixed number of queries (top rows, the viewer's own
    row and place), however many pupils are on it."""
    consent_to_boards(world, world.dee)
    practise(world.dee, [("2x3", True, 1000, 5)])

    def more(n: int) -> None:
        for i in range(n):
            pupil = f.PupilFactory(school=world.b, first_name=f"Q{i}", last_name="Q")
            consent_to_boards(world, pupil)
            practise(pupil, [("2x2", True, 1000, 50)])

    def count() -> int:
        with school_scope(world.b):
            viewer = board_reads.viewer_for(world.dee.user, school_access(world.dee.user, world.b))
            with CaptureQueriesContext(connection) as ctx:
                found = board_reads.board_read(
                    viewer, kind="global", metric="points", period="week"
                )
        assert found.me is not None and found.me not in found.rows
        return len(ctx.captured_queries)

    more(21)
    small = count()
    more(30)
    assert count() == small == 3


@pytest.mark.parametrize("role", ["pupil", "teacher", "admin", "trust_admin", "other_teacher"])
def test_the_page_and_api_answer_each_role(played, client_for, role):
    """ASM-6: the boards page and its API twin agree on the boards a role may open."""
    world = played
    school = world.b if role.startswith("other") else world.a
    client = client_for(role)
    page = client.get(reverse("boards:home", kwargs={"school_id": school.pk}))
    api = client.get(f"/api/schools/{school.pk}/boards")
    assert page.status_code == 200 and api.status_code == 200
    assert api.json()["rows"], api.json()
    bad = client.get(f"/api/schools/{school.pk}/boards?metric=height")
    assert bad.status_code == 422 and "metric" in str(bad.json())


def test_the_nightly_command_rebuilds_every_school(played):
    """ASM-6: `practice_boards_rebuild` rewrites each school's rows in its own scope."""
    import io

    from django.core.management import call_command

    world = played
    with all_schools():
        BoardEntry.objects.filter(pupil=world.dee).update(points=999)
    out = io.StringIO()
    call_command("practice_boards_rebuild", stdout=out)
    assert "Rebuilt the leaderboards of 2 schools: 12 rows." in out.getvalue()
    with all_schools():
        assert set(BoardEntry.objects.filter(pupil=world.dee).values_list("points", flat=True)) == {
            25
        }


def test_a_corrected_name_is_on_the_boards_at_once(played):
    """DSR-3, ASM-6: a pupil's corrected name replaces the old one on every board at
    once, not after the nightly rebuild."""
    from markbook.rosters.services.pupils import pupil_update

    world = played
    with school_scope(world.a):
        pupil_update(
            actor=world.admin, pupil=Pupil.objects.get(pk=world.amy.pk), first_name="Aimee"
        )
    school = board(world, world.amy.user, world.a, "school")
    assert ("Aimee A.", "Oakfield Academy", 30) in names(school)
    assert not any(name.startswith("Amy") for name, _, _ in names(school))
