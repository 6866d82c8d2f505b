"""What a tab receives from the live rooms: an outsider gets nothing of a room it may not
see, on first open or afterwards, and a tab whose access ends (sign-out, suspension, a
lost role, leaving an approval-only community) stops receiving at once and says why."""

import asyncio
import os
from typing import Any

import pytest
import reflex as rx
from redis.asyncio import Redis
from reflex.state import StateUpdate
from sqlmodel import func, select

from cop_app import live
from cop_app.live import (
    ActivityRoom,
    BoardRoom,
    CommunityRoom,
    ThreadListRoom,
    ThreadRoom,
    UserRoom,
)
from cop_app.models import Community, Mentorship, Thread
from cop_app.services import communities
from cop_app.states.admin import AdminUsersState
from cop_app.states.auth import AuthState
from cop_app.states.communities import CommunityState
from cop_app.states.discussions import BellState, NewThreadState, ThreadListState, ThreadState
from cop_app.states.mentorship import BoardState
from cop_app.states.moderation import FeedState, SuspendState
from tests.state.harness import (
    Browser,
    Server,
    delta_text,
    session_token_for,
    start_server,
    user_id_of,
    var,
)

OPEN = "engineering-craft"  # Ravi Iyer stewards it; Hannah Kowalski is a member
CLOSED = "surgical-technique-exchange"  # approval-only; Helen Carter stewards it
SECRET = "A theatre checklist only members may read"
ROOMS = (ActivityRoom, BoardRoom, CommunityRoom, ThreadListRoom, ThreadRoom, UserRoom)


def _community_id(slug: str) -> int:
    with rx.session() as session:
        return session.exec(select(Community.id).where(Community.slug == slug)).one()


def _a_thread(slug: str) -> int:
    with rx.session() as session:
        return session.exec(
            select(func.min(Thread.id)).where(Thread.community_id == _community_id(slug))
        ).one()


def _closed_member_names() -> list[str]:
    """Names listed only by the approval-only community (none in the open one)."""
    with rx.session() as session:
        inside = communities.member_views(session, _community_id(CLOSED), "active")
        outside = communities.member_views(session, _community_id(OPEN), "active")
    return sorted({m.display_name for m in inside} - {m.display_name for m in outside})


async def _tab(server: Server, local: str | None, path: str = "/x", **query: str) -> Browser:
    """A browser on a path with no page (no on_load chain), signed in unless `local` is None."""
    browser = Browser(server, path=path, query=dict(query))
    if local is None:
        await browser.call(AuthState, "ping")
    else:
        await browser.sign_in_with_token(session_token_for(local))
    return browser


async def _open_community(tab: Browser, slug: str) -> list[StateUpdate]:
    """Open /c/<slug> as the page's on_load does: the card, then the Discussions tab."""
    tab.query = {"slug": slug}
    updates = await tab.call(BellState, "link")
    updates += await tab.call(CommunityState, "load_page")
    return updates + await tab.call(ThreadListState, "load")


async def _open_thread(tab: Browser, slug: str, tid: int) -> list[StateUpdate]:
    tab.query = {"slug": slug, "id": str(tid)}
    return await tab.call(BellState, "link") + await tab.call(ThreadState, "load_page")


async def _post_thread(server: Server, local: str, slug: str, title: str) -> None:
    author = await _tab(server, local, slug=slug)
    await author.call(NewThreadState, "start")
    await author.call(NewThreadState, "set_title", value=title)
    await author.call(NewThreadState, "set_body", value="Step one: count the swabs twice.")
    updates = await author.call(NewThreadState, "submit")
    assert "Thread started." in delta_text(updates)


async def _reply(server: Server, local: str, slug: str, tid: int, text: str) -> None:
    writer = await _tab(server, local)
    await _open_thread(writer, slug, tid)
    await writer.call(ThreadState, "set_draft", value=text)
    await writer.call(ThreadState, "submit_reply")
    words = text.split(" @")[0]  # a mention is rendered as a link
    assert words in repr((await writer.state(ThreadRoom)).recent)


def _since(server: Server, tab: Browser, start: int) -> list[StateUpdate]:
    """What the tab received since `start` (from any call, its own or others')."""
    return [u for t, u in server.recorder.updates[start:] if t == tab.token]


