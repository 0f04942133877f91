"""Census codes are shown by their meaning on pupil pages and forms ("Any other ethnic
group", not "OOTH"); files and the API keep the codes (ROS-2, docs/domain.md Codes)."""

import re

from django.urls import reverse

from markbook.core.tenancy import school_scope
from markbook.rosters import codes, services
from markbook.rosters.models import Pupil
from tests.conftest import World


def test_the_meanings_cover_exactly_the_codes_the_services_accept():
    assert tuple(codes.SEN_PROVISION) == services.SEN_PROVISION_CODES
    assert tuple(codes.SEN_NEED) == services.SEN_NEED_CODES
    assert tuple(codes.ETHNICITY) == services.ETHNICITY_CODES


def _coded_amy(world: World) -> Pupil:
    with school_scope(world.a):
        amy = Pupil.objects.get(pk=world.amy.pk)
        amy.sex, amy.sen_provision, amy.sen_need, amy.ethnicity = "F", "K", "ASD", "OOTH"
        amy.save()
    return amy


def test_pupil_page_shows_meanings_not_codes(client_for, world: World):
    amy = _coded_amy(world)
    url = reverse("rosters:pupil_detail", kwargs={"school_id": world.a.pk, "pupil_id": amy.pk})
    page = client_for("admin").get(url).content.decode()
    values = re.findall(r"<dd>([^<]*)</dd>", page)
    for meaning in (
        "Female",
        "SEN support",
        "Autistic spectrum disorder",
        "Any other ethnic group",
    ):
        assert meaning in values
    for code in ("F", "K", "ASD", "OOTH"):
        assert code not in values


def test_the_edit_form_offers_meanings_and_keeps_codes_as_values(client_for, world: World):
    amy = _coded_amy(world)
    url = reverse("rosters:pupil_edit", kwargs={"school_id": world.a.pk, "pupil_id": amy.pk})
    page = client_for("admin").get(url).content.decode()
    assert '<option value="OOTH" selected>Any other ethnic group (OOTH)</option>' in page
    assert '<option value="K" selected>SEN support (K)</option>' in page
    assert '<option value="E">Education, health and care plan (E)</option>' in page


def test_the_api_keeps_the_codes(client_for, world: World):
    amy = _coded_amy(world)
    data = client_for("admin").get(f"/api/schools/{world.a.pk}/pupils/{amy.pk}").json()
    assert (data["sensitive"]["sen_provision"], data["sensitive"]["ethnicity"]) == ("K", "OOTH")
