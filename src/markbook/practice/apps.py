from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.practice"
    label = "practice"
    verbose_name = "Online practice"
