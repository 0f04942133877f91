from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.tracking"
    label = "tracking"
    verbose_name = "Tracking"
