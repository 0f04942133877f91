"""The demo's register and consent (CON-1, CON-2): a few services, most children's
parents answered, Markbook's own entry approved; seeded once."""

import pytest

from markbook.consent import selectors
from markbook.consent.demo import demo_consent
from markbook.consent.models import ConsentDecision, ServiceEntry
from markbook.core.tenancy import school_scope

pytestmark = pytest.mark.django_db


def test_the_demo_school_gets_services_and_answers_once(world):
    """CON-1, CON-2: the demo's services, its parents' answers counted as stored."""
    with school_scope(world.a):
        counts = demo_consent(world.a)
        assert counts["services"] == 4 and counts["decisions"] > 0
        assert ServiceEntry.objects.count() == 5
        assert ServiceEntry.objects.get(builtin=True).risk_status == "approved"
        # Only Amy has a parent: every decision is hers, by her parent.
        assert set(ConsentDecision.objects.values_list("pupil_id", "decided_by_id")) == {
            (world.amy.pk, world.parent.pk)
        }
        assert sum(c.given + c.refused for c in selectors.consent_counts()) == counts["decisions"]
        assert demo_consent(world.a) == {"services": 0, "decisions": 0}
