"""Writes on the service register and consent (CON-1, CON-2, CON-4): keyword-only,
atomic and audited, run inside the school's scope (TEN-4).

A save that changes nothing writes nothing and records nothing (ROS-1). Changing what
parents agree to (a service's name, provider, website, purpose or data shared; a
purpose's name or description) makes a new version: earlier answers no longer count
and parents are asked again (CON-2).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from markbook.audit import services as audit
from markbook.consent import markbook
from markbook.consent.models import (
    ConsentDecision,
    ConsentPurpose,
    DescriptionVersion,
    ServiceEntry,
)
from markbook.privacy.inventory import Category
from markbook.rosters.models import YEAR_GROUPS, Pupil
from markbook.schools.models import School

GLOBAL_LEADERBOARD = "global_leaderboard"

# The purposes a new school starts with (CON-4), and Markbook's own gated feature.
DEFAULT_PURPOSES: tuple[tuple[str, str, str, bool], ...] = (
    (
        "photos_website",
        "Photographs on the school website",
        "Photographs in which your child can be recognised may appear on the school's "
        "public website and its social media, without their full name.",
        False,
    ),
    (
        "names_newsletter",
        "Names in newsletters",
        "Your child's first name and class may appear in the school newsletter, for "
        "example for achievements and awards.",
        False,
    ),
    (
        "photos_press",
        "Photographs in the local press",
        "Photographs of school events may be given to local newspapers, which may print "
        "your child's name with them.",
        False,
    ),
    (
        GLOBAL_LEADERBOARD,
        "Global leaderboard",
        "Your child's display name (their pseudonym where the school uses them) and "
        "points may appear on leaderboards seen by pupils of other schools using Markbook.",
        True,
    ),
)

SERVICE_FIELDS = (
    "name",
    "provider",
    "website",
    "purpose",
    "data_shared",
    "data_detail",
    "service_type",
    "year_groups",
    "section",
    "risk_assessed_on",
    "risk_status",
    "consent_needed",
    "offline_alternative",
)
# What a parent agrees to: a change to any of these asks them again.
DESCRIBED = ("name", "provider", "website", "purpose", "data_shared", "data_detail")
# Markbook's own entry: what the school decides; the rest comes from the inventory.
BUILTIN_FIELDS = ("year_groups", "risk_assessed_on", "risk_status", "offline_alternative")
PURPOSE_FIELDS = ("name", "description", "active")

_YEARS = [code for code, _ in YEAR_GROUPS]
_CATEGORIES = [str(c) for c in Category]


def service_description(entry: ServiceEntry) -> str:
    """The text parents agree to, as kept with each version."""
    if entry.builtin:
        profile = markbook.profile()
        return f"{markbook.NAME}\n{profile.purpose}\nData: {', '.join(profile.categories)}"
    lines = [f"{entry.name} ({entry.provider})"]
    if entry.website:
        lines.append(entry.website)
    lines.append(f"Purpose: {entry.purpose}")
    lines.append("Data shared: " + (", ".join(entry.data_shared) or "none"))
    if entry.data_detail:
        lines.append(entry.data_detail)
    return "\n".join(lines)


def purpose_description(purpose: ConsentPurpose) -> str:
    return f"{purpose.name}\n{purpose.description}"


def _text(value: Any) -> str:
    """Typed text as stored: a browser's line ends made one, outer spaces dropped."""
    return str(value or "").replace("\r\n", "\n").strip()


