from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.breaches"
    label = "breaches"
    verbose_name = "Breach register"
