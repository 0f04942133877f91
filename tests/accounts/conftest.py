"""Helpers for the accounts tests."""

import pytest
from django.urls import reverse

from markbook.audit.models import AuditEvent
from markbook.core.tenancy import school_scope


def signin_url(school, name: str = "pupil_signin") -> str:  # type: ignore[no-untyped-def]
    return reverse(name, kwargs={"signin_slug": school.signin_slug})


def events(school, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with school_scope(school):
        return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.fixture
def issue_code(client_for, world):  # type: ignore[no-untyped-def]
    """issue_code(pupil, role="teacher") -> the one-time code shown to that member of staff."""

    def issue(pupil, role: str = "teacher") -> str:  # type: ignore[no-untyped-def]
        url = reverse(
            "school_accounts:pupil_signin_code",
            kwargs={"school_id": pupil.school_id, "pupil_id": pupil.pk},
        )
        response = client_for(role).post(url)
        assert response.status_code == 200, response.status_code
        return response.context["code"]

    return issue
