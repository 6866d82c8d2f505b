"""Two in-process hooks: services announce committed changes (live.py subscribes), and
recorded activity is shown to in-transaction listeners (services/wiring.py registers them).

Changes are queued on the SQLAlchemy session and emitted only after COMMIT, so a
rolled-back write never reaches a browser (Zulip's send_event_on_commit). A recorded
activity event is shown to its listeners at once, inside the caller's transaction, so what
they write (a mentee's goal met by a reply) commits or rolls back with it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from cop_app.services.rooms import RoomKey


@dataclass(frozen=True)
class Change:
    """What changed and which rooms may care; rooms re-read the database."""

    kind: str
    rooms: tuple[RoomKey, ...]
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Change], None]
_listeners: list[Listener] = []
_PENDING = "cop_pending_changes"
_collector: ContextVar[list[Change] | None] = ContextVar("cop_change_collector", default=None)


def subscribe(listener: Listener) -> None:
    """Register a listener (idempotent)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    """Remove a listener (used by tests)."""
    if listener in _listeners:
        _listeners.remove(listener)


@contextmanager
def collect(into: list[Change]) -> Iterator[None]:
    """Keep the changes announced in this context in `into` instead of handing them out:
    a service run in a worker thread announces them on the event loop afterwards."""
    reset = _collector.set(into)
    try:
        yield
    finally:
        _collector.reset(reset)


def emit(change: Change) -> None:
    """Hand a change to every listener now; a failing listener never breaks the write."""
    collected = _collector.get()
    if collected is not None:
        collected.append(change)
        return
    for listener in list(_listeners):
        try:
            listener(change)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("change listener failed")


# (session, ActivityEvent) -> anything; typed loosely so this module imports no models.
RecordListener = Callable[[Session, Any], object]
_record_listeners: list[RecordListener] = []


def on_record(listener: RecordListener) -> None:
    """Have `listener` see every recorded activity event in its transaction (idempotent)."""
    if listener not in _record_listeners:
        _record_listeners.append(listener)


def off_record(listener: RecordListener) -> None:
    """Stop showing recorded events to `listener` (used by tests)."""
    if listener in _record_listeners:
        _record_listeners.remove(listener)


def recorded(session: Session, activity_event: Any) -> None:
    """Show a just-recorded activity event to every listener; their errors roll it back."""
    for listener in list(_record_listeners):
        listener(session, activity_event)


def on_commit(session: Session, change: Change) -> None:
    """Queue a change to be emitted when this session's transaction commits."""
    if not session.in_transaction():
        session.begin()  # so a rollback before any SQL still fires and drops the change
    session.info.setdefault(_PENDING, []).append(change)


@event.listens_for(Session, "after_commit")
def _flush_pending(session: Session) -> None:
    for change in session.info.pop(_PENDING, []):
        emit(change)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, _previous_transaction: object) -> None:
    session.info.pop(_PENDING, None)
