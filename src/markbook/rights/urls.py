from django.urls import path

from markbook.rights import views

app_name = "rights"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("new/", views.new, name="new"),
    path("record/", views.record, name="record"),
    path("all/", views.queue, name="queue"),
    path("<int:data_request_id>/", views.detail, name="detail"),
    path("<int:data_request_id>/identity/", views.identity, name="identity"),
    path("<int:data_request_id>/approve/", views.approve, name="approve"),
    path("<int:data_request_id>/refuse/", views.refuse, name="refuse"),
    path("<int:data_request_id>/extend/", views.extend, name="extend"),
    path("<int:data_request_id>/complete/", views.complete, name="complete"),
    path("<int:data_request_id>/retry/", views.retry, name="retry"),
    path("<int:data_request_id>/told/<int:entry_id>/", views.told, name="told"),
    path("leads/", views.lead_roles, name="leads"),
    path("term-dates/", views.calendar, name="calendar"),
]
