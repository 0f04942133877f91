from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.rights"
    label = "rights"
