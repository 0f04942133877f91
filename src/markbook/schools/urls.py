from django.urls import path

from markbook.schools import views

app_name = "schools"
urlpatterns = [
    path("", views.home, name="home"),
    path("terms/", views.terms, name="terms"),
    path("settings/", views.school_settings, name="settings"),
    path("settings/families/", views.family_settings, name="family_settings"),
    path("settings/suspension/", views.suspension, name="suspension"),
]
