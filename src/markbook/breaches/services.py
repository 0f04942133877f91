"""Writes to the breach register (SEC-3): keyword-only, atomic, audited.

Platform staff record a breach, the schools it affects (each school's administrators
and data protection leads are emailed, and see a notice on the school's page until one
of them acknowledges it), the steps taken, and the report to the regulator or the
reason none is due. The affected schools' rows are written in each school's scope.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from markbook.accounts.models import Membership, User
from markbook.audit import services as audit
from markbook.breaches import selectors
from markbook.breaches.models import REPORT_WITHIN, Breach, BreachSchool, BreachUpdate
from markbook.core.tenancy import school_scope
from markbook.privacy.inventory import Category
from markbook.schools.models import School

logger = logging.getLogger(__name__)

# Staff are warned once when less than this is left before the report is due.
WARN_BEFORE = timedelta(hours=24)

EDITABLE = (
    "title",
    "detected_at",
    "occurred_at",
    "description",
    "data_categories",
    "people_affected",
    "risk",
    "risk_assessment",
    "consequences",
    "containment",
    "advice",
    "state",
)
CATEGORIES = {c.value for c in Category}


def _check(values: dict[str, Any], now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if "title" in values and not str(values["title"]).strip():
        errors["title"] = ["Say in a few words what happened."]
    if "description" in values and not str(values["description"]).strip():
        errors["description"] = ["Describe what happened."]
    detected = values.get("detected_at")
    if detected is not None and detected > now + timedelta(minutes=5):
        errors["detected_at"] = ["The time it was detected cannot be in the future."]
    occurred = values.get("occurred_at")
    if occurred is not None and detected is not None and occurred > detected:
        errors["occurred_at"] = ["It cannot have happened after it was detected."]
    unknown = sorted(set(values.get("data_categories") or ()) - CATEGORIES)
    if unknown:
        errors["data_categories"] = [
            f"Unknown data categories: {', '.join(unknown)}. Choose from: "
            + ", ".join(sorted(CATEGORIES))
            + "."
        ]
    if "risk" in values and values["risk"] not in Breach.Risk.values:
        errors["risk"] = [f"Choose one of: {', '.join(Breach.Risk.values)}."]
    if "state" in values and values["state"] not in Breach.State.values:
        errors["state"] = [f"Choose one of: {', '.join(Breach.State.values)}."]
    if errors:
        raise ValidationError(errors)


def _reference(now: datetime) -> str:
    year = now.year
    count = Breach.objects.filter(reference__startswith=f"BR-{year}-").count()
    return f"BR-{year}-{count + 1:04d}"


@transaction.atomic
def breach_record(
    *,
    actor: User,
    title: str,
    detected_at: datetime,
    description: str,
    data_categories: list[str],
    people_affected: int = 0,
    risk: str = Breach.Risk.RISK,
    risk_assessment: str = "",
    consequences: str = "",
    containment: str = "",
    advice: str = "",
    occurred_at: datetime | None = None,
) -> Breach:
    """Record a breach as soon as it is known; the 72-hour clock runs from `detected_at`."""
    now = timezone.now()
    values = {
        "title": title.strip(),
        "detected_at": detected_at,
        "occurred_at": occurred_at,
        "description": description.strip(),
        "data_categories": sorted(set(data_categories)),
        "people_affected": people_affected,
        "risk": risk,
        "risk_assessment": risk_assessment.strip(),
        "consequences": consequences.strip(),
        "containment": containment.strip(),
        "advice": advice.strip(),
    }
    _check(values, now)
    breach = Breach.objects.create(reference=_reference(now), recorded_by=actor, **values)
    audit.record(
        actor=actor,
        school=None,
        action="breaches.breach.recorded",
        target=breach,
        data={"reference": breach.reference, "risk": breach.risk},
    )
    return breach


@transaction.atomic
def breach_change(*, actor: User, breach: Breach, **changes: Any) -> list[str]:
    """Change what is known; the names of the fields that changed (none: nothing written)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError({name: ["This cannot be changed here."] for name in unknown})
    # Only when it happened may be unknown (null); every other field keeps a value.
    emptied = sorted(n for n, v in changes.items() if v is None and n != "occurred_at")
    if emptied:
        raise ValidationError(
            {name: ["This needs a value; leave it out to keep it."] for name in emptied}
        )
    if "data_categories" in changes:
        changes["data_categories"] = sorted(set(changes["data_categories"]))
    for name in ("title", "description", "risk_assessment", "consequences", "containment"):
        if name in changes:
            changes[name] = str(changes[name]).strip()
    changed = [name for name, value in changes.items() if getattr(breach, name) != value]
    if not changed:
        return []
    if "people_affected" in changed:
        counted = selectors.people_counted(breach)
        if changes["people_affected"] < counted:
            raise ValidationError(
                {
                    "people_affected": [
                        f"At least {counted}: the schools named count {counted} people "
                        "affected between them."
                    ]
                }
            )
    merged = {name: getattr(breach, name) for name in ("detected_at", "occurred_at")}
    merged.update({name: changes[name] for name in changed})
    _check(merged, timezone.now())
    for name in changed:
        setattr(breach, name, changes[name])
    breach.save(update_fields=[*changed, "updated_at"])
    audit.record(
        actor=actor,
        school=None,
        action="breaches.breach.changed",
        target=breach,
        data={"fields": changed},
    )
    return changed


