"""A trust's assignment after it is set (ASM-1): more classes added (each school its own
copy linked to the original), and deleting it: copies without marks go, copies with
marks stay with their schools unless ticked and the title typed (TEN-3, TEN-4)."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from markbook.assessment import services
from markbook.assessment.models import Assignment, Mark, TrustAssignment
from markbook.core.tenancy import all_schools, school_scope
from tests import factories as f
from tests.rosters.conftest import actions


@pytest.fixture
def trust_world(world):  # type: ignore[no-untyped-def]
    """A second school of the trust (Cedar High, class C1 with pupil Cy), and a trust
    assignment set to 7A only."""
    with all_schools():
        cedar = f.SchoolFactory(name="Cedar High", trust=world.a.trust)
    cy = f.pupil_with_account(cedar, first_name="Cy")
    c1 = f.teaching_class(cedar, "C1 Maths", pupils=[cy])
    with all_schools():
        original = services.trust_assignment_create(
            actor=world.trust_admin,
            trust=world.a.trust,
            classes=[world.class_7a],
            title="Trust mock",
            max_mark=60,
            kind="test",
        )
    return world, cedar, c1, cy, original


def _copies(original: TrustAssignment) -> list[Assignment]:
    with all_schools():
        return list(Assignment.objects.filter(trust_origin=original).order_by("pk"))


def _mark(school, assignment: Assignment, pupil, score: int = 30) -> None:  # type: ignore[no-untyped-def]
    with school_scope(school):
        services.mark_record(actor=None, assignment=assignment, pupil=pupil, score=score)


# --- Adding classes ---------------------------------------------------------------


def test_classes_added_get_their_schools_copy_of_the_original_as_it_is(trust_world):
    """ASM-1: a copy per new class, in its own school, linked to the original, with its
    title, kind and maximum; each school's log names the classes added there."""
    world, cedar, c1, _cy, original = trust_world
    with all_schools():
        made = services.trust_assignment_classes_add(
            actor=world.trust_admin, original=original, classes=[world.class_7b, c1]
        )
    assert sorted(a.school_id for a in made) == sorted([world.a.pk, cedar.pk])
    for copy in made:
        assert (copy.trust_origin_id, copy.title, copy.kind, copy.max_mark) == (
            original.pk,
            "Trust mock",
            "test",
            original.max_mark,
        )
    assert len(_copies(original)) == 3
    (there,) = actions(cedar, "assessment.trust_assignment.classes_added")
    assert there.data["classes"] == ["C1 Maths"]
    (here,) = actions(world.a, "assessment.trust_assignment.classes_added")
    assert here.data["classes"] == ["7B Maths"]


def test_a_class_with_a_copy_is_not_given_another(trust_world):
    """ASM-1: 7A has its copy: alone it is refused, beside a new class it is skipped."""
    world, _cedar, c1, _cy, original = trust_world
    with all_schools(), pytest.raises(ValidationError) as refused:
        services.trust_assignment_classes_add(
            actor=None, original=original, classes=[world.class_7a]
        )
    assert "already" in str(refused.value)
    with all_schools():
        made = services.trust_assignment_classes_add(
            actor=None, original=original, classes=[world.class_7a, c1]
        )
    assert [a.teaching_class_id for a in made] == [c1.pk]
    assert len(_copies(original)) == 2


def test_a_class_outside_the_trust_is_not_added(client_for, trust_world):
    """TEN-3: School B is in no trust: its class is refused (422), nothing written."""
    world, *_rest, original = trust_world
    url = f"/api/trusts/{world.a.trust_id}/assignments/{original.pk}/classes"
    body = json.dumps({"class_ids": [world.class_b1.pk]})
    answer = client_for("trust_admin").post(url, body, content_type="application/json")
    assert answer.status_code == 422
    assert "class_ids" in answer.json()["errors"]
    assert len(_copies(original)) == 1


