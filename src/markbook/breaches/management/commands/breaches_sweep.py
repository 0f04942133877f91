"""Warn platform staff once about each breach whose 72-hour report is nearly due or
overdue (SEC-3). Run hourly from cron with the other sweeps."""

from typing import Any

from django.core.management.base import BaseCommand

from markbook.breaches.services import breaches_warn


class Command(BaseCommand):
    help = "Warn platform staff of breach reports due within 24 hours or overdue."

    def handle(self, *args: Any, **options: Any) -> None:
        warned = breaches_warn()
        self.stdout.write(f"{warned} breach(es) warned about.")