def _clean_service(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for name in ("website", "purpose", "data_detail", "offline_alternative"):
        if name in fields:
            fields[name] = _text(fields[name])
    for name in ("name", "provider"):
        if name in fields:
            fields[name] = str(fields[name] or "").strip()
            if not fields[name]:
                errors[name] = [
                    "Give the service's " + ("name." if name == "name" else "provider.")
                ]
    if "data_shared" in fields:
        shared = list(dict.fromkeys(fields["data_shared"] or []))
        unknown = [c for c in shared if c not in _CATEGORIES]
        if unknown:
            errors["data_shared"] = [
                f"{', '.join(unknown)}: not a category of data; choose from {', '.join(_CATEGORIES)}."
            ]
        fields["data_shared"] = [c for c in _CATEGORIES if c in shared]
    if "year_groups" in fields:
        years = list(dict.fromkeys(str(y) for y in fields["year_groups"] or []))
        unknown = [y for y in years if y not in _YEARS]
        if unknown:
            errors["year_groups"] = [f"{', '.join(unknown)}: not a year group."]
        fields["year_groups"] = [y for y in _YEARS if y in years]
    for name, choices in (
        ("service_type", ServiceEntry.Type),
        ("section", ServiceEntry.Section),
        ("risk_status", ServiceEntry.Status),
    ):
        if name in fields and fields[name] not in choices.values:
            errors[name] = [f"{fields[name]!r} is not one of: {', '.join(choices.values)}."]
    if errors:
        raise ValidationError(errors)
    return fields


def _name_taken(school: School, name: str, entry: ServiceEntry | None) -> None:
    clash = ServiceEntry.objects.filter(school=school, name__iexact=name)
    if entry is not None:
        clash = clash.exclude(pk=entry.pk)
    if clash.exists():
        raise ValidationError({"name": [f"The register already has a service called {name}."]})


def _version(*, school: School, text: str, number: int, **target: Any) -> None:
    DescriptionVersion.objects.create(school=school, number=number, text=text, **target)


@transaction.atomic
def consent_setup(*, school: School, actor: Any = None) -> int:
    """Put Markbook on the school's register and give it the default consent purposes
    it lacks (by key: a school's edits are kept, a second run adds nothing); how many
    rows it added."""
    added = setup_rows(school)
    if added:
        audit.record(
            actor=actor, school=school, action="consent.register.set_up", data={"added": added}
        )
    return added


def setup_rows(school: School) -> int:
    """consent_setup's rows, unaudited: for the demo, which records one summary."""
    added = 0
    if not ServiceEntry.objects.filter(school=school, builtin=True).exists():
        entry = ServiceEntry.objects.create(
            school=school,
            builtin=True,
            name=markbook.NAME,
            provider=markbook.PROVIDER,
            service_type=ServiceEntry.Type.PURCHASED,
            section=ServiceEntry.Section.MANAGEMENT,
            risk_status=ServiceEntry.Status.AWAITING,
            offline_alternative="Paper records kept by the class teacher.",
        )
        _version(school=school, service=entry, number=1, text=service_description(entry))
        added += 1
    have = set(ConsentPurpose.objects.filter(school=school).values_list("key", flat=True))
    names = set(ConsentPurpose.objects.filter(school=school).values_list("name", flat=True))
    for key, name, description, builtin in DEFAULT_PURPOSES:
        if key in have or name in names:
            continue
        purpose = ConsentPurpose.objects.create(
            school=school, key=key, name=name, description=description, builtin=builtin
        )
        _version(school=school, purpose=purpose, number=1, text=purpose_description(purpose))
        added += 1
    return added


@transaction.atomic
def service_create(*, actor: Any, school: School, **fields: Any) -> ServiceEntry:
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    fields = _clean_service(
        {"name": "", "provider": "", **{k: v for k, v in fields.items() if v is not None}}
    )
    _name_taken(school, fields["name"], None)
    entry = ServiceEntry(school=school, **fields)
    entry.full_clean(exclude=["school", "data_shared", "year_groups"])
    entry.save()
    _version(school=school, service=entry, number=1, text=service_description(entry))
    audit.record(
        actor=actor,
        school=school,
        action="consent.service.created",
        target=entry,
        data={"name": entry.name},
    )
    return entry


@transaction.atomic
def service_update(*, actor: Any, entry: ServiceEntry, **fields: Any) -> list[str]:
    """Change an entry; the names of the fields changed (none: nothing written).
    Markbook's own entry takes only what the school decides (BUILTIN_FIELDS)."""
    allowed = BUILTIN_FIELDS if entry.builtin else SERVICE_FIELDS
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    refused = set(fields) - set(allowed)
    if refused:
        raise ValidationError(
            {
                name: ["Markbook's entry shows this from the data inventory; it cannot be edited."]
                for name in sorted(refused)
            }
        )
    fields = _clean_service(dict(fields))
    changed = [name for name, value in fields.items() if getattr(entry, name) != value]
    if not changed:
        return []
    if "name" in changed:
        _name_taken(entry.school, fields["name"], entry)
    for name in changed:
        setattr(entry, name, fields[name])
    entry.full_clean(exclude=["school", "data_shared", "year_groups"])
    new_version = any(name in DESCRIBED for name in changed)
    if new_version:
        entry.version += 1
    entry.save()
    if new_version:
        _version(
            school=entry.school,
            service=entry,
            number=entry.version,
            text=service_description(entry),
        )
    audit.record(
        actor=actor,
        school=entry.school,
        action="consent.service.changed",
        target=entry,
        data={"fields": changed, "version": entry.version, "asked_again": new_version},
    )
    return changed


def service_delete_impact(entry: ServiceEntry) -> dict[str, int]:
    """What removing an entry deletes with it (shown before asking)."""
    decisions = ConsentDecision.objects.filter(service=entry)
    return {
        "decisions": decisions.count(),
        "children": decisions.values("pupil_id").distinct().count(),
        "versions": entry.versions.count(),
    }


@transaction.atomic
def service_delete(*, actor: Any, entry: ServiceEntry) -> dict[str, int]:
    if entry.builtin:
        raise ValidationError("Markbook itself stays on the register while the school uses it.")
    impact = service_delete_impact(entry)
    audit.record(
        actor=actor,
        school=entry.school,
        action="consent.service.deleted",
        target=entry,
        data={"name": entry.name, **impact},
    )
    entry.delete()
    return impact


@transaction.atomic
def purpose_create(
    *, actor: Any, school: School, name: str, description: str, active: bool = True
) -> ConsentPurpose:
    name, description = _text(name), _text(description)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the purpose a name."]
    if not description:
        errors["description"] = ["Say what parents are agreeing to."]
    if name and ConsentPurpose.objects.filter(school=school, name__iexact=name).exists():
        errors["name"] = [f"There is already a purpose called {name}."]
    if errors:
        raise ValidationError(errors)
    from django.utils.text import slugify

    base = slugify(name)[:40] or "purpose"
    key, n = base, 1
    while ConsentPurpose.objects.filter(school=school, key=key).exists():
        n += 1
        key = f"{base}-{n}"
    purpose = ConsentPurpose(
        school=school, key=key, name=name, description=description, active=active
    )
    purpose.full_clean(exclude=["school"])
    purpose.save()
    _version(school=school, purpose=purpose, number=1, text=purpose_description(purpose))
    audit.record(
        actor=actor,
        school=school,
        action="consent.purpose.created",
        target=purpose,
        data={"name": name},
    )
    return purpose


@transaction.atomic
def purpose_update(*, actor: Any, purpose: ConsentPurpose, **fields: Any) -> list[str]:
    unknown = set(fields) - set(PURPOSE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    for name in ("name", "description"):
        if name in fields:
            fields[name] = _text(fields[name])
            if not fields[name]:
                raise ValidationError({name: [f"The {name} cannot be empty."]})
    changed = [name for name, value in fields.items() if getattr(purpose, name) != value]
    if not changed:
        return []
    if (
        "name" in changed
        and ConsentPurpose.objects.filter(school=purpose.school, name__iexact=fields["name"])
        .exclude(pk=purpose.pk)
        .exists()
    ):
        raise ValidationError({"name": [f"There is already a purpose called {fields['name']}."]})
    for name in changed:
        setattr(purpose, name, fields[name])
    new_version = "name" in changed or "description" in changed
    if new_version:
        purpose.version += 1
    purpose.full_clean(exclude=["school"])
    purpose.save()
    if new_version:
        _version(
            school=purpose.school,
            purpose=purpose,
            number=purpose.version,
            text=purpose_description(purpose),
        )
    audit.record(
        actor=actor,
        school=purpose.school,
        action="consent.purpose.changed",
        target=purpose,
        data={"fields": changed, "version": purpose.version, "asked_again": new_version},
    )
    if purpose.key == GLOBAL_LEADERBOARD:
        # Asked again, or switched off: consent no longer counts on the boards (CON-2).
        from markbook.practice.boards import boards_rebuild

        boards_rebuild(school=purpose.school, actor=actor)
    return changed


def purpose_delete_impact(purpose: ConsentPurpose) -> dict[str, int]:
    decisions = ConsentDecision.objects.filter(purpose=purpose)
    return {
        "decisions": decisions.count(),
        "children": decisions.values("pupil_id").distinct().count(),
        "versions": purpose.versions.count(),
    }


@transaction.atomic
def purpose_delete(*, actor: Any, purpose: ConsentPurpose) -> dict[str, int]:
    if purpose.builtin:
        raise ValidationError(
            "This purpose switches one of Markbook's features; turn it off instead of removing it."
        )
    impact = purpose_delete_impact(purpose)
    audit.record(
        actor=actor,
        school=purpose.school,
        action="consent.purpose.deleted",
        target=purpose,
        data={"name": purpose.name, **impact},
    )
    purpose.delete()
    return impact


def _asks(entry: ServiceEntry, pupil: Pupil) -> bool:
    """Whether the service asks for consent for this child (CON-2)."""
    return (
        entry.consent_needed
        and entry.risk_status != ServiceEntry.Status.NOT_APPROVED
        and (not entry.year_groups or pupil.year_group in entry.year_groups)
    )


@transaction.atomic
def consent_decide(
    *,
    actor: Any,
    pupil: Pupil,
    answer: str,
    service: ServiceEntry | None = None,
    purpose: ConsentPurpose | None = None,
    paper_form_from: str = "",
) -> ConsentDecision | None:
    """Record a parent's answer for their child, for the current version of the
    service's or purpose's description (CON-2, CON-4); None when it is already the
    child's answer (nothing is written). `paper_form_from`: see consent_record_paper."""
    if (service is None) == (purpose is None):
        raise TypeError("a decision is about one service or one purpose")
    if answer not in ConsentDecision.Answer.values:
        raise ValidationError({"answer": ["Answer 'given' or 'refused'."]})
    if service is not None and not _asks(service, pupil):
        raise ValidationError(
            {"service": [f"{service.name} does not ask for consent for this child."]}
        )
    if purpose is not None and not purpose.active:
        raise ValidationError({"purpose": [f"{purpose.name} is not in use at the school."]})
    target: dict[str, Any] = {"service": service} if service is not None else {"purpose": purpose}
    thing = service if service is not None else purpose
    assert thing is not None
    latest = (
        ConsentDecision.objects.filter(pupil=pupil, version=thing.version, **target)
        .order_by("-decided_at", "-pk")
        .first()
    )
    if latest is not None and latest.answer == answer:
        return None
    decision = ConsentDecision.objects.create(
        school=pupil.school,
        pupil=pupil,
        version=thing.version,
        answer=answer,
        decided_by=actor if getattr(actor, "pk", None) else None,
        decided_at=timezone.now(),
        paper_form_from=paper_form_from,
        **target,
    )
    audit.record(
        actor=actor,
        school=pupil.school,
        action=f"consent.{'paper_form' if paper_form_from else 'decision'}.{answer}",
        target=pupil,
        data={
            "pupil": pupil.pk,
            ("service" if service is not None else "purpose"): thing.pk,
            "name": thing.name,
            "version": thing.version,
        },
    )
    if purpose is not None and purpose.key == GLOBAL_LEADERBOARD:
        # On or off the shared leaderboards at once (ASM-6, CON-2).
        from markbook.practice.boards import board_pupil_refresh

        board_pupil_refresh(pupil=pupil)
    return decision


PAPER_NAME_MAX = 200


@transaction.atomic
def consent_record_paper(
    *,
    actor: Any,
    pupil: Pupil,
    answer: str,
    parent_name: str,
    service: ServiceEntry | None = None,
    purpose: ConsentPurpose | None = None,
) -> ConsentDecision | None:
    """Record the answer on a signed paper consent form the school received, on the
    parent's behalf (CON-2): kept as recorded from a paper form by `actor` (the member
    of staff), with the parent as the form names them, for the current version. The
    same answer as the child's current one changes nothing (None)."""
    name = " ".join((parent_name or "").split())
    if not name:
        raise ValidationError(
            {"parent_name": ["Give the name of the parent or carer who signed the form."]}
        )
    if len(name) > PAPER_NAME_MAX:
        raise ValidationError(
            {"parent_name": [f"The name is too long: at most {PAPER_NAME_MAX} characters."]}
        )
    return consent_decide(
        actor=actor,
        pupil=pupil,
        answer=answer,
        service=service,
        purpose=purpose,
        paper_form_from=name,
    )
