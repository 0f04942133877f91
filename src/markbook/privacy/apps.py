from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


def _publish_notice(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After a migrate, record the privacy notice if the inventory changed (DSR-10);
    see privacy.notices for why then. Skipped while privacy's tables are not there
    (migrating backwards, or to an earlier state)."""
    from django.db import connections

    from markbook.privacy.models import NoticeVersion
    from markbook.privacy.notices import notice_publish

    if NoticeVersion._meta.db_table not in connections[using].introspection.table_names():
        return
    notice_publish()


class Config(AppConfig):
    name = "markbook.privacy"
    label = "privacy"

    def ready(self) -> None:
        # Every app's inventory.py, Markbook's and the declarations for third-party apps.
        autodiscover_modules("inventory")
        from markbook.privacy import own_inventory, records_inventory, third_party_inventory  # noqa: F401

        post_migrate.connect(_publish_notice, sender=self, dispatch_uid="markbook_privacy_notice")
