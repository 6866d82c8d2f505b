"""events.*: changes reach listeners only after COMMIT; a rollback drops them."""

import dataclasses
import logging

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cop_app.models import User
from cop_app.services import events
from cop_app.services.events import Change


def test_change_is_immutable() -> None:
    change = Change("kind", ("room",))
    assert change.data == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.kind = "other"  # type: ignore[misc]


def test_on_commit_emits_only_after_commit(session: Session, make_user, changes) -> None:
    make_user(session)
    session.exec(select(User)).all()
    change = Change("community.members", ("community-1",), {"id": 1})

    events.on_commit(session, change)
    assert changes == []  # queued, not sent
    session.flush()
    assert changes == []  # a flush is not a commit

    session.commit()
    assert changes == [change]

    session.commit()  # the queue was emptied: nothing is sent twice
    assert changes == [change]


def test_changes_are_emitted_in_order(session: Session, changes) -> None:
    first, second = Change("a", ("r1",)), Change("b", ("r2",))
    session.exec(select(User)).all()
    events.on_commit(session, first)
    events.on_commit(session, second)
    session.commit()
    assert changes == [first, second]


def test_rollback_drops_queued_changes(session: Session, make_user, changes) -> None:
    user = make_user(session)
    user.display_name = "Renamed"
    session.add(user)
    session.flush()
    events.on_commit(session, Change("user.renamed", ("admin-activity",)))

    session.rollback()
    session.commit()

    assert changes == []
    assert session.get(User, user.id).display_name != "Renamed"


def test_rollback_before_any_sql_drops_queued_changes(session: Session, changes) -> None:
    """Expected behaviour; FAILS today: with no SQL run yet there is no DB transaction, so
    SQLAlchemy fires no after_rollback and the change stays queued until the next commit."""
    events.on_commit(session, Change("stale", ("room",)))
    session.rollback()
    session.exec(select(User)).all()
    session.commit()
    assert changes == []


def test_changes_of_one_session_do_not_leak_into_another(engine: Engine, changes) -> None:
    with Session(engine) as first, Session(engine) as second:
        first.exec(select(User)).all()
        events.on_commit(first, Change("first", ("room",)))
        second.exec(select(User)).all()
        second.commit()
        assert changes == []
        first.commit()
        assert [c.kind for c in changes] == ["first"]


def test_emit_survives_a_failing_listener(changes, caplog: pytest.LogCaptureFixture) -> None:
    def broken(_change: Change) -> None:
        raise RuntimeError("listener bug")

    events.subscribe(broken)
    try:
        with caplog.at_level(logging.ERROR, logger=events.__name__):
            events.emit(Change("x", ("room",)))
    finally:
        events.unsubscribe(broken)
    assert [c.kind for c in changes] == ["x"]
    assert "change listener failed" in caplog.text


def test_subscribe_is_idempotent_and_unsubscribe_is_safe() -> None:
    got: list[Change] = []

    def listener(change: Change) -> None:
        got.append(change)

    events.subscribe(listener)
    events.subscribe(listener)
    try:
        events.emit(Change("once", ()))
    finally:
        events.unsubscribe(listener)
    events.unsubscribe(listener)  # a second time: no error
    events.emit(Change("after", ()))
    assert [c.kind for c in got] == ["once"]


def test_collect_keeps_committed_changes_for_later_instead_of_handing_them_out(
    session: Session, changes
) -> None:
    change = Change("a", ("r1",))
    kept: list[Change] = []
    with events.collect(kept):
        events.on_commit(session, change)
        session.commit()
    assert (kept, changes) == ([change], [])

    events.emit(change)  # outside the block, changes are handed out again
    assert changes == [change]
