from django.urls import path

from markbook.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.notice, name="notice"),
]
