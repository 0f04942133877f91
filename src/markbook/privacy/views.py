from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from markbook.privacy import selectors
from markbook.privacy.cookies import cookies
from markbook.privacy.models import NoticeVersion
from markbook.privacy.notices import notice_current
from markbook.privacy.record import notice_sections


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
