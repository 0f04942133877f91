"""What every roster service shares: ValidationErrors that name the field (ROS-3)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def invalid(field: str, message: str) -> ValidationError:
    """The error for one field, to raise."""
    return ValidationError({field: [message]})


def raise_if(errors: dict[str, list[str]]) -> None:
    """Raise every collected problem at once, if there are any."""
    if errors:
        raise ValidationError(errors)


def add_error(errors: dict[str, list[str]], field: str, message: str) -> None:
    """Collect a problem with `field`."""
    errors.setdefault(field, []).append(message)


def email_validate(email: str, *, field: str = "email") -> None:
    """Raise a ValidationError on `field` unless `email` is a valid email address."""
    try:
        validate_email(email)
    except ValidationError:
        raise invalid(field, f"{email!r} is not a valid email address.") from None
