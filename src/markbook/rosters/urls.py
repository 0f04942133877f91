from django.urls import path

from markbook.rosters import views

app_name = "rosters"
urlpatterns = [
    path("pupils/", views.pupils, name="pupils"),
    path("pupils/<int:pupil_id>/", views.pupil_detail, name="pupil_detail"),
    path("classes/", views.classes, name="classes"),
    path("classes/<int:class_id>/", views.class_detail, name="class_detail"),
    path("staff/", views.teachers, name="teachers"),
]
