from django.urls import path

from markbook.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.notice, name="notice"),
    path("versions/", views.versions, name="versions"),
    path("versions/<int:version_id>/", views.version, name="version"),
]
