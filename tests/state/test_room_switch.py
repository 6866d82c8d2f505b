"""Two tabs switching threads in opposite directions at the same moment (A→B beside B→A):
each held its old thread's room while it waited for the new one's, so each waited on the
other for ever with the disk state manager (issue 13, known risks)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from reflex.istate.manager.token import BaseStateToken

from cop_app import live, reflex_patches
from cop_app.live import ThreadRoom
from cop_app.services import discussions
from cop_app.services.errors import Busy
from cop_app.states.discussions import ThreadState
from tests.state.harness import (
    SLUG,
    Browser,
    new_thread,
    signed_in_browser,
    start_server,
)

READERS = ("hannah.kowalski", "ravi.iyer")


def _go(tab: Browser, tid: int) -> None:
    tab.path, tab.query = f"/c/{SLUG}/t/{tid}", {"slug": SLUG, "id": str(tid)}


async def _shown(tab: Browser) -> tuple[int, int]:
    """The thread a tab shows: its page's, and its room's."""
    page = await tab.state(ThreadState)
    room = await tab.state(ThreadRoom)
    return page.thread.id, room.thread_id  # type: ignore[attr-defined]


def test_tabs_switching_threads_in_opposite_directions_both_open(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        a, b = await new_thread(server), await new_thread(server, "hannah.kowalski")
        one = await signed_in_browser(server, READERS[0], "/")
        two = await signed_in_browser(server, READERS[1], "/")
        for _ in range(5):
            _go(one, a)
            _go(two, b)
            await asyncio.gather(
                one.call(ThreadState, "load_page"), two.call(ThreadState, "load_page")
            )
            _go(one, b)
            _go(two, a)
            await asyncio.wait_for(
                asyncio.gather(
                    one.call(ThreadState, "load_page"), two.call(ThreadState, "load_page")
                ),
                timeout=20,
            )
            assert (await one.state(ThreadRoom)).thread_id == b
            assert (await two.state(ThreadRoom)).thread_id == a

    asyncio.run(scenario())


def test_tabs_holding_each_others_next_thread_do_not_wait_for_ever(
    app_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both tabs are made to hold their old thread's room (Reflex patches it in for the whole
    event) at the moment they ask for the other's: one gives up after a short wait with
    "busy" and shows what it showed, the other opens its thread, and a retry opens the first."""
    monkeypatch.setattr(live, "ROOM_LOCK_WAIT_SECONDS", 0.5)
    publish: Callable[..., Awaitable[None]] = live.publish
    gate: list[asyncio.Barrier] = []

    async def both_holding(room: Any, touched: Any = None, *, when: Any = "watched") -> None:
        if gate and when != "watched":  # link_room, its tab's old room read (so locked)
            await asyncio.wait_for(gate[0].wait(), timeout=5)
        await publish(room, touched, when=when)

    monkeypatch.setattr(live, "publish", both_holding)

    async def scenario() -> None:
        server = await start_server()
        a, b = await new_thread(server), await new_thread(server, "hannah.kowalski")
        one = await signed_in_browser(server, READERS[0], "/")
        two = await signed_in_browser(server, READERS[1], "/")
        _go(one, a)
        await one.call(ThreadState, "load_page")
        _go(two, b)
        await two.call(ThreadState, "load_page")
        gate.append(asyncio.Barrier(2))
        _go(one, b)
        _go(two, a)
        done = await asyncio.wait_for(
            asyncio.gather(
                one.call(ThreadState, "load_page"),
                two.call(ThreadState, "load_page"),
                return_exceptions=True,
            ),
            timeout=10,
        )
        gate.clear()
        busy = [e for e in done if isinstance(e, Busy)]
        assert len(busy) == 1, done
        assert busy[0].message == live.BUSY_MESSAGE
        # One tab moved; the other shows its old thread, its page and its room alike.
        moved = [tab for tab, want in ((one, b), (two, a)) if await _shown(tab) == (want, want)]
        stayed = [tab for tab, old in ((one, a), (two, b)) if await _shown(tab) == (old, old)]
        assert len(moved) == 1 and len(stayed) == 1
        retry = stayed[0]
        await asyncio.wait_for(retry.call(ThreadState, "load_page"), timeout=10)
        want = b if retry is one else a
        assert await _shown(retry) == (want, want)
        # The room it left no longer counts it as a viewer; the one it joined does.
        left = await server.manager.get_state(_room_token(a if retry is one else b))
        joined = await server.manager.get_state(_room_token(want))
        assert retry.token not in (await left.get_state(ThreadRoom))._linked_from
        assert retry.token in (await joined.get_state(ThreadRoom))._linked_from

    asyncio.run(scenario())


def _room_token(tid: int) -> BaseStateToken:
    return BaseStateToken(ident=str(discussions.thread_room(tid)), cls=ThreadRoom)


def test_lock_order_sorts_rooms_by_kind_then_number() -> None:
    """Members' rooms in id order, as `publish_members` locks them; tabs' tokens apart."""
    tokens = ["user-10", "thread-3", "user-9", "board-2"]
    assert sorted(tokens, key=reflex_patches.lock_order) == [
        "board-2",
        "thread-3",
        "user-9",
        "user-10",
    ]
