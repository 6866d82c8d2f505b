"""State tests run against the app's own configured database (a temp SQLite file)."""

from collections.abc import Iterator

import pytest
import reflex as rx
from sqlmodel import Session, SQLModel

import cop_app.models  # noqa: F401 - every table on SQLModel.metadata
from cop_app.seed import seed


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
