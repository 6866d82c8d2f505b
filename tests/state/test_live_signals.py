"""Live pages that are not rooms: another person's action (a request answered, a
mentorship accepted) reaches the open tabs of the people it concerns as a signal, and each
tab re-reads through its own session. Two harness browsers, as two people would."""

import asyncio
from typing import Any

import reflex as rx
from reflex.state import StateUpdate
from sqlmodel import select

from cop_app.live import BoardRoom, ThreadListRoom, UserRoom
from cop_app.models import Community, Mentorship, Thread
from cop_app.states.communities import CommunityState
from cop_app.states.discussions import BellState, HomeState, ThreadListState, ThreadState
from cop_app.states.mentorship import BoardState, MentorshipState
from tests.state.harness import (
    SLUG,
    Browser,
    Server,
    delta_text,
    new_thread,
    session_token_for,
    start_server,
    user_id_of,
)

CLOSED = "surgical-technique-exchange"  # approval-only; Helen Carter stewards it
STEWARD, APPLICANT = "helen.carter", "kwame.asante"


def _since(server: Server, tab: Browser, start: int) -> list[StateUpdate]:
    """What the tab received since `start` (from anyone's call)."""
    return [u for t, u in server.recorder.updates[start:] if t == tab.token]


def _closed_titles() -> list[str]:
    with rx.session() as session:
        cid = session.exec(select(Community.id).where(Community.slug == CLOSED)).one()
        return list(session.exec(select(Thread.title).where(Thread.community_id == cid)).all())


async def _on_community(server: Server, local: str, slug: str = CLOSED) -> Browser:
    """A signed-in tab that opened /c/<slug> as its on_load chain does."""
    tab = Browser(server, path=f"/c/{slug}", query={"slug": slug})
    await tab.sign_in_with_token(session_token_for(local))
    for state, handler in (
        (BellState, "link"),
        (CommunityState, "load_page"),
        (ThreadListState, "load"),
    ):
        await tab.call(state, handler)
    return tab


def _lucas_board() -> int:
    """The demo pairing of Ravi Iyer (mentor) and Lucas Moreau (mentee)."""
    with rx.session() as session:
        return session.exec(
            select(Mentorship.id).where(
                Mentorship.mentor_id == user_id_of("ravi.iyer"),
                Mentorship.mentee_id == user_id_of("lucas.moreau"),
            )
        ).one()


def _run(scenario: Any) -> None:
    asyncio.run(scenario())


