from django.urls import path

from markbook.assessment import views

app_name = "assessment"
urlpatterns = [
    path("assignments/", views.assignments, name="assignments"),
    path("classes/<int:class_id>/assignments/new/", views.assignment_new, name="assignment_new"),
    path("assignments/<int:assignment_id>/", views.assignment_detail, name="assignment_detail"),
    path("assignments/<int:assignment_id>/edit/", views.assignment_edit, name="assignment_edit"),
    path(
        "assignments/<int:assignment_id>/delete/",
        views.assignment_delete,
        name="assignment_delete",
    ),
    path("results/", views.my_results, name="my_results"),
    path("pupils/<int:pupil_id>/results/", views.pupil_results, name="pupil_results"),
]
