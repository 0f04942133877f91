from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.accounts"
    label = "accounts"
