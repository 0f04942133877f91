from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.assessment"
    label = "assessment"
