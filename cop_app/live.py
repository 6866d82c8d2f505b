"""Real-time fan-out: SharedState rooms, refreshed from the database after commits.

Services announce changes through `services.events`; `start()` subscribes here. Each
announced room is re-read from the database and written into its SharedState through
`app.modify_state`, so every linked browser gets the delta. Changes to one room that
arrive together are coalesced into one refresh (bursts cost one write, not many).
"""

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import reflex as rx
from reflex.istate.manager.token import BaseStateToken
from reflex_base.registry import RegistrationContext
from sqlmodel import Session

from cop_app.services import communities
from cop_app.services.events import Change, subscribe

logger = logging.getLogger(__name__)

# A short pause lets a burst of changes to one room collapse into one refresh.
COALESCE_SECONDS = 0.02


class CommunityRoom(rx.SharedState):
    """What every viewer of a community page shares: its member count and list."""

    community_id: int = 0
    member_count: int = 0
    members: list[communities.MemberView] = []

    def _refresh(self, session: Session, community_id: int) -> None:
        count = communities.member_count(session, community_id)
        members = communities.member_views(session, community_id, "active")
        # Assign only what changed: an unchanged var would still be re-sent to every viewer.
        if self.community_id != community_id:
            self.community_id = community_id
        if self.member_count != count:
            self.member_count = count
        if self.members != members:
            self.members = members


_ROOMS: dict[str, type[rx.State]] = {"community": CommunityRoom}
_pending: set[str] = set()
_flush_task: asyncio.Task | None = None


def room_class(room: str) -> type[rx.State] | None:
    """The SharedState class serving a room id such as 'community-7'."""
    return _ROOMS.get(room.rsplit("-", 1)[0])


def _app_modify_state(token: BaseStateToken) -> AbstractAsyncContextManager[rx.State]:
    return RegistrationContext.get().app.modify_state(token)


# How a room's state is opened for writing; tests point it at their own state manager.
modify_state: Callable[[BaseStateToken], AbstractAsyncContextManager[rx.State]] = _app_modify_state


async def publish(room: str) -> None:
    """Re-read one room from the database and push it to every linked client."""
    cls = room_class(room)
    if cls is None:
        return
    ident = int(room.rpartition("-")[2])
    async with modify_state(BaseStateToken(ident=room, cls=cls)) as root:
        state = await root.get_state(cls)
        with rx.session() as session:
            state._refresh(session, ident)


async def _flush() -> None:
    global _flush_task
    try:
        await asyncio.sleep(COALESCE_SECONDS)
        rooms = list(_pending)
        _pending.clear()
        for room in rooms:
            try:
                await publish(room)
            except Exception:
                logger.exception("publishing room %s failed", room)
    finally:
        _flush_task = None
        if _pending:
            _schedule()


def _schedule() -> None:
    global _flush_task
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _pending.clear()
        return  # no event loop (CLI, seed): nobody is connected to hear it
    if _flush_task is not None and not _flush_task.done() and _flush_task.get_loop() is loop:
        return
    _flush_task = loop.create_task(_flush())


async def drain() -> None:
    """Wait until every queued room has been published (tests and benchmarks)."""
    while _flush_task is not None and not _flush_task.done():
        await asyncio.shield(_flush_task)


def on_change(change: Change) -> None:
    """Listener for services.events: queue the rooms that serve a browser."""
    for room in change.rooms:
        if room_class(room) is not None:
            _pending.add(room)
    if _pending:
        _schedule()


def start() -> None:
    """Subscribe to service changes; called once when the app module loads."""
    subscribe(on_change)
