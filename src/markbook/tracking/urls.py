from django.urls import path

from markbook.tracking import views

app_name = "tracking"
urlpatterns = [
    path("", views.home, name="home"),
    path("subjects/", views.subjects, name="subjects"),
    path("subjects/auto-link/", views.subject_autolink, name="subject_autolink"),
    path("subjects/<int:subject_id>/edit/", views.subject_edit, name="subject_edit"),
    path("subjects/<int:subject_id>/classes/", views.subject_classes, name="subject_classes"),
    path("subjects/<int:subject_id>/delete/", views.subject_delete, name="subject_delete"),
    path("scales/", views.scales, name="scales"),
    path("scales/new/", views.scale_new, name="scale_new"),
    path("scales/<int:scale_id>/edit/", views.scale_edit, name="scale_edit"),
    path("scales/<int:scale_id>/delete/", views.scale_delete, name="scale_delete"),
    path("scales/<int:scale_id>/target-rules/", views.target_rules, name="target_rules"),
    path("bands/", views.bands, name="bands"),
    path("drops/", views.drops, name="drops"),
    path("drops/new/", views.drop_new, name="drop_new"),
    path("drops/<int:drop_id>/", views.drop_completion, name="drop_completion"),
    path("drops/<int:drop_id>/edit/", views.drop_edit, name="drop_edit"),
    path("drops/<int:drop_id>/lock/", views.drop_lock, name="drop_lock"),
    path("drops/<int:drop_id>/delete/", views.drop_delete, name="drop_delete"),
    path("targets/import/", views.targets_import, name="targets_import"),
    path("targets/from-ks2/", views.targets_from_ks2, name="targets_from_ks2"),
    path("classes/<int:class_id>/targets/", views.class_targets, name="class_targets"),
]
