"""The outer edge of a write: the one commit, and the fresh row handed back to the caller.

Writes made under a draft's idempotency key (validation.client_key) go through
`commit_once`: the same draft sent twice at once passes both "already made?" checks, and
only the unique key stops the second."""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

Row = TypeVar("Row")


def committed(session: Session, row: Row) -> Row:
    """Commit the unit of work and reload `row`, so callers never read expired attributes."""
    session.commit()
    session.refresh(row)
    return row


def commit_once(session: Session, write: Callable[[], Row], twin: Callable[[], Row | None]) -> Row:
    """Run `write` and commit; when the unique key refuses it, roll back and return the row
    its concurrent twin made (`twin`), so both requests answer with one row. Another
    refusal (no twin found) is raised."""
    try:
        row = write()
        session.commit()
    except IntegrityError:
        session.rollback()
        winner = twin()
        if winner is None:
            raise
        return winner
    session.refresh(row)
    return row
