"""Account pages inside a school: staff reset pupils' passwords (ACC-2)."""

from django.urls import path

from markbook.accounts import views

app_name = "school_accounts"
urlpatterns = [
    path("signin-code/<int:pupil_id>/", views.pupil_signin_code_new, name="pupil_signin_code"),
    path(
        "registrations/<int:request_id>/",
        views.registration_decide,
        name="registration_decide",
    ),
]
