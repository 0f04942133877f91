from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.consent"
    label = "consent"
    verbose_name = "Consent and the service register"
