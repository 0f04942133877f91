"""The one small fixed world every test shares (style.md, Tests).

School A (in Trust T): an administrator, a teacher with class 7A (pupils Amy and
Ben), a colleague teaching 7B (pupil Cal), a parent of Amy. School B (no trust):
its own administrator, teacher (class B1 with pupil Dee) and parent. A trust
administrator of T, and a platform staff member with no grant.
"""

import copy
from dataclasses import dataclass

import factory.random
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

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

# Property tests judge what the code does, never how fast a shared 2-core CI machine
# draws examples: no per-example deadline, no "too slow" health check.
hypothesis_settings.register_profile(
    "markbook", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("markbook")

# Argon2id with tiny costs (tests/hashers.py); production's hasher still verifies.
settings.PASSWORD_HASHERS = ["tests.hashers.QuickArgon2Hasher", *settings.PASSWORD_HASHERS]

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


def _commits(item: pytest.Item) -> bool:
    """A test whose database work is really committed (a live server, other threads or
    processes): it cannot run inside an open transaction."""
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )


def _uses_database(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return bool(item.get_closest_marker("django_db")) or bool(
        {"db", "transactional_db", "live_server", "world"} & names
    )


_SHARES_WORLD = pytest.StashKey[bool]()
_USES_DATABASE = pytest.StashKey[bool]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test first passes `_world_gate`, which decides whether it shares the world
    built for the tests before it (see there). A module with a test that commits builds
    the world for each test, as before."""
    committing = {item.nodeid.split("::")[0] for item in items if _commits(item)}
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is None:
            continue
        item.stash[_SHARES_WORLD] = (
            "world" in names and item.nodeid.split("::")[0] not in committing
        )
        item.stash[_USES_DATABASE] = _uses_database(item)
        if "_world_gate" not in names:
            names.insert(0, "_world_gate")  # before pytest-django opens the test's transaction


@dataclass
class _Shared:
    module: str = ""
    atomic: object = None
    world: World | None = None

    def close(self) -> None:
        if self.atomic is not None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)  # type: ignore[attr-defined]
        self.module, self.atomic, self.world = "", None, None


_shared = _Shared()


@pytest.fixture(scope="session")
def _shared_world_session(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    yield
    with django_db_blocker.unblock():
        _shared.close()


@pytest.fixture
def _world_gate(request, _shared_world_session, django_db_blocker):  # type: ignore[no-untyped-def]
    """The fixed world is built once for a run of consecutive tests of one module that
    take it, inside a transaction that is rolled back when the run ends: each test still
    runs in its own savepoint within it (pytest-django's `db`), so what a test changes is
    undone as before; only the building is shared. A test that does not take the world
    but uses the database ends the run first, so it never sees the world's rows."""
    item = request.node
    module = item.nodeid.split("::")[0]
    shares = item.stash.get(_SHARES_WORLD, False)
    if _shared.module and (
        module != _shared.module or (not shares and item.stash.get(_USES_DATABASE, True))
    ):
        with django_db_blocker.unblock():
            _shared.close()
    if shares and not _shared.module:
        with django_db_blocker.unblock():
            _shared.atomic = transaction.atomic()
            _shared.atomic.__enter__()  # type: ignore[attr-defined]
            factory.random.reseed_random(f"markbook:{module}")
            _shared.world = _build_world()
            _shared.module = module


@pytest.fixture
def world(request, db) -> World:  # type: ignore[no-untyped-def]
    if not request.node.stash.get(_SHARES_WORLD, False):
        return _build_world()
    # Fresh instances for each test: a test that changes one in memory (a save, a
    # refresh) leaves the next test's untouched, as its database rows are.
    return copy.deepcopy(_shared.world)


def _build_world() -> World:
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
