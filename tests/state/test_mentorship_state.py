"""Mentorship handlers: a request and an answer, live board moves, outsiders refused."""

import asyncio

import reflex as rx
from sqlmodel import select

from cop_app.live import BoardRoom
from cop_app.models import BoardCard, Mentorship
from cop_app.states.mentorship import BoardState, MentorshipState
from tests.state.conftest import session_token_for, user_id_of
from tests.state.harness import Browser, Server, start_server, var
from tests.state.test_sweep import snapshot


async def _browser(server: Server, local: str, path: str, **params: str) -> Browser:
    browser = Browser(server, path=path, query=params)
    await browser.sign_in_with_token(session_token_for(local))
    return browser


def _lucas_board() -> int:
    """The demo pairing of Ravi Iyer (mentor) and Lucas Moreau (mentee)."""
    with rx.session() as session:
        return session.exec(
            select(Mentorship.id).where(
                Mentorship.mentor_id == user_id_of("ravi.iyer"),
                Mentorship.mentee_id == user_id_of("lucas.moreau"),
            )
        ).one()


def test_request_then_accept(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        mentee = await _browser(server, "hannah.kowalski", "/mentorship")
        await mentee.call(MentorshipState, "load")
        await mentee.call(MentorshipState, "set_goals", value="Review migrations with confidence")
        await mentee.call(MentorshipState, "set_skills", value="postgresql code-review")
        updates = await mentee.call(MentorshipState, "find_mentors")
        suggestions = var(updates, MentorshipState, "suggestions")
        assert suggestions and suggestions[0].display_name == "Ravi Iyer"
        assert any("code-review" in reason for reason in suggestions[0].reasons)
        await mentee.call(MentorshipState, "request", mentor_id=suggestions[0].mentor_id)
        mentor = await _browser(server, "ravi.iyer", "/mentorship")
        updates = await mentor.call(MentorshipState, "load")
        waiting = [r for r in var(updates, MentorshipState, "as_mentor") if r.state == "requested"]
        assert [r.mentee_name for r in waiting] == ["Hannah Kowalski"]
        await mentor.call(
            MentorshipState, "respond", mentorship_id=waiting[0].id, accept=True, message="Welcome!"
        )
        with rx.session() as session:
            assert session.get(Mentorship, waiting[0].id).state == "active"

    asyncio.run(scenario())


def test_card_moves_reach_the_other_side(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        mid = _lucas_board()
        path = f"/mentorship/boards/{mid}"
        mentor = await _browser(server, "ravi.iyer", path, id=str(mid))
        mentee = await _browser(server, "lucas.moreau", path, id=str(mid))
        await mentor.call(BoardState, "load")
        await mentee.call(BoardState, "load")
        await mentor.call(BoardState, "set_new_title", value="Pair on a schema change")
        await mentor.call(BoardState, "add_card")
        room = await mentee.state(BoardRoom)
        card = next(c for c in room.todo if c.title == "Pair on a schema change")
        await mentee.call(BoardState, "move", card_id=card.id, column="doing", position=0)
        room = await mentor.state(BoardRoom)
        assert room.doing[0].title == "Pair on a schema change"

    asyncio.run(scenario())


def test_outsiders_cannot_open_or_change_a_board(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        mid = _lucas_board()
        with rx.session() as session:
            card_id = session.exec(
                select(BoardCard.id).where(BoardCard.mentorship_id == mid)
            ).first()
        path = f"/mentorship/boards/{mid}"
        for outsider in ("hannah.kowalski", "marta.silva"):  # a member, and another mentor
            browser = await _browser(server, outsider, path, id=str(mid))
            updates = await browser.call(BoardState, "load")
            assert var(updates, BoardState, "found") is not True
            before = snapshot()
            await browser.call(BoardState, "move", card_id=card_id, column="done", position=0)
            await browser.call(BoardState, "delete_card", card_id=card_id)
            assert snapshot() == before

    asyncio.run(scenario())


def test_mentor_chooses_the_communities_of_the_offer(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        mentor = await _browser(server, "ravi.iyer", "/mentorship")
        updates = await mentor.call(MentorshipState, "load")
        communities = var(updates, MentorshipState, "my_communities")
        assert communities
        first = communities[0]["id"]
        await mentor.call(MentorshipState, "toggle_offer", community_id=first, on=False)
        await mentor.call(MentorshipState, "toggle_offer", community_id="999999", on=True)
        assert "999999" not in (await mentor.state(MentorshipState)).offer_ids
        await mentor.call(MentorshipState, "toggle_offer", community_id=first, on=True)
        await mentor.call(
            MentorshipState,
            "save_profile",
            form_data={"capacity": "4", "availability": "Thursdays", "accepting": "on"},
        )
        profile = (await mentor.state(MentorshipState)).profile
        assert profile is not None and int(first) in profile.community_ids
        assert profile.capacity == 4

    asyncio.run(scenario())


def test_a_mentor_switches_between_mentees_boards(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        mid = _lucas_board()
        mentor = await _browser(server, "ravi.iyer", f"/mentorship/boards/{mid}", id=str(mid))
        updates = await mentor.call(BoardState, "load")
        names = {r.mentee_name for r in var(updates, BoardState, "other_boards")}
        assert {"Lucas Moreau", "Yuki Tanaka"} <= names
        mentee = await _browser(server, "lucas.moreau", f"/mentorship/boards/{mid}", id=str(mid))
        updates = await mentee.call(BoardState, "load")
        assert (await mentee.state(BoardState)).other_boards == []

    asyncio.run(scenario())
