from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.core"
    label = "core"

    def ready(self) -> None:
        from markbook.core import rls

        rls.connect_signals()
