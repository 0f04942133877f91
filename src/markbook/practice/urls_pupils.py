"""A pupil's practice pages, and the fair-use page of their teachers (ASM-2, ASM-7,
ASM-8). Mounted at /s/<school_id>/practice/ beside the teachers' pages."""

from django.urls import path

from markbook.practice import views_pupils as views

app_name = "practice"
urlpatterns = [
    path("", views.home, name="home"),
    path("sets/<int:set_id>/start/", views.start, name="start"),
    path("attempts/<int:attempt_id>/", views.attempt, name="attempt"),
    path("attempts/<int:attempt_id>/answer/", views.answer, name="answer"),
    path("attempts/<int:attempt_id>/summary/", views.summary, name="summary"),
    path("fair-use/", views.fair_use, name="fair_use"),
    path("fair-use/<int:pupil_id>/reinstate/", views.reinstate, name="reinstate"),
]
