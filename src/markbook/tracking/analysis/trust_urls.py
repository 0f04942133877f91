from django.urls import path

from markbook.tracking.analysis import views

app_name = "trust_analysis"
urlpatterns = [
    path("", views.trust, name="report"),
]
