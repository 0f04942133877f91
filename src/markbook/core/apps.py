from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.core"
    label = "core"

    def ready(self) -> None:
        import markbook.core.checks  # noqa: F401  (registers the system checks)
        from markbook.core import rls

        rls.connect_signals()
