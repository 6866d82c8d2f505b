"""Library handlers: creating through the form, live endorsements and reuse in another
reader's room, two editors (presence, conflict, nothing lost), history and restore,
promotion from a thread, and outsiders who get nothing."""

import asyncio

import reflex as rx
from sqlmodel import col, func, select

from cop_app.live import LibraryRoom, ResourceRoom
from cop_app.models import Resource, Thread
from cop_app.states.library import (
    HistoryState,
    LibraryState,
    NewResourceState,
    PromoteState,
    ResourceState,
)
from tests.state.harness import Browser, Server, session_token_for, start_server, var

SLUG = "engineering-craft"
CLOSED = "surgical-technique-exchange"


async def _browser(server: Server, local: str, path: str, **params: str) -> Browser:
    browser = Browser(server, path=path, query=params)
    await browser.sign_in_with_token(session_token_for(local))
    return browser


async def _create(server: Server, local: str = "ravi.iyer", slug: str = SLUG) -> int:
    author = await _browser(server, local, f"/c/{slug}/library/new", slug=slug)
    await author.call(NewResourceState, "start")
    for name, value in [
        ("kind", "checklist"),
        ("title", "Release checklist"),
        ("summary", "What we check before every release."),
        ("body", "1. Tests green\n2. Migrations reviewed"),
        ("tags", "release"),
    ]:
        await author.call(NewResourceState, "set_field", name=name, value=value)
    await author.call(NewResourceState, "submit")
    with rx.session() as session:
        return session.exec(select(func.max(Resource.id))).one()


async def _open(server: Server, local: str, rid: int) -> Browser:
    reader = await _browser(server, local, f"/r/{rid}", id=str(rid))
    await reader.call(ResourceState, "load")
    return reader


def _count() -> int:
    with rx.session() as session:
        return session.exec(select(func.count()).select_from(Resource)).one()


