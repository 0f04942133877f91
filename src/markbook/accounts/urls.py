from django.urls import path

from markbook.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("display/", views.display_preferences, name="display"),
    path("help-read/", views.help_read, name="help_read"),
]
