"""The project's URLs plus a stand-in for the pupil sign-in code view, so the class
page's "New sign-in code" button can be tested before that view exists."""

from django.http import HttpResponse
from django.urls import include, path

from markbook.urls import urlpatterns as project_urlpatterns

signin_patterns = (
    [
        path(
            "signin-code/<int:pupil_id>/",
            lambda request, school_id, pupil_id: HttpResponse(),
            name="pupil_signin_code",
        )
    ],
    "school_accounts",
)
urlpatterns = [
    *project_urlpatterns,
    path("s/<int:school_id>/test-accounts/", include(signin_patterns)),
]
