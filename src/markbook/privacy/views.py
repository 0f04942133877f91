from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from markbook.accounts import throttle
from markbook.admission import AccessRequest, require_role, school_of
from markbook.audit import services as audit
from markbook.privacy import selectors
from markbook.privacy.access import access_export, access_export_with_archive, is_dpo
from markbook.privacy.cookies import cookies
from markbook.privacy.export import services
from markbook.privacy.export.services import (
    DOWNLOAD_DAYS,
    Download,
    ExportError,
    ExportUnavailable,
    export_start,
)
from markbook.privacy.models import ExportArchive, NoticeVersion
from markbook.privacy.notices import notice_current
from markbook.privacy.record import notice_sections
from markbook.web import is_htmx, posted_id


def notice(request: HttpRequest) -> HttpResponse:
    """The privacy notice, generated from the data inventory (DSR-1); public."""
    return render(
        request,
        "privacy/notice.html",
        {"sections": notice_sections(), "cookies": cookies(), "current": notice_current()},
    )


def versions(request: HttpRequest) -> HttpResponse:
    """Every published version of the notice with the dates it was in force (DSR-10)."""
    return render(request, "privacy/versions.html", {"versions": selectors.notice_versions()})


def version(request: HttpRequest, version_id: int) -> HttpResponse:
    """One version of the notice exactly as it was published (DSR-10); public."""
    found = NoticeVersion.objects.filter(pk=version_id).first()
    if found is None:
        raise Http404
    # The HTML was rendered by Markbook's own template from the inventory, escaped then.
    return render(
        request,
        "privacy/version.html",
        {"version": found, "body": mark_safe(found.html)},  # noqa: S308
    )


# --- Subject access exports (DSR-2, DSR-9) ----------------------------------------


def exports(request: AccessRequest, school_id: int) -> HttpResponse:
    """The data protection lead's exports: start one for a pupil, parent or member of
    staff, and the school's exports with their state (DSR-2). The lead only."""
    require_role(request, "dpo")
    school = school_of(request)
    error = ""
    if request.method == "POST":
        pupil = (
            selectors.exportable_pupils().filter(pk=posted_id(request.POST.get("pupil"))).first()
        )
        person = (
            selectors.exportable_people().filter(pk=posted_id(request.POST.get("person"))).first()
        )
        if (pupil is None) == (person is None):
            error = "Choose one person: a pupil, or a parent or member of staff."
        elif wait := export_limit(request, throttle.EXPORT_START_ACTION):
            back = reverse("school_privacy:exports", kwargs={"school_id": school.pk})
            return too_many(request, wait, throttle.EXPORT_START_ACTION, back)
        else:
            try:
                item = export_start(
                    school=school, requested_by=request.user, pupil=pupil, user=person
                )
            except ExportError as refused:
                error = str(refused)
            else:
                messages.success(request, "The copy is being made. It is ready in a moment.")
                return redirect("school_privacy:export", school_id=school.pk, export_id=item.pk)
    listed = list(selectors.exports()[:100])
    audit.record(
        actor=request.user,
        school=school,
        action="privacy.exports.listed",
        data={"count": len(listed)},
    )
    context = {
        "exports": listed,
        "pupils": selectors.exportable_pupils(),
        "people": selectors.exportable_people(),
        "error": error,
        "days": DOWNLOAD_DAYS,
    }
    return render(request, "privacy/exports.html", context, status=422 if error else 200)


def export_detail(request: AccessRequest, school_id: int, export_id: int) -> HttpResponse:
    """One export's progress, then its download until the window ends (DSR-2, DSR-9):
    the person who asked for it or the data protection lead. Under htmx only the
    progress partial, which polls itself until the export is ready or has failed."""
    item = access_export(request, export_id)
    template = "privacy/export.html#progress" if is_htmx(request) else "privacy/export.html"
    context = {"item": item, "expired": _expired(item), "is_dpo": is_dpo(request)}
    return render(request, template, context)


def _expired(item: ExportArchive) -> bool:
    return item.state == ExportArchive.State.EXPIRED or (
        item.expires_at is not None and item.expires_at <= timezone.now()
    )


def export_download(request: AccessRequest, school_id: int, export_id: int) -> HttpResponse:
    """The zip, within the download window; recorded in the access log (SEC-1). After
    the window: 410 with a page saying so."""
    item = access_export_with_archive(request, export_id)
    if wait := export_limit(request, throttle.EXPORT_DOWNLOAD_ACTION):
        back = reverse(
            "school_privacy:export", kwargs={"school_id": school_id, "export_id": item.pk}
        )
        return too_many(request, wait, throttle.EXPORT_DOWNLOAD_ACTION, back)
    try:
        download = services.export_download(item=item, actor=request.user)
    except ExportUnavailable as unavailable:
        context = {"item": item, "message": str(unavailable)}
        return render(
            request, "privacy/export_gone.html", context, status=410 if unavailable.gone else 409
        )
    return zip_response(download)


LIMITED = {
    throttle.EXPORT_START_ACTION: "copies of people's data started",
    throttle.EXPORT_DOWNLOAD_ACTION: "downloads of copies of people's data",
}


def export_limit(request: AccessRequest, action: str) -> int:
    """Use one of the person's export limits (SEC-4, settings.ACCOUNT_RATE_LIMITS):
    0 when allowed, else the seconds to wait."""
    return throttle.use(request, action=action, key=throttle.user_key(request.user.pk))


def limit_message(seconds: int, action: str) -> str:
    return throttle.message(seconds, LIMITED[action])


def too_many(request: AccessRequest, seconds: int, action: str, back: str) -> HttpResponse:
    """The 429 page saying how long to wait, with Retry-After."""
    response = render(
        request,
        "privacy/throttled.html",
        {"message": limit_message(seconds, action), "back": back},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def zip_response(download: Download) -> HttpResponse:
    response = HttpResponse(download.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response["Cache-Control"] = "no-store"
    return response
