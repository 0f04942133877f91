from django.urls import path

from markbook.breaches import views

app_name = "school_breaches"
urlpatterns = [
    path("", views.school_list, name="list"),
    path("<int:breach_id>/", views.school_detail, name="detail"),
    path("<int:breach_id>/acknowledge/", views.school_acknowledge, name="acknowledge"),
    path("<int:breach_id>/notice/", views.school_notice, name="notice"),
]
