from django.urls import path

from markbook.privacy import school_views as views
from markbook.privacy import views as export_views
from markbook.privacy.retention import views as retention_views

app_name = "school_privacy"
urlpatterns = [
    path("restrictions/", views.restrictions, name="restrictions"),
    path("restrictions/new/", views.restriction_new, name="restriction_new"),
    path("restrictions/<int:restriction_id>/", views.restriction_detail, name="restriction"),
    path(
        "restrictions/<int:restriction_id>/lift/", views.restriction_lift, name="restriction_lift"
    ),
    path(
        "restrictions/<int:restriction_id>/told/<int:entry_id>/",
        views.restriction_told,
        name="restriction_told",
    ),
    path("corrections/pupils/<int:pupil_id>/", views.pupil_corrections, name="pupil_corrections"),
    path(
        "corrections/pupils/<int:pupil_id>/told/<int:entry_id>/",
        views.pupil_corrections_told,
        name="pupil_corrections_told",
    ),
    path(
        "corrections/people/<int:user_id>/told/<int:entry_id>/",
        views.user_corrections_told,
        name="user_corrections_told",
    ),
    path("corrections/people/<int:user_id>/", views.user_corrections, name="user_corrections"),
    path(
        "notice-changes/<int:alert_id>/dismiss/",
        views.notice_alert_dismiss,
        name="notice_alert_dismiss",
    ),
    path("exports/", export_views.exports, name="exports"),
    path("exports/<int:export_id>/", export_views.export_detail, name="export"),
    path("exports/<int:export_id>/download/", export_views.export_download, name="download"),
    path("holds/", views.holds, name="holds"),
    path("retention/", retention_views.retention, name="retention"),
    path("retention/due/", retention_views.retention_due, name="retention_due"),
    path("holds/<int:hold_id>/lift/", views.hold_lift, name="hold_lift"),
    path("erasure/pupils/<int:pupil_id>/", views.pupil_erasure, name="pupil_erasure"),
    path("erasure/people/<int:user_id>/", views.person_erasure, name="person_erasure"),
]
