"""The register, the published document and a parent's page read in a fixed number of
queries, whatever the number of services, purposes and answers (CON-1 to CON-3)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from markbook.consent import services
from markbook.core.tenancy import school_scope
from tests.factories import consent_world

pytestmark = pytest.mark.django_db


def _more(world, n: int) -> None:  # type: ignore[no-untyped-def]
    with school_scope(world.a):
        for i in range(n):
            entry = services.service_create(
                actor=None,
                school=world.a,
                name=f"Service {i}",
                provider="Provider",
                data_shared=["identity"],
                consent_needed=True,
            )
            services.consent_decide(
                actor=world.parent, pupil=world.amy, answer="given", service=entry
            )
            purpose = services.purpose_create(
                actor=None, school=world.a, name=f"Purpose {i}", description="Something."
            )
            services.consent_decide(
                actor=world.parent, pupil=world.amy, answer="refused", purpose=purpose
            )


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("admin", "consent:register"),
        ("admin", "consent:purposes"),
        ("admin", "consent:overview"),
        ("parent", "consent:published"),
        ("parent", "consent:children"),
    ],
)
def test_pages_take_the_same_queries_with_more_services(world, client_for, role, name):
    """CON-1, CON-2, CON-3: four more services and purposes, each answered: no more
    queries on the register, the purposes, the counts, the published page or the
    parent's page."""
    consent_world(world)
    client = client_for(role)
    url = reverse(name, args=[world.a.pk])
    client.get(url)  # first use sets up the register
    few = _count(client, url)
    _more(world, 4)
    assert _count(client, url) == few
