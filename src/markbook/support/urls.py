from django.urls import path

from markbook.support import views

app_name = "support"
urlpatterns = [
    path("", views.grants, name="grants"),
    path("<int:grant_id>/", views.grant_detail, name="grant"),
    path("<int:grant_id>/revoke/", views.grant_revoke, name="revoke"),
]
