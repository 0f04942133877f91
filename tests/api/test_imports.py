"""API: MIS and OneRoster imports (preview, confirm -> job, status) and the OneRoster
export (ROS-2, ROS-3, ROS-4, TEN-3). Administrators and trust administrators only."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from markbook.core.tenancy import school_scope
from markbook.rosters.models import ImportJob, Pupil
from markbook.rosters.oneroster.export import oneroster_export
from markbook.rosters.oneroster.import_ import COUNTS
from tests.conftest import World
from tests.factories import stalled_import_job
from tests.rosters.test_import_jobs import run_worker
from tests.rosters.test_mis_import import GOOD


def upload(api, path: str, data: bytes, name: str = "mis.csv", **fields):  # type: ignore[no-untyped-def]
    return api.client.post(api.school(path), {"file": SimpleUploadedFile(name, data), **fields})


def pupils_with_mis_ids(world: World) -> int:
    with school_scope(world.a):
        return Pupil.objects.exclude(mis_id="").count()


@pytest.mark.parametrize("role", ["admin", "trust_admin"])
def test_mis_preview_reports_counts_and_writes_nothing(api_as, world: World, role: str):
    response = upload(api_as(role), "/imports/mis", GOOD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and body["rows"] == 3
    assert body["counts"] == {"added": 3, "changed": 0, "unchanged": 0, "leavers": 0}
    assert body["columns"]["Legal Surname"] == "surname"
    assert pupils_with_mis_ids(world) == 0


@pytest.mark.parametrize("role", ["teacher", "pupil", "parent", "other_admin"])
def test_mis_import_is_404_for_everyone_else(api_as, world: World, role: str):
    assert upload(api_as(role), "/imports/mis", GOOD, confirm="true").status_code == 404
    assert pupils_with_mis_ids(world) == 0


def test_bad_file_gives_422_with_problems_by_row_and_column(api_as, world: World):
    bad = GOOD.replace(b"Year 7", b"Year 14").replace(b"2014-10-02", b"31/02/2014")
    response = upload(api_as("admin"), "/imports/mis", bad, confirm="true")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "mis.csv cannot be imported: 2 errors."
    assert [(p["row"], p["column"]) for p in body["problems"]] == [
        (2, "year group"),
        (3, "date of birth"),
    ]
    assert set(body["errors"]) == {"row 2, year group", "row 3, date of birth"}
    with school_scope(world.a):
        assert not ImportJob.objects.exists()  # nothing queued


def test_unreadable_file_gives_422_about_the_whole_file(api_as, world: World):
    response = upload(api_as("admin"), "/imports/mis", b"\xff\xfe\x00bad", name="x.csv")
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert (problem["row"], problem["column"]) == (None, "")
    assert "UTF-16" in problem["message"]


def test_mapping_that_is_not_a_json_object_is_a_422_naming_it(api_as, world: World):
    response = upload(api_as("admin"), "/imports/mis", GOOD, mapping="[1]")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["mapping"]


def test_missing_file_is_a_422_naming_it(api_as, world: World):
    response = api_as("admin").client.post(api_as("admin").school("/imports/mis"), {})
    assert response.status_code == 422
    assert "file" in response.json()["errors"]


def test_mis_confirm_queues_a_job_the_worker_runs_and_status_follows(api_as, world: World):
    api = api_as("trust_admin")
    response = upload(api, "/imports/mis", GOOD, confirm="true")
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "queued" and job["kind"] == "mis" and job["filename"] == "mis.csv"
    assert job["url"] == reverse("rosters:import_job", args=[world.a.pk, job["id"]])
    assert pupils_with_mis_ids(world) == 0

    status = api.get(api.school(f"/imports/{job['id']}"))
    assert status.status_code == 200 and status.json()["status"] == "queued"
    run_worker()
    done = api.get(api.school(f"/imports/{job['id']}")).json()
    assert done["status"] == "done" and done["error"] == ""
    assert done["progress"] == {"done": 3, "total": 3}
    assert done["summary"]["added"] == 3
    assert pupils_with_mis_ids(world) == 3


def test_preview_false_also_imports(api_as, world: World):
    response = upload(api_as("admin"), "/imports/mis", GOOD, preview="false")
    assert response.status_code == 202


@pytest.mark.parametrize("role", ["teacher", "colleague", "pupil", "other_admin"])
def test_job_status_is_404_for_everyone_else(api_as, world: World, role: str):
    job = upload(api_as("admin"), "/imports/mis", GOOD, confirm="true").json()
    assert api_as(role).get(api_as(role).school(f"/imports/{job['id']}")).status_code == 404


def test_job_of_another_school_is_404_through_ones_own_school(api_as, world: World):
    # other_admin posting to School A's URL: 404; to their own school's: a job of School B.
    assert upload(api_as("other_admin"), "/imports/mis", GOOD, confirm="true").status_code == 404
    api_b = api_as("other_admin")
    response = api_b.client.post(
        api_b.school("/imports/mis", school=world.b), {"file": SimpleUploadedFile("m.csv", GOOD)}
    )
    assert response.status_code == 200  # a preview in School B
    queued = api_b.client.post(
        api_b.school("/imports/mis", school=world.b),
        {"file": SimpleUploadedFile("m.csv", GOOD), "confirm": "true"},
    ).json()
    api = api_as("admin")
    assert api.get(api.school(f"/imports/{queued['id']}")).status_code == 404


# --- OneRoster ------------------------------------------------------------------------


def export_of_a(world: World) -> bytes:
    with school_scope(world.a):
        return oneroster_export(actor=world.admin, school=world.a)


def test_oneroster_preview_then_confirm_queues_a_job(api_as, world: World):
    api = api_as("admin")
    data = export_of_a(world)
    preview = upload(api, "/imports/oneroster", data, name="oneroster.zip")
    assert preview.status_code == 200, preview.content
    assert preview.json()["ok"] is True and preview.json()["counts"]["pupils_created"] == 0
    counts = preview.json()["counts"]
    assert set(counts) == set(COUNTS)  # every count of the import, parents' too (ROS-4)
    assert (counts["parents_matched"], counts["parent_links_added"]) == (1, 0)
    queued = upload(api, "/imports/oneroster", data, name="oneroster.zip", confirm="true")
    assert queued.status_code == 202 and queued.json()["kind"] == "oneroster"
    run_worker()
    done = api.get(api.school(f"/imports/{queued.json()['id']}")).json()
    assert done["status"] == "done", done["error"]
    assert done["summary"]["pupils_matched"] == 3
    assert done["summary"]["parents_matched"] == 1


def test_oneroster_bad_zip_gives_422_naming_file_row_and_column(api_as, world: World):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", "propertyName,value\nfile.users,bulk\n")
    response = upload(api_as("admin"), "/imports/oneroster", buffer.getvalue(), name="x.zip")
    assert response.status_code == 422
    body = response.json()
    assert body["problems"] and all({"file", "row", "column"} <= set(p) for p in body["problems"])
    assert body["errors"]


@pytest.mark.parametrize("role", ["admin", "trust_admin"])
def test_oneroster_export_is_the_zip(api_as, world: World, role: str):
    api = api_as(role)
    response = api.get(api.school("/exports/oneroster"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        users = archive.read("users.csv").decode()
    assert "Amy" in users and "Dee" not in users


@pytest.mark.parametrize("role", ["teacher", "parent", "other_admin", "platform_staff"])
def test_oneroster_export_is_404_for_everyone_else(api_as, world: World, role: str):
    api = api_as(role)
    assert api.get(api.school("/exports/oneroster")).status_code == 404


def test_openapi_declares_the_import_operations_with_their_errors(api_as, world: World):
    schema = json.loads(api_as("admin").client.get("/api/openapi.json").content)
    operation = schema["paths"]["/api/schools/{school_id}/imports/mis"]["post"]
    assert {"200", "202", "401", "403", "404", "422"} <= set(operation["responses"])
    assert "multipart/form-data" in operation["requestBody"]["content"]


# --- Stalled jobs: retry and cancel (ROS-2, ROS-4) ------------------------------------------


def test_job_read_shows_a_stalled_job_with_what_to_do(api_as, world: World):
    job = stalled_import_job(world.a, actor=world.admin)
    api = api_as("admin")
    body = api.get(api.school(f"/imports/{job.pk}")).json()
    assert body["status"] == "running" and body["stalled"] is True and body["retryable"] is True
    assert body["attempt"] == 1 and body["heartbeat_at"]
    assert "stopped responding" in body["notice"] and "Nothing was written" in body["notice"]
    healthy = upload(api, "/imports/mis", GOOD, confirm="true").json()
    assert (healthy["stalled"], healthy["retryable"], healthy["notice"]) == (False, False, "")


def test_api_retry_queues_the_next_attempt_which_the_worker_runs(api_as, world: World):
    job = stalled_import_job(world.a, actor=world.admin, data=GOOD)
    api = api_as("trust_admin")
    response = api.post(api.school(f"/imports/{job.pk}/retry"), {"attempt": 1})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["attempt"], body["stalled"]) == ("queued", 2, False)
    again = api.post(api.school(f"/imports/{job.pk}/retry"), {"attempt": 1})
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "This import cannot be retried: it changed since you looked; check it again."
    )
    run_worker()
    done = api.get(api.school(f"/imports/{job.pk}")).json()
    assert done["status"] == "done" and done["summary"]["added"] == 3
    assert pupils_with_mis_ids(world) == 3


def test_api_cancel_fails_the_job_and_deletes_its_file(api_as, world: World):
    job = stalled_import_job(world.a, actor=world.admin, status="queued")
    api = api_as("admin")
    response = api.post(api.school(f"/imports/{job.pk}/cancel"), {"attempt": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "failed" and "Cancelled by an administrator" in body["error"]
    assert body["stalled"] is False and body["finished_at"]
    with school_scope(world.a):
        assert ImportJob.objects.get(pk=job.pk).upload is None
    assert api.post(api.school(f"/imports/{job.pk}/cancel"), {"attempt": 1}).status_code == 409


def test_api_refuses_to_retry_or_cancel_a_job_that_is_not_stalled(api_as, world: World):
    api = api_as("admin")
    job = upload(api, "/imports/mis", GOOD, confirm="true").json()
    for action in ("retry", "cancel"):
        response = api.post(api.school(f"/imports/{job['id']}/{action}"), {"attempt": 1})
        assert response.status_code == 409
        assert "it is queued and not stalled" in response.json()["detail"]
    assert api.post(api.school(f"/imports/{job['id']}/retry"), {}).status_code == 422


@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_another_schools_admin_gets_404_through_their_own_school(api_as, world: World, action):
    job = stalled_import_job(world.a, actor=world.admin)
    api = api_as("other_admin")
    url = api.school(f"/imports/{job.pk}/{action}", school=world.b)
    assert api.post(url, {"attempt": 1}).status_code == 404
    with school_scope(world.a):
        assert ImportJob.objects.get(pk=job.pk).status == "running"


def test_openapi_declares_409_for_retry_and_cancel(api_as, world: World):
    schema = json.loads(api_as("admin").client.get("/api/openapi.json").content)
    paths = schema["paths"]
    retry = paths["/api/schools/{school_id}/imports/{job_id}/retry"]["post"]
    cancel = paths["/api/schools/{school_id}/imports/{job_id}/cancel"]["post"]
    assert {"202", "404", "409", "422"} <= set(retry["responses"])
    assert {"200", "404", "409", "422"} <= set(cancel["responses"])


TOO_BIG = b"class,first name,last name\n" + b"9Q Art,Zed,Zane\n" * 100


@override_settings(MARKBOOK_MAX_UPLOAD_BYTES=40)
@pytest.mark.parametrize("path", ["/imports/mis", "/imports/oneroster"])
def test_import_api_names_the_files_real_size(api_as, world: World, path: str):
    """ROS-2, ROS-4: the API's 422 names the real size too."""
    api = api_as("admin")
    response = api.client.post(api.school(path), {"file": SimpleUploadedFile("u.csv", TOO_BIG)})
    assert response.status_code == 422
    message = response.json()["problems"][0]["message"]
    assert f"The file is {len(TOO_BIG):,} bytes; the limit is 40 bytes." in message
