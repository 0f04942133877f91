from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.support"
    label = "support"
    verbose_name = "Support access"
