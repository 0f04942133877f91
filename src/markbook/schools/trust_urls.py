from django.urls import path

from markbook.schools import views

app_name = "trust"
urlpatterns = [
    path("", views.trust_home, name="home"),
]
