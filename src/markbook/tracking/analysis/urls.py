from django.urls import path

from markbook.tracking.analysis import views

app_name = "analysis"
urlpatterns = [
    path("", views.report, name="report"),
    path("csv/", views.report_csv, name="csv"),
    path("summary.pdf", views.report_pdf, name="pdf"),
    path("pupils/", views.pupils, name="pupils"),
]
