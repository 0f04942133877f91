from django.urls import path

from markbook.privacy import views

app_name = "privacy_exports"
urlpatterns = [
    path("exports/", views.exports, name="exports"),
    path("exports/<int:export_id>/", views.export_detail, name="export"),
    path("exports/<int:export_id>/download/", views.export_download, name="download"),
]
