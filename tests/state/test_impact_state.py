"""The impact dashboard's handlers on the demo data: a steward sees their community only,
through every handler and the CSV export; a member sees nothing; an open dashboard follows
new activity live, re-computed once per batch."""

import asyncio
import base64

import reflex as rx
from sqlmodel import select

from cop_app import live, routes
from cop_app.live import ImpactRoom
from cop_app.models import Community, Thread, User
from cop_app.seed import email_of
from cop_app.services import discussions, impact
from cop_app.services.events import Change
from cop_app.services.rooms import RoomKey, RoomKind
from cop_app.states.impact import ImpactState
from tests.state.harness import signed_in_browser, start_server, toasts, var

ENG = "engineering-craft"  # Ravi Iyer stewards it


def _cid(slug: str) -> int:
    with rx.session() as session:
        return session.exec(select(Community.id).where(Community.slug == slug)).one()


def _figure(room: ImpactRoom, key: str, label: str) -> str:
    section = next(s for s in room.sections if s.key == key)
    return next(f.value for f in section.figures if f.label == label)


def _csv_of(updates: list) -> str:
    """The CSV text a download event carried (a base64 data: URL), or "" without one."""
    for update in updates:
        for event in update.events:
            url = event.payload.get("url", "") if isinstance(event.payload, dict) else ""
            if isinstance(url, str) and url.startswith("data:"):
                head, _, body = url.partition(",")
                assert head.endswith(";base64")
                return base64.b64decode(body).decode()
    return ""


def test_a_steward_sees_only_their_community_through_every_handler(app_db: None) -> None:
    eng, other = _cid(ENG), _cid("science-teaching-circle")

    async def scenario() -> None:
        server = await start_server()
        ravi = await signed_in_browser(server, "ravi.iyer", routes.ADMIN_IMPACT)
        await ravi.call(ImpactState, "load")
        state = await ravi.state(ImpactState)
        assert state.allowed and [o["id"] for o in state.options] == [f"c{eng}", "mentees"]
        room = await ravi.state(ImpactRoom)
        assert impact.decode_ident(room.ident)[0] == f"c{eng}" and room.sections
        shown = room.ident
        # Another community, every community, an unknown view: refused, nothing linked.
        for view in (f"c{other}", "all", "c999999", ["x"]):
            updates = await ravi.call(ImpactState, "set_view", value=view)
            assert toasts(updates) and toasts(updates)[0][0] == "error"
            assert (await ravi.state(ImpactRoom)).ident == shown
        assert (await ravi.state(ImpactState)).view == f"c{eng}"
        # The CSV is the shown community's, whatever key is sent.
        updates = await ravi.call(ImpactState, "download", key="active")
        text = _csv_of(updates)
        assert text == impact.to_csv(room.sections[0], room.period)
        updates = await ravi.call(ImpactState, "download", key="nothing")
        assert toasts(updates)[0][0] == "error" and _csv_of(updates) == ""
        # A member gets no view and no figures; an export without a room is refused.
        hannah = await signed_in_browser(server, "hannah.kowalski", routes.ADMIN_IMPACT)
        updates = await hannah.call(ImpactState, "load")
        assert var(updates, ImpactState, "allowed") in (False, None)
        assert not (await hannah.state(ImpactState)).allowed
        assert (await hannah.state(ImpactRoom)).sections == []
        updates = await hannah.call(ImpactState, "download", key="active")
        assert toasts(updates)[0][0] == "error" and _csv_of(updates) == ""
        # A bad custom range says why and keeps the typed dates.
        await ravi.call(ImpactState, "set_first", value="2026-03-10")
        await ravi.call(ImpactState, "set_last", value="2026-03-01")
        await ravi.call(ImpactState, "apply_range")
        state = await ravi.state(ImpactState)
        assert "end on or after" in state.range_error and state.first == "2026-03-10"
        assert (await ravi.state(ImpactRoom)).ident == shown

    asyncio.run(scenario())


def test_an_open_dashboard_follows_a_new_reply(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        amara = await signed_in_browser(server, "amara.okafor", routes.ADMIN_IMPACT)
        await amara.call(ImpactState, "load")
        assert (await amara.state(ImpactState)).view == "all"
        room = await amara.state(ImpactRoom)
        before = int(_figure(room, "conversation", "Replies"))
        with rx.session() as session:
            thread = session.exec(select(Thread).where(Thread.community_id == _cid(ENG))).first()
            author = session.exec(select(User).where(User.email == email_of("hannah.kowalski")))
            discussions.check_post_reply(session, author.one(), thread.id, "A first-class reply.")
        await live.drain()
        room = await amara.state(ImpactRoom)
        assert int(_figure(room, "conversation", "Replies")) == before + 1

    asyncio.run(scenario())


def test_announced_activity_queues_only_the_open_dashboards_it_concerns() -> None:
    """A reply in community 5 re-computes the open dashboards of every community and of
    community 5, not community 6's nor a mentor's; nothing is queued when none is open, nor
    for what no measure counts (a sign-in)."""
    everywhere = RoomKey(RoomKind.IMPACT, impact.room_ident(impact.Scope("all", None), 30))
    five = RoomKey(RoomKind.IMPACT, impact.room_ident(impact.Scope("c5", (5,)), 7))
    six = RoomKey(RoomKind.IMPACT, impact.room_ident(impact.Scope("c6", (6,)), 7))
    mentor = RoomKey(RoomKind.IMPACT, impact.room_ident(impact.Scope("mentees", None, 9), 90))
    batch = live._BATCHES[RoomKind.IMPACT]

    async def queued(change: Change) -> set[RoomKey]:
        live.on_change(change)
        found = set(batch.pending)
        batch.pending.clear()
        return found

    async def scenario() -> None:
        saved = dict(live._IMPACT_OPEN)
        live._IMPACT_OPEN.clear()
        try:
            reply = Change("activity", (), {"kind": "post.created", "community_id": 5})
            assert await queued(reply) == set()
            live._IMPACT_OPEN.update(dict.fromkeys((everywhere, five, six, mentor), 0.0))
            assert await queued(reply) == {everywhere, five}
            card = Change("activity", (), {"kind": "board.card_moved", "community_id": 6})
            assert await queued(card) == {everywhere, six, mentor}
            signed_in = Change("activity", (), {"kind": "user.signed_in"})
            assert await queued(signed_in) == set()
        finally:
            live._IMPACT_OPEN.clear()
            live._IMPACT_OPEN.update(saved)

    asyncio.run(scenario())
