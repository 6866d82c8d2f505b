"""State tests run against the app's own configured database (a temp SQLite file)."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import reflex as rx
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import cop_app.models  # noqa: F401 - every table on SQLModel.metadata
from cop_app import event_guard
from cop_app.seed import seed
from cop_app.services.library import storage
from tests.factories import copy_sqlite


@pytest.fixture(autouse=True)
def unlimited_tab_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Handler tests send events back to back, faster than a person: no per-tab rate limit
    here, except in the tests of that limit (tests/state/test_event_guard.py sets it)."""
    monkeypatch.setattr(event_guard, "tab_rate", event_guard.TabRate(1e9, 1e9, 0.0))


@pytest.fixture
def app_db() -> Iterator[None]:
    """A fresh schema with the demo data in the database `rx.session()` uses.

    Seeding takes seconds, so it runs once per test run: the seeded SQLite file and the
    upload folder are kept aside and copied back before each test (SQLite's backup API, so
    the engine's WAL files stay consistent). Another backend is rebuilt and seeded each time."""
    engine = rx.model.get_engine()
    engine.dispose()
    if engine.dialect.name != "sqlite":
        _build_and_seed(engine)
    else:
        live = Path(str(engine.url.database))
        template = live.with_name("seeded-template.db")
        uploads, uploads_kept = storage.data_dir() / "uploads", live.with_name("seeded-uploads")
        if not template.exists():
            _build_and_seed(engine)
            engine.dispose()
            copy_sqlite(live, template)
            shutil.rmtree(uploads_kept, ignore_errors=True)
            if uploads.exists():
                shutil.copytree(uploads, uploads_kept)
        else:
            copy_sqlite(template, live)
            shutil.rmtree(uploads, ignore_errors=True)
            if uploads_kept.exists():
                shutil.copytree(uploads_kept, uploads)
    yield
    engine.dispose()


def _build_and_seed(engine: Engine) -> None:
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session)
