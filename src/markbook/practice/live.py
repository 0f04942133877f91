"""Who is practising now and on which question, for the teacher's live class view
(ASM-2). Kept in Django's cache (Redis in production, the database cache in the demo),
so a refresh costs the same however many answers there are.

The answering service calls `seen(attempt=..., item=...)` whenever a pupil is shown a
question or answers one. Being built: see the live class view work.
"""

from markbook.practice.models import Attempt, Item


def seen(*, attempt: Attempt, item: Item | None) -> None:
    """Record that the attempt's pupil is online and on `item` (None: finished)."""
