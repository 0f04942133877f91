from django.urls import path

from markbook.rosters import views, views_deletions, views_imports, views_years

app_name = "rosters"
urlpatterns = [
    path("pupils/", views.pupils, name="pupils"),
    path("pupils/new/", views.pupil_new, name="pupil_new"),
    path("pupils/<int:pupil_id>/", views.pupil_detail, name="pupil_detail"),
    path("pupils/<int:pupil_id>/edit/", views.pupil_edit, name="pupil_edit"),
    path("pupils/<int:pupil_id>/delete/", views.pupil_delete, name="pupil_delete"),
    path("pupils/<int:pupil_id>/parents/", views.pupil_parents, name="pupil_parents"),
    path("me/", views.me, name="me"),
    path("me/ask-to-delete/", views_deletions.me_delete_ask, name="me_delete_ask"),
    path("deletion-requests/", views_deletions.deletion_requests, name="deletion_requests"),
    path(
        "deletion-requests/<int:deletion_request_id>/pass/",
        views_deletions.deletion_request_pass,
        name="deletion_request_pass",
    ),
    path("roster/delete/", views_deletions.roster_delete, name="roster_delete"),
    path("classes/", views.classes, name="classes"),
    path("classes/new/", views.class_new, name="class_new"),
    path("classes/<int:class_id>/", views.class_detail, name="class_detail"),
    path("classes/<int:class_id>/edit/", views.class_edit, name="class_edit"),
    path("classes/<int:class_id>/delete/", views_deletions.class_delete, name="class_delete"),
    path("classes/<int:class_id>/teachers/", views.class_teachers, name="class_teachers"),
    path("classes/<int:class_id>/pupils/", views.class_pupils, name="class_pupils"),
    path(
        "classes/<int:class_id>/signin-cards/",
        views.class_signin_cards,
        name="class_signin_cards",
    ),
    path("years/", views_years.years_page, name="years"),
    path("years/<int:year_id>/rollover/", views_years.year_rollover, name="year_rollover"),
    path("staff/", views.teachers, name="teachers"),
    path("staff/<int:user_id>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:user_id>/remove/", views.staff_remove, name="staff_remove"),
    path("staff/<int:user_id>/delete/", views_deletions.staff_delete, name="staff_delete"),
    path("import/class-list/", views_imports.classlist_upload, name="classlist_upload"),
    path("oneroster/", views_imports.oneroster_page, name="oneroster"),
    path("oneroster/export/", views_imports.oneroster_download, name="oneroster_export"),
    path("import/mis/", views_imports.mis_upload, name="mis_upload"),
    path("import/jobs/<int:job_id>/", views_imports.import_job, name="import_job"),
    path(
        "import/jobs/<int:job_id>/retry/", views_imports.import_job_retry, name="import_job_retry"
    ),
    path(
        "import/jobs/<int:job_id>/cancel/",
        views_imports.import_job_cancel,
        name="import_job_cancel",
    ),
]