def test_the_api_adds_classes_and_lists_each_copy_with_its_marks(client_for, trust_world):
    """ASM-1: the answer lists every copy with its school and marks."""
    world, cedar, c1, _cy, original = trust_world
    _mark(world.a, _copies(original)[0], world.amy)
    client = client_for("trust_admin")
    url = f"/api/trusts/{world.a.trust_id}/assignments/{original.pk}"
    answer = client.post(
        url + "/classes", json.dumps({"class_ids": [c1.pk]}), content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    copies = {c["class_name"]: (c["school_id"], c["marks"]) for c in answer.json()["copies"]}
    assert copies == {"7A Maths": (world.a.pk, 1), "C1 Maths": (cedar.pk, 0)}
    assert client.get(url).json()["copies"] == answer.json()["copies"]


def test_the_add_classes_page_lists_only_classes_without_a_copy(client_for, trust_world):
    """ASM-1: 7A has it; 7B and Cedar's C1 are offered; ticking C1 adds it."""
    world, _cedar, c1, _cy, original = trust_world
    url = reverse(
        "trust_assessment:assignment_classes",
        kwargs={"trust_id": world.a.trust_id, "trust_assignment_id": original.pk},
    )
    client = client_for("trust_admin")
    page = client.get(url).content.decode()
    assert f'value="{world.class_7b.pk}"' in page and f'value="{c1.pk}"' in page
    assert f'value="{world.class_7a.pk}"' not in page
    assert "Choose at least one class." in client.post(url, {}).content.decode()
    response = client.post(url, {"classes": [str(c1.pk)]}, follow=True)
    assert "Trust mock was set to C1 Maths." in response.content.decode()
    assert [a.teaching_class_id for a in _copies(original)][-1] == c1.pk


# --- Deleting -----------------------------------------------------------------------


def test_deleting_keeps_copies_with_marks_detached_by_default(trust_world):
    """ASM-1: the copy without marks goes; the one with marks stays with its school as its
    own assignment, its marks kept; each school's log records which."""
    world, cedar, c1, _cy, original = trust_world
    with all_schools():
        services.trust_assignment_classes_add(actor=None, original=original, classes=[c1])
    copy_a, copy_c = _copies(original)
    _mark(world.a, copy_a, world.amy)
    with all_schools():
        counts = services.trust_assignment_delete(actor=world.trust_admin, original=original)
    assert counts == {"deleted": 1, "detached": 1, "marks_deleted": 0}
    with all_schools():
        assert not TrustAssignment.objects.filter(pk=original.pk).exists()
        kept = Assignment.objects.get(pk=copy_a.pk)
        assert kept.trust_origin_id is None and kept.marks.count() == 1
        assert not Assignment.objects.filter(pk=copy_c.pk).exists()
    (here,) = actions(world.a, "assessment.trust_assignment.deleted")
    assert (here.data["deleted"], here.data["detached_with_marks"]) == ([], [copy_a.pk])
    (there,) = actions(cedar, "assessment.trust_assignment.deleted")
    assert there.data["deleted"] == [copy_c.pk]


def test_a_copy_with_marks_is_deleted_only_with_the_title_typed(trust_world):
    """ASM-1: ticked copies with marks go with their marks only when the confirmation is
    the original's title; otherwise nothing at all is deleted."""
    world, *_rest, original = trust_world
    (copy_a,) = _copies(original)
    _mark(world.a, copy_a, world.amy)
    _mark(world.a, copy_a, world.ben, 20)
    for typed in ("", "trust mock", "Something else"):
        with all_schools(), pytest.raises(ValidationError) as refused:
            services.trust_assignment_delete(
                actor=None, original=original, delete_marked=[copy_a.pk], confirmation=typed
            )
        assert "confirmation" in refused.value.message_dict
    assert _copies(original) == [copy_a]
    with all_schools():
        counts = services.trust_assignment_delete(
            actor=None, original=original, delete_marked=[copy_a.pk], confirmation="Trust mock"
        )
        assert not Mark.objects.exists()
    assert counts == {"deleted": 1, "detached": 0, "marks_deleted": 2}
    assert actions(world.a, "assessment.assignment.deleted")[-1].data["marks"] == 2


def test_only_the_originals_marked_copies_can_be_chosen(trust_world):
    """ASM-1: an id that is not one of its copies with marks is refused."""
    _world, *_rest, original = trust_world
    (copy_a,) = _copies(original)  # no marks
    with all_schools(), pytest.raises(ValidationError) as refused:
        services.trust_assignment_delete(
            actor=None, original=original, delete_marked=[copy_a.pk], confirmation="Trust mock"
        )
    assert "delete_marked" in refused.value.message_dict


def test_the_delete_page_counts_copies_and_marks_then_deletes(client_for, trust_world):
    """ASM-1: the page says how many copies and marks; a ticked copy with the wrong title
    deletes nothing; with the title it goes."""
    world, _cedar, c1, _cy, original = trust_world
    with all_schools():
        services.trust_assignment_classes_add(actor=None, original=original, classes=[c1])
    copy_a, copy_c = _copies(original)
    _mark(world.a, copy_a, world.amy)
    _mark(world.a, copy_a, world.ben, 25)
    url = reverse(
        "trust_assessment:assignment_delete",
        kwargs={"trust_id": world.a.trust_id, "trust_assignment_id": original.pk},
    )
    client = client_for("trust_admin")
    page = " ".join(client.get(url).content.decode().split())
    assert "2 school copies" in page
    assert "1 without marks" in page and "2 marks" in page
    assert "Delete 7A Maths · Oakfield Academy and its 2 marks" in page
    wrong = client.post(url, {"delete_marked": [str(copy_a.pk)], "confirmation": "Mock"})
    assert "Type the assignment&#x27;s title" in wrong.content.decode()
    assert len(_copies(original)) == 2
    done = client.post(
        url, {"delete_marked": [str(copy_a.pk)], "confirmation": "Trust mock"}, follow=True
    )
    assert "deleted with 2 school copies and 2 marks" in done.content.decode()
    with all_schools():
        assert not Assignment.objects.filter(pk__in=[copy_a.pk, copy_c.pk]).exists()


def test_the_api_delete_keeps_marked_copies_unless_named(client_for, trust_world):
    """ASM-1: DELETE without delete_marked detaches copies with marks; the counts say so."""
    world, *_rest, original = trust_world
    (copy_a,) = _copies(original)
    _mark(world.a, copy_a, world.amy)
    url = f"/api/trusts/{world.a.trust_id}/assignments/{original.pk}"
    client = client_for("trust_admin")
    refused = client.delete(f"{url}?delete_marked={copy_a.pk}&confirmation=nope")
    assert refused.status_code == 422
    assert "confirmation" in refused.json()["errors"]
    answer = client.delete(url)
    assert answer.status_code == 200
    assert answer.json() == {"deleted": 0, "detached": 1, "marks_deleted": 0}
    with all_schools():
        assert Assignment.objects.get(pk=copy_a.pk).trust_origin_id is None
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", ["admin", "teacher", "other_admin"])
def test_others_cannot_add_classes_or_delete(client_for, trust_world, role):
    """TEN-3: only the trust's administrators reach its assignments: 404, nothing done."""
    world, _cedar, c1, _cy, original = trust_world
    url = f"/api/trusts/{world.a.trust_id}/assignments/{original.pk}"
    client = client_for(role)
    body = json.dumps({"class_ids": [c1.pk]})
    assert client.post(url + "/classes", body, content_type="application/json").status_code == 404
    assert client.delete(url).status_code == 404
    assert len(_copies(original)) == 1
