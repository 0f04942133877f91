"""API: subject access exports of one school (DSR-2, DSR-9, SEC-1, TEN-3).

As on the pages: the school's data protection lead starts exports and sees them all;
the person who asked for an export sees it and downloads it within its window; everyone
else 404. Starting answers 202 with the export, whose `state` and progress
`GET .../data-exports/{export_id}` answers; once `ready`, `.../download` gives the zip
until `expires_at`, then 410.
"""

from datetime import datetime
from typing import Any

from django.http import HttpResponse, JsonResponse
from ninja import Router, Schema, Status
from pydantic import Field

from markbook.accounts import throttle
from markbook.admission import AccessRequest, require_role, school_of
from markbook.audit import services as audit
from markbook.core.api import ErrorOut, InputSchema, responses
from markbook.privacy import selectors
from markbook.privacy.access import access_export, access_export_with_archive
from markbook.privacy.export import services
from markbook.privacy.models import ExportArchive
from markbook.privacy.views import export_limit, limit_message, zip_response

router = Router(tags=["data exports"])

SCHOOL = "/schools/{school_id}"
LIMITED = {429: ErrorOut}
ZIP = {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}


class ExportIn(InputSchema):
    """Exactly one of the two: a pupil, or a parent or member of staff."""

    pupil_id: int | None = Field(None, description="A pupil of the school.")
    user_id: int | None = Field(None, description="A parent or member of staff of the school.")
    request_id: int | None = Field(None, description="The rights request this answers.")


class ExportOut(Schema):
    id: int
    subject: str = Field(description="pupil or person (a parent or member of staff)")
    pupil_id: int | None
    user_id: int | None
    request_id: int | None
    state: str = Field(description="queued, running, ready, failed or expired")
    progress_done: int
    progress_total: int
    created_at: datetime
    ready_at: datetime | None
    expires_at: datetime | None = Field(description="The end of the download window.")
    size: int = Field(description="The zip's size in bytes, once ready.")
    downloads: int
    error: str


def _too_many(request: AccessRequest, seconds: int, action: str) -> HttpResponse:
    response = JsonResponse({"detail": limit_message(seconds, action)}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _out(item: ExportArchive) -> dict[str, Any]:
    return {
        "id": item.pk,
        "subject": "pupil" if item.pupil_id else "person",
        "pupil_id": item.pupil_id,
        "user_id": item.user_id,
        "request_id": item.request_id,
        "state": item.state,
        "progress_done": item.progress_done,
        "progress_total": item.progress_total,
        "created_at": item.created_at,
        "ready_at": item.ready_at,
        "expires_at": item.expires_at,
        "size": item.size if item.state == ExportArchive.State.READY else 0,
        "downloads": item.downloads,
        "error": item.error,
    }


@router.get(
    f"{SCHOOL}/data-exports", response=responses(list[ExportOut]), summary="List data exports"
)
def exports_list(request: AccessRequest, school_id: int) -> Any:
    """The school's subject access exports, newest first (at most 100): the data
    protection lead only."""
    require_role(request, "dpo")
    listed = list(selectors.exports()[:100])
    audit.record(
        actor=request.user,
        school=school_of(request),
        action="privacy.exports.listed",
        data={"count": len(listed)},
    )
    return [_out(item) for item in listed]


@router.post(
    f"{SCHOOL}/data-exports",
    response={**responses(ExportOut, status=202), **LIMITED},
    summary="Start a data export of one person",
)
def exports_start(request: AccessRequest, school_id: int, payload: ExportIn) -> Any:
    """Start an export of everything held about one person (DSR-2): 202 with the
    export, built in the background. 422 for no one, two people, or someone not in
    the school; 429 when the caller has started too many lately (SEC-4), with
    Retry-After."""
    require_role(request, "dpo")
    pupil = user = None
    if payload.pupil_id is not None:
        pupil = selectors.exportable_pupils().filter(pk=payload.pupil_id).first()
        if pupil is None:
            return Status(422, {"detail": "That pupil is not in this school."})
    if payload.user_id is not None:
        user = selectors.exportable_people().filter(pk=payload.user_id).first()
        if user is None:
            return Status(422, {"detail": "That person is not a member of this school."})
    if wait := export_limit(request, throttle.EXPORT_START_ACTION):
        return _too_many(request, wait, throttle.EXPORT_START_ACTION)
    try:
        item = services.export_start(
            school=school_of(request),
            requested_by=request.user,
            pupil=pupil,
            user=user,
            request_id=payload.request_id,
        )
    except services.ExportError as refused:
        return Status(422, {"detail": str(refused)})
    return Status(202, _out(item))


@router.get(
    f"{SCHOOL}/data-exports/{{export_id}}",
    response=responses(ExportOut),
    summary="Get a data export's state and progress",
)
def exports_get(request: AccessRequest, school_id: int, export_id: int) -> Any:
    """An export's state: the person who asked for it, or the data protection lead."""
    return _out(access_export(request, export_id))


@router.get(
    f"{SCHOOL}/data-exports/{{export_id}}/download",
    response={**responses(None), 409: ErrorOut, 410: ErrorOut, **LIMITED},
    summary="Download a data export",
    openapi_extra={"responses": {200: {"description": "The export's zip", **ZIP}}},
)
def exports_download(request: AccessRequest, school_id: int, export_id: int) -> Any:
    """The zip, within the download window (DSR-9), recorded in the access log (SEC-1):
    409 while it is being prepared, 410 once the window has ended (deleted); 429 when
    the caller has downloaded too many lately (SEC-4), with Retry-After."""
    item = access_export_with_archive(request, export_id)
    if wait := export_limit(request, throttle.EXPORT_DOWNLOAD_ACTION):
        return _too_many(request, wait, throttle.EXPORT_DOWNLOAD_ACTION)
    try:
        download = services.export_download(item=item, actor=request.user)
    except services.ExportUnavailable as unavailable:
        return Status(410 if unavailable.gone else 409, {"detail": str(unavailable)})
    response: HttpResponse = zip_response(download)
    return response
