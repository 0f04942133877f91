"""API: the leaderboards (ASM-6), as on the boards page: the same choice of boards
(`board_reads.viewer_for`) and the same reads."""

from datetime import date
from typing import Literal

from ninja import Query, Router, Schema
from pydantic import Field

from markbook.admission import AccessRequest
from markbook.core.api import InputSchema, responses
from markbook.practice import board_reads
from markbook.practice.views_boards import choose

router = Router(tags=["leaderboards"])


class BoardQuery(InputSchema):
    board: Literal["class", "school", "trust", "global"] | None = None
    metric: Literal["points", "speed"] = "points"
    period: Literal["week", "month", "year"] = "week"
    class_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="For the class board: one of your classes."
    )


class BoardRowOut(Schema):
    place: int
    name: str
    school: str
    points: int
    # Correct times-table answers a minute in timed trials; null below the minimum.
    speed: float | None
    me: bool


class BoardOut(Schema):
    board: str
    metric: str
    period: str
    starts: date
    class_id: int | None
    # The boards this user may open, in the page's order.
    boards: list[str]
    rows: list[BoardRowOut]
    # The caller's own row, also when below the top 20; null for staff and for a pupil
    # not on the board.
    me: BoardRowOut | None


@router.get(
    "/schools/{school_id}/boards", response=responses(BoardOut), summary="Read a leaderboard"
)
def board_get(request: AccessRequest, school_id: int, filters: Query[BoardQuery]) -> dict:
    """One leaderboard: the top 20 (a class: all of it) and the caller's own place.
    Outside the class, names are first name and surname initial with the school; the
    trust and global boards show only schools that joined them and pupils whose parents
    consented. 404 for a board or class the caller may not open."""
    viewer = board_reads.viewer_for(request.user, request.access)
    kind, teaching_class = choose(viewer, filters.board, filters.class_id)
    board = board_reads.board_read(
        viewer,
        kind=kind,
        metric=filters.metric,
        period=filters.period,
        teaching_class=teaching_class,
    )
    return {
        "board": board.kind,
        "metric": board.metric,
        "period": board.period,
        "starts": board.starts,
        "class_id": teaching_class.pk if teaching_class else None,
        "boards": viewer.kinds,
        "rows": [r.__dict__ for r in board.rows],
        "me": board.me.__dict__ if board.me else None,
    }
