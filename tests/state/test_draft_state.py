"""Drafts survive a reload and a backend restart: a fresh tab (its backend state wiped) gets
them back from the browser's storage, and a Post retried with the same draft creates nothing
new."""

import asyncio
import json

import reflex as rx
from sqlmodel import func, select

from cop_app.models import BoardCard, Community, Mentorship, Post, Thread
from cop_app.states.auth import AuthState
from cop_app.states.discussions import NewThreadState, ThreadState
from cop_app.states.drafts import DraftStore
from cop_app.states.mentorship import BoardState
from tests.state.harness import (
    SLUG,
    Browser,
    Server,
    session_token_for,
    start_server,
    user_id_of,
    var,
)


async def _tab(server: Server, path: str, storage: dict[str, str], **params: str) -> Browser:
    """A tab connecting the way the browser does: one hydrate carrying its localStorage."""
    tab = Browser(server, path=path, query=params)
    names = {"cop_session": AuthState, "cop_drafts": DraftStore}
    fields = {"cop_session": "session_token", "cop_drafts": "store"}
    await tab.call(
        rx.State,
        "hydrate_and_load",
        vars={f"{names[k].get_full_name()}.{fields[k]}": v for k, v in storage.items()},
    )
    return tab


async def _thread_tab(server: Server, storage: dict[str, str], tid: int) -> Browser:
    tab = await _tab(server, f"/c/{SLUG}/t/{tid}", storage, slug=SLUG, id=str(tid))
    await tab.call(ThreadState, "load_page")
    return tab


async def _store(tab: Browser) -> str:
    """What this tab's browser holds in localStorage for its drafts."""
    return (await tab.state(DraftStore)).store


def _count(model: type) -> int:
    with rx.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _open_thread() -> int:
    """An unlocked thread of the engineering community (Hannah is a member)."""
    with rx.session() as session:
        cid = session.exec(select(Community.id).where(Community.slug == SLUG)).one()
        return session.exec(
            select(Thread.id).where(Thread.community_id == cid, Thread.locked == False)  # noqa: E712
        ).first()


def test_a_fresh_tab_gets_its_reply_draft_back_and_posting_clears_it(app_db: None) -> None:
    async def scenario() -> None:
        tid = _open_thread()
        session = {"cop_session": session_token_for("hannah.kowalski")}
        tab = await _thread_tab(await start_server(), session, tid)
        await tab.call(ThreadState, "set_draft", value="Half a thought about reviews")
        kept = await _store(tab)
        # the backend restarts (a new server: every tab's state is gone); the tab reconnects
        restarted = await start_server()
        again = await _thread_tab(restarted, {**session, "cop_drafts": kept}, tid)
        assert (await again.state(ThreadState)).draft == "Half a thought about reviews"
        # another person on the same browser does not see it
        grace = {"cop_session": session_token_for("grace.adeyemi"), "cop_drafts": kept}
        assert (await (await _thread_tab(restarted, grace, tid)).state(ThreadState)).draft == ""
        before = _count(Post)
        updates = await again.call(ThreadState, "submit_reply")
        assert _count(Post) == before + 1
        assert json.loads(var(updates, DraftStore, "store")) == {}
        reloaded = await _thread_tab(restarted, {**session, "cop_drafts": await _store(again)}, tid)
        assert (await reloaded.state(ThreadState)).draft == ""

    asyncio.run(scenario())


def test_post_pressed_again_after_a_lost_acknowledgement_makes_one_reply(app_db: None) -> None:
    async def scenario() -> None:
        tid = _open_thread()
        session = {"cop_session": session_token_for("hannah.kowalski")}
        tab = await _thread_tab(await start_server(), session, tid)
        await tab.call(ThreadState, "set_draft", value="Posted once, acknowledged never")
        kept = await _store(tab)  # the browser's storage when the backend died
        before = _count(Post)
        await tab.call(ThreadState, "submit_reply")
        assert _count(Post) == before + 1
        # the crash lost the reply that cleared the draft: the browser still holds it
        again = await _thread_tab(await start_server(), {**session, "cop_drafts": kept}, tid)
        assert (await again.state(ThreadState)).draft == "Posted once, acknowledged never"
        updates = await again.call(ThreadState, "submit_reply")
        assert _count(Post) == before + 1
        assert var(updates, ThreadState, "errors") == {}
        assert (await again.state(ThreadState)).draft == ""
        assert json.loads(var(updates, DraftStore, "store")) == {}

    asyncio.run(scenario())


