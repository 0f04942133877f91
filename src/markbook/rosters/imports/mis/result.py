"""What an MIS import found and would do, row by row (ROS-2, ROS-3)."""

from dataclasses import dataclass, field
from typing import Any

from markbook.rosters.imports.common import Problem


@dataclass
class Change:
    label: str
    old: Any = None
    new: Any = None
    sensitive: bool = False  # shown and audited as "changed" only (SEC-2)


@dataclass
class Planned:
    """What one row will do: add a pupil, change one, or leave one alone."""

    row: int
    name: str  # for the preview: a pupil's display name, or the file's name for a new one
    pupil: Any = None  # the stored pupil (plan.py's _Current), a Pupil once it is written
    values: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Change] = field(default_factory=dict)
    upn_hash: str = ""  # the keyed hash of the row's UPN, computed once (ACC-3)


@dataclass
class MisImportResult:
    filename: str
    full: bool = False
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rows: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # file header -> field label
    unknown_columns: list[str] = field(default_factory=list)
    suggestions: dict[str, str] = field(default_factory=dict)  # unknown header -> field or ignore
    not_kept_columns: list[str] = field(default_factory=list)  # dropped by ROS-5 / ACC-3
    added: list[Planned] = field(default_factory=list)
    changed: list[Planned] = field(default_factory=list)
    unchanged: list[Planned] = field(default_factory=list)
    leavers: list[Planned] = field(default_factory=list)
    # Rows of pupils erased at the school's request, not added again (DSR-4).
    suppressed: list[int] = field(default_factory=list)
    applied: bool = False
    school_urn_column: tuple[int, str] | None = None  # (index, header) of a school URN column

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def problems(self) -> list[Problem]:
        return self.errors
