from django.urls import path

from markbook.schools import platform_views

# `platform_school_id`, not `school_id`: these pages are the platform's, about a
# school, never in its scope (admission opens a school's scope for `school_id`).
app_name = "platform_schools"
urlpatterns = [
    path("", platform_views.school_list, name="list"),
    path("<int:platform_school_id>/", platform_views.school_detail, name="detail"),
    path("<int:platform_school_id>/deletion/", platform_views.school_deletion, name="deletion"),
]
