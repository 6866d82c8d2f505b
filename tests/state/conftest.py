"""State tests run against the app's own configured database (a temp SQLite file)."""

from collections.abc import Iterator

import pytest
import reflex as rx
from sqlmodel import Session, SQLModel, select

import cop_app.models  # noqa: F401 - every table on SQLModel.metadata
from cop_app.models import User
from cop_app.seed import DEMO_PASSWORD, email_of, seed
from cop_app.services import accounts


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


def session_token_for(local: str) -> str:
    """A valid session id for a demo person (signs them in through the service)."""
    with rx.session() as session:
        return accounts.check_sign_in(session, email_of(local), DEMO_PASSWORD, "tests").token


def user_id_of(local: str) -> int:
    """The id of a demo person."""
    with rx.session() as session:
        return session.exec(select(User.id).where(User.email == email_of(local))).one()
