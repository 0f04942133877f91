from django.urls import path

from markbook.privacy import school_views as views

app_name = "school_privacy"
urlpatterns = [
    path("holds/", views.holds, name="holds"),
    path("holds/<int:hold_id>/lift/", views.hold_lift, name="hold_lift"),
    path("erasure/pupils/<int:pupil_id>/", views.pupil_erasure, name="pupil_erasure"),
    path("erasure/people/<int:user_id>/", views.person_erasure, name="person_erasure"),
]
