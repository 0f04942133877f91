from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.schools"
    label = "schools"
