from typing import Any

from django.apps import AppConfig


def _backup_restored(sender: type, result: Any, **kwargs: Any) -> None:
    """A backup restored under a new MARKBOOK_HASH_KEY (its old one lost, SEC-5): the
    pupils' UPN hashes are made again with the new key, so that imports find pupils by
    UPN again (ACC-3). The erased people's hashes cannot be: their values are gone."""
    if "MARKBOOK_HASH_KEY" in result.secrets_differ:
        from markbook.rosters.services import upn_hashes_remake

        upn_hashes_remake()


class Config(AppConfig):
    name = "markbook.rosters"
    label = "rosters"

    def ready(self) -> None:
        from markbook.core.backup import backup_restored

        backup_restored.connect(_backup_restored, dispatch_uid="markbook_rosters_restore")
