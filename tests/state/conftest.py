"""State tests run against the app's own configured database (a temp SQLite file)."""

from collections.abc import Iterator

import pytest
import reflex as rx
from sqlmodel import Session, SQLModel

import cop_app.models  # noqa: F401 - every table on SQLModel.metadata
from cop_app import event_guard
from cop_app.seed import seed


@pytest.fixture(autouse=True)
def unlimited_tab_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Handler tests send events back to back, faster than a person: no per-tab rate limit
    here, except in the tests of that limit (tests/state/test_event_guard.py sets it)."""
    monkeypatch.setattr(event_guard, "tab_rate", event_guard.TabRate(1e9, 1e9, 0.0))


@pytest.fixture
def app_db() -> Iterator[None]:
    """A fresh schema with the demo data in the database `rx.session()` uses."""
    engine = rx.model.get_engine()
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session)
    yield
    engine.dispose()
