"""Fetching register entries, purposes and children for a user: missing and forbidden
look the same (404, TEN-3)."""

from django.db.models import QuerySet
from django.http import Http404

from markbook.admission import ADMINS, STAFF, AccessRequest, require_role
from markbook.consent import selectors
from markbook.consent.models import ConsentPurpose, ServiceEntry
from markbook.rosters import selectors as roster_selectors
from markbook.rosters.models import Pupil, TeachingClass

# Who keeps the register and sees every child's consent: the school's administrators
# and its data protection lead.
KEEPERS = (*ADMINS, "dpo")


def require_keeper(request: AccessRequest) -> None:
    require_role(request, *KEEPERS)


def access_entry(request: AccessRequest, entry_id: int) -> ServiceEntry:
    require_keeper(request)
    found = selectors.entries().filter(pk=entry_id).first()
    if found is None:
        raise Http404
    return found


def access_purpose(request: AccessRequest, purpose_id: int) -> ConsentPurpose:
    require_keeper(request)
    found = selectors.purposes().filter(pk=purpose_id).first()
    if found is None:
        raise Http404
    return found


def access_target(request: AccessRequest, slug: str) -> selectors.Target:
    found = selectors.target_from_slug(slug)
    if found is None:
        raise Http404
    return found


def _consent_class_set(request: AccessRequest) -> QuerySet[TeachingClass]:
    """Keepers: every class; a teacher: the classes they teach (they need the offline
    alternative); pupils and parents: none (404)."""
    require_role(request, *KEEPERS, *STAFF)
    if request.access.has(*KEEPERS):
        return TeachingClass.objects.all()
    return TeachingClass.objects.filter(teacher_links__teacher=request.user)


def access_consent_class(request: AccessRequest, class_id: int) -> TeachingClass:
    found = _consent_class_set(request).filter(pk=class_id).first()
    if found is None:
        raise Http404
    return found


def consent_classes(request: AccessRequest) -> list[TeachingClass]:
    """The current classes the user may see consent for."""
    classes = roster_selectors.classes_current(_consent_class_set(request))
    return list(classes.select_related("academic_year").order_by("name", "pk").distinct())


def access_child(request: AccessRequest, pupil_id: int) -> Pupil:
    """One of the parent's own linked children (404 for anyone else's)."""
    require_role(request, "parent")
    found = roster_selectors.children_of(request.user).filter(pk=pupil_id).first()
    if found is None:
        raise Http404
    return found


def access_class_pupil(teaching_class: TeachingClass, pupil_id: int) -> Pupil:
    """A pupil of the class (fetched through access_consent_class first); 404 else."""
    found = (
        Pupil.objects.select_related("school")
        .filter(pk=pupil_id, enrolments__teaching_class=teaching_class)
        .first()
    )
    if found is None:
        raise Http404
    return found
