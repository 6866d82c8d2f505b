"""The Reflex fixes in cop_app/reflex_patches.py: a new viewer of a room costs the other
viewers nothing, a real change still reaches them, and expired-state purges are rate limited."""

import asyncio

import pytest
import reflex as rx
from reflex.istate.manager.disk import StateManagerDisk
from reflex.istate.manager.token import BaseStateToken

from cop_app import reflex_patches
from cop_app.live import ThreadRoom
from cop_app.models import Thread
from cop_app.services import discussions
from cop_app.states.discussions import ThreadState
from tests.state.harness import SLUG, Browser, session_token_for, start_server
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
