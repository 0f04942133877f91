"""Rebuild every school's leaderboard rows from its own data (ASM-6), each in its own
scope: run nightly, it drops past weeks and months, and picks up renamed pupils and
consent that lapsed when a purpose was asked again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from markbook.practice.boards import boards_rebuild
from markbook.schools.models import School


class Command(BaseCommand):
    help = "Rebuild the leaderboards of every school (or the ones named by id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("school_ids", nargs="*", type=int, help="only these schools")

    def handle(self, *args: Any, **opts: Any) -> None:
        schools = School.objects.exclude(status=School.Status.ENDED).order_by("pk")
        if opts["school_ids"]:
            schools = schools.filter(pk__in=opts["school_ids"])
        total = 0
        for school in schools:
            total += boards_rebuild(school=school)
        self.stdout.write(f"Rebuilt the leaderboards of {len(schools)} schools: {total} rows.")
