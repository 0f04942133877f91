from django.urls import include, path

from markbook import health
from markbook.accounts import views as accounts_views
from markbook.api import api

urlpatterns = [
    path("", accounts_views.dashboard, name="dashboard"),
    path("health", health.health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("me/", include("markbook.accounts.urls")),
    path("signin/", include("markbook.accounts.signin_urls")),
    path("api/", api.urls),
    path("s/<int:school_id>/", include("markbook.schools.urls")),
    path("s/<int:school_id>/roster/", include("markbook.rosters.urls")),
    path("s/<int:school_id>/markbook/", include("markbook.assessment.grid_urls")),
    path("s/<int:school_id>/tracking/", include("markbook.tracking.urls")),
    path("s/<int:school_id>/audit/", include("markbook.audit.urls")),
    path("s/<int:school_id>/accounts/", include("markbook.accounts.school_urls")),
    path("s/<int:school_id>/assessment/", include("markbook.assessment.urls")),
    path("trust/<int:trust_id>/", include("markbook.schools.trust_urls")),
    path("trust/<int:trust_id>/assignments/", include("markbook.assessment.trust_urls")),
    path("s/<int:school_id>/analysis/", include("markbook.tracking.analysis.urls")),
    path("trust/<int:trust_id>/analysis/", include("markbook.tracking.analysis.trust_urls")),
    path("s/<int:school_id>/requests/", include("markbook.rights.urls")),
    path("privacy/", include("markbook.privacy.urls")),
    path("s/<int:school_id>/consent/", include("markbook.consent.urls")),
    path("s/<int:school_id>/privacy/", include("markbook.privacy.school_urls")),
    path("platform/breaches/", include("markbook.breaches.urls")),
    path("platform/schools/", include("markbook.schools.platform_urls")),
    path("s/<int:school_id>/breaches/", include("markbook.breaches.school_urls")),
    path("s/<int:school_id>/support/", include("markbook.support.urls")),
    path("s/<int:school_id>/practice/", include("markbook.practice.urls_pupils")),
    path("s/<int:school_id>/boards/", include("markbook.practice.urls_boards")),
    path("s/<int:school_id>/practice/", include("markbook.practice.urls_teachers")),
]

handler500 = "markbook.core.busy.server_error_or_busy"