def test_form_preview_is_sanitized_and_errors_keep_the_text(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        author = await _browser(server, "ravi.iyer", f"/c/{SLUG}/library/new", slug=SLUG)
        await author.call(NewResourceState, "start")
        updates = await author.call(
            NewResourceState, "set_field", name="body", value="**hi** <script>x</script>"
        )
        preview = var(updates, NewResourceState, "preview_html")
        assert "<strong>hi</strong>" in preview and "<script" not in preview
        before = _count()
        updates = await author.call(NewResourceState, "submit")
        assert var(updates, NewResourceState, "errors") == {
            "title": "Title must be at least 5 characters."
        }
        assert (await author.state(NewResourceState)).body.startswith("**hi**")
        assert _count() == before

    asyncio.run(scenario())


def test_endorsement_and_reuse_reach_other_readers_live(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        rid = await _create(server)
        author = await _open(server, "ravi.iyer", rid)
        shelf = await _browser(server, "ravi.iyer", f"/c/{SLUG}/library", slug=SLUG)
        await shelf.call(LibraryState, "load")
        assert rid in [r.id for r in (await shelf.state(LibraryRoom)).top]
        hannah = await _open(server, "hannah.kowalski", rid)
        await hannah.call(ResourceState, "endorse", resource_id=rid, on=True)
        assert (await hannah.state(ResourceState)).mine.endorsed
        room = await author.state(ResourceRoom)
        assert room.view.endorse_count == 1 and room.view.endorsers == ["Hannah Kowalski"]
        await hannah.call(ResourceState, "set_outcome", value="Caught a bad migration")
        await hannah.call(ResourceState, "record_reuse", resource_id=rid)
        room = await author.state(ResourceRoom)
        assert room.view.reuse_count == 1
        assert room.view.reuses[0].outcome == "Caught a bad migration"
        assert (await shelf.state(LibraryRoom)).reuse_total >= 1
        updates = await hannah.call(ResourceState, "record_reuse", resource_id=rid)
        assert "already" in var(updates, ResourceState, "errors")["outcome"]

    asyncio.run(scenario())


def test_two_editors_see_each_other_and_the_later_save_is_a_conflict(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        rid = await _create(server)
        ravi = await _open(server, "ravi.iyer", rid)
        await ravi.call(ResourceState, "start_edit")
        hannah = await _open(server, "hannah.kowalski", rid)
        await hannah.call(ResourceState, "start_edit")
        assert not (await hannah.state(ResourceState)).editing  # not hers to edit
        admin = await _open(server, "amara.okafor", rid)
        await admin.call(ResourceState, "start_edit")
        editing = (await ravi.state(ResourceRoom)).editing
        assert sorted(editing.values()) == ["Amara Okafor", "Ravi Iyer"]
        await ravi.call(ResourceState, "set_field", name="body", value="1. Tests green\n2. Ship")
        await ravi.call(ResourceState, "save", resource_id=rid)
        await admin.call(ResourceState, "set_field", name="body", value="Admin's own text")
        updates = await admin.call(ResourceState, "save", resource_id=rid)
        conflict = var(updates, ResourceState, "conflict")
        assert "revision 2" in conflict
        state = await admin.state(ResourceState)
        assert state.body == "Admin's own text" and state.editing
        assert ("add", "2. Ship") in [(d.kind, d.text) for d in state.conflict_lines]
        await admin.call(ResourceState, "take_latest")
        await admin.call(ResourceState, "save", resource_id=rid)
        with rx.session() as session:
            resource = session.get(Resource, rid)
            assert (resource.revision, resource.body) == (3, "Admin's own text")
        assert "Amara Okafor" not in (await ravi.state(ResourceRoom)).editing.values()

    asyncio.run(scenario())


def test_history_diff_and_restore(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        rid = await _create(server)
        ravi = await _open(server, "ravi.iyer", rid)
        for body in ("Second text", "Third text"):
            await ravi.call(ResourceState, "start_edit")
            await ravi.call(ResourceState, "set_field", name="body", value=body)
            await ravi.call(ResourceState, "save", resource_id=rid)
        history = await _browser(server, "ravi.iyer", f"/r/{rid}/history", id=str(rid))
        await history.call(HistoryState, "load")
        state = await history.state(HistoryState)
        assert [r.number for r in state.revisions] == [3, 2, 1]
        assert ("add", "Third text") in [(d.kind, d.text) for d in state.lines]
        await history.call(HistoryState, "set_older", value="999")
        assert (await history.state(HistoryState)).lines == []
        await history.call(HistoryState, "restore", number=1)
        with rx.session() as session:
            resource = session.get(Resource, rid)
            assert resource.revision == 4 and resource.body.startswith("1. Tests green")
        reader = await _browser(server, "hannah.kowalski", f"/r/{rid}/history", id=str(rid))
        await reader.call(HistoryState, "load")
        await reader.call(HistoryState, "restore", number=2)
        with rx.session() as session:
            assert session.get(Resource, rid).revision == 4

    asyncio.run(scenario())


def test_outsiders_get_nothing_of_a_closed_library(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        rid = await _create(server, "helen.carter", CLOSED)
        outsider = await _open(server, "hannah.kowalski", rid)
        state = await outsider.state(ResourceState)
        assert not state.found and "does not exist" in state.missing
        assert (await outsider.state(ResourceRoom)).view.id == 0
        updates = await outsider.call(ResourceState, "download", attachment_id=1)
        assert "_files" not in str(updates)
        shelf = await _browser(server, "hannah.kowalski", f"/c/{CLOSED}/library", slug=CLOSED)
        await shelf.call(LibraryState, "load")
        lib = await shelf.state(LibraryState)
        assert lib.rows == [] and lib.error != ""
        assert (await shelf.state(LibraryRoom)).top == []
        everywhere = await _browser(server, "hannah.kowalski", "/library")
        await everywhere.call(LibraryState, "load")
        assert rid not in [r.id for r in (await everywhere.state(LibraryState)).rows]

    asyncio.run(scenario())


def test_promote_a_thread_from_its_page(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        with rx.session() as session:
            thread = session.exec(
                select(Thread).where(
                    Thread.kind == "question", col(Thread.accepted_post_id).is_not(None)
                )
            ).first()
            slug_tid = (thread.id, thread.community_id)
        tid = slug_tid[0]
        with rx.session() as session:
            from cop_app.models import Community, Membership, User

            community = session.get(Community, slug_tid[1])
            member = session.exec(
                select(User)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.community_id == community.id, Membership.status == "active")
            ).first()
            local, slug = member.email.split("@")[0], community.slug
        page = await _browser(server, local, f"/c/{slug}/t/{tid}", slug=slug, id=str(tid))
        await page.call(PromoteState, "load")
        before = (await page.state(PromoteState)).in_library
        await page.call(PromoteState, "promote", answer_only=True)
        with rx.session() as session:
            resource = session.exec(
                select(Resource).where(Resource.source_thread_id == tid)
            ).first()
        assert resource is not None
        await page.call(PromoteState, "load")
        links = (await page.state(PromoteState)).in_library
        assert len(links) >= max(1, len(before)) and f"/r/{resource.id}" in str(links)

    asyncio.run(scenario())
