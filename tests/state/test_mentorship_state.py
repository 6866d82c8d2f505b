"""Mentorship handlers: a request and an answer, live board moves, outsiders refused."""

import asyncio

import reflex as rx
from sqlmodel import select

from cop_app.live import BoardRoom
from cop_app.models import BoardCard, Mentorship
from cop_app.states.mentorship import BoardState, MentorshipState
from tests.state.harness import (
    Browser,
    Server,
    delta_text,
    snapshot,
    start_server,
    user_id_of,
    var,
)
from tests.state.harness import signed_in_browser as _browser


def _lucas_board() -> int:
    """The demo pairing of Ravi Iyer (mentor) and Lucas Moreau (mentee)."""
    with rx.session() as session:
        return session.exec(
            select(Mentorship.id).where(
                Mentorship.mentor_id == user_id_of("ravi.iyer"),
                Mentorship.mentee_id == user_id_of("lucas.moreau"),
            )
        ).one()


def _a_card(mentorship_id: int) -> int:
    """Any card of a board."""
    with rx.session() as session:
        return session.exec(
            select(BoardCard.id).where(BoardCard.mentorship_id == mentorship_id)
        ).first()


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
        card_id = _a_card(mid)
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


CARDS = ("Card A", "Card B", "Card C")


async def _board_with_cards(server: Server, *titles: str) -> tuple[Browser, Browser, list[int]]:
    """Lucas's board open for Ravi and Lucas, with these cards added to To do in order."""
    mid = _lucas_board()
    path = f"/mentorship/boards/{mid}"
    mentor = await _browser(server, "ravi.iyer", path, id=str(mid))
    mentee = await _browser(server, "lucas.moreau", path, id=str(mid))
    await mentor.call(BoardState, "load")
    await mentee.call(BoardState, "load")
    for title in titles:
        await mentor.call(BoardState, "set_new_title", value=title)
        await mentor.call(BoardState, "add_card")
    room = await mentee.state(BoardRoom)
    ids = {c.title: c.id for c in room.todo}
    return mentor, mentee, [ids[t] for t in titles]


def _titles(cards: list) -> list[str]:
    return [c.title for c in cards]


def test_a_dragged_card_dropped_on_a_column_moves_there_live(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        mentor, mentee, (card_id,) = await _board_with_cards(server, "Drag me to Doing")
        updates = await mentee.call(BoardState, "drag_start", card_id=card_id)
        assert var(updates, BoardState, "dragging_id") == card_id
        doing = len((await mentee.state(BoardRoom)).doing)
        await mentee.call(BoardState, "drop", column="doing", position=doing)
        room = await mentor.state(BoardRoom)
        assert _titles(room.doing)[-1] == "Drag me to Doing"
        assert "Drag me to Doing" not in _titles(room.todo)
        assert (await mentee.state(BoardState)).dragging_id == 0

    asyncio.run(scenario())


def test_a_card_dropped_on_another_card_takes_its_place(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        mentor, mentee, (a, b, c) = await _board_with_cards(server, *CARDS)
        room = await mentee.state(BoardRoom)
        first = _titles(room.todo).index("Card A")
        at_c = next(card.position for card in room.todo if card.id == c)
        await mentee.call(BoardState, "drag_start", card_id=a)  # down: lands just before C
        await mentee.call(BoardState, "drop", column="todo", position=at_c)
        order = _titles((await mentor.state(BoardRoom)).todo)
        assert order[first : first + 3] == ["Card B", "Card A", "Card C"]
        await mentor.call(BoardState, "drag_start", card_id=c)  # up: lands just before B
        await mentor.call(BoardState, "drop", column="todo", position=first)
        order = _titles((await mentee.state(BoardRoom)).todo)
        assert order[first : first + 3] == ["Card C", "Card B", "Card A"]
        await mentor.call(BoardState, "drag_start", card_id=b)  # on itself: stays
        await mentor.call(BoardState, "drop", column="todo", position=first + 1)
        assert _titles((await mentee.state(BoardRoom)).todo) == order

    asyncio.run(scenario())


def test_an_outsiders_drop_is_refused_and_changes_nothing(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        mid = _lucas_board()
        card_id = _a_card(mid)
        path = f"/mentorship/boards/{mid}"
        for outsider in ("hannah.kowalski", "marta.silva"):
            browser = await _browser(server, outsider, path, id=str(mid))
            await browser.call(BoardState, "load")
            before = snapshot()
            await browser.call(BoardState, "drag_start", card_id=card_id)
            updates = await browser.call(BoardState, "drop", column="done", position=0)
            assert snapshot() == before
            assert "This card does not exist." in delta_text(updates)
            assert (await browser.state(BoardState)).dragging_id == 0

    asyncio.run(scenario())


def test_bad_drag_and_drop_arguments_change_nothing(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        _mentor, mentee, (card_id,) = await _board_with_cards(server, "Stay put")
        before = snapshot()
        for bad in ("12", str(card_id), True, None, -1, 0, 2**70, [card_id], {"id": card_id}):
            await mentee.call(BoardState, "drag_start", card_id=bad)
            assert (await mentee.state(BoardState)).dragging_id == 0
        await mentee.call(BoardState, "drop", column="doing", position=0)  # nothing dragged
        for column, position in (("nowhere", 0), (None, 0), ("doing", -1), ("doing", True)):
            await mentee.call(BoardState, "drag_start", card_id=card_id)
            await mentee.call(BoardState, "drag_start", card_id="not a card")  # keeps the id
            assert (await mentee.state(BoardState)).dragging_id == card_id
            await mentee.call(BoardState, "drop", column=column, position=position)
            assert (await mentee.state(BoardState)).dragging_id == 0
        await mentee.call(BoardState, "drag_start", card_id=card_id)
        await mentee.call(BoardState, "drag_end")  # a cancelled drag leaves nothing to drop
        await mentee.call(BoardState, "drop", column="doing", position=0)
        assert snapshot() == before
        assert "Stay put" in _titles((await mentee.state(BoardRoom)).todo)

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
