"""Pupils sign in on their school's page with the username their school knows them by."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class SchoolPupilBackend(ModelBackend):
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        school: Any = None,
        pupil_username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if school is None or not pupil_username or not password:
            return None
        from markbook.accounts.models import User
        from markbook.core.tenancy import school_scope
        from markbook.rosters.models import Pupil

        with school_scope(school):
            pupil = (
                Pupil.objects.select_related("user")
                .filter(username__iexact=pupil_username.strip(), status=Pupil.Status.ON_ROLL)
                .first()
            )
        user = pupil.user if pupil else None
        if user is None or not user.has_usable_password():
            # Hash anyway, so the time taken does not tell which usernames exist.
            User().set_password(password)
            return None
        if not user.check_password(password) or not self.user_can_authenticate(user):
            return None
        return user
