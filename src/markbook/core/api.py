"""Shared pieces of the JSON API: authentication, the one error schema, the error
handlers, pagination and the response declarations every operation carries.

Routers live in each app's api.py and are wired in markbook/api.py.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import Field, field_validator

# Statuses every operation may answer besides its success; all use ErrorOut.
ERROR_STATUSES = (401, 403, 404, 422)


class ProblemOut(Schema):
    """One problem of an uploaded file: row None for the whole file (the header is row 1)."""

    file: str = Field("", description="The file inside a zip; empty for a single file.")
    row: int | None
    column: str
    message: str


class ErrorOut(Schema):
    """The one error body: what went wrong and, for 422, the messages per field; for a
    refused upload also each problem by row and column (`problems`)."""

    detail: str
    errors: dict[str, list[str]] | None = None
    problems: list[ProblemOut] | None = None


def responses(schema: Any = None, status: int = 200) -> dict[int, Any]:
    """The response declaration of an operation: its success plus 401, 403, 404, 422."""
    return {status: schema, **{code: ErrorOut for code in ERROR_STATUSES}}


class InputSchema(Schema):
    """Base of request schemas: text must be storable text (no NUL, no lone surrogates),
    so bad input is a 422 naming the field rather than a database error."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError("Text cannot contain NUL characters.")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("Text must be valid Unicode.") from None
        return value


class PageIn(InputSchema):
    """limit/offset pagination for list operations."""

    limit: int = Field(50, ge=1, le=200, description="At most this many items (1-200).")
    offset: int = Field(0, ge=0, le=1_000_000, description="Skip this many items.")


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer mb_...`: the token was checked by ApiTokenMiddleware,
    which answers 401 for an unknown or revoked one; this declares it in OpenAPI."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        checked = getattr(request, "api_token", None)
        return checked.user if checked is not None else None


def _field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """ninja's error locations, like ("body", "payload", "first_name"), to field names."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] == "body" and len(loc) > 2:
            loc = loc[2:]
        elif len(loc) > 1:
            loc = loc[1:]
        name = ".".join(loc) or "body"
        fields.setdefault(name, []).append(str(error.get("msg", "Invalid value.")))
    return fields


def _error(api: NinjaAPI, request: HttpRequest, status: int, detail: str, **extra: Any) -> Any:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    """Every error answers ErrorOut; bad input is 422 naming the field."""

    def request_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = _field_errors(exc.errors)
        return _error(api, request, 422, "Invalid request: " + ", ".join(errors), errors=errors)

    def service_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = {field: list(messages) for field, messages in exc.message_dict.items()}
        else:
            errors = {"__all__": list(exc.messages)}
        return _error(api, request, 422, "Invalid request: " + ", ".join(errors), errors=errors)

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _error(api, request, 404, "Not found.")

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:  # ninja's "Cannot parse request body"
            return _error(api, request, 422, str(exc), errors={"body": ["Send a JSON object."]})
        if isinstance(exc, AuthenticationError):
            return _error(api, request, 401, "Authentication required.")
        return _error(api, request, exc.status_code, str(exc))

    # django-ninja types a handler as taking the exception or its class (ExcHandler),
    # but it is only ever called with the raised instance: its annotation is wrong.
    api.add_exception_handler(NinjaValidationError, request_invalid)  # type: ignore[arg-type]
    api.add_exception_handler(DjangoValidationError, service_invalid)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, not_found)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, http_error)  # type: ignore[arg-type]
