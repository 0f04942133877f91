"""Every upload limit message names the file's real size, not the limit plus one byte
(ROS-2, ROS-4): the class-list, MIS and OneRoster pages (the API: tests/api/test_imports.py)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from markbook.core.tenancy import school_scope
from markbook.rosters.models import Pupil
from tests.conftest import World

BIG = b"class,first name,last name\n" + b"9Q Art,Zed,Zane\n" * 100  # 1,627 bytes
LIMIT = 40


def _post(client, world: World, name: str, data: bytes):  # type: ignore[no-untyped-def]
    url = reverse(f"rosters:{name}", kwargs={"school_id": world.a.pk})
    return client.post(url, {"file": SimpleUploadedFile("upload.csv", data)})


@override_settings(MARKBOOK_MAX_UPLOAD_BYTES=LIMIT)
@pytest.mark.parametrize("page", ["classlist_upload", "mis_upload", "oneroster"])
def test_upload_pages_name_the_files_real_size(client_for, world: World, page: str):
    """ROS-2, ROS-4: the message reports 1,627 bytes, never 41."""
    html = _post(client_for("admin"), world, page, BIG).content.decode()
    assert f"The file is {len(BIG):,} bytes; the limit is {LIMIT} bytes." in html
    assert f"{LIMIT + 1} bytes" not in html
    with school_scope(world.a):
        assert not Pupil.objects.filter(username="zed.zane").exists()