def _room_deltas(updates: list[StateUpdate], *rooms: type) -> dict[str, Any]:
    """The vars of these rooms (all by default) in these updates, by room state name."""
    names = {cls.get_full_name() for cls in rooms or ROOMS}
    return {n: v for u in updates for n, v in u.delta.items() if n in names and v}


async def _links(tab: Browser) -> dict[str, str]:
    root = await tab.state(AuthState)
    return dict(root._get_root_state()._reflex_internal_links or {})


async def _sign_out_elsewhere(tab: Browser) -> None:
    """Another tab of the same browser signs out (the session both tabs hold)."""
    other = Browser(tab.server, path="/x")
    await other.sign_in_with_token((await tab.state(AuthState)).session_token)
    await other.call(AuthState, "sign_out")


def _run(scenario: Any) -> None:
    asyncio.run(scenario())


# --- outsiders: nothing on first open, nothing live --------------------------------------------


@pytest.mark.parametrize("who", ["hannah.kowalski", None])
def test_thread_list_of_an_approval_community_reaches_no_outsider(app_db: None, who: Any) -> None:
    async def scenario() -> None:
        server = await start_server()
        outsider = await _tab(server, who)
        start = len(server.recorder.updates)
        await _open_community(outsider, CLOSED)
        for sort in ("newest", "top", "unanswered", "latest"):
            updates = await outsider.call(ThreadListState, "set_sort", value=sort)
            assert var(updates, ThreadListState, "error") in (
                "Sign in to do this.",
                "Join Surgical Technique Exchange to see its discussions and members.",
            )
        await outsider.call(ThreadListState, "load_more")
        with rx.session() as session:
            titles = session.exec(
                select(Thread.title).where(Thread.community_id == _community_id(CLOSED))
            ).all()
        received = delta_text(_since(server, outsider, start))
        assert titles and not [t for t in titles if t in received]
        assert (await outsider.state(ThreadListRoom)).latest == []
        assert "threads" not in str(await _links(outsider))

        mark = len(server.recorder.updates)
        await _post_thread(server, "helen.carter", CLOSED, SECRET)
        assert SECRET not in delta_text(_since(server, outsider, mark))

    _run(scenario)


@pytest.mark.parametrize("who", ["hannah.kowalski", None])
def test_member_list_of_an_approval_community_reaches_no_outsider(app_db: None, who: Any) -> None:
    async def scenario() -> None:
        server = await start_server()
        outsider = await _tab(server, who)
        updates = await _open_community(outsider, CLOSED)
        names = _closed_member_names()
        assert names and not [n for n in names if n in delta_text(updates)]
        assert CommunityRoom.get_full_name() not in _room_deltas(updates)
        if who is not None:  # the public card still shows: name, About, the count
            card = var(updates, CommunityState, "card")
            assert card.name == "Surgical Technique Exchange" and card.member_count > 0
        assert (await outsider.state(CommunityState)).inside is False

        mark = len(server.recorder.updates)
        steward = await _tab(server, "helen.carter", slug=CLOSED)
        await steward.call(CommunityState, "load_page")
        await steward.call(CommunityState, "decide", user_id=user_id_of("emily.chen"), approve=True)
        received = _since(server, outsider, mark)
        assert "Emily Chen" not in delta_text(received) and not _room_deltas(
            received, CommunityRoom
        )

    _run(scenario)


