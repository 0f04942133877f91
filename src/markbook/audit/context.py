"""The request an audited action comes from (who, from which address), for SEC-1."""

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Origin:
    ip: str | None = None


current: ContextVar[Origin] = ContextVar("markbook_audit_origin", default=Origin())  # noqa: B039 - frozen


def client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy, set MARKBOOK_TRUSTED_PROXY and terminate there; REMOTE_ADDR is the truth here.
    return request.META.get("REMOTE_ADDR") or None


class AuditOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current.set(Origin(ip=client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            current.reset(token)
