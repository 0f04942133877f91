from django.urls import path

from markbook.practice import views_teachers as views

app_name = "practice_teachers"
Q = "teach/sets/<int:set_id>/questions/<int:question_id>"
urlpatterns = [
    path("teach/sets/", views.sets, name="sets"),
    path("teach/sets/new/", views.set_new, name="set_new"),
    path("teach/sets/<int:set_id>/", views.set_edit, name="set_edit"),
    path("teach/sets/<int:set_id>/publish/", views.set_publish, name="set_publish"),
    path("teach/sets/<int:set_id>/archive/", views.set_archive, name="set_archive"),
    path("teach/sets/<int:set_id>/delete/", views.set_delete, name="set_delete"),
    path("teach/sets/<int:set_id>/questions/new/", views.question_new, name="question_new"),
    path(
        "teach/sets/<int:set_id>/questions/preview/",
        views.question_preview,
        name="question_preview",
    ),
    path(f"{Q}/", views.question_edit, name="question_edit"),
    path(f"{Q}/delete/", views.question_delete, name="question_delete"),
    path(f"{Q}/move/", views.question_move, name="question_move"),
    path("media/<int:media_id>/", views.media_file, name="media"),
    path("teach/classes/<int:class_id>/live/", views.class_live, name="class_live"),
    path("teach/classes/<int:class_id>/heatmap/", views.class_heatmap, name="class_heatmap"),
    path("pupils/<int:pupil_id>/progress/", views.pupil_practice, name="pupil_practice"),
]