def _contacts(school: School) -> list[str]:
    """The school's administrators' and data protection leads' addresses."""
    roles = (Membership.Role.SCHOOL_ADMIN, Membership.Role.DPO)
    return list(
        User.objects.filter(memberships__school=school, memberships__role__in=roles, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
        .order_by("email")
    )


def _tell_school(breach: Breach, school: School, link: BreachSchool) -> int:
    addresses = _contacts(school)
    if not addresses:
        return 0
    page = reverse(
        "school_breaches:detail", kwargs={"school_id": school.pk, "breach_id": breach.pk}
    )
    body = "\n".join(
        [
            f"Markbook has recorded a personal data breach that affects {school.name}.",
            "",
            f"Reference: {breach.reference}",
            f"What happened: {breach.title}",
            f"Detected: {breach.detected_at.day} {breach.detected_at:%B %Y %H:%M} (UTC)",
            f"People of your school affected: {link.people_affected or 'being established'}",
            f"Risk: {breach.get_risk_display()}",
            "",
            "The details, the steps taken and, where the risk is high, a notice for you to "
            f"send to the people affected are on Markbook: {page}",
            "As the data controller you may have to report it to the Information "
            "Commissioner's Office within 72 hours of becoming aware of it.",
        ]
    )
    try:
        sent = send_mail(
            subject=f"{school.name}: a personal data breach affecting your school ({breach.reference})",
            message=body,
            from_email=None,
            recipient_list=addresses,
        )
        return len(addresses) if sent else 0
    except Exception:  # the notice on the school's page still tells them
        logger.exception("breach email to school %s not sent", school.pk)
        return 0


@transaction.atomic
def breach_school_add(
    *, actor: User, breach: Breach, school: School, people_affected: int = 0
) -> BreachSchool:
    """Name a school as affected and tell its administrators at once (email and a
    notice on the school's page). Naming it again updates the count, in the school's
    log, without telling them twice. The breach's estimate of the people affected is
    raised to the schools' counts together when it is below them."""
    if people_affected < 0:
        raise ValidationError({"people_affected": ["The number of people cannot be negative."]})
    with school_scope(school):
        link = BreachSchool.objects.filter(breach=breach).first()
        if link is not None:
            if link.people_affected != people_affected:
                old, link.people_affected = link.people_affected, people_affected
                link.save(update_fields=["people_affected"])
                audit.record(
                    actor=actor,
                    school=school,
                    action="breaches.school.count_changed",
                    target=breach,
                    data={
                        "reference": breach.reference,
                        "people": {"old": old, "new": people_affected},
                    },
                )
        else:
            link = _school_name(actor, breach, school, people_affected)
    _estimate_at_least_counted(actor, breach)
    return link


def _school_name(actor: User, breach: Breach, school: School, people: int) -> BreachSchool:
    """A school named as affected for the first time, its administrators told."""
    link = BreachSchool.objects.create(school=school, breach=breach, people_affected=people)
    link.told_admins = _tell_school(breach, school, link)
    link.notified_at = timezone.now()
    link.save(update_fields=["told_admins", "notified_at"])
    audit.record(
        actor=actor,
        school=school,
        action="breaches.school.notified",
        target=breach,
        data={
            "reference": breach.reference,
            "people": people,
            "emailed": link.told_admins,
        },
    )
    return link


def _estimate_at_least_counted(actor: User, breach: Breach) -> None:
    """The breach's estimate is never below what the schools named have counted."""
    counted = selectors.people_counted(breach)
    if breach.people_affected < counted:
        breach_change(actor=actor, breach=breach, people_affected=counted)


@transaction.atomic
def breach_update_add(*, actor: User, breach: Breach, text: str) -> BreachUpdate:
    """Record a step taken (containment, investigation, notices sent)."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": ["Say what was done."]})
    update = BreachUpdate.objects.create(breach=breach, at=timezone.now(), by=actor, text=text)
    audit.record(actor=actor, school=None, action="breaches.breach.step", target=breach, data={})
    return update


@transaction.atomic
def breach_report(
    *,
    actor: User,
    breach: Breach,
    reported_at: datetime | None = None,
    reference: str = "",
    not_reported_reason: str = "",
) -> Breach:
    """Record the report to the regulator (when, its reference), or the reason no report
    is due (the breach is unlikely to result in a risk to people)."""
    reason = not_reported_reason.strip()
    if reported_at is None and not reason:
        raise ValidationError(
            {"reported_at": ["Give when it was reported, or why no report is due."]}
        )
    if reported_at is not None and reason:
        raise ValidationError(
            {"not_reported_reason": ["It was reported: leave the reason for not reporting empty."]}
        )
    if reported_at is not None and reported_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"reported_at": ["The report cannot be in the future."]})
    if reported_at is not None and reported_at < breach.detected_at:
        raise ValidationError({"reported_at": ["The report cannot be before the detection."]})
    breach.regulator_reported_at = reported_at
    breach.regulator_reference = reference.strip()
    breach.not_reported_reason = reason
    breach.save(
        update_fields=[
            "regulator_reported_at",
            "regulator_reference",
            "not_reported_reason",
            "updated_at",
        ]
    )
    audit.record(
        actor=actor,
        school=None,
        action="breaches.breach.reported" if reported_at else "breaches.breach.not_reported",
        target=breach,
        data={"late": bool(reported_at and reported_at > breach.report_due_at)},
    )
    return breach


@transaction.atomic
def breach_acknowledge(*, actor: User, link: BreachSchool) -> BreachSchool:
    """A school administrator has read it: the notice leaves the school's page."""
    if link.acknowledged_at is None:
        link.acknowledged_at, link.acknowledged_by = timezone.now(), actor
        link.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit.record(
            actor=actor,
            school=link.school_id,
            action="breaches.school.acknowledged",
            target=link.breach,
            data={"reference": link.breach.reference},
        )
    return link


def breaches_warn(*, now: datetime | None = None) -> int:
    """Email platform staff once about each breach whose report to the regulator is due
    within 24 hours (or overdue) and not yet settled; how many were warned. Run by the
    scheduled sweep (`markbook breaches_sweep`)."""
    now = now or timezone.now()
    due = list(
        Breach.objects.filter(
            warned_at__isnull=True,
            regulator_reported_at__isnull=True,
            not_reported_reason="",
            detected_at__lte=now - (REPORT_WITHIN - WARN_BEFORE),
        )
    )
    staff = list(
        User.objects.filter(is_platform_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .order_by("email")
    )
    for breach in due:
        left = breach.report_due_at - now
        hours = int(left.total_seconds() // 3600)
        when = f"in {hours} hours" if hours > 0 else f"{-hours} hours ago (overdue)"
        if staff:
            try:
                send_mail(
                    subject=f"Breach {breach.reference}: the report to the regulator is due {when}",
                    message=(
                        f"{breach.title}\nDetected {breach.detected_at.day} {breach.detected_at:%B %Y %H:%M} UTC; "
                        f"the report to the Information Commissioner's Office is due by "
                        f"{breach.report_due_at.day} {breach.report_due_at:%B %Y %H:%M} UTC ({when}).\n"
                        "Record the report, or why none is due, in the breach register."
                    ),
                    from_email=None,
                    recipient_list=staff,
                )
            except Exception:
                logger.exception("breach warning %s not sent", breach.pk)
                continue
        breach.warned_at = now
        breach.save(update_fields=["warned_at"])
    return len(due)
