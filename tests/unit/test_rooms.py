"""Room keys: one spelling of a room's token, read back by one parser."""

import pytest

from cop_app.services import activity, communities, discussions, mentorship, notifications
from cop_app.services.rooms import RoomKey, RoomKind, parse


@pytest.mark.parametrize(
    "key",
    [
        activity.feed_room(0),
        activity.feed_room(5),
        mentorship.board_room(7),
        communities.room_for(10**9),
        discussions.list_room(3),
        discussions.thread_room(42),
        notifications.user_room(9),
    ],
)
def test_every_builder_gives_a_key_whose_token_reads_back(key: RoomKey) -> None:
    assert isinstance(key, RoomKey)
    assert "_" not in str(key)  # Reflex refuses room tokens with "_"
    assert parse(str(key)) == key


def test_threads_and_thread_are_different_rooms() -> None:
    assert parse("threads-3") == RoomKey(RoomKind.THREADS, 3)
    assert parse("thread-3") == RoomKey(RoomKind.THREAD, 3)


@pytest.mark.parametrize(
    "token", ["", "thread", "thread-", "thread--1", "thread-x", "room-4", "THREAD-4", 42, None]
)
def test_anything_else_is_no_room(token: object) -> None:
    assert parse(token) is None
