from django.urls import path

from markbook.breaches import views

app_name = "breaches"
urlpatterns = [
    path("", views.register, name="register"),
    path("<int:breach_id>/", views.detail, name="detail"),
    path("<int:breach_id>/schools/", views.school_add, name="school_add"),
    path("<int:breach_id>/steps/", views.step_add, name="step_add"),
    path("<int:breach_id>/report/", views.report, name="report"),
]
