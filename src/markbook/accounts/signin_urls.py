"""The public pupil sign-in pages, one secret address per school (ACC-2, ACC-3)."""

from django.urls import path

from markbook.accounts import views

urlpatterns = [
    path("", views.pupil_school_find, name="pupil_school_find"),
    path("<str:signin_slug>/", views.pupil_signin, name="pupil_signin"),
    path("<str:signin_slug>/code/", views.pupil_signin_code_entry, name="pupil_signin_code_entry"),
    path("<str:signin_slug>/register/", views.staff_register, name="staff_register"),
    path(
        "<str:signin_slug>/register/confirm/<str:token>/",
        views.staff_register_confirm,
        name="staff_register_confirm",
    ),
    path(
        "<str:signin_slug>/register/<str:provider_id>/",
        views.staff_register_sso,
        name="staff_register_sso",
    ),
    path(
        "<str:signin_slug>/code/password/",
        views.pupil_signin_set_password,
        name="pupil_signin_set_password",
    ),
]
