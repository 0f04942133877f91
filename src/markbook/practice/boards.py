"""The leaderboards' declared projection (ASM-6, DSR-5, CON-2).

The answering service calls `answered(item=...)` inside the transaction that stores a
correct or incorrect answer. Being built: see the leaderboards work.
"""

from markbook.practice.models import Item


def answered(*, item: Item) -> None:
    """Count an acknowledged answer's points (and a trial's speed) towards the boards."""
