from django.urls import path

from markbook.assessment import trust_views

app_name = "trust_assessment"
urlpatterns = [
    path("", trust_views.trust_assignments, name="assignments"),
    path("new/", trust_views.trust_assignment_new, name="assignment_new"),
    path(
        "<int:trust_assignment_id>/edit/",
        trust_views.trust_assignment_edit,
        name="assignment_edit",
    ),
    path(
        "<int:trust_assignment_id>/classes/",
        trust_views.trust_assignment_classes,
        name="assignment_classes",
    ),
    path(
        "<int:trust_assignment_id>/delete/",
        trust_views.trust_assignment_delete,
        name="assignment_delete",
    ),
]