def test_a_refused_community_drops_the_rooms_of_the_last_one(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tab = await _tab(server, "hannah.kowalski")
        await _open_community(tab, OPEN)
        assert (await tab.state(ThreadListRoom)).latest
        await _open_community(tab, CLOSED)
        assert (await tab.state(ThreadListRoom)).latest == []
        assert (await tab.state(CommunityRoom)).members == []
        assert not {"community", "threads"} & {
            r.split("-")[0] for r in (await _links(tab)).values()
        }

        mark = len(server.recorder.updates)
        await _post_thread(server, "ravi.iyer", OPEN, "A thread of the page left behind")
        joiner = await _tab(server, "kwame.asante", slug=OPEN)
        await joiner.call(CommunityState, "load_page")
        await joiner.call(CommunityState, "join")
        assert not _room_deltas(_since(server, tab, mark), CommunityRoom, ThreadListRoom)

    _run(scenario)


@pytest.mark.parametrize("who", ["hannah.kowalski", None])
def test_a_refused_thread_drops_the_last_thread(app_db: None, who: Any) -> None:
    async def scenario() -> None:
        server = await start_server()
        tab = await _tab(server, "hannah.kowalski")
        await _open_thread(tab, OPEN, _a_thread(OPEN))
        assert (await tab.state(ThreadRoom)).thread_id == _a_thread(OPEN)
        if who is None:  # signed out elsewhere, then opens another page
            await _sign_out_elsewhere(tab)
        updates = await _open_thread(tab, CLOSED, _a_thread(CLOSED))
        assert var(updates, ThreadState, "found") is not True
        assert (await tab.state(ThreadRoom)).thread_id == 0

        mark = len(server.recorder.updates)
        await _reply(server, "helen.carter", CLOSED, _a_thread(CLOSED), "Closed-room reply")
        await _reply(server, "ravi.iyer", OPEN, _a_thread(OPEN), "Open-room reply")
        received = _since(server, tab, mark)
        assert not _room_deltas(received, ThreadRoom)
        text = delta_text(received)
        assert "Closed-room reply" not in text and "Open-room reply" not in text

    _run(scenario)


def test_a_member_room_is_dropped_when_its_tab_is_signed_out(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tab = await _tab(server, "hannah.kowalski")
        await tab.call(BellState, "link")
        assert (await tab.state(UserRoom)).user_id == user_id_of("hannah.kowalski")
        visitor = await _tab(server, None)
        updates = await visitor.call(BellState, "link")
        assert not _room_deltas(updates)

        await _sign_out_elsewhere(tab)
        await tab.call(BellState, "link")
        mark = len(server.recorder.updates)
        await _reply(server, "ravi.iyer", OPEN, _a_thread(OPEN), "Ping @hannah-kowalski here")
        assert not _room_deltas(_since(server, tab, mark))
        assert not _room_deltas(_since(server, visitor, mark))

    _run(scenario)


@pytest.mark.parametrize("who", ["hannah.kowalski", None])
def test_the_activity_feed_reaches_no_member_or_visitor(app_db: None, who: Any) -> None:
    async def scenario() -> None:
        server = await start_server()
        tab = await _tab(server, who, path="/admin/activity")
        updates = await tab.call(FeedState, "load")
        assert var(updates, FeedState, "allowed") is False
        assert not _room_deltas(updates) and not await _links(tab)

        mark = len(server.recorder.updates)
        await _post_thread(server, "ravi.iyer", OPEN, "An event for the feed only")
        assert not _room_deltas(_since(server, tab, mark))

    _run(scenario)


def test_a_steward_stepped_down_loses_the_feed_room(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        # Ravi stewards only the guild; Hannah becomes a second steward so Ravi can step down.
        ravi = await _tab(server, "ravi.iyer", path="/admin/activity", slug=OPEN)
        assert var(await ravi.call(FeedState, "load"), FeedState, "allowed") is True
        assert (await ravi.state(ActivityRoom)).scope_id == user_id_of("ravi.iyer")
        hannah = await _tab(server, "hannah.kowalski", slug=OPEN)
        await ravi.call(CommunityState, "load_page")
        await ravi.call(
            CommunityState, "set_role", user_id=user_id_of("hannah.kowalski"), role="steward"
        )
        await hannah.call(CommunityState, "load_page")
        await hannah.call(
            CommunityState, "set_role", user_id=user_id_of("ravi.iyer"), role="member"
        )

        assert "activity" not in str(await _links(ravi))
        assert (await ravi.state(AuthState)).access_notice == (
            "You are no longer a steward of Engineering Craft Guild."
        )
        mark = len(server.recorder.updates)
        await _post_thread(server, "hannah.kowalski", OPEN, "An event Ravi no longer watches")
        assert not _room_deltas(_since(server, ravi, mark), ActivityRoom)
        updates = await ravi.call(FeedState, "load")
        assert var(updates, FeedState, "allowed") is False and not _room_deltas(updates)

    _run(scenario)


def _boards() -> tuple[int, int]:
    """Lucas Moreau's board with Ravi Iyer, and a board Ravi is not part of."""
    ravi = user_id_of("ravi.iyer")
    with rx.session() as session:
        mine = session.exec(
            select(Mentorship.id).where(
                Mentorship.mentor_id == ravi, Mentorship.mentee_id == user_id_of("lucas.moreau")
            )
        ).one()
        other = session.exec(
            select(Mentorship.id).where(Mentorship.mentor_id != ravi, Mentorship.mentee_id != ravi)
        ).first()
    return mine, other


@pytest.mark.parametrize("who", ["hannah.kowalski", None])
def test_a_board_reaches_no_outsider_and_a_refused_board_drops_the_last(
    app_db: None, who: Any
) -> None:
    async def scenario() -> None:
        server = await start_server()
        mine, other = _boards()
        outsider = await _tab(server, who, id=str(mine))
        updates = await outsider.call(BoardState, "load")
        assert var(updates, BoardState, "found") is not True and not _room_deltas(updates)
        mentor = await _tab(server, "ravi.iyer", id=str(mine))
        await mentor.call(BoardState, "load")
        assert (await mentor.state(BoardRoom)).mentorship_id == mine
        mentor.query = {"id": str(other)}
        updates = await mentor.call(BoardState, "load")
        assert var(updates, BoardState, "found") is False
        assert (await mentor.state(BoardRoom)).mentorship_id == 0

        mark = len(server.recorder.updates)
        mentee = await _tab(server, "lucas.moreau", id=str(mine))
        await mentee.call(BoardState, "load")
        await mentee.call(BoardState, "set_new_title", value="A card nobody else sees")
        await mentee.call(BoardState, "add_card")
        assert "A card nobody else sees" in repr((await mentee.state(BoardRoom)).todo)
        for tab in (outsider, mentor):
            received = _since(server, tab, mark)
            assert not _room_deltas(received, BoardRoom)
            assert "A card nobody else sees" not in delta_text(received)

    _run(scenario)


# --- access ending ------------------------------------------------------------------------------


async def _member_on_a_thread(server: Server, local: str, slug: str) -> Browser:
    tab = await _tab(server, local)
    await _open_thread(tab, slug, _a_thread(slug))
    await tab.call(ThreadState, "set_draft", value="Half a reply I am still writing")
    return tab


def _ended(updates: list[StateUpdate], reason: str) -> None:
    """The tab was told why, and that its session ended."""
    assert var(updates, AuthState, "access_notice") == reason
    assert var(updates, AuthState, "session_ended") is True


async def _nothing_more_arrives(server: Server, tab: Browser) -> None:
    """A reply in the tab's (open) thread and a mention of its member reach it no more; the
    draft it was writing stays."""
    mark = len(server.recorder.updates)
    await _reply(server, "ravi.iyer", OPEN, _a_thread(OPEN), "After you left @hannah-kowalski")
    received = _since(server, tab, mark)
    assert not _room_deltas(received)
    assert "After you left" not in delta_text(received)
    assert not {r.split("-")[0] for r in (await _links(tab)).values()} & {"thread", "user"}
    assert (await tab.state(ThreadState)).draft == "Half a reply I am still writing"


def test_sign_out_ends_every_tab_of_that_session_only(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tab = await _member_on_a_thread(server, "hannah.kowalski", OPEN)
        other_device = await _member_on_a_thread(server, "hannah.kowalski", OPEN)
        clicking = Browser(server, path="/x")
        await clicking.sign_in_with_token((await tab.state(AuthState)).session_token)
        mark = len(server.recorder.updates)
        await clicking.call(AuthState, "sign_out")
        _ended(_since(server, tab, mark), "You were signed out.")
        assert not _since(server, other_device, mark)
        await _nothing_more_arrives(server, tab)
        room = await other_device.state(ThreadRoom)
        assert "After you left" in repr(room.recent)  # the other session still follows

    _run(scenario)


def test_suspension_ends_the_members_tabs(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        tab = await _member_on_a_thread(server, "hannah.kowalski", OPEN)
        admin = await _tab(server, "amara.okafor")
        mark = len(server.recorder.updates)
        await admin.call(SuspendState, "ask", user_id=user_id_of("hannah.kowalski"), name="Hannah")
        await admin.call(SuspendState, "confirm", form_data={"reason": "Spam links"})
        _ended(_since(server, tab, mark), "Your account was suspended.")
        await _nothing_more_arrives(server, tab)

    _run(scenario)


def test_an_admin_demoted_to_member_loses_the_site_feed(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        daniel = await _tab(server, "daniel.reyes", path="/admin/activity")
        await daniel.call(BellState, "link")
        await daniel.call(FeedState, "load")
        assert (await daniel.state(ActivityRoom)).scope_id == 0
        admin = await _tab(server, "amara.okafor")
        mark = len(server.recorder.updates)
        await admin.call(
            AdminUsersState, "change_role", user_id=user_id_of("daniel.reyes"), role="member"
        )
        updates = _since(server, daniel, mark)
        assert var(updates, AuthState, "access_notice") == "Your site role changed to member."
        assert var(updates, AuthState, "user_role") == "member"
        feed = await daniel.state(ActivityRoom)  # the tab's own copy, empty
        assert (feed.scope_id, feed.head, feed.events) == (-1, [], [])
        links = {r.split("-")[0] for r in (await _links(daniel)).values()}
        assert links == {"user"}  # still signed in: the bell stays

        mark = len(server.recorder.updates)
        await _post_thread(server, "ravi.iyer", OPEN, "An event the former admin misses")
        assert ActivityRoom.get_full_name() not in _room_deltas(_since(server, daniel, mark))

    _run(scenario)


def test_leaving_an_approval_community_drops_its_rooms_in_every_tab(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        priya = "priya.natarajan"
        page = await _tab(server, priya)
        await _open_community(page, CLOSED)
        assert (await page.state(ThreadListRoom)).latest
        thread = await _member_on_a_thread(server, priya, CLOSED)
        leaving = await _tab(server, priya, slug=CLOSED)
        await leaving.call(CommunityState, "load_page")
        mark = len(server.recorder.updates)
        await leaving.call(CommunityState, "leave")
        reason = "You are no longer a member of Surgical Technique Exchange."
        for tab in (page, thread):
            updates = _since(server, tab, mark)
            assert var(updates, AuthState, "access_notice") == reason
            kinds = {r.split("-")[0] for r in (await _links(tab)).values()}
            assert kinds == {"user"}
        assert var(_since(server, leaving, mark), CommunityState, "inside") is False

        mark = len(server.recorder.updates)
        await _post_thread(server, "helen.carter", CLOSED, SECRET)
        await _reply(server, "helen.carter", CLOSED, _a_thread(CLOSED), "Reply after leaving")
        for tab in (page, thread, leaving):
            received = _since(server, tab, mark)
            assert not _room_deltas(received, CommunityRoom, ThreadListRoom, ThreadRoom)
            assert SECRET not in delta_text(received)

    _run(scenario)


def test_a_member_removed_by_a_steward_loses_the_rooms_and_is_told(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        priya = "priya.natarajan"
        page = await _tab(server, priya)
        await _open_community(page, CLOSED)
        thread = await _member_on_a_thread(server, priya, CLOSED)
        steward = await _tab(server, "helen.carter", slug=CLOSED)
        await steward.call(CommunityState, "load_page")
        # an ordinary member cannot remove anyone: nothing happens to Priya's tabs
        hannah = await _tab(server, "hannah.kowalski", slug=CLOSED)
        await hannah.call(CommunityState, "load_page")
        await hannah.call(CommunityState, "ask_remove", user_id=user_id_of(priya), name="P")
        await hannah.call(CommunityState, "remove_member")
        assert (await page.state(ThreadListRoom)).latest

        mark = len(server.recorder.updates)
        await steward.call(CommunityState, "ask_remove", user_id=user_id_of(priya), name="Priya")
        sent = await steward.call(CommunityState, "remove_member")
        assert "Removed Priya." in delta_text(sent)
        reason = "You are no longer a member of Surgical Technique Exchange."
        for tab in (page, thread):
            updates = _since(server, tab, mark)
            assert var(updates, AuthState, "access_notice") == reason
            assert {r.split("-")[0] for r in (await _links(tab)).values()} == {"user"}

        mark = len(server.recorder.updates)
        await _reply(server, "helen.carter", CLOSED, _a_thread(CLOSED), "After the removal")
        for tab in (page, thread):
            assert not _room_deltas(_since(server, tab, mark), CommunityRoom, ThreadRoom)

    _run(scenario)


def test_suspension_reaches_a_tab_served_by_another_worker(app_db: None) -> None:
    """Two workers share Redis: the member's tab lives on one, the admin acts on the other."""
    url = _redis_url()

    async def scenario() -> None:
        redis = Redis.from_url(url)
        await redis.flushdb()
        worker_a = await start_server(url)
        tab = await _member_on_a_thread(worker_a, "hannah.kowalski", OPEN)
        worker_b = await start_server(url)
        admin = await _tab(worker_b, "amara.okafor")
        mark = len(worker_b.recorder.updates)
        await admin.call(SuspendState, "ask", user_id=user_id_of("hannah.kowalski"), name="Hannah")
        await admin.call(SuspendState, "confirm", form_data={"reason": "Spam links"})
        # Worker B's namespace relays the update to the worker holding the socket.
        _ended(_since(worker_b, tab, mark), "Your account was suspended.")
        auth = await tab.state(AuthState)  # read through worker A
        assert auth.session_ended and auth.access_notice == "Your account was suspended."
        assert (await tab.state(ThreadRoom)).thread_id == 0
        mark_a, mark_b = len(worker_a.recorder.updates), len(worker_b.recorder.updates)
        await _reply(worker_b, "ravi.iyer", OPEN, _a_thread(OPEN), "After the suspension")
        received = _since(worker_a, tab, mark_a) + _since(worker_b, tab, mark_b)
        assert not _room_deltas(received)
        assert (await tab.state(ThreadState)).draft == "Half a reply I am still writing"
        await redis.flushdb()
        await redis.aclose()

    _run(scenario)


def _redis_url() -> str:
    """This checkout's test Redis database (COP_TEST_REDIS_URL), emptied by the test."""
    url = os.environ.get("COP_TEST_REDIS_URL", "")
    if not url:
        pytest.fail("COP_TEST_REDIS_URL is not set: run `make test`, or start Redis and export it")
    return url


def test_a_tab_is_found_without_a_link_to_its_member_room(app_db: None) -> None:
    """A thread tab holds only its thread (no member room, which Reflex would lock and load
    on every event of the tab), yet suspension finds it through the registry and ends it;
    the tab, holding nothing any more, leaves the registry."""

    async def scenario() -> None:
        server = await start_server()
        hannah = user_id_of("hannah.kowalski")
        tab = await _tab(server, "hannah.kowalski", slug=OPEN, id=str(_a_thread(OPEN)))
        await tab.call(ThreadState, "load_page")
        await tab.call(ThreadState, "set_draft", value="Half a reply I am still writing")
        assert {r.split("-")[0] for r in (await _links(tab)).values()} == {"thread"}
        assert tab.token in await live.TABS.tabs(None, hannah)
        admin = await _tab(server, "amara.okafor")
        mark = len(server.recorder.updates)
        await admin.call(SuspendState, "ask", user_id=hannah, name="Hannah")
        await admin.call(SuspendState, "confirm", form_data={"reason": "Spam links"})
        _ended(_since(server, tab, mark), "Your account was suspended.")
        await _nothing_more_arrives(server, tab)
        assert tab.token not in await live.TABS.tabs(None, hannah)

    _run(scenario)


def test_suspension_reaches_a_tab_another_process_registered(app_db: None) -> None:
    """With Redis, the worker acting finds a tab that only another process's registry held
    (this process's dict is emptied): the member's tabs live in a Redis set."""
    url = _redis_url()

    async def scenario() -> None:
        redis = Redis.from_url(url)
        await redis.flushdb()
        worker_a = await start_server(url)
        tab = await _member_on_a_thread(worker_a, "hannah.kowalski", OPEN)
        live.TABS.clear()  # as if worker A were another process
        worker_b = await start_server(url)
        admin = await _tab(worker_b, "amara.okafor")
        mark = len(worker_b.recorder.updates)
        await admin.call(SuspendState, "ask", user_id=user_id_of("hannah.kowalski"), name="Hannah")
        await admin.call(SuspendState, "confirm", form_data={"reason": "Spam links"})
        _ended(_since(worker_b, tab, mark), "Your account was suspended.")
        assert (await tab.state(ThreadRoom)).thread_id == 0
        await redis.flushdb()
        await redis.aclose()

    _run(scenario)
