"""What another person's action changes on an open thread reaches its readers live: the
lock both ways (a draft kept), the pin, the accepted answer on older posts, and a thread
moderators hide (its readers are told, then hear nothing more). Two harness browsers."""

import asyncio
from typing import Any

import pytest
import reflex as rx
from reflex.state import StateUpdate

from cop_app import live
from cop_app.live import ThreadRoom
from cop_app.models import Thread, User
from cop_app.services import discussions, settings
from cop_app.states.auth import AuthState
from cop_app.states.discussions import ThreadState
from cop_app.states.moderation import ModerationState
from tests.state.harness import (
    SLUG,
    Browser,
    Server,
    delta_text,
    new_thread,
    signed_in_browser,
    start_server,
    user_id_of,
    var,
)

STEWARD, MEMBER = "ravi.iyer", "hannah.kowalski"  # Ravi stewards SLUG and asks the question
DRAFT = "Half a reply I am still writing"


async def _open(server: Server, tid: int, local: str) -> Browser:
    """A member's tab with the thread open, as its on_load does."""
    tab = await signed_in_browser(server, local, f"/c/{SLUG}/t/{tid}", slug=SLUG, id=str(tid))
    await tab.call(ThreadState, "load_page")
    return tab


def _since(server: Server, tab: Browser, start: int) -> list[StateUpdate]:
    """What the tab received since `start`, from anyone's call."""
    return [u for t, u in server.recorder.updates[start:] if t == tab.token]


async def _received(server: Server, tab: Browser, act: Any) -> list[StateUpdate]:
    """What `tab` received while another tab acted."""
    mark = len(server.recorder.updates)
    await act
    return _since(server, tab, mark)


async def _links(tab: Browser) -> set[str]:
    root = (await tab.state(AuthState))._get_root_state()
    return {room.split("-")[0] for room in (root._reflex_internal_links or {}).values()}


def _reply_as(tid: int, local: str, body: str) -> int:
    """A reply written through the service (no per-member pause between two of them)."""
    with rx.session() as session:
        thread = session.get(Thread, tid)
        post = discussions.do_post_reply(
            session, thread, session.get(User, user_id_of(local)), body
        )
        session.commit()
        return post.id or 0


def _run(scenario: Any) -> None:
    asyncio.run(scenario())


def test_a_lock_and_an_unlock_reach_a_reader_who_is_writing(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tid = await new_thread(server)
        member = await _open(server, tid, MEMBER)
        await member.call(ThreadState, "set_draft", value=DRAFT)
        steward = await _open(server, tid, STEWARD)

        got = await _received(
            server, member, steward.call(ThreadState, "moderate", what="locked", value=True)
        )
        assert var(got, ThreadRoom, "locked") is True  # the page hides Reply, Quote and Post
        got = await _received(
            server, member, steward.call(ThreadState, "moderate", what="pinned", value=True)
        )
        assert var(got, ThreadRoom, "pinned") is True
        got = await _received(
            server, member, steward.call(ThreadState, "moderate", what="locked", value=False)
        )
        assert var(got, ThreadRoom, "locked") is False
        got = await _received(
            server, member, steward.call(ThreadState, "moderate", what="pinned", value=False)
        )
        assert var(got, ThreadRoom, "pinned") is False
        assert (await member.state(ThreadState)).draft == DRAFT  # nothing typed was lost
        await member.call(ThreadState, "submit_reply")
        assert DRAFT in repr((await steward.state(ThreadRoom)).recent)

    _run(scenario)


def test_a_thread_opened_locked_takes_the_saved_draft_once_unlocked(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tid = await new_thread(server)
        member = await _open(server, tid, MEMBER)
        await member.call(ThreadState, "set_draft", value=DRAFT)
        steward = await _open(server, tid, STEWARD)
        await steward.call(ThreadState, "moderate", what="locked", value=True)

        await member.call(ThreadState, "load_page")  # reopened (a reload) while locked
        page = await member.state(ThreadState)
        assert page.thread.locked and not page.thread.can_reply and page.draft == DRAFT
        unlock = steward.call(ThreadState, "moderate", what="locked", value=False)
        got = await _received(server, member, unlock)
        assert var(got, ThreadRoom, "locked") is False  # the reply box appears, the notice goes
        assert (await member.state(ThreadState)).draft == DRAFT
        await member.call(ThreadState, "submit_reply")
        assert DRAFT in repr((await steward.state(ThreadRoom)).recent)

    _run(scenario)


def test_the_accepted_answer_moves_live_on_posts_loaded_from_older_pages(
    app_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers older than the room's newest posts are the reader's own copies, replaced by
    the room's patches: accepting another answer or unmarking one must re-mark them too."""
    monkeypatch.setattr(settings, "ROOM_RECENT_POSTS", 1)

    async def scenario() -> None:
        server = await start_server()
        tid = await new_thread(server)
        first = _reply_as(tid, MEMBER, "Expand, then contract.")
        second = _reply_as(tid, STEWARD, "Review every migration twice.")
        await live.drain()
        reader = await _open(server, tid, MEMBER)
        asker = await _open(server, tid, STEWARD)

        async def marked(post_id: int) -> dict[int, bool]:
            await asker.call(ThreadState, "accept", post_id=post_id)
            room = await reader.state(ThreadRoom)
            assert room.accepted_post_id == post_id
            posts = [*room.patched.values(), *room.recent]
            return {p.id: p.accepted for p in posts if p.id in (first, second)}

        assert (await marked(first))[first]
        assert await marked(second) == {first: False, second: True}
        assert await marked(0) == {first: False, second: False}
        assert await marked(first) == {first: True, second: False}
        assert (await reader.state(ThreadRoom)).accepted_excerpt == "Expand, then contract."

    _run(scenario)


def test_a_thread_hidden_while_open_tells_its_readers_and_sends_them_no_more(
    app_db: None,
) -> None:
    async def scenario() -> None:
        server = await start_server()
        tid = await new_thread(server)
        member = await _open(server, tid, MEMBER)
        await member.call(ThreadState, "set_draft", value=DRAFT)
        steward = await _open(server, tid, STEWARD)

        hide = steward.call(
            ModerationState, "review", action="hide", target_type="thread", target_id=tid
        )
        got = await _received(server, member, hide)
        assert var(got, ThreadRoom, "hidden") is True  # the page says it was removed
        assert "thread" not in await _links(member)
        assert (await member.state(ThreadState)).draft == DRAFT
        assert "thread" in await _links(steward)  # moderators still read it
        assert (await steward.state(ThreadRoom)).hidden

        await steward.call(ThreadState, "set_draft", value="A note only moderators read")
        got = await _received(server, member, steward.call(ThreadState, "submit_reply"))
        assert "only moderators" not in delta_text(got)
        assert "only moderators" in repr((await steward.state(ThreadRoom)).recent)
        restore = steward.call(
            ModerationState, "review", action="restore", target_type="thread", target_id=tid
        )
        assert not await _received(server, member, restore)
        assert not (await steward.state(ThreadRoom)).hidden

    _run(scenario)
