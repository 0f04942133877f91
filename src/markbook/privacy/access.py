"""Fetching an export for a user: missing and forbidden look the same (404, TEN-3)."""

from django.http import Http404

from markbook.admission import AccessRequest
from markbook.privacy import selectors
from markbook.privacy.export.services import may_download
from markbook.privacy.models import ExportArchive


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
