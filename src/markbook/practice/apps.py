from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate


def _cache_table(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After a migrate, make the database cache's table if the cache is the database
    (the demo's, without Redis): the live class view keeps who is practising there
    (ASM-2, practice/live.py). Does nothing for Redis or an in-memory cache."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


def _file_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    """A prompt's image or sound goes from the disk once the row's deletion commits
    (with its question, its set, an erased author's school, RET-4): nothing deleted
    in the database stays readable on the disk, and a rolled-back deletion keeps it."""
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


class Config(AppConfig):
    name = "markbook.practice"
    label = "practice"
    verbose_name = "Online practice"

    def ready(self) -> None:
        post_migrate.connect(_cache_table, sender=self, dispatch_uid="markbook_practice_cache")
        post_delete.connect(
            _file_delete, sender="practice.PromptMedia", dispatch_uid="markbook_practice_media"
        )
