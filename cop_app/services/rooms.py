"""Room identities: a kind and an id, spelled here only.

Services name the rooms a change concerns with these keys (no Reflex, no live.py); live.py
maps each kind to its SharedState class and access check. `str(key)` is Reflex's room token
("thread-42": room tokens may not contain "_"), and `parse` reads one back.
"""

from dataclasses import dataclass
from enum import StrEnum


class RoomKind(StrEnum):
    """What a room shows; its value starts the room's token."""

    ACTIVITY = "activity"  # a live activity feed: 0 the whole site, else a steward's id
    BOARD = "board"  # one mentee board
    COMMUNITY = "community"  # one community's members
    THREADS = "threads"  # one community's latest threads
    THREAD = "thread"  # one thread
    USER = "user"  # one member's bell and home feed (and where access changes find them)
    LIBRARY = "library"  # one community's library list
    RESOURCE = "resource"  # one resource: its page, counts and who is editing
    IMPACT = "impact"  # one impact dashboard: a view (all, a community, a mentor's) and period


@dataclass(frozen=True)
class RoomKey:
    """One room: its kind and the id of what it shows."""

    kind: RoomKind
    ident: int

    def __str__(self) -> str:
        return f"{self.kind.value}-{self.ident}"


def parse(token: object) -> RoomKey | None:
    """The key of a room token such as "thread-42"; None for anything else."""
    if not isinstance(token, str):
        return None
    kind, _, ident = token.rpartition("-")
    if kind not in RoomKind.__members__.values() or not ident.isdigit():
        return None
    return RoomKey(RoomKind(kind), int(ident))
