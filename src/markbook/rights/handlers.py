"""What carries out an approved request of each kind (DSR-9): a registry of handlers.

Another app's engine (the access export, erasure, restriction, rectification)
registers itself for the kinds it carries out:

    from markbook.rights import handlers
    handlers.register("access", export_handler)

A handler is called by the background runner (`services.data_request_run`) inside
the school's scope with a `Run`: it reports progress with `run.progress(...)`, keeps
where it got to with `run.keep(...)` (so that a retry after a failure resumes there:
`run.checkpoint` holds what was kept), and returns a summary for the request's
result (counts and references, never personal data). Raising an exception fails the
request's stage, with the error stored; the data protection lead may retry it.

A kind with no handler is carried out by the data protection lead by hand: approving
it says so, and the lead marks it done with a note. The engines register in `rights.engines` (loaded when the app is ready); tests
swap them with `replaced(kind, fn)`.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

if TYPE_CHECKING:
    from markbook.rights.models import DataRequest


class Superseded(Exception):
    """The request was retried or closed meanwhile: this run stops before writing more."""


@dataclass
class Run:
    """One attempt of a request's handler."""

    request: "DataRequest"
    attempt: int
    checkpoint: dict[str, Any] = field(default_factory=dict)

    def _save(self, **values: Any) -> None:
        from markbook.rights.models import DataRequest

        updated = DataRequest.objects.filter(
            pk=self.request.pk, attempt=self.attempt, stage=DataRequest.Stage.IN_PROGRESS
        ).update(updated_at=timezone.now(), **values)
        if not updated:
            raise Superseded

    def progress(self, done: int, total: int, stage: str = "") -> None:
        """Save how far the work is ("240 of 1,000 records"); raises Superseded when
        this attempt is no longer the request's current one."""
        self._save(progress_done=max(done, 0), progress_total=max(total, 0), progress_stage=stage)

    def keep(self, **values: Any) -> None:
        """Keep where the work got to (JSON values), for a retry to resume from."""
        self.checkpoint.update(values)
        self._save(checkpoint=self.checkpoint)


Handler = Callable[[Run], dict[str, Any] | None]

_HANDLERS: dict[str, Handler] = {}

# What a kind records when the lead approves it (the erasure's impact check, as the
# lead saw it): a function of the request returning the run's first checkpoint, or
# raising ValidationError to refuse the approval with nothing changed.
Preparer = Callable[["DataRequest"], dict[str, Any]]
_PREPARERS: dict[str, Preparer] = {}


def _known(kind: str) -> None:
    from markbook.rights.models import DataRequest

    if kind not in DataRequest.Kind.values:
        raise ValueError(f"unknown request kind {kind!r}")


def register(kind: str, handler: Handler) -> None:
    """Carry out approved requests of `kind` with `handler` (replacing any before)."""
    _known(kind)
    _HANDLERS[kind] = handler


def unregister(kind: str) -> None:
    _HANDLERS.pop(kind, None)


def register_preparer(kind: str, preparer: Preparer) -> None:
    """Record `preparer(request)` as the checkpoint of an approved request of `kind`."""
    _known(kind)
    _PREPARERS[kind] = preparer


def prepared(request: "DataRequest") -> dict[str, Any] | None:
    """The checkpoint an approval of this request starts from (None: nothing to record)."""
    preparer = _PREPARERS.get(request.kind)
    return None if preparer is None else preparer(request)


def handler_for(kind: str) -> Handler | None:
    """The kind's handler, or None: the data protection lead carries it out by hand."""
    return _HANDLERS.get(kind)


@contextmanager
def replaced(kind: str, handler: Handler | None) -> Iterator[None]:
    """Carry out `kind` with `handler` (None: by hand) for a while, then put back what
    was registered before (tests use it beside the engines Markbook registers)."""
    before = handler_for(kind)
    if handler is None:
        unregister(kind)
    else:
        register(kind, handler)
    try:
        yield
    finally:
        if before is None:
            unregister(kind)
        else:
            register(kind, before)
