"""The one small fixed world every test shares (style.md, Tests).

School A (in Trust T): an administrator, a teacher with class 7A (pupils Amy and
Ben), a colleague teaching 7B (pupil Cal), a parent of Amy. School B (no trust):
its own administrator, teacher (class B1 with pupil Dee) and parent. A trust
administrator of T, and a platform staff member with no grant.
"""

from dataclasses import dataclass

import factory.random
import pytest
from django.conf import settings
from django.core.cache import cache

from markbook.accounts.models import Membership, User
from markbook.core import keys
from markbook.core.tenancy import all_schools
from markbook.rosters.models import Pupil, TeachingClass
from markbook.schools.models import School, TrustAdmin
from tests import factories as f

# One process's memory for the cache (settings.py uses the database cache when there is
# no Redis): a test's query counts then count only its own queries, and the live server
# of the browser tests runs in this process, so it sees what a test put there.
settings.CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
}

ROLES = (
    "anonymous",
    "pupil",
    "parent",
    "teacher",
    "colleague",
    "admin",
    "trust_admin",
    "platform_staff",
    "other_teacher",
    "other_admin",
)


@dataclass
class World:
    a: School
    b: School
    admin: User
    teacher: User
    colleague: User
    parent: User
    trust_admin: User
    platform_staff: User
    other_admin: User
    other_teacher: User
    other_parent: User
    amy: Pupil
    ben: Pupil
    cal: Pupil
    dee: Pupil
    class_7a: TeachingClass
    class_7b: TeachingClass
    class_b1: TeachingClass

    def user(self, role: str) -> User | None:
        """The user playing `role` in the permission matrix."""
        return {
            "anonymous": None,
            "pupil": self.amy.user,
            "parent": self.parent,
            "teacher": self.teacher,
            "colleague": self.colleague,
            "admin": self.admin,
            "trust_admin": self.trust_admin,
            "platform_staff": self.platform_staff,
            "other_teacher": self.other_teacher,
            "other_admin": self.other_admin,
        }[role]


@pytest.fixture(autouse=True)
def _clean_state(request):  # type: ignore[no-untyped-def]
    # Faker's names differ from test to test but not from run to run: a name that trips a
    # test (an O'Neill, a Davies) trips it every time, never only now and then.
    factory.random.reseed_random(f"markbook:{request.node.nodeid}")
    cache.clear()
    keys.forget_cached_keys()
    yield
    cache.clear()
    keys.forget_cached_keys()


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    with all_schools():
        trust = f.TrustFactory(name="Oak Learning Trust")
        a = f.SchoolFactory(name="Oakfield Academy", trust=trust, email_domains=["oakfield.sch.uk"])
        b = f.SchoolFactory(name="Birchwood Primary", email_domains=["birchwood.sch.uk"])
        admin = f.member(a, Membership.Role.SCHOOL_ADMIN, email="admin@oakfield.sch.uk")
        teacher = f.member(a, Membership.Role.TEACHER, email="teacher@oakfield.sch.uk")
        colleague = f.member(a, Membership.Role.TEACHER, email="colleague@oakfield.sch.uk")
        parent = f.member(a, Membership.Role.PARENT, email="parent@example.org")
        other_admin = f.member(b, Membership.Role.SCHOOL_ADMIN, email="admin@birchwood.sch.uk")
        other_teacher = f.member(b, Membership.Role.TEACHER, email="teacher@birchwood.sch.uk")
        other_parent = f.member(b, Membership.Role.PARENT, email="parent2@example.org")
        trust_admin = f.UserFactory(email="ceo@oaktrust.org.uk")
        TrustAdmin.objects.create(trust=trust, user=trust_admin)
        platform_staff = f.UserFactory(email="support@markbook.example", is_platform_staff=True)
        amy = f.pupil_with_account(
            a,
            first_name="Amy",
            last_name="Adams",
            username="amy.adams",
            email="amy.adams@oakfield.sch.uk",
        )
        ben = f.pupil_with_account(
            a,
            first_name="Ben",
            last_name="Brown",
            username="ben.brown",
            email="ben.brown@gmail.com",
        )
        cal = f.pupil_with_account(a, first_name="Cal", last_name="Clark", username="cal.clark")
        dee = f.pupil_with_account(
            b, first_name="Dee", last_name="Davies", username="dee.davies", year_group="5"
        )
        f.link_parent(parent, amy)
        f.link_parent(other_parent, dee)
        class_7a = f.teaching_class(
            a, "7A Maths", subject="Maths", year_group="7", teachers=[teacher], pupils=[amy, ben]
        )
        class_7b = f.teaching_class(
            a, "7B Maths", subject="Maths", year_group="7", teachers=[colleague], pupils=[cal]
        )
        class_b1 = f.teaching_class(
            b, "Class B1", subject="English", year_group="5", teachers=[other_teacher], pupils=[dee]
        )
    return World(
        a,
        b,
        admin,
        teacher,
        colleague,
        parent,
        trust_admin,
        platform_staff,
        other_admin,
        other_teacher,
        other_parent,
        amy,
        ben,
        cal,
        dee,
        class_7a,
        class_7b,
        class_b1,
    )


@pytest.fixture
def client_for(client, world):  # type: ignore[no-untyped-def]
    """client_for(role) -> a test client signed in as that role's user (or anonymous)."""

    def make(role: str):  # type: ignore[no-untyped-def]
        from django.test import Client

        c = Client()
        user = world.user(role)
        if user is not None:
            c.force_login(user)
        return c

    return make
