"""Pupils and parents see their results (ASM-3, TEN-3), with the tracking the school
lets families see; staff reads are logged (SEC-1), a pupil's own are not."""

import json
from datetime import date

from django.urls import reverse
from django.utils import timezone

from markbook.assessment import services
from markbook.core.tenancy import school_scope
from markbook.tracking.models import DataDrop, DropField, Grade, Target, TrackingEntry
from tests import factories as f
from tests.rosters.conftest import actions


def _setup(world):  # type: ignore[no-untyped-def]
    maths = f.gcse_subject(world.a, classes=[world.class_7a])
    with school_scope(world.a):
        grade = {g.label: g for g in Grade.objects.filter(scale_id=maths.scale_id)}
        quiz = services.assignment_create(
            actor=world.teacher,
            teaching_class=world.class_7a,
            title="Fractions quiz",
            max_mark=20,
            due_date=date(2026, 11, 1),
            boundaries={grade["4"].pk: 8, grade["6"].pk: 14},
        )
        mark = services.mark_record(actor=world.teacher, assignment=quiz, pupil=world.amy, score=15)
        mark.feedback = "Well reasoned; check your working."
        mark.save(update_fields=["feedback"])
        services.mark_record(actor=world.teacher, assignment=quiz, pupil=world.ben, score=3)
        drop = DataDrop.objects.create(school=world.a, name="Autumn", date=date(2026, 12, 1))
        drop.locked_at = timezone.now()
        drop.save(update_fields=["locked_at"])
        fields = {
            key: DropField.objects.create(school=world.a, drop=drop, key=key, label=label)
            for key, label in (("working_at", "Working at"), ("predicted", "Predicted"))
        }
        for key, label in (("working_at", "5"), ("predicted", "8")):
            TrackingEntry.objects.create(
                school=world.a,
                drop=drop,
                field=fields[key],
                pupil=world.amy,
                subject=maths,
                grade=grade[label],
            )
        Target.objects.create(
            school=world.a, pupil=world.amy, subject=maths, grade=grade["7"], source="ks2"
        )
    return quiz


def _page(client, world, pupil=None):  # type: ignore[no-untyped-def]
    if pupil is None:
        url = reverse("assessment:my_results", kwargs={"school_id": world.a.pk})
    else:
        url = reverse(
            "assessment:pupil_results", kwargs={"school_id": world.a.pk, "pupil_id": pupil.pk}
        )
    return client.get(url)


def test_a_pupil_sees_their_mark_grade_and_feedback_and_nobody_elses(client_for, world):
    """ASM-3: mark, grade from the boundaries, feedback, due date, status."""
    _setup(world)
    body = _page(client_for("pupil"), world).content.decode()
    assert "Fractions quiz" in body and "15 / 20" in body and "check your working" in body
    assert "<td>6</td>" in body and "1 Nov 2026" in body and "Marked" in body
    assert "3 / 20" not in body  # Ben's mark


def test_a_parent_sees_their_childs_results_not_another_pupils(client_for, world):
    """ASM-3, TEN-3: a parent, their linked child only (Ben is not theirs: 404)."""
    _setup(world)
    parent = client_for("parent")
    assert "15 / 20" in _page(parent, world, world.amy).content.decode()
    assert _page(parent, world, world.ben).status_code == 404
    assert _page(client_for("other_teacher"), world, world.amy).status_code == 404
    api = f"/api/schools/{world.a.pk}/pupils/{world.ben.pk}/results"
    assert parent.get(api).status_code == 404


def test_families_see_working_at_and_targets_but_not_predicted_by_default(client_for, world):
    """ASM-3: the school's default: working-at yes, targets yes, predicted no."""
    _setup(world)
    body = _page(client_for("parent"), world, world.amy).content.decode()
    assert "Working at <strong>5</strong>" in body
    assert "<td>7</td>" in body  # the target
    assert "Predicted" not in body


def test_the_school_setting_changes_what_families_see(client_for, world):
    """ASM-3: an administrator shows predicted and hides working-at, on the page and API."""
    _setup(world)
    admin = client_for("admin")
    url = f"/api/schools/{world.a.pk}/settings/families"
    patch = {"families_see_working_at": False, "families_see_predicted": True}
    answer = admin.patch(url, json.dumps(patch), content_type="application/json")
    assert answer.json() == {
        "families_see_working_at": False,
        "families_see_predicted": True,
        "families_see_targets": True,
    }
    results = client_for("pupil").get(f"/api/schools/{world.a.pk}/me/results").json()
    entries = results["tracking"][0]["entries"]
    assert [(e["field"], e["value"]) for e in entries] == [("Predicted", "8")]
    assert actions(world.a, "schools.settings.changed")[-1].data["families_see_predicted"] == {
        "old": False,
        "new": True,
    }
    page = reverse("schools:family_settings", kwargs={"school_id": world.a.pk})
    admin.post(page, {"families_see_predicted": "on"})
    with school_scope(world.a):
        world.a.refresh_from_db()
    assert (world.a.families_see_targets, world.a.families_see_working_at) == (False, False)


def test_staff_reads_of_results_are_logged_and_a_pupils_own_are_not(client_for, world):
    """SEC-1: the teacher's read is in the access log; the pupil's own read is not."""
    _setup(world)
    _page(client_for("pupil"), world)
    assert actions(world.a, "assessment.results.viewed") == []
    _page(client_for("teacher"), world, world.amy)
    client_for("teacher").get(f"/api/schools/{world.a.pk}/pupils/{world.amy.pk}/results")
    events = actions(world.a, "assessment.results.viewed")
    assert [(e.target_id, e.data.get("via")) for e in events] == [
        (str(world.amy.pk), None),
        (str(world.amy.pk), "api"),
    ]


def test_work_not_marked_shows_as_not_yet_marked(client_for, world):
    with school_scope(world.a):
        services.assignment_create(
            actor=None, teaching_class=world.class_7a, title="Essay", max_mark=10
        )
    body = _page(client_for("pupil"), world).content.decode()
    assert "Essay" in body and "Not yet marked" in body
