"""Images and sounds of teachers' questions (ASM-2): the type is checked by the file's
content, the size against the settings, and the file is served only to its school's
pupils and staff, as its checked type, never sniffed, inline."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from markbook.core.tenancy import school_scope
from markbook.practice import media
from markbook.practice.models import PromptMedia
from tests.practice.helpers import JPEG, MP3, PNG, WAV

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(world, name: str, data: bytes, content_type: str = "application/octet-stream"):
    with school_scope(world.a):
        return media.media_upload(
            actor=world.teacher,
            school=world.a,
            upload=SimpleUploadedFile(name, data, content_type=content_type),
        )


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a" + b"\x00" * 20, "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "image/webp"),
        (MP3, "audio/mpeg"),
        (b"\xff\xfb\x90\x00" + b"\x00" * 20, "audio/mpeg"),
        (b"OggS\x00\x02" + b"\x00" * 20, "audio/ogg"),
        (WAV, "audio/wav"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\x00" * 20, "audio/mp4"),
    ],
)
def test_the_type_is_what_the_content_says(head, content_type):
    found = media.sniff(head)
    assert found is not None and found.content_type == content_type


def test_a_script_named_png_is_refused_whatever_the_browser_says(world):
    with pytest.raises(Exception) as error:
        _upload(world, "cat.png", b"<script>alert(1)</script>", content_type="image/png")
    assert "not an image or sound" in str(error.value)
    with school_scope(world.a):
        assert not PromptMedia.objects.exists()


def test_a_jpeg_named_png_is_refused_with_what_it_is(world):
    with pytest.raises(Exception) as error:
        _upload(world, "cat.png", JPEG, content_type="image/png")
    assert "named .png but it is a JPEG image" in str(error.value)


def test_the_stored_type_is_the_sniffed_one_not_the_browsers(world):
    stored = _upload(world, "tune.mp3", MP3, content_type="text/html")
    assert (stored.kind, stored.content_type) == ("audio", "audio/mpeg")
    assert str(world.a.pk) in stored.file.name and "tune" not in stored.file.name


def test_sizes_are_limited_by_the_settings(world, settings):
    settings.MARKBOOK_PROMPT_IMAGE_MAX_BYTES = 100
    settings.MARKBOOK_PROMPT_AUDIO_MAX_BYTES = 1000
    with pytest.raises(Exception) as error:
        _upload(world, "big.png", PNG + b"\x00" * 200)
    assert "images may be at most" in str(error.value)
    # The same size of sound is within the audio limit.
    assert _upload(world, "short.wav", WAV + b"\x00" * 200).kind == "audio"


def test_the_api_refuses_a_bad_upload_with_422(world, client_for):
    response = client_for("teacher").post(
        f"/api/schools/{world.a.pk}/practice/media",
        {"file": SimpleUploadedFile("notes.txt", b"plain text", content_type="text/plain")},
    )
    assert response.status_code == 422
    assert "file" in response.json()["errors"]


def test_the_file_is_served_to_the_schools_pupils_and_staff_only(world, client_for):
    stored = _upload(world, "picture.png", PNG)
    url = media.url_for(stored)
    for role in ("pupil", "teacher", "colleague", "admin", "trust_admin"):
        response = client_for(role).get(url)
        assert response.status_code == 200, role
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline")
        assert response.content == PNG
    for role in ("parent", "other_teacher", "other_admin", "platform_staff"):
        assert client_for(role).get(url).status_code == 404, role
    assert client_for("anonymous").get(url).status_code == 302


def test_another_schools_media_id_is_404_through_your_own_school(world, client_for):
    stored = _upload(world, "picture.png", PNG)
    own_school_url = f"/s/{world.b.pk}/practice/media/{stored.pk}/"
    assert client_for("other_teacher").get(own_school_url).status_code == 404
    api = f"/api/schools/{world.b.pk}/practice/media/{stored.pk}"
    assert client_for("other_teacher").get(api).status_code == 404


def test_an_upload_through_the_question_page_becomes_the_questions_sound(world, client_for):
    from django.urls import reverse

    from markbook.practice.models import Question
    from tests.practice.helpers import teacher_set

    made = teacher_set(world, questions=False)
    url = reverse(
        "practice_teachers:question_new", kwargs={"school_id": world.a.pk, "set_id": made.pk}
    )
    posted = {
        "kind": "choice",
        "prompt": "Which instrument do you hear?",
        "choice_0": "Violin",
        "choice_1": "Trumpet",
        "correct": ["1"],
        "file": SimpleUploadedFile("trumpet.mp3", MP3, content_type="audio/mpeg"),
    }
    assert client_for("teacher").post(url, posted).status_code == 302
    with school_scope(world.a):
        q = Question.objects.select_related("media").get(question_set=made)
    assert q.media is not None and q.media.kind == "audio"
    edit = reverse(
        "practice_teachers:question_edit",
        kwargs={"school_id": world.a.pk, "set_id": made.pk, "question_id": q.pk},
    )
    page = client_for("teacher").get(edit).content.decode()
    assert f'<audio controls src="{media.url_for(q.media)}"' in page


def test_a_deleted_prompts_file_leaves_the_disk_once_committed(
    world, django_capture_on_commit_callbacks
):
    """RET-4: the file goes with its row, after the deletion commits."""
    from pathlib import Path

    stored = _upload(world, "chart.png", PNG)
    path = Path(stored.file.path)
    assert path.exists()
    with school_scope(world.a), django_capture_on_commit_callbacks(execute=False) as callbacks:
        PromptMedia.objects.filter(pk=stored.pk).delete()
    assert path.exists()  # not before the commit: a rolled-back deletion keeps it
    for callback in callbacks:
        callback()
    assert not path.exists()
