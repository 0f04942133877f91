from django.apps import AppConfig


class Config(AppConfig):
    name = "markbook.rights"
    label = "rights"

    def ready(self) -> None:
        from markbook.rights import engines

        engines.register_all()
