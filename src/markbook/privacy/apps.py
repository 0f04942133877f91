from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class Config(AppConfig):
    name = "markbook.privacy"
    label = "privacy"

    def ready(self) -> None:
        # Every app's inventory.py, Markbook's and the declarations for third-party apps.
        autodiscover_modules("inventory")
        from markbook.privacy import own_inventory, third_party_inventory  # noqa: F401
