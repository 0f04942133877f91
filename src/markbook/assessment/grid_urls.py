from django.urls import path

from markbook.assessment import grid_views

app_name = "markbook"
urlpatterns = [
    path("classes/<int:class_id>/", grid_views.class_marks, name="class_marks"),
    path("classes/<int:class_id>/drops/<int:drop_id>/", grid_views.class_drop, name="class_drop"),
]
