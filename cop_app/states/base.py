"""What every state handler needs: a database session and the caller, from the server."""

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from cop_app.models import User
from cop_app.services import events
from cop_app.services.errors import DomainError

T = TypeVar("T")


def db() -> Session:
    """A SQLModel session on the configured database (SQLite or PostgreSQL)."""
    return rx.session()


async def in_thread(verb: Callable[..., T], *args: Any) -> T:
    """Run a blocking service call (password hashing, ~120 ms) in a worker thread with its own
    database session, so every other tab keeps its event loop. Rows it returns are detached;
    the changes it announced reach live rooms from the loop once it is done, even on error."""
    changes: list[events.Change] = []

    def call() -> T:
        with events.collect(changes), db() as session:
            result = verb(session, *args)
            session.expunge_all()
            return result

    try:
        return await asyncio.to_thread(call)
    finally:
        for change in changes:
            events.emit(change)


def form_value(form: Any, key: str) -> Any:
    """One field of a submitted form; a non-dict payload reads as empty."""
    return form.get(key, "") if isinstance(form, dict) else ""


def error_toast(err: DomainError) -> rx.event.EventSpec:
    """A domain error as a toast the person can read."""
    return rx.toast.error(err.message, duration=6000)


def detached(session: Session, user: User | None) -> User | None:
    """A user row usable after its session closed (services re-load what they change)."""
    if user is not None:
        session.expunge(user)
    return user


def route_param(state: rx.State, name: str) -> str:
    """A dynamic route segment ([slug], [id]) of the page this event came from.

    Reflex 0.10 has no public accessor besides the deprecated `router.page`, which logs a
    deprecation on every call (measurable per event); this reads the same data."""
    value = state.router._page.params.get(name, "")
    return value if isinstance(value, str) else ""
