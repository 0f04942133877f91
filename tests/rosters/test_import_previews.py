"""A checked import file is kept for its confirmation (ROS-2, ROS-4, SEC-2, TEN-4): on
the MIS and OneRoster pages and in the API, confirming needs no second upload; the kept
file is encrypted with the school's key, tied to the file and choices previewed, only
the person who checked it can use it (another school's user gets 404), and it is
deleted once confirmed, cancelled or an hour old."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from markbook.core import keys
from markbook.core.tenancy import school_scope
from markbook.rosters.imports import jobs
from markbook.rosters.models import ImportJob
from markbook.rosters.oneroster.export import oneroster_export
from tests.conftest import World
from tests.rosters.conftest import actions
from tests.rosters.test_import_jobs import mis_ids, raw_upload, set_state
from tests.rosters.test_mis_import import GOOD

EXPIRED = "This preview has expired; upload the file again."


def mis_url(world: World, school=None) -> str:  # type: ignore[no-untyped-def]
    return reverse("rosters:mis_upload", kwargs={"school_id": (school or world.a).pk})


def previews(school) -> list[ImportJob]:  # type: ignore[no-untyped-def]
    with school_scope(school):
        return list(ImportJob.objects.filter(status=ImportJob.Status.PREVIEW))


def check(client, world: World, data: bytes = GOOD, **fields):  # type: ignore[no-untyped-def]
    """Post the file to the MIS page's check step: (page, kept preview id, signature)."""
    response = client.post(mis_url(world), {"file": SimpleUploadedFile("sims.csv", data), **fields})
    html = response.content.decode()
    kept = re.search(r'name="upload" value="(\d+)"', html)
    signature = re.search(r'name="signature" value="([0-9a-f]{64})"', html)
    return html, kept and kept[1], signature and signature[1]


def test_mis_page_confirms_the_checked_file_without_a_second_upload(client_for, world: World):
    client = client_for("admin")
    html, kept, signature = check(client, world)
    assert kept and signature and "Checked: <strong>sims.csv</strong>" in html
    [preview] = previews(world.a)
    assert str(preview.pk) == kept and mis_ids(world.a) == set()
    # Kept encrypted with the school's key, never as the file's text (SEC-2).
    stored = raw_upload(preview)
    assert stored.startswith("v1:") and "Evans" not in stored
    response = client.post(
        mis_url(world), {"upload": kept, "signature": signature, "action": "confirm"}
    )
    assert response.status_code == 200
    assert "sims.csv imported." in response.content.decode()
    assert mis_ids(world.a) == {"A001", "A002", "A003"}
    assert previews(world.a) == []  # deleted once confirmed


def test_checking_again_with_other_choices_keeps_the_file_but_asks_again(client_for, world: World):
    """The hash check: the confirmation names the file and the choices previewed."""
    lines = GOOD.decode().splitlines()
    data = "\n".join([lines[0] + ",Tutor"] + [line + ",Mr X" for line in lines[1:]]).encode()
    client = client_for("admin")
    _, kept, signature = check(client, world, data)
    ignore = {"map_header_1": "Tutor", "map_1": "ignore"}
    changed = client.post(
        mis_url(world), {"upload": kept, "signature": signature, "action": "confirm", **ignore}
    ).content.decode()
    assert "The file or your choices changed since the preview." in changed
    assert mis_ids(world.a) == set()
    [preview] = previews(world.a)
    assert str(preview.pk) == kept  # the same file, kept; no second upload
    resigned = re.search(r'name="signature" value="([0-9a-f]{64})"', changed)[1]
    assert resigned != signature
    done = client.post(
        mis_url(world), {"upload": kept, "signature": resigned, "action": "confirm", **ignore}
    )
    assert "sims.csv imported." in done.content.decode()
    assert mis_ids(world.a) == {"A001", "A002", "A003"}


def test_cancel_deletes_the_kept_file_and_is_recorded(client_for, world: World):
    client = client_for("admin")
    _, kept, _ = check(client, world)
    response = client.post(mis_url(world), {"upload": kept, "action": "cancel"}, follow=True)
    assert "sims.csv was not imported, and has been deleted." in response.content.decode()
    assert previews(world.a) == [] and mis_ids(world.a) == set()
    [event] = actions(world.a, "rosters.import.preview_cancelled")
    assert event.data == {"kind": "mis"}


def test_an_expired_preview_is_refused_and_deleted(client_for, world: World):
    client = client_for("admin")
    _, kept, signature = check(client, world)
    [preview] = previews(world.a)
    set_state(preview, created_at=timezone.now() - timedelta(minutes=61))
    html = client.post(
        mis_url(world), {"upload": kept, "signature": signature, "action": "confirm"}
    ).content.decode()
    assert EXPIRED in html
    assert previews(world.a) == [] and mis_ids(world.a) == set()


def test_a_preview_of_59_minutes_is_still_confirmed(client_for, world: World):
    client = client_for("admin")
    _, kept, signature = check(client, world)
    [preview] = previews(world.a)
    set_state(preview, created_at=timezone.now() - timedelta(minutes=59))
    client.post(mis_url(world), {"upload": kept, "signature": signature, "action": "confirm"})
    assert mis_ids(world.a) == {"A001", "A002", "A003"}


