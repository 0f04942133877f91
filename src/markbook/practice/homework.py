"""Practice set as homework (ASM-1, ASM-2): an assignment that is a practice set shows
each pupil's completion in the markbook, and its score can count as the mark.

The answering service calls `attempt_finished(attempt=...)` inside the transaction
that finishes an attempt made for an assignment. Being built: see the homework work.
"""

from markbook.practice.models import Attempt


def attempt_finished(*, attempt: Attempt) -> None:
    """Record the finished attempt against its assignment (completion, and the mark)."""
