"""Discussion handlers: replies reach every reader's room, refusals keep the draft."""

import asyncio
import os
from typing import Any

import pytest
import reflex as rx
from redis.asyncio import Redis
from sqlmodel import Session, func, select

from cop_app.live import ThreadRoom, UserRoom
from cop_app.models import Post, Thread, ThreadRead, User
from cop_app.services import discussions, notifications
from cop_app.states.discussions import BellState, NewThreadState, ThreadState
from tests.state.harness import (
    SLUG,
    Browser,
    Server,
    start_server,
    user_id_of,
    var,
)
from tests.state.harness import new_thread as _new_thread
from tests.state.harness import signed_in_browser as _browser


async def _open_thread(server: Server, tid: int, local: str) -> Browser:
    """A member's browser with the thread open."""
    path = f"/c/{SLUG}/t/{tid}"
    reader = await _browser(server, local, path, slug=SLUG, id=str(tid))
    await reader.call(ThreadState, "load_page")
    return reader


async def _first_reply(server: Server, tid: int, local: str, text: str) -> tuple[Browser, int]:
    """A member opens the thread and posts its first reply; their browser and the post id."""
    member = await _open_thread(server, tid, local)
    await member.call(ThreadState, "set_draft", value=text)
    await member.call(ThreadState, "submit_reply")
    with rx.session() as session:
        post = session.exec(select(Post).where(Post.thread_id == tid, Post.number == 2)).one()
    return member, post.id


def _posts() -> int:
    with rx.session() as session:
        return session.exec(select(func.count()).select_from(Post)).one()


