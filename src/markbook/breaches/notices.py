"""The notice to the people affected by a high-risk breach (SEC-3; UK GDPR article
34): generated for each affected school to send, in clear language, saying what
happened, what data, the likely consequences, what was done and what people can do,
and whom to contact."""

from dataclasses import dataclass

from markbook.accounts.models import Membership
from markbook.breaches.models import Breach, BreachSchool
from markbook.privacy.inventory import Category

_PLAIN = {
    Category.IDENTITY.value: "names and identifiers",
    Category.CONTACT.value: "contact details",
    Category.CREDENTIALS.value: "sign-in details",
    Category.EDUCATION.value: "marks, grades and other school records",
    Category.CHARACTERISTICS.value: "pupil characteristics",
    Category.SPECIAL.value: "sensitive information (such as special educational needs or medical notes)",
    Category.TECHNICAL.value: "technical records (such as addresses of devices used)",
    Category.RELATIONSHIP.value: "who is linked to whom (such as parents and classes)",
    Category.ACCOUNTABILITY.value: "records of who did what",
}


@dataclass(frozen=True)
class Notice:
    subject: str
    paragraphs: list[str]


def needed(breach: Breach) -> bool:
    """People must be told without undue delay when the risk to them is high."""
    return breach.risk == Breach.Risk.HIGH


# What article 34 asks a notice to say that only the breach's record can give.
NOTICE_PARTS = ("consequences", "advice")


def missing_parts(breach: Breach) -> list[str]:
    """The breach's fields the notice to the people affected needs and cannot say yet."""
    return [name for name in NOTICE_PARTS if not getattr(breach, name)]


def _contact_point(school_name: str) -> str:
    """Whom the people affected contact: the school's data protection leads by name and
    address (article 34 asks for the contact details), in the school's scope."""
    leads = [
        m.user
        for m in Membership.objects.filter(role=Membership.Role.DPO, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user_id")
    ]
    named = [
        f"{u.get_full_name() or u.email} ({u.email})" if u.email else u.get_full_name()
        for u in leads
    ]
    named = [n for n in named if n]
    if not named:
        return (
            f"If you have questions, please contact the school's data protection lead at "
            f"{school_name} (the school office will put you in touch)."
        )
    who = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]
    role = "data protection lead" if len(named) == 1 else "data protection leads"
    return f"If you have questions, please contact {who}, the {role} at {school_name}."


def subject_notice(link: BreachSchool) -> Notice:
    breach, school = link.breach, link.school
    data = [_PLAIN.get(c, c) for c in breach.data_categories] or ["personal data"]
    paragraphs = [
        "Dear parent, carer, pupil or member of staff,",
        f"We are writing to tell you about a personal data breach involving Markbook, the "
        f"service {school.name} uses to record and track pupils' assessment. It was "
        f"detected on {breach.detected_at.day} {breach.detected_at:%B %Y}.",
        f"What happened: {breach.description}",
        f"The information involved: {', '.join(data)}.",
    ]
    if breach.consequences:
        paragraphs.append(f"What this could mean for you: {breach.consequences}")
    if breach.containment:
        paragraphs.append(f"What has been done: {breach.containment}")
    if breach.advice:
        paragraphs.append(f"What you can do: {breach.advice}")
    paragraphs += [
        _contact_point(school.name)
        + " You also have the right to complain to the Information Commissioner's Office "
        "(ico.org.uk, 0303 123 1113).",
        f"Reference: {breach.reference}",
        f"{school.name}",
    ]
    return Notice(subject=f"A personal data breach: {breach.title}", paragraphs=paragraphs)
