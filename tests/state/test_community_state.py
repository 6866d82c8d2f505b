"""Community handlers: directory, join/leave through the live room, stewards, the form."""

import asyncio

import reflex as rx
from sqlmodel import select

from cop_app.live import CommunityRoom
from cop_app.models import AuditEntry, Community, Membership
from cop_app.states.communities import CommunityFormState, CommunityState, DirectoryState
from tests.state.harness import (
    SLUG,
    Browser,
    Server,
    session_token_for,
    start_server,
    user_id_of,
    var,
)


def _community(slug: str = SLUG) -> Community:
    with rx.session() as session:
        return session.exec(select(Community).where(Community.slug == slug)).one()


async def _member_browser(server: Server, local: str, path: str) -> Browser:
    """A signed-in browser on `path`; /c/<slug>/... routes carry the slug as a param."""
    parts = path.strip("/").split("/")
    query = {"slug": parts[1]} if parts[0] == "c" else {}
    browser = Browser(server, path=path, query=query)
    await browser.sign_in_with_token(session_token_for(local))
    return browser


def test_directory_needs_a_session_and_filters(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        visitor = Browser(server, path="/communities")
        updates = await visitor.call(DirectoryState, "load")
        assert var(updates, DirectoryState, "error") == "Sign in to do this."
        member = await _member_browser(server, "hannah.kowalski", "/communities")
        updates = await member.call(DirectoryState, "load")
        assert len(var(updates, DirectoryState, "cards")) == 5
        updates = await member.call(DirectoryState, "set_kind", value="coi")
        assert [c.slug for c in var(updates, DirectoryState, "cards")] == ["health-data-interest"]
        updates = await member.call(DirectoryState, "set_query", value="testing")
        cards = var(updates, DirectoryState, "cards")
        assert cards == [] or all(c.kind == "coi" for c in cards)

    asyncio.run(scenario())


def test_join_updates_the_room_every_viewer_shares(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        path = f"/c/{SLUG}"
        viewer = await _member_browser(server, "ravi.iyer", path)
        await viewer.call(CommunityState, "load_page")
        before = _community().member_count
        assert (await viewer.state(CommunityRoom)).member_count == before

        joiner = await _member_browser(server, "kwame.asante", path)
        await joiner.call(CommunityState, "load_page")
        await joiner.call(CommunityState, "join")
        assert _community().member_count == before + 1
        # The joiner's own delta carries the new count (through the linked room) ...
        assert (await joiner.state(CommunityState)).is_member
        # ... and the viewer's copy of the room, which is the same shared state, has it too.
        room = await viewer.state(CommunityRoom)
        assert room.member_count == before + 1
        assert "Kwame Asante" in [m.display_name for m in room.members]

        await joiner.call(CommunityState, "leave")
        assert (await viewer.state(CommunityRoom)).member_count == before

    asyncio.run(scenario())


def test_non_steward_cannot_decide_requests(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        path = "/c/surgical-technique-exchange"
        member = await _member_browser(server, "priya.natarajan", path)
        await member.call(CommunityState, "load_page")
        emily = user_id_of("emily.chen")
        await member.call(CommunityState, "decide", user_id=emily, approve=True)
        with rx.session() as session:
            pending = session.exec(
                select(Membership).where(
                    Membership.user_id == emily, Membership.status == "pending"
                )
            ).all()
        assert len(pending) == 1

        steward = await _member_browser(server, "helen.carter", path)
        updates = await steward.call(CommunityState, "load_page")
        assert len(var(updates, CommunityState, "pending")) == 1
        await steward.call(CommunityState, "decide", user_id=emily, approve=True)
        with rx.session() as session:
            status = session.exec(
                select(Membership.status).where(Membership.user_id == emily)
            ).all()
        assert "active" in status

    asyncio.run(scenario())


def test_create_community_requires_mentor(app_db: None) -> None:
    form = {
        "name": "Wound Care Circle",
        "kind": "cop",
        "domain": "Nurses improving wound assessment and dressing choices.",
        "description": "",
        "tags": "nursing wound-care",
        "visibility": "open",
    }

    async def scenario() -> None:
        server = await start_server()
        member = await _member_browser(server, "liam.byrne", "/communities/new")
        updates = await member.call(CommunityFormState, "create", form_data=form)
        assert "Only mentors and admins" in var(updates, CommunityFormState, "errors")["form"]
        with rx.session() as session:
            assert (
                session.exec(select(Community).where(Community.name == form["name"])).first()
                is None
            )
        mentor = await _member_browser(server, "joseph.mensah", "/communities/new")
        updates = await mentor.call(CommunityFormState, "create", form_data=form)
        paths = [e.payload["path"] for u in updates for e in u.events if e.name == "_redirect"]
        assert paths == ["/c/wound-care-circle"]

    asyncio.run(scenario())


def test_only_stewards_edit_and_edits_are_audited(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        path = f"/c/{SLUG}/settings"
        outsider = await _member_browser(server, "grace.adeyemi", path)
        await outsider.call(CommunityFormState, "start_edit")
        assert (await outsider.state(CommunityFormState)).editing_id == 0
        steward = await _member_browser(server, "ravi.iyer", path)
        await steward.call(CommunityFormState, "start_edit")
        values = dict((await steward.state(CommunityFormState)).values)
        values["description"] = "Updated description for the guild."
        await steward.call(CommunityFormState, "save", form_data=values)
        assert _community().description == "Updated description for the guild."
        with rx.session() as session:
            entry = session.exec(
                select(AuditEntry).where(AuditEntry.action == "community.edit")
            ).one()
        assert "Updated description" in entry.after

    asyncio.run(scenario())
