from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from markbook.privacy.cookies import cookies
from markbook.privacy.record import notice_sections


def notice(request: HttpRequest) -> HttpResponse:
    """The privacy notice, generated from the data inventory (DSR-1); public."""
    return render(
        request, "privacy/notice.html", {"sections": notice_sections(), "cookies": cookies()}
    )
