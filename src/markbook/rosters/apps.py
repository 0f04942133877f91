from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.rosters"
    label = "rosters"