@pytest.mark.parametrize("role", ["other_admin", "trust_admin"])
def test_nobody_else_can_use_the_kept_file(client_for, world: World, role: str):
    """Another school's administrator, through their own school's page, and another
    administrator of this school: 404, and the file stays for its owner (TEN-4)."""
    _, kept, signature = check(client_for("admin"), world)
    school = world.b if role == "other_admin" else world.a
    response = client_for(role).post(
        mis_url(world, school), {"upload": kept, "signature": signature, "action": "confirm"}
    )
    assert response.status_code == 404
    assert mis_ids(world.a) == set() and mis_ids(world.b) == set()
    assert len(previews(world.a)) == 1


def test_a_file_with_errors_is_not_kept_and_a_new_check_replaces_the_old(client_for, world: World):
    client = client_for("admin")
    check(client, world)
    _, second, _ = check(client, world)
    assert [str(p.pk) for p in previews(world.a)] == [second]
    _, kept, _ = check(client, world, b"Legal Surname,Forename\n,\n")
    assert kept is None and previews(world.a) == []


def test_previews_are_not_import_jobs(client_for, world: World):
    client = client_for("admin")
    _, kept, _ = check(client, world)
    job_url = reverse("rosters:import_job", kwargs={"school_id": world.a.pk, "job_id": kept})
    assert client.get(job_url).status_code == 404
    assert "Recent background imports" not in client.get(mis_url(world)).content.decode()


def test_a_destroyed_school_key_leaves_the_kept_file_unreadable(client_for, world: World):
    check(client_for("admin"), world)
    keys.school_key_destroy(school_id=world.a.pk)
    [preview] = previews(world.a)
    with pytest.raises(keys.KeyDestroyed), school_scope(world.a):
        jobs.import_preview_data(job=ImportJob.objects.get(pk=preview.pk))


# --- OneRoster page ------------------------------------------------------------------


def test_oneroster_page_confirms_the_checked_zip_without_a_second_upload(client_for, world: World):
    with school_scope(world.a):
        data = oneroster_export(actor=world.admin, school=world.a)
    client = client_for("admin")
    url = reverse("rosters:oneroster", kwargs={"school_id": world.a.pk})
    html = client.post(url, {"file": SimpleUploadedFile("or.zip", data)}).content.decode()
    kept = re.search(r'name="upload" value="(\d+)"', html)[1]
    signature = re.search(r'name="signature" value="([0-9a-f]{64})"', html)[1]
    response = client.post(url, {"upload": kept, "signature": signature, "action": "confirm"})
    assert response.status_code == 200
    assert previews(world.a) == []
    assert actions(world.a, "rosters.oneroster.imported")


# --- API ---------------------------------------------------------------------------


def api_url(world: World, kind: str = "mis", school=None) -> str:  # type: ignore[no-untyped-def]
    return f"/api/schools/{(school or world.a).pk}/imports/{kind}"


def test_api_preview_gives_an_upload_id_the_confirm_uses(client_for, world: World):
    client = client_for("admin")
    preview = client.post(api_url(world), {"file": SimpleUploadedFile("mis.csv", GOOD)}).json()
    assert preview["upload_id"] and len(preview["signature"]) == 64 and preview["expires_at"]
    answer = client.post(
        api_url(world),
        {"upload_id": preview["upload_id"], "signature": preview["signature"], "confirm": True},
    )
    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "queued" and answer.json()["filename"] == "mis.csv"
    assert previews(world.a) == []
    again = client.post(
        api_url(world),
        {"upload_id": preview["upload_id"], "signature": preview["signature"], "confirm": True},
    )
    assert again.status_code == 404  # deleted once confirmed


def test_api_confirm_with_other_choices_is_409(client_for, world: World):
    client = client_for("admin")
    preview = client.post(api_url(world), {"file": SimpleUploadedFile("mis.csv", GOOD)}).json()
    answer = client.post(
        api_url(world),
        {
            "upload_id": preview["upload_id"],
            "signature": preview["signature"],
            "confirm": True,
            "full": True,
        },
    )
    assert answer.status_code == 409
    assert len(previews(world.a)) == 1 and mis_ids(world.a) == set()


def test_api_expired_preview_is_422_and_deleted(client_for, world: World):
    client = client_for("admin")
    preview = client.post(api_url(world), {"file": SimpleUploadedFile("mis.csv", GOOD)}).json()
    [kept] = previews(world.a)
    set_state(kept, created_at=timezone.now() - timedelta(hours=2))
    answer = client.post(
        api_url(world),
        {"upload_id": preview["upload_id"], "signature": preview["signature"], "confirm": True},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"]["upload_id"] == [EXPIRED]
    assert previews(world.a) == []


def test_api_another_schools_admin_gets_404_for_the_upload_id(client_for, world: World):
    preview = (
        client_for("admin")
        .post(api_url(world), {"file": SimpleUploadedFile("mis.csv", GOOD)})
        .json()
    )
    answer = client_for("other_admin").post(
        api_url(world, school=world.b),
        {"upload_id": preview["upload_id"], "signature": preview["signature"], "confirm": True},
    )
    assert answer.status_code == 404
    assert len(previews(world.a)) == 1 and mis_ids(world.b) == set()


def test_api_oneroster_preview_then_confirm_by_upload_id(client_for, world: World):
    with school_scope(world.a):
        data = oneroster_export(actor=world.admin, school=world.a)
    client = client_for("admin")
    url = api_url(world, "oneroster")
    preview = client.post(url, {"file": SimpleUploadedFile("or.zip", data)}).json()
    answer = client.post(
        url,
        {"upload_id": preview["upload_id"], "signature": preview["signature"], "confirm": True},
    )
    assert answer.status_code == 202, answer.content
    assert previews(world.a) == []