def test_the_new_thread_form_comes_back_and_is_started_once(app_db: None) -> None:
    async def scenario() -> None:
        session = {"cop_session": session_token_for("ravi.iyer")}
        path = f"/c/{SLUG}/new"
        tab = await _tab(await start_server(), path, session, slug=SLUG)
        await tab.call(NewThreadState, "start")
        await tab.call(NewThreadState, "set_kind", value="question")
        await tab.call(NewThreadState, "set_title", value="Do you squash migrations?")
        await tab.call(NewThreadState, "set_body", value="We have **400** of them.")
        await tab.call(NewThreadState, "set_tags", value="databases")
        kept = await _store(tab)
        before = _count(Thread)
        await tab.call(NewThreadState, "submit")
        assert _count(Thread) == before + 1
        again = await _tab(await start_server(), path, {**session, "cop_drafts": kept}, slug=SLUG)
        await again.call(NewThreadState, "start")
        form = await again.state(NewThreadState)
        assert (form.kind, form.title, form.body, form.tags) == (
            "question",
            "Do you squash migrations?",
            "We have **400** of them.",
            "databases",
        )
        assert "<strong>400</strong>" in form.preview_html
        await again.call(NewThreadState, "submit")
        assert _count(Thread) == before + 1
        blank = await _tab(
            await start_server(), path, {**session, "cop_drafts": await _store(again)}, slug=SLUG
        )
        await blank.call(NewThreadState, "start")
        assert (await blank.state(NewThreadState)).title == ""

    asyncio.run(scenario())


def test_a_tampered_store_is_ignored(app_db: None) -> None:
    async def scenario() -> None:
        tid = _open_thread()
        session = {"cop_session": session_token_for("hannah.kowalski")}
        forged = json.dumps({f"1:reply:{tid}": {"k": "short", "f": {"body": "x"}}})
        for junk in ("not json", "[1, 2]", forged):
            tab = await _thread_tab(await start_server(), {**session, "cop_drafts": junk}, tid)
            assert (await tab.state(ThreadState)).draft == ""
            await tab.call(ThreadState, "set_draft", value="Fresh text")
            store = json.loads(await _store(tab))
            [(slot, entry)] = store.items()
            assert slot.endswith(f":reply:{tid}") and entry["f"] == {"body": "Fresh text"}
            assert 22 <= len(entry["k"]) <= 64

    asyncio.run(scenario())


def test_a_card_draft_comes_back_and_is_added_once(app_db: None) -> None:
    async def scenario() -> None:
        with rx.session() as session:
            mid = session.exec(
                select(Mentorship.id).where(Mentorship.mentee_id == user_id_of("lucas.moreau"))
            ).first()
        session_ = {"cop_session": session_token_for("lucas.moreau")}
        path = f"/mentorship/boards/{mid}"
        tab = await _tab(await start_server(), path, session_, id=str(mid))
        await tab.call(BoardState, "load")
        await tab.call(BoardState, "set_new_title", value="Pair on a flaky test")
        kept = await _store(tab)
        before = _count(BoardCard)
        await tab.call(BoardState, "add_card")
        assert _count(BoardCard) == before + 1
        again = await _tab(
            await start_server(), path, {**session_, "cop_drafts": kept}, id=str(mid)
        )
        await again.call(BoardState, "load")
        assert (await again.state(BoardState)).new_title == "Pair on a flaky test"
        await again.call(BoardState, "add_card")
        assert _count(BoardCard) == before + 1
        assert (await again.state(BoardState)).new_title == ""

    asyncio.run(scenario())
