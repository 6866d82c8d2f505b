"""Every link the app stores or shows (notifications of every kind, activity feed rows, board
evidence and card links) opens a page the built app registers: links are spelled in
`cop_app/routes.py` only, and a page that does not exist cannot be linked to."""

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

import cop_app.cop_app
from cop_app import routes
from cop_app.models import BoardCard, Notification, User
from cop_app.services import communities, discussions, feed, library, mentorship, settings
from cop_app.services.mentorship import TRANSITIONS, clean_card_input
from tests.factories import make_community, make_user

# Every kind of notification the services write; the transitions table names the lifecycle ones.
NOTIFICATION_KINDS = (
    {"mention", "reply", "accepted", "mentorship.request", "board.goal_met"}
    | {f"mentorship.{t.past}" for t in TRANSITIONS.values()}
    | {f"library.{k}" for k in ("promoted", "endorsed", "reused", "outdated", "owner")}
    | {"community.removed"}
)


def _page_patterns() -> list[re.Pattern[str]]:
    """The routes the built app registered, as regular expressions over a path."""
    patterns = []
    for route in cop_app.cop_app.app._unevaluated_pages:
        if route == routes.NOT_FOUND:
            continue
        path = "/" if route == "index" else "/" + route
        parts = [r"[^/]+" if re.fullmatch(r"\[\w+\]", p) else re.escape(p) for p in path.split("/")]
        patterns.append(re.compile("/".join(parts) + "/?"))
    return patterns


def resolves(link: str, patterns: list[re.Pattern[str]]) -> bool:
    """`link` (with an optional #anchor or ?query) opens one of the registered pages."""
    path = re.split(r"[#?]", link, maxsplit=1)[0]
    return any(p.fullmatch(path) for p in patterns)


def test_resolves_tells_pages_from_missing_ones() -> None:
    patterns = _page_patterns()
    assert resolves(routes.board_url(7), patterns)
    assert resolves(routes.thread_url("guild", 3, 2), patterns)
    assert resolves(routes.resource_url(4), patterns)
    assert resolves(routes.resource_history_url(4), patterns)
    assert resolves(routes.community_library_url("guild"), patterns)
    assert resolves(routes.new_resource_url("guild"), patterns)
    assert resolves(routes.LIBRARY, patterns)
    assert resolves(routes.HOME, patterns)
    assert not resolves("/mentorship/7", patterns)  # the old, broken mentorship link
    assert not resolves("/c/guild/t/3/extra", patterns)


def _everything_that_notifies(session: Session, monkeypatch: pytest.MonkeyPatch) -> User:
    """Walk every path that writes a notification; returns an admin who may read the feed."""
    for name in ("POST_MIN_INTERVAL", "NEW_MEMBER_POST_MIN_INTERVAL", "THREAD_MIN_INTERVAL"):
        monkeypatch.setattr(settings, name, timedelta(0))
    admin = make_user(session, role="admin")
    ravi = make_user(session, role="mentor", handle="ravi", display_name="Ravi Iyer")
    lucas, grace, hannah = (make_user(session) for _ in range(3))
    guild = make_community(session, ravi, "Engineering Craft", members=[lucas, grace, hannah])
    mentorship.check_update_mentor_profile(session, ravi, 3, "Tuesdays", True, [guild.id])

    question = discussions.clean_thread_input("question", "How to review?", "Ask @ravi.", "")
    thread = discussions.check_create_thread(session, lucas, guild.id, question)  # mention
    answer = discussions.check_post_reply(session, ravi, thread.id, "Read it twice.")  # reply
    discussions.check_accept_answer(session, lucas, thread.id, answer.id)  # accepted

    goals = "I want to review large pull requests with confidence."
    m = mentorship.check_request_mentorship(session, lucas, ravi.id, guild.id, goals, "")  # request
    mentorship.check_respond(session, ravi, m.id, True, "Welcome")  # accepted
    mentorship.check_add_card(
        session, ravi, m.id, clean_card_input("Ask", requirement="ask_question"), "todo"
    )
    mentorship.check_pause(session, ravi, m.id)
    mentorship.check_resume(session, lucas, m.id)
    asked = discussions.clean_thread_input("question", "A second question", "Body.", "")
    discussions.check_create_thread(session, lucas, guild.id, asked)  # goal met
    mentorship.check_complete(session, lucas, m.id, "I learned to review.")
    declined = mentorship.check_request_mentorship(session, grace, ravi.id, guild.id, goals, "")
    mentorship.check_respond(session, ravi, declined.id, False, "Full this term")
    withdrawn = mentorship.check_request_mentorship(session, hannah, ravi.id, guild.id, goals, "")
    mentorship.check_withdraw(session, hannah, withdrawn.id)
    resource = library.check_promote(session, ravi, thread.id, True)  # promoted
    library.check_endorse(session, grace, resource.id, True)  # endorsed
    library.check_record_reuse(session, hannah, resource.id, "It worked")  # reused
    library.check_transfer_owner(session, ravi, resource.id, lucas.id)  # owner
    library.check_mark(session, ravi, resource.id, "outdated")  # outdated (told the owner)
    communities.check_remove_member(session, ravi, guild.id, grace.id)  # removed
    return admin


def test_every_stored_link_opens_a_registered_page(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = _everything_that_notifies(session, monkeypatch)
    patterns = _page_patterns()
    notes = session.exec(select(Notification)).all()
    assert {n.kind for n in notes} == NOTIFICATION_KINDS
    links = [(f"notification {n.kind}", n.link) for n in notes]
    links += [(f"feed {row.kind}", row.link) for row in feed.history(session, admin) if row.link]
    cards = session.exec(select(BoardCard)).all()
    links += [(f"evidence of {c.title}", c.evidence_link) for c in cards if c.evidence_link]
    assert any(key.startswith("evidence") for key, _ in links)
    assert [(key, link) for key, link in links if not resolves(link, patterns)] == []


def test_mentorship_notifications_open_the_board(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _everything_that_notifies(session, monkeypatch)
    boards = {
        n.kind: n.link
        for n in session.exec(select(Notification)).all()
        if n.kind.startswith(("mentorship.", "board.")) and n.kind != "mentorship.request"
    }
    assert boards.pop("mentorship.withdrawn") == routes.MENTORSHIP
    assert all(re.fullmatch(r"/mentorship/boards/\d+", link) for link in boards.values()), boards
