"""The API's class filter and UPN search are the pages' (ROS-1, ROS-3, TEN-3)."""

from tests import factories as f
from tests.conftest import World


def test_api_class_list_uses_the_same_filter(api_as, world: World):
    f.teaching_class(world.a, "7X Sci", subject="Science", teachers=[world.teacher])
    api = api_as("admin")
    rows = api.get(api.school("/classes"), subject="Maths", teacher=world.teacher.pk).json()
    assert [c["name"] for c in rows] == ["7A Maths"]


def test_teachers_cannot_search_by_upn_through_the_api(api_as, world: World):
    """TEN-3: teachers do not see UPNs, so they cannot probe them either."""
    teacher, admin = api_as("teacher"), api_as("admin")
    assert teacher.get(teacher.school("/pupils"), q=world.amy.upn).json()["count"] == 0
    assert admin.get(admin.school("/pupils"), q=world.amy.upn).json()["count"] == 1
