from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.audit"
    label = "audit"
