"""Record the privacy notice if the data inventory changed, and tell the schools (DSR-10).

Runs after every migrate as well (privacy.apps); this is for running it by hand."""

from typing import Any

from django.core.management.base import BaseCommand

from markbook.privacy.notices import notice_publish


class Command(BaseCommand):
    help = "Publish a new version of the privacy notice if the data inventory changed."

    def handle(self, *args: Any, **options: Any) -> None:
        published = notice_publish()
        version = published.version
        if not published.created:
            self.stdout.write(
                f"The privacy notice is unchanged (in force since {version.published_at:%d %B %Y})."
            )
            return
        self.stdout.write(f"Published the privacy notice of {version.published_at:%d %B %Y %H:%M}.")
        for change in published.changes:
            self.stdout.write(f"  {change.line()}")
        self.stdout.write(
            f"Told {published.schools_told} schools; {published.emails_sent} emails sent."
        )
