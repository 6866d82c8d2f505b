"""The Reflex fixes in cop_app/reflex_patches.py: a new viewer of a room costs the other
viewers nothing, a real change still reaches them, an event that reads no room does not
touch the tab's rooms, and expired-state purges are rate limited."""

import asyncio
from typing import Any

import pytest
import reflex as rx
from reflex.istate.manager.disk import StateManagerDisk
from reflex.istate.manager.token import BaseStateToken
from reflex.istate.shared import SharedStateBaseInternal
from reflex.state import State

from cop_app import reflex_patches
from cop_app.live import ThreadRoom, UserRoom
from cop_app.models import Thread
from cop_app.services import discussions
from cop_app.states.auth import AuthState
from cop_app.states.discussions import BellState, ThreadState
from tests.state.harness import SLUG, Browser, session_token_for, start_server, user_id_of, var
from tests.state.harness import new_thread as _new_thread


def test_linking_a_viewer_does_not_fan_out_but_a_change_does(
    app_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fanned: list[tuple[set[str], dict[str, set[str]]]] = []
    monkeypatch.setattr(
        reflex_patches,
        "_do_update_other_tokens",
        lambda affected_tokens, previous_dirty_vars, state_type: fanned.append(
            (set(affected_tokens), previous_dirty_vars)
        ),
    )

    async def scenario() -> None:
        server = await start_server()
        thread_id = await _new_thread(server)
        path, query = f"/c/{SLUG}/t/{thread_id}", {"slug": SLUG, "id": str(thread_id)}
        viewers = []
        for local in ("ravi.iyer", "hannah.kowalski", "kwame.asante"):
            viewer = Browser(server, path=path, query=query)
            await viewer.sign_in_with_token(session_token_for(local))
            await viewer.call(ThreadState, "load_page")
            viewers.append(viewer)
            assert (await viewer.state(ThreadRoom)).thread_id == thread_id
        assert fanned == []  # the 2nd and 3rd links sent nothing to the others

        # A tab re-reading a stale room inside its own event still updates the others.
        with rx.session() as session:
            thread = session.get(Thread, thread_id)
            thread.title = "Renamed outside the app"
            session.add(thread)
            session.commit()
        async with server.manager.modify_state(
            BaseStateToken(ident=str(discussions.thread_room(thread_id)), cls=ThreadRoom)
        ) as root:
            (await root.get_state(ThreadRoom))._loaded_at = 0.0
        await viewers[0].call(ThreadState, "load_page")
        assert fanned and fanned[-1][0] == {viewers[1].token, viewers[2].token}
        assert "title" in next(iter(fanned[-1][1].values()))
        assert (await viewers[2].state(ThreadRoom)).title == "Renamed outside the app"

    asyncio.run(scenario())


def test_expired_state_purge_runs_at_most_once_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    clock = [1000.0]
    monkeypatch.setattr(reflex_patches, "_original_purge", lambda self: calls.append(1))
    monkeypatch.setattr(reflex_patches.time, "monotonic", lambda: clock[0])
    manager = object.__new__(StateManagerDisk)
    for _ in range(5):
        reflex_patches._purge_expired_states(manager)
    assert calls == [1]
    clock[0] += reflex_patches.PURGE_EVERY_SECONDS
    reflex_patches._purge_expired_states(manager)
    assert calls == [1, 1]


def test_a_tab_event_that_reads_no_room_leaves_its_rooms_alone(
    app_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    patched: list[str] = []
    original = SharedStateBaseInternal._internal_patch_linked_state

    async def counting(self: SharedStateBaseInternal, token: str, full_delta: bool = False) -> Any:
        patched.append(type(self).__name__)
        return await original(self, token, full_delta)

    monkeypatch.setattr(SharedStateBaseInternal, "_internal_patch_linked_state", counting)

    async def scenario() -> None:
        server = await start_server()
        thread_id = await _new_thread(server)
        path, query = f"/c/{SLUG}/t/{thread_id}", {"slug": SLUG, "id": str(thread_id)}
        viewer = Browser(server, path=path, query=query)
        await viewer.sign_in_with_token(session_token_for("ravi.iyer"))
        await viewer.call(BellState, "link")
        await viewer.call(ThreadState, "load_page")
        assert {"ThreadRoom", "UserRoom"} <= set(patched)

        patched.clear()
        await viewer.call(AuthState, "ping")
        assert patched == []  # neither room was locked nor copied into the tab's tree

        await viewer.call(ThreadState, "load_page")
        assert "ThreadRoom" in patched  # a handler that reads its room gets the room

        # A hydrate sends the whole tree: the rooms' values, not the tab's private copies.
        updates = await viewer.call(State, "hydrate")
        assert var(updates, ThreadRoom, "thread_id") == thread_id
        assert var(updates, UserRoom, "user_id") == user_id_of("ravi.iyer")

    asyncio.run(scenario())
