"""What every state handler needs: a database session and the caller, from the server."""

from typing import Any

import reflex as rx
from sqlmodel import Session

from cop_app.models import User
from cop_app.services.errors import DomainError


def db() -> Session:
    """A SQLModel session on the configured database (SQLite or PostgreSQL)."""
    return rx.session()


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
