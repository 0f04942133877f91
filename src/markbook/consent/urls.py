from django.urls import path

from markbook.consent import views

app_name = "consent"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/new/", views.service_new, name="service_new"),
    path("register/<int:entry_id>/edit/", views.service_edit, name="service_edit"),
    path("register/<int:entry_id>/delete/", views.service_delete, name="service_delete"),
    path("purposes/", views.purposes, name="purposes"),
    path("purposes/<int:purpose_id>/edit/", views.purpose_edit, name="purpose_edit"),
    path("purposes/<int:purpose_id>/delete/", views.purpose_delete, name="purpose_delete"),
    path("", views.overview, name="overview"),
    path("classes/<int:class_id>/", views.class_consent, name="class_consent"),
    path("classes/<int:class_id>/csv/", views.class_consent_export, name="class_consent_csv"),
    path("classes/<int:class_id>/paper-form/", views.class_paper, name="class_paper"),
    path("published/", views.published, name="published"),
    path("published/pdf/", views.published_pdf, name="published_pdf"),
    path("children/", views.children, name="children"),
    path("children/<int:pupil_id>/decide/", views.child_decide, name="child_decide"),
]