def test_new_thread_preview_is_sanitized_and_the_thread_is_created(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        author = await _browser(server, "ravi.iyer", f"/c/{SLUG}/new", slug=SLUG)
        await author.call(NewThreadState, "start")
        updates = await author.call(
            NewThreadState, "set_body", value="**hi** <script>alert(1)</script>"
        )
        preview = var(updates, NewThreadState, "preview_html")
        assert "<strong>hi</strong>" in preview and "<script" not in preview
        updates = await author.call(NewThreadState, "submit")
        assert var(updates, NewThreadState, "errors") == {
            "title": "Title must be at least 5 characters."
        }
        assert (await author.state(NewThreadState)).body.startswith("**hi**")

    asyncio.run(scenario())


def test_reply_reaches_other_readers_and_mention_reaches_the_bell(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tid = await _new_thread(server)
        path = f"/c/{SLUG}/t/{tid}"
        reader = await _open_thread(server, tid, "ravi.iyer")
        hannah = await _browser(server, "hannah.kowalski", path, slug=SLUG, id=str(tid))
        await hannah.call(BellState, "link")
        assert (await hannah.state(UserRoom)).unread == 1  # mentioned in the question
        await hannah.call(ThreadState, "load_page")
        await hannah.call(ThreadState, "set_draft", value="Expand, then contract. @ravi-iyer")
        await hannah.call(ThreadState, "submit_reply")
        assert (await hannah.state(ThreadState)).draft == ""
        room = await reader.state(ThreadRoom)
        assert room.post_count == 2
        assert "Expand, then contract." in room.recent[-1].body_html
        await reader.call(BellState, "link")
        assert (await reader.state(UserRoom)).unread >= 1

    asyncio.run(scenario())


def test_opening_a_notification_marks_it_read_for_every_tab(app_db: None) -> None:
    """The count goes down when a line is opened, in every tab, and stays down (database)."""

    async def scenario() -> None:
        server = await start_server()
        tid = await _new_thread(server)  # mentions hannah in the question
        hannah = await _browser(server, "hannah.kowalski", "/")
        await hannah.call(BellState, "link")
        room = await hannah.state(UserRoom)
        before, line = room.unread, room.notifications[0]
        assert line.unread and f"/t/{tid}" in line.link
        other_tab = await _browser(server, "hannah.kowalski", "/")
        await other_tab.call(BellState, "link")
        await hannah.call(BellState, "open_notification", ids=line.ids)
        assert (await other_tab.state(UserRoom)).unread == before - 1
        assert not (await other_tab.state(UserRoom)).notifications[0].unread
        with rx.session() as session:
            assert notifications.bell(session, session.get(User, user_id_of("hannah.kowalski")))[
                0
            ] == (before - 1)

    asyncio.run(scenario())


def test_refused_reply_keeps_the_draft(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tid = await _new_thread(server)
        outsider = await _open_thread(server, tid, "grace.adeyemi")
        await outsider.call(ThreadState, "set_draft", value="I am not a member")
        before = _posts()
        updates = await outsider.call(ThreadState, "submit_reply")
        assert "Join" in var(updates, ThreadState, "errors")["body"]
        assert (await outsider.state(ThreadState)).draft == "I am not a member"
        member = await _open_thread(server, tid, "hannah.kowalski")
        await member.call(ThreadState, "set_draft", value="First reply")
        await member.call(ThreadState, "submit_reply")
        await member.call(ThreadState, "set_draft", value="Second reply, too fast")
        updates = await member.call(ThreadState, "submit_reply")
        assert "again in" in var(updates, ThreadState, "errors")["body"]
        assert (await member.state(ThreadState)).draft == "Second reply, too fast"
        assert _posts() == before + 1

    asyncio.run(scenario())


def test_locked_thread_refuses_replies_and_only_asker_accepts(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tid = await _new_thread(server)
        member, answer_id = await _first_reply(server, tid, "hannah.kowalski", "An answer")
        await member.call(ThreadState, "accept", post_id=answer_id)
        with rx.session() as session:
            assert session.get(Thread, tid).accepted_post_id is None
        asker = await _open_thread(server, tid, "ravi.iyer")
        await asker.call(ThreadState, "accept", post_id=answer_id)
        room = await member.state(ThreadRoom)
        assert room.accepted_post_id == answer_id
        assert room.accepted_excerpt == "An answer"  # the excerpt under the question
        await asker.call(ThreadState, "moderate", what="locked", value=True)  # Ravi stewards
        await member.call(ThreadState, "set_draft", value="After the lock")
        before = _posts()
        updates = await member.call(ThreadState, "submit_reply")
        assert "locked" in var(updates, ThreadState, "errors")["body"]
        assert _posts() == before

    asyncio.run(scenario())


def test_reactions_toggle_per_member(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tid = await _new_thread(server, kind="discussion")
        with rx.session() as session:
            first = session.exec(select(Post).where(Post.thread_id == tid)).one()
        member = await _open_thread(server, tid, "hannah.kowalski")
        await member.call(ThreadState, "toggle_reaction", post_id=first.id, kind="helpful")
        assert (await member.state(ThreadRoom)).recent[0].helpful == 1
        await member.call(ThreadState, "toggle_reaction", post_id=first.id, kind="helpful")
        assert (await member.state(ThreadRoom)).recent[0].helpful == 0
        await member.call(ThreadState, "toggle_reaction", post_id=first.id, kind="bogus")
        with rx.session() as session:
            reactors = discussions.reactors(
                session, session.get(User, user_id_of("ravi.iyer")), first.id
            )
        assert reactors == {"helpful": [], "insightful": [], "thanks": []}

    asyncio.run(scenario())


def test_a_steward_reads_a_removed_reply_and_a_member_cannot(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tid = await _new_thread(server)
        text = "Posted in the wrong thread, sorry."
        author, post_id = await _first_reply(server, tid, "hannah.kowalski", text)
        await author.call(ThreadState, "delete", post_id=post_id)
        room = await author.state(ThreadRoom)
        assert room.recent[-1].removed and room.recent[-1].body_html == ""  # shared: no text

        updates = await author.call(ThreadState, "reveal", post_id=post_id)
        assert (await author.state(ThreadState)).revealed == {}
        assert "moderators" in str(updates[-1].events)
        steward = await _open_thread(server, tid, "ravi.iyer")
        await steward.call(ThreadState, "reveal", post_id=post_id)
        revealed = (await steward.state(ThreadState)).revealed
        assert "Posted in the wrong thread" in revealed[str(post_id)]

    asyncio.run(scenario())


def test_a_notification_rereads_only_the_bell(app_db: None, monkeypatch) -> None:
    async def scenario() -> None:
        server = await start_server()
        tid = await _new_thread(server)  # a new thread re-reads members' home lists
        ravi = await _browser(server, "ravi.iyer", "/")
        await ravi.call(BellState, "link")
        before = (await ravi.state(UserRoom)).unread

        def no_home(*_args: object) -> None:
            raise AssertionError("a bell change must not re-read the home list")

        monkeypatch.setattr(discussions, "home_latest", no_home)
        hannah = await _open_thread(server, tid, "hannah.kowalski")
        await hannah.call(ThreadState, "set_draft", value="Expand, then contract. @ravi-iyer")
        await hannah.call(ThreadState, "submit_reply")
        room = await ravi.state(UserRoom)
        assert room.unread == before + 1
        assert f"/t/{tid}" in room.notifications[0].link

    asyncio.run(scenario())


def test_a_reply_rings_every_watching_follower_in_one_read(app_db: None, monkeypatch) -> None:
    """Each follower with a tab open gets their own bell and followed threads; the rooms are
    read together (one call for all, none per follower), and a follower with no tab open
    is not read at all."""

    async def scenario() -> None:
        server = await start_server()
        tid = await _new_thread(server)  # Ravi follows his own thread
        for local in ("mateo.garcia", "yuki.tanaka", "ben.oconnell"):  # repliers follow it
            await _first_reply(server, tid, local, f"Pairs, says {local}.")
        tabs = {}
        for local in ("ravi.iyer", "mateo.garcia", "yuki.tanaka"):  # Ben has no tab open
            tabs[local] = await _browser(server, local, "/")
            await tabs[local].call(BellState, "link")
        before = {local: (await tab.state(UserRoom)).unread for local, tab in tabs.items()}
        bells: list[list[int]] = []
        lists: list[list[int]] = []
        many_bells, many_lists = (
            discussions.unread_and_latest_many,
            discussions.followed_unread_many,
        )

        def one_by_one(*_args: object) -> None:
            raise AssertionError("a reply must not read its followers' bells one by one")

        def bells_of(session: Session, ids: list[int]) -> dict[int, Any]:
            bells.append(sorted(ids))
            return many_bells(session, ids)

        def lists_of(session: Session, ids: list[int]) -> dict[int, Any]:
            lists.append(sorted(ids))
            return many_lists(session, ids)

        monkeypatch.setattr(discussions, "unread_and_latest", one_by_one)
        monkeypatch.setattr(discussions, "unread_and_latest_many", bells_of)
        monkeypatch.setattr(discussions, "followed_unread_many", lists_of)
        hannah = await _open_thread(server, tid, "hannah.kowalski")
        await hannah.call(ThreadState, "set_draft", value="We review them in pairs too.")
        await hannah.call(ThreadState, "submit_reply")
        watching = sorted(user_id_of(local) for local in tabs)
        assert bells == [watching] and lists == [watching]
        for local, tab in tabs.items():
            room = await tab.state(UserRoom)
            assert room.user_id == user_id_of(local)
            assert room.unread == before[local] + 1, local
            assert f"/t/{tid}" in room.notifications[0].link
            assert "Hannah Kowalski" in room.notifications[0].text
            assert tid in [r.id for r in room.followed], local

    asyncio.run(scenario())


def test_followers_bells_ring_across_workers_through_redis(app_db: None) -> None:
    """Two workers share Redis: the followers' tabs live on one, the reply is posted on the
    other, whose batch locks and re-reads all their rooms together in Redis."""
    url = os.environ.get("COP_TEST_REDIS_URL", "")
    if not url:
        pytest.fail("COP_TEST_REDIS_URL is not set: run `make test`, or start Redis and export it")

    async def scenario() -> None:
        redis = Redis.from_url(url)
        await redis.flushdb()
        worker_a, worker_b = await start_server(url), await start_server(url)
        tid = await _new_thread(worker_b)
        for local in ("mateo.garcia", "yuki.tanaka"):
            await _first_reply(worker_b, tid, local, f"Pairs, says {local}.")
        tabs = {}
        for local in ("ravi.iyer", "mateo.garcia", "yuki.tanaka"):
            tabs[local] = await _browser(worker_a, local, "/")
            await tabs[local].call(BellState, "link")
        before = {local: (await tab.state(UserRoom)).unread for local, tab in tabs.items()}
        mark = len(worker_b.recorder.updates)
        hannah = await _open_thread(worker_b, tid, "hannah.kowalski")
        await hannah.call(ThreadState, "set_draft", value="We review them in pairs too.")
        await hannah.call(ThreadState, "submit_reply")
        sent = worker_b.recorder.updates[mark:]
        for local, tab in tabs.items():
            room = await tab.state(UserRoom)  # read through worker A
            assert room.unread == before[local] + 1, local
            assert tid in [r.id for r in room.followed], local
            bells = [u.delta for t, u in sent if t == tab.token]
            assert any(UserRoom.get_full_name() in d for d in bells), local
        await redis.flushdb()
        await redis.aclose()

    asyncio.run(scenario())


def test_replies_seen_at_the_end_are_marked_read_in_place(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tid = await _new_thread(server)
        reader = await _open_thread(server, tid, "ravi.iyer")
        await _first_reply(server, tid, "hannah.kowalski", "Seen while at the end.")
        assert (await reader.state(ThreadState)).seen_upto == 1
        updates = await reader.call(ThreadState, "mark_seen_in_place")
        assert var(updates, ThreadState, "seen_upto") == 2
        assert "scroll" not in str([u.events for u in updates])  # the reader stays put
        with rx.session() as session:
            mark = session.exec(
                select(ThreadRead.last_read_number).where(
                    ThreadRead.thread_id == tid, ThreadRead.user_id == user_id_of("ravi.iyer")
                )
            ).one()
        assert mark == 2

    asyncio.run(scenario())
