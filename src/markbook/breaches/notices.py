"""The notice to the people affected by a high-risk breach (SEC-3; UK GDPR article
34): generated for each affected school to send, in clear language, saying what
happened, what data, the likely consequences, what was done and what people can do,
and whom to contact."""

from dataclasses import dataclass

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
        f"If you have questions, please contact the school's data protection lead at "
        f"{school.name}. You also have the right to complain to the Information "
        "Commissioner's Office (ico.org.uk, 0303 123 1113).",
        f"Reference: {breach.reference}",
        f"{school.name}",
    ]
    return Notice(subject=f"A personal data breach: {breach.title}", paragraphs=paragraphs)
