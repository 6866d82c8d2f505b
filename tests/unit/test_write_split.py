"""The check_/do_ split: do_ functions write at the `now` they are given and never commit
(seeds and imports replay the past through them); check_ functions commit. Limits the
services use come from settings."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from cop_app.models import (
    ActivityEvent,
    AuditEntry,
    Community,
    Flag,
    Post,
    Thread,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import (
    accounts,
    communities,
    mentorship,
    moderation,
    recovery,
    settings,
    users,
)
from cop_app.services.access import membership_of
from cop_app.services.errors import Invalid
from tests.factories import make_community, make_user

PAST = timedelta(days=40)


def _events_since(session: Session, since_id: int) -> list[ActivityEvent]:
    return list(session.exec(select(ActivityEvent).where(ActivityEvent.id > since_id)).all())


def _last_event_id(session: Session) -> int:
    ids = session.exec(select(ActivityEvent.id)).all()
    return max(ids, default=0)


def _pair(session: Session) -> tuple[User, User, Community]:
    mentor = make_user(session, role="mentor", display_name="Mentor Mira")
    mentee = make_user(session, display_name="Mentee Milo")
    community = make_community(session, mentor, "Pair Guild", members=[mentee])
    return mentor, mentee, community


def _writes(session: Session) -> dict[str, Callable[[Any], object]]:
    """One call per do_ verb, each on fresh committed rows, taking the moment to write at."""
    admin = make_user(session, role="admin", display_name="Admin Ada")
    member = make_user(session, display_name="Member Max")
    joiner = make_user(session, display_name="Joiner Jo")
    community = make_community(session, admin, "Split Guild", members=[member])
    mentor, mentee, pair_community = _pair(session)
    mentorship.check_update_mentor_profile(session, mentor, 2, "", True, [pair_community.id])
    pairing = mentorship.check_request_mentorship(
        session, mentee, mentor.id, pair_community.id, "I want to learn to review.", "python"
    )
    mentorship.check_respond(session, mentor, pairing.id, True, "Welcome")
    card = mentorship.clean_card_input("Read the review guide")
    data = communities.clean_input(
        "Brand New Guild", "cop", "A domain statement here.", "", "", "open"
    )
    return {
        "create_user": lambda now: accounts.do_create_user(
            session, "replayed@example.org", "Replayed Person", "x" * 20, now=now
        ),
        "create_community": lambda now: communities.do_create_community(
            session, admin, data, now=now
        ),
        "join": lambda now: communities.do_join(
            session, community, joiner, status="active", now=now
        ),
        "set_member_role": lambda now: communities.do_set_member_role(
            session,
            community,
            admin,
            membership_of(session, community.id, member.id),
            "steward",
            now=now,
        ),
        "set_role": lambda now: users.do_set_role(session, admin, member, "mentor", "", now=now),
        "suspend": lambda now: moderation.do_suspend(
            session, admin, member, "Spam", moderation.INDEFINITE, now=now
        ),
        "admin_request_reset": lambda now: recovery.do_admin_request_reset(
            session, admin, member, now=now
        ),
        "add_card": lambda now: mentorship.do_add_card(
            session, pairing, mentor, card, "todo", now=now
        ),
        "add_session_note": lambda now: mentorship.do_add_session_note(
            session, pairing, mentee, now.date(), "We met.", "", now=now
        ),
        "pause": lambda now: mentorship.do_transition(session, pairing, mentee, "pause", now=now),
    }


VERBS = [
    "create_user",
    "create_community",
    "join",
    "set_member_role",
    "set_role",
    "suspend",
    "admin_request_reset",
    "add_card",
    "add_session_note",
    "pause",
]


@pytest.mark.parametrize("verb", VERBS)
def test_a_do_function_writes_at_its_now_and_leaves_the_commit_to_its_caller(
    session: Session, row_counts: Callable[[Session], dict[str, int]], verb: str
) -> None:
    write = _writes(session)[verb]
    before, last = row_counts(session), _last_event_id(session)
    audited = {a.id for a in session.exec(select(AuditEntry)).all()}
    at = utcnow() - PAST
    write(at)
    recorded = _events_since(session, last)
    assert recorded, "a do_ function records what it did"
    assert all(e.created_at == at for e in recorded)
    audits = [a for a in session.exec(select(AuditEntry)).all() if a.id not in audited]
    assert all(a.created_at == at for a in audits)
    session.rollback()
    assert row_counts(session) == before, "a do_ function must not commit"


def test_seeding_the_past_keeps_the_history_in_order(session: Session) -> None:
    mentor, mentee, community = _pair(session)
    start = utcnow() - timedelta(days=30)
    mentorship.do_update_mentor_profile(session, mentor, 2, "", True, [community.id], now=start)
    m = mentorship.do_request_mentorship(
        session, mentee, mentor, community, "Learn to review.", "", now=start
    )
    mentorship.do_respond(session, m, mentor, True, "Hi", now=start + timedelta(days=1))
    mentorship.do_add_session_note(
        session, m, mentee, date.today(), "Later", "", now=start + timedelta(days=9)
    )
    # a replay out of order never moves the pair's last activity back
    mentorship.do_add_session_note(
        session, m, mentor, date.today(), "Earlier", "", now=start + timedelta(days=3)
    )
    session.commit()
    assert m.last_activity_at == start + timedelta(days=9)
    assert (m.created_at, m.started_at) == (start, start + timedelta(days=1))


def test_the_flag_note_limit_comes_from_settings(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    author, reporter = make_user(session), make_user(session)
    community = make_community(session, author, members=[reporter])
    thread = Thread(community_id=community.id, author_id=author.id, title="A question here")
    session.add(thread)
    session.flush()
    session.add(Post(thread_id=thread.id, number=1, author_id=author.id, body="B", body_html="B"))
    session.commit()
    monkeypatch.setattr(settings, "FLAG_NOTE_MAX", 10)
    with pytest.raises(Invalid) as refused:
        moderation.check_flag(session, reporter, "thread", thread.id, "other", "x" * 11)
    assert refused.value.field == "note"
    session.rollback()
    assert session.exec(select(Flag)).first() is None


def test_the_directory_search_limit_comes_from_settings(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(session)
    monkeypatch.setattr(settings, "SEARCH_QUERY_MAX", 5)
    with pytest.raises(Invalid):
        communities.list_directory(session, user, "longer than five")
