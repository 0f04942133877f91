"""The pupil's practice pages and the fair-use page (ASM-2, ASM-7, ASM-8)."""

import re

from markbook.core.tenancy import school_scope
from markbook.practice import points
from markbook.practice.models import Attempt, Item, Standing


def _pages(world) -> str:  # type: ignore[no-untyped-def]
    return f"/s/{world.a.pk}/practice"


def test_the_home_lists_sets_points_and_the_rules(client_for, world, tables):
    page = client_for("pupil").get(f"{_pages(world)}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Times tables check (25 questions, 6 seconds each)" in text
    assert "How points work" in text
    assert points.RULES[1][:40] in text
    assert "points this week" in text


def test_a_pupil_practises_through_the_pages(client_for, world, tables):
    pupil = client_for("pupil")
    started = pupil.post(f"{_pages(world)}/sets/{tables.pk}/start/")
    assert started.status_code == 302
    page = pupil.get(started["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert 'aria-live="polite"' in text and 'for="practice-response"' in text
    with school_scope(world.a):
        attempt = Attempt.objects.get(pupil=world.amy)
        right = attempt.current.expected  # type: ignore[union-attr]
    url = f"{_pages(world)}/attempts/{attempt.pk}/answer/"
    answered = pupil.post(url, {"position": 1, "response": right}, HTTP_HX_REQUEST="true")
    assert answered.status_code == 200
    assert "Right!" in answered.content.decode()
    assert "Question 2 of 20" in answered.content.decode()
    wrong = pupil.post(url, {"position": 2, "response": "abc"}, HTTP_HX_REQUEST="true")
    assert wrong.status_code == 422
    assert "is not a number" in wrong.content.decode()
    twice = pupil.post(url, {"position": 1, "response": right}, HTTP_HX_REQUEST="true")
    assert twice.status_code == 409 and "already answered" in twice.content.decode()
    # Without htmx the same form works as a plain page.
    with school_scope(world.a):
        right = Attempt.objects.get(pk=attempt.pk).current.expected  # type: ignore[union-attr]
    plain = pupil.post(url, {"position": 2, "response": right})
    assert plain.status_code == 200 and "<html" in plain.content.decode()
    summary = pupil.get(f"{_pages(world)}/attempts/{attempt.pk}/summary/")
    assert summary.status_code == 200
    assert summary.content.decode().count('status-above">right') == 2


def test_a_trial_page_shows_the_servers_countdown(client_for, world, trial):
    pupil = client_for("pupil")
    started = pupil.post(f"{_pages(world)}/sets/{trial.pk}/start/")
    text = pupil.get(started["Location"]).content.decode()
    left = re.search(r'data-ms-left="(\d+)"', text)
    assert left is not None and 5000 <= int(left.group(1)) <= 6000
    assert "practice.js" in text


def test_the_rate_limit_is_a_message_in_the_page(client_for, world, tables, settings):
    settings.MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE = 1
    pupil = client_for("pupil")
    pupil.post(f"{_pages(world)}/sets/{tables.pk}/start/")
    with school_scope(world.a):
        attempt = Attempt.objects.get(pupil=world.amy)
    url = f"{_pages(world)}/attempts/{attempt.pk}/answer/"
    pupil.post(url, {"position": 1, "response": "x"}, HTTP_HX_REQUEST="true")
    limited = pupil.post(url, {"position": 1, "response": "x"}, HTTP_HX_REQUEST="true")
    assert limited.status_code == 429
    assert "Too many answers in a short time" in limited.content.decode()
    with school_scope(world.a):
        assert Item.objects.get(attempt=attempt, position=1).answered_at is None


def test_the_fair_use_page_lists_and_reinstates(client_for, world, tables):
    with school_scope(world.a):
        Standing.objects.create(school=world.a, pupil=world.amy, suspended=True, warnings=3)
    teacher = client_for("teacher")
    page = teacher.get(f"{_pages(world)}/fair-use/")
    assert page.status_code == 200 and "Amy Adams" in page.content.decode()
    assert (
        "Amy Adams"
        not in client_for("colleague").get(f"{_pages(world)}/fair-use/").content.decode()
    )
    url = f"{_pages(world)}/fair-use/{world.amy.pk}/reinstate/"
    refused = teacher.post(url, {"reason": " "}, follow=True)
    assert "Say why the pupil may practise again." in refused.content.decode()
    done = teacher.post(url, {"reason": "We talked."}, follow=True)
    assert "Amy Adams can practise again." in done.content.decode()
    with school_scope(world.a):
        assert not Standing.objects.get(pupil=world.amy).suspended


def test_a_suspended_pupil_is_told_why_on_starting(client_for, world, tables):
    from markbook.practice import fairuse

    with school_scope(world.a):
        Standing.objects.create(school=world.a, pupil=world.amy, suspended=True, warnings=3)
    page = client_for("pupil").post(f"{_pages(world)}/sets/{tables.pk}/start/", follow=True)
    assert fairuse.SUSPENDED_MESSAGE in page.content.decode()


def test_a_listening_question_plays_its_sound_on_the_pupils_page(world, client):
    """ASM-2: a music teacher's audio prompt is on the pupil's question, from the
    school's own media address (never a public one)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from markbook.core.tenancy import school_scope
    from markbook.practice import answering, authoring
    from markbook.practice.media import media_upload, url_for
    from tests.practice.helpers import MP3

    with school_scope(world.a):
        listening = authoring.question_set_create(
            actor=world.teacher, school=world.a, title="Listening", question_count=1
        )
        sound = media_upload(
            actor=world.teacher, school=world.a, upload=SimpleUploadedFile("a.mp3", MP3)
        )
        authoring.question_create(
            actor=world.teacher,
            question_set=listening,
            kind="numeric",
            prompt="How many beats in the bar?",
            answer="3",
            media=sound,
        )
        authoring.question_set_publish(actor=world.teacher, question_set=listening, published=True)
        attempt = answering.attempt_start(pupil=world.amy, question_set=listening)
    client.force_login(world.amy.user)
    page = client.get(f"/s/{world.a.pk}/practice/attempts/{attempt.pk}/").content.decode()
    assert f'<audio controls preload="auto" src="{url_for(sound)}">' in page
