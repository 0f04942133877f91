"""The school's register of online services (CON-1): kept by administrators and the
data protection lead, Markbook itself on it from the data inventory, a save that
changes nothing writes nothing, removal says what goes and asks first."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from markbook.accounts.models import Membership
from markbook.audit.models import AuditEvent
from markbook.consent import markbook, selectors, services
from markbook.consent.models import ConsentDecision, DescriptionVersion, ServiceEntry
from markbook.core.tenancy import all_schools, school_scope
from markbook.privacy.inventory import REGISTRY, Basis, Category, Declaration, Erasure, Personal
from tests.factories import consent_world

pytestmark = pytest.mark.django_db


def _events(action: str) -> int:
    with all_schools():
        return AuditEvent.objects.filter(action=action).count()


def test_setup_puts_markbook_and_the_default_purposes_on_the_register_once(world):
    """CON-1, CON-4: a new school starts with Markbook on its register and the default
    purposes (photographs, newsletters, the global leaderboard); running it again adds
    nothing, and School B is untouched."""
    with school_scope(world.a):
        assert services.consent_setup(school=world.a) == 1 + len(services.DEFAULT_PURPOSES)
        assert services.consent_setup(school=world.a) == 0
        assert list(ServiceEntry.objects.values_list("name", "builtin")) == [("Markbook", True)]
        keys = set(selectors.purposes().values_list("key", flat=True))
    assert {"photos_website", "names_newsletter", services.GLOBAL_LEADERBOARD} <= keys
    with school_scope(world.b):
        assert not ServiceEntry.objects.exists()


def _inventory_categories() -> set[str]:
    return {str(p.category) for d in REGISTRY.values() for p in d.personal.values()}


def test_markbook_entry_shows_every_category_of_the_data_inventory(world, client_for):
    """CON-1, DSR-1: Markbook's entry is generated from the inventory: every category of
    personal data the inventory declares is on the register page, the API and the
    published document, so a new category cannot be left off."""
    consent_world(world)
    categories = _inventory_categories()
    assert categories == set(markbook.profile().categories)
    html = client_for("admin").get(reverse("consent:register", args=[world.a.pk])).content.decode()
    api = client_for("admin").get(f"/api/schools/{world.a.pk}/consent/register").json()
    published = client_for("parent").get(reverse("consent:published", args=[world.a.pk]))
    builtin = next(e for e in api if e["builtin"])
    assert set(builtin["data_shared"]) == categories
    for category in categories:
        assert category in html
        assert category in published.content.decode()


def test_the_markbook_profile_follows_a_changed_inventory():
    """CON-1: the check above can fail: an inventory with one more category (or fewer)
    gives a different entry."""
    one = {
        "x.Thing": Declaration(
            "x.Thing",
            "self",
            {
                "name": Personal(
                    Category.SPECIAL,
                    "a test purpose",
                    Basis.CONSENT,
                    "nobody",
                    "a day",
                    Erasure.DELETE_ROW,
                )
            },
        )
    }
    assert markbook.profile(one).categories == [str(Category.SPECIAL)]
    assert markbook.profile(one).categories != markbook.profile().categories


def test_saving_an_entry_unchanged_writes_nothing(world):
    """CON-1, ROS-1: the same values again: no row changes, no version, no log event."""
    made = consent_world(world)
    entry = made["service"]
    fields = {name: getattr(entry, name) for name in services.SERVICE_FIELDS}
    before = _events("consent.service.changed")
    with school_scope(world.a):
        assert services.service_update(actor=world.admin, entry=entry, **fields) == []
        entry.refresh_from_db()
        assert entry.version == 1
        assert DescriptionVersion.objects.filter(service=entry).count() == 1
    assert _events("consent.service.changed") == before


def test_changing_the_description_asks_parents_again(world):
    """CON-2: a new purpose is a new version; the earlier consent no longer counts. A
    change that is not the description (the risk assessment) keeps the version."""
    made = consent_world(world)
    entry = made["service"]
    with school_scope(world.a):
        services.consent_decide(actor=world.parent, pupil=world.amy, answer="given", service=entry)
        target = selectors.Target("service", entry)
        assert selectors.states([world.amy.pk], [target])[("service", entry.pk)] == {
            world.amy.pk: "given"
        }
        services.service_update(actor=world.admin, entry=entry, risk_status="awaiting")
        assert entry.version == 1
        changed = services.service_update(
            actor=world.admin, entry=entry, purpose="Reading practice and spelling games."
        )
        assert changed == ["purpose"] and entry.version == 2
        versions = list(DescriptionVersion.objects.filter(service=entry).order_by("number"))
        assert [v.number for v in versions] == [1, 2]
        assert "spelling games" in versions[1].text and "spelling" not in versions[0].text
        target = selectors.Target("service", entry)
        assert selectors.states([world.amy.pk], [target])[("service", entry.pk)] == {}
        # The earlier decision is kept, with the version it answered.
        assert list(ConsentDecision.objects.values_list("version", "answer")) == [(1, "given")]


def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(world):
    """CON-1: an unknown category of data, a year group that is not one, a name already
    on the register: clear refusals, nothing written."""
    consent_world(world)
    with school_scope(world.a):
        count = ServiceEntry.objects.count()
        with pytest.raises(ValidationError) as error:
            services.service_create(
                actor=world.admin,
                school=world.a,
                name="Padlet",
                provider="Padlet",
                data_shared=["shoe size"],
                year_groups=["14"],
            )
        assert set(error.value.message_dict) == {"data_shared", "year_groups"}
        assert "shoe size" in error.value.message_dict["data_shared"][0]
        with pytest.raises(ValidationError) as error:
            services.service_create(
                actor=world.admin, school=world.a, name="reading eggs", provider="x"
            )
        assert "already" in error.value.message_dict["name"][0]
        assert ServiceEntry.objects.count() == count


def test_markbooks_own_entry_keeps_the_inventory_parts(world):
    """CON-1: the school sets Markbook's risk assessment and year groups; its purpose and
    data shared come from the inventory and cannot be typed over; it cannot be removed."""
    consent_world(world)
    with school_scope(world.a):
        builtin = ServiceEntry.objects.get(builtin=True)
        assert services.service_update(actor=world.admin, entry=builtin, risk_status="approved")
        with pytest.raises(ValidationError) as error:
            services.service_update(actor=world.admin, entry=builtin, purpose="Anything")
        assert "purpose" in error.value.message_dict
        with pytest.raises(ValidationError):
            services.service_delete(actor=world.admin, entry=builtin)
        assert ServiceEntry.objects.filter(builtin=True).exists()


def test_removal_says_what_goes_and_asks_first(world, client_for):
    """CON-1: the confirm page counts the consent records that go; only the POST removes
    the entry, with them."""
    made = consent_world(world)
    entry = made["service"]
    with school_scope(world.a):
        services.consent_decide(actor=world.parent, pupil=world.amy, answer="given", service=entry)
        services.consent_decide(
            actor=world.parent, pupil=world.amy, answer="refused", service=entry
        )
    client = client_for("admin")
    url = reverse("consent:service_delete", args=[world.a.pk, entry.pk])
    page = client.get(url).content.decode()
    assert "2 consent records" in page and "1 child" in page
    with school_scope(world.a):
        assert ServiceEntry.objects.filter(pk=entry.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    with school_scope(world.a):
        assert not ServiceEntry.objects.filter(pk=entry.pk).exists()
        assert not ConsentDecision.objects.exists()
    assert _events("consent.service.deleted") == 1


def test_an_administrator_adds_a_service_from_the_page(world, client_for):
    """CON-1: the add form stores every field of the register."""
    consent_world(world)
    response = client_for("admin").post(
        reverse("consent:service_new", args=[world.a.pk]),
        {
            "name": "Google Classroom",
            "provider": "Google",
            "website": "https://classroom.google.com/",
            "purpose": "Homework and class materials.",
            "data_shared": ["identity", "contact details"],
            "data_detail": "Name and school email address.",
            "service_type": "free",
            "section": "pupils",
            "year_groups": ["7", "8"],
            "risk_assessed_on": "2026-09-10",
            "risk_status": "approved",
            "consent_needed": "on",
            "offline_alternative": "Paper worksheets.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with school_scope(world.a):
        entry = ServiceEntry.objects.get(name="Google Classroom")
    assert entry.data_shared == ["identity", "contact details"]
    assert entry.year_groups == ["7", "8"] and entry.consent_needed
    assert str(entry.risk_assessed_on) == "2026-09-10"


def test_the_data_protection_lead_keeps_the_register(world):
    """CON-1, DSR-6: a teacher who is the school's data protection lead may keep the
    register; a teacher who is not may not."""
    from django.test import Client

    consent_world(world)
    with all_schools():
        Membership.objects.create(user=world.colleague, school=world.a, role=Membership.Role.DPO)
    url = reverse("consent:register", args=[world.a.pk])
    dpo, teacher = Client(), Client()
    dpo.force_login(world.colleague)
    teacher.force_login(world.teacher)
    assert dpo.get(url).status_code == 200
    assert teacher.get(url).status_code == 404
    assert dpo.get(f"/api/schools/{world.a.pk}/consent/register").status_code == 200
