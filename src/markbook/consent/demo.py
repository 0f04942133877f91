"""Demo content (CON-1 to CON-4): a few services on the demo school's register and
parents' answers for most children, written in bulk so the demo seed stays fast.
Runs inside the school's scope; seeded once (a second run adds nothing)."""

import random
from datetime import date, timedelta

from django.utils import timezone

from markbook.audit import services as audit
from markbook.consent import services
from markbook.consent.models import (
    ConsentDecision,
    ConsentPurpose,
    DescriptionVersion,
    ServiceEntry,
)
from markbook.rosters.models import GuardianLink, Pupil
from markbook.schools.models import School

S, T, R = ServiceEntry.Section, ServiceEntry.Type, ServiceEntry.Status
SERVICES = (
    {
        "name": "Google Workspace for Education",
        "provider": "Google Ireland Limited",
        "website": "https://edu.google.com/",
        "purpose": "Classroom, email and shared documents for homework and class work.",
        "data_shared": ["identity", "contact details", "education record"],
        "data_detail": "Name, class, school email address and the work pupils hand in.",
        "service_type": T.FREE,
        "section": S.PUPILS_PARENTS,
        "risk_status": R.APPROVED,
        "consent_needed": True,
        "offline_alternative": "Printed homework sheets handed in on paper.",
    },
    {
        "name": "Arbor MIS",
        "provider": "Arbor Education Partners Ltd",
        "website": "https://arbor-education.com/",
        "purpose": "The school's management information system: admissions, attendance, contacts.",
        "data_shared": ["identity", "contact details", "pupil characteristics", "special category"],
        "service_type": T.PURCHASED,
        "section": S.MANAGEMENT,
        "risk_status": R.APPROVED,
    },
    {
        "name": "Sparx Maths",
        "provider": "Sparx Ltd",
        "website": "https://sparxmaths.com/",
        "purpose": "Personalised maths homework.",
        "data_shared": ["identity", "education record"],
        "data_detail": "Name, class, year group and homework answers.",
        "service_type": T.PURCHASED,
        "section": S.PUPILS_PARENTS,
        "year_groups": ["7", "8", "9"],
        "risk_status": R.APPROVED,
        "consent_needed": True,
        "offline_alternative": "A printed homework booklet.",
    },
    {
        "name": "Padlet",
        "provider": "Wallwisher Inc.",
        "website": "https://padlet.com/",
        "purpose": "Shared boards for class discussion.",
        "data_shared": ["identity"],
        "service_type": T.FREE,
        "section": S.OTHER,
        "risk_status": R.AWAITING,
        "consent_needed": True,
        "offline_alternative": "Sticky notes on the classroom wall.",
    },
)


def demo_consent(school: School) -> dict[str, int]:
    """Seed the register and the parents' answers; the counts. One summary event in
    the access log, as the roster's demo writes."""
    services.setup_rows(school)
    if ServiceEntry.objects.filter(builtin=False).exists():
        return {"services": 0, "decisions": 0}
    today = timezone.localdate()
    entries = ServiceEntry.objects.bulk_create(
        ServiceEntry(school=school, risk_assessed_on=today - timedelta(days=40), **spec)
        for spec in SERVICES
    )
    ServiceEntry.objects.filter(builtin=True).update(
        risk_status=R.APPROVED, risk_assessed_on=date(today.year, 9, 1)
    )
    DescriptionVersion.objects.bulk_create(
        DescriptionVersion(school=school, service=e, number=1, text=services.service_description(e))
        for e in entries
    )
    rng = random.Random(school.pk)
    asked: list[ServiceEntry | ConsentPurpose] = [
        *ServiceEntry.objects.filter(consent_needed=True, risk_status=R.APPROVED),
        *ConsentPurpose.objects.filter(active=True).exclude(key=services.GLOBAL_LEADERBOARD),
    ]
    parents = dict(GuardianLink.objects.order_by("pk").values_list("pupil_id", "parent_id"))
    pupils = Pupil.objects.filter(status=Pupil.Status.ON_ROLL, pk__in=parents).only(
        "pk", "year_group"
    )
    now = timezone.now()
    decisions = []
    for pupil in pupils:
        for thing in asked:
            years = getattr(thing, "year_groups", [])
            if years and pupil.year_group not in years:
                continue
            roll = rng.random()
            if roll < 0.25:
                continue  # not answered yet
            decisions.append(
                ConsentDecision(
                    school=school,
                    pupil=pupil,
                    version=thing.version,
                    answer="given" if roll < 0.85 else "refused",
                    decided_by_id=parents[pupil.pk],
                    decided_at=now - timedelta(days=rng.randint(1, 30)),
                    **(
                        {"service": thing}
                        if isinstance(thing, ServiceEntry)
                        else {"purpose": thing}
                    ),
                )
            )
    ConsentDecision.objects.bulk_create(decisions, batch_size=1000)
    counts = {"services": len(SERVICES), "decisions": len(decisions)}
    audit.record(actor=None, school=school, action="consent.demo.seeded", data=counts)
    return counts