def test_a_request_and_its_answer_are_live_on_both_sides(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        steward = await _on_community(server, STEWARD)
        before = len((await steward.state(CommunityState)).pending)
        applicant = await _on_community(server, APPLICANT)
        assert not (await applicant.state(CommunityState)).inside

        mark = len(server.recorder.updates)
        await applicant.call(CommunityState, "join")
        assert (await applicant.state(CommunityState)).is_pending
        # the steward's open page hears of the request and re-reads its list
        await steward.run_events(_since(server, steward, mark))
        pending = (await steward.state(CommunityState)).pending
        assert len(pending) == before + 1
        assert "Kwame Asante" in [m.display_name for m in pending]
        # a pending applicant still receives nothing from inside the community
        assert not any(t in delta_text(_since(server, applicant, mark)) for t in _closed_titles())

        mark = len(server.recorder.updates)
        await steward.call(CommunityState, "decide", user_id=user_id_of(APPLICANT), approve=True)
        # the applicant's open page re-reads itself: a member, the inside open, threads in
        await applicant.run_events(_since(server, applicant, mark))
        page = await applicant.state(CommunityState)
        assert page.is_member and page.inside and not page.is_pending
        assert (await applicant.state(ThreadListState)).error == ""
        assert (await applicant.state(ThreadListRoom)).latest
        assert len((await steward.state(CommunityState)).pending) == before

    _run(scenario)


def test_a_declined_request_and_a_withdrawn_one_update_the_other_side(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        steward = await _on_community(server, STEWARD)
        before = len((await steward.state(CommunityState)).pending)
        applicant = await _on_community(server, APPLICANT)
        await applicant.call(CommunityState, "join")
        mark = len(server.recorder.updates)
        await steward.call(CommunityState, "decide", user_id=user_id_of(APPLICANT), approve=False)
        await applicant.run_events(_since(server, applicant, mark))
        page = await applicant.state(CommunityState)
        assert not page.is_pending and not page.is_member and not page.inside

        await applicant.call(CommunityState, "join")
        await steward.run_events(_since(server, steward, mark))
        assert len((await steward.state(CommunityState)).pending) == before + 1
        mark = len(server.recorder.updates)
        await applicant.call(CommunityState, "leave")  # withdraws the request
        await steward.run_events(_since(server, steward, mark))
        assert len((await steward.state(CommunityState)).pending) == before

    _run(scenario)


def test_a_signal_for_another_community_changes_nothing(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        elsewhere = await _on_community(server, STEWARD, "engineering-craft")
        card = (await elsewhere.state(CommunityState)).card
        applicant = await _on_community(server, APPLICANT)
        mark = len(server.recorder.updates)
        await applicant.call(CommunityState, "join")
        # Helen's tab shows another community: the signal arrives, the page stays as it was
        received = await elsewhere.run_events(_since(server, elsewhere, mark))
        assert (await elsewhere.state(CommunityState)).card == card
        assert not any("pending" in repr(u.delta) for u in received)

    _run(scenario)


async def _on_page(server: Server, local: str, path: str, *handlers: tuple[type, str]) -> Browser:
    """A signed-in tab on `path` after the bell and the page's own on_load handlers."""
    tab = Browser(server, path=path)
    await tab.sign_in_with_token(session_token_for(local))
    await tab.call(BellState, "link")
    for state, handler in handlers:
        await tab.call(state, handler)
    return tab


def test_mentorship_requests_and_answers_are_live_on_both_sides(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        mentor = await _on_page(server, "ravi.iyer", "/mentorship", (MentorshipState, "load"))
        mentor_home = await _on_page(server, "ravi.iyer", "/", (HomeState, "load"))
        mentee = await _on_page(server, "hannah.kowalski", "/mentorship", (MentorshipState, "load"))
        await mentee.call(MentorshipState, "set_goals", value="Review migrations with confidence")
        await mentee.call(MentorshipState, "set_skills", value="postgresql code-review")
        mark = len(server.recorder.updates)
        await mentee.call(MentorshipState, "request", mentor_id=user_id_of("ravi.iyer"))
        # the mentor's open page lists the request, with the goals to decide on
        await mentor.run_events(_since(server, mentor, mark))
        waiting = [
            r for r in (await mentor.state(MentorshipState)).as_mentor if r.state == "requested"
        ]
        assert [(r.mentee_name, r.goals) for r in waiting] == [
            ("Hannah Kowalski", "Review migrations with confidence")
        ]
        await mentor_home.run_events(_since(server, mentor_home, mark))
        home_rows = (await mentor_home.state(HomeState)).mentorships
        assert "Hannah Kowalski" in [r.other_name for r in home_rows]

        mark = len(server.recorder.updates)
        await mentor.call(
            MentorshipState, "respond", mentorship_id=waiting[0].id, accept=True, message="Hi"
        )
        # the mentee's open page shows the accepted mentorship, and keeps what they typed
        await mentee.run_events(_since(server, mentee, mark))
        page = await mentee.state(MentorshipState)
        mine = [r for r in page.as_mentee if r.mentor_name == "Ravi Iyer"]
        assert [r.state for r in mine] == ["active"]
        assert page.goals == "Review migrations with confidence"

    _run(scenario)


def test_followed_threads_with_new_replies_are_live_on_the_home_page(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        thread_id = await new_thread(server, "ravi.iyer")  # Ravi follows his own thread
        home = await _on_page(server, "ravi.iyer", "/", (HomeState, "load"))
        assert thread_id not in [r.id for r in (await home.state(UserRoom)).followed]
        replier = Browser(
            server, path=f"/c/{SLUG}/t/{thread_id}", query={"slug": SLUG, "id": str(thread_id)}
        )
        await replier.sign_in_with_token(session_token_for("hannah.kowalski"))
        await replier.call(ThreadState, "load_page")
        await replier.call(ThreadState, "set_draft", value="We review them in pairs.")
        await replier.call(ThreadState, "submit_reply")
        followed = (await home.state(UserRoom)).followed
        assert [r.id for r in followed if r.id == thread_id] == [thread_id]

    _run(scenario)


def test_the_stage_banner_of_an_open_board_follows_the_mentee(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        board_id = _lucas_board()
        mentor = Browser(server, path=f"/mentorship/boards/{board_id}", query={"id": str(board_id)})
        await mentor.sign_in_with_token(session_token_for("ravi.iyer"))
        await mentor.call(BoardState, "load")
        before = (await mentor.state(BoardRoom)).stage
        assert before is not None and before.community_slug == SLUG
        await new_thread(server, "lucas.moreau")  # the mentee asks in the board's community
        after = (await mentor.state(BoardRoom)).stage
        assert after is not None and after.threads == before.threads + 1
        assert after.rank >= max(before.rank, 2)  # an asker at least

    _run(scenario)
