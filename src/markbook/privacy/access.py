"""Fetching the privacy app's objects for a user: missing and forbidden look the same
(404, TEN-3). The school's data protection lead and its administrators manage
restrictions and corrections (DSR-3, DSR-5) for every person of the school, so a DPO
who is also a teacher is not limited to their own classes here."""

from django.http import Http404

from markbook.accounts.models import Membership, User
from markbook.admission import ADMINS, AccessRequest, require_role
from markbook.privacy import selectors
from markbook.privacy.export.services import may_download
from markbook.privacy.models import ExportArchive, LegalHold, NoticeAlert, Restriction
from markbook.rosters.models import GuardianLink, Pupil

MANAGERS = ("dpo", *ADMINS)


def require_manager(request: AccessRequest) -> None:
    """404 unless the user is the school's data protection lead or an administrator."""
    require_role(request, *MANAGERS)


def access_restriction(request: AccessRequest, restriction_id: int) -> Restriction:
    require_manager(request)
    found = (
        Restriction.objects.select_related("pupil", "user", "placed_by", "lifted_by")
        .filter(pk=restriction_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def access_subject_pupil(request: AccessRequest, pupil_id: int) -> Pupil:
    require_manager(request)
    pupil = Pupil.objects.select_related("school").filter(pk=pupil_id).first()
    if pupil is None:
        raise Http404
    return pupil


def access_subject_user(request: AccessRequest, user_id: int) -> User:
    """A member of the school who is not a pupil (pupils are corrected as pupils)."""
    require_manager(request)
    member = (
        Membership.objects.filter(user_id=user_id)
        .exclude(role=Membership.Role.PUPIL)
        .select_related("user")
        .first()
    )
    if member is None:
        raise Http404
    return member.user


def access_notice_alert(request: AccessRequest, alert_id: int) -> NoticeAlert:
    require_role(request, "school_admin")
    alert = NoticeAlert.objects.filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    return alert


def is_dpo(request: AccessRequest) -> bool:
    return request.access.has("dpo")


def access_export(request: AccessRequest, export_id: int) -> ExportArchive:
    """An export of the request's school that the user may see: the one who asked for
    it, or the school's data protection lead (DSR-2, DSR-9)."""
    item = selectors.exports().filter(pk=export_id).first()
    if item is None or not may_download(item, user=request.user, is_dpo=is_dpo(request)):
        raise Http404
    return item


def access_export_with_archive(request: AccessRequest, export_id: int) -> ExportArchive:
    """As access_export, with the archive's bytes loaded (for a download)."""
    item = access_export(request, export_id)
    item.refresh_from_db(fields=["archive"])
    return item


def access_hold(request: AccessRequest, hold_id: int) -> LegalHold:
    hold = LegalHold.objects.filter(pk=hold_id).select_related("pupil", "user").first()
    if hold is None:
        raise Http404
    return hold


def access_pupil(request: AccessRequest, pupil_id: int) -> Pupil:
    pupil = Pupil.objects.filter(pk=pupil_id).select_related("school", "user").first()
    if pupil is None:
        raise Http404
    return pupil


def access_person(request: AccessRequest, user_id: int) -> User:
    """A member of staff or parent of the school (a pupil's account is their pupil's)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not (
        Membership.objects.filter(user=user).exists()
        or GuardianLink.objects.filter(parent=user).exists()
    ):
        raise Http404
    return user
