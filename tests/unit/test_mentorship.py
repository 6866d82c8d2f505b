"""mentorship.*: mentor profiles, explainable matching, requests, the transition table,
boards (permissions, moves), practice-linked goals (every kind, by event and by scan, and
a kind registered by a test), the session log, the dashboard (constant query count), and
the demo data."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import (
    ActivityEvent,
    BoardCard,
    Community,
    Membership,
    MentorCommunity,
    MentorProfile,
    Mentorship,
    Notification,
    Post,
    SessionNote,
    Thread,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import (
    discussions,
    events,
    library,
    mentorship,
    notifications,
    settings,
    wiring,
)
from cop_app.services.errors import Forbidden, Invalid, NotFound, RateLimited
from cop_app.services.mentorship import (
    STATES,
    TRANSITIONS,
    Evidence,
    Requirement,
    allowed_transitions,
    clean_card_input,
)
from tests.worlds import MentorshipWorld as World
from tests.worlds import counting, fresh, refused

GOALS = "I want to review large pull requests with confidence."


pytestmark = pytest.mark.usefixtures("relaxed_intervals")


@pytest.fixture
def w(mentorship_world: World) -> World:
    """This module's world: `tests.worlds.mentorship_world`."""
    return mentorship_world


# --- helpers ----------------------------------------------------------------------------------


def pair(
    w: World,
    mentor: User | None = None,
    mentee: User | None = None,
    community: Community | None = None,
    *,
    state: str = "active",
    started_ago: timedelta = timedelta(days=2),
    last_ago: timedelta = timedelta(0),
) -> Mentorship:
    """A mentorship written straight to the database."""
    now = utcnow()
    m = Mentorship(
        mentor_id=(mentor or w.ravi).id,
        mentee_id=(mentee or w.lucas).id,
        community_id=(community or w.eng).id,
        goals=GOALS,
        skills="python",
        state=state,
        created_at=now - started_ago - timedelta(hours=1),
        started_at=None if state == "requested" else now - started_ago,
        last_activity_at=now - last_ago,
    )
    w.session.add(m)
    w.session.commit()
    w.session.refresh(m)
    return m


def card(
    w: World, m: Mentorship, title: str = "Ask the guild", actor: User | None = None, **kw: Any
) -> BoardCard:
    column = kw.pop("column", "todo")
    data = clean_card_input(title, **kw)
    actor = actor or w.session.get(User, m.mentor_id)
    return mentorship.check_add_card(w.session, actor, m.id, data, column)


def latest_event(w: World, kind: str) -> ActivityEvent:
    w.session.expire_all()
    return w.session.exec(
        select(ActivityEvent)
        .where(ActivityEvent.kind == kind)
        .order_by(col(ActivityEvent.id).desc())
    ).first()


def kinds(w: World) -> list[str]:
    w.session.expire_all()
    return list(w.session.exec(select(ActivityEvent.kind).order_by(col(ActivityEvent.id))).all())


def ask(w: World, who: User, community: Community | None = None, kind: str = "question") -> Thread:
    data = discussions.clean_thread_input(kind, f"A {kind} from {who.display_name}", "Body.", "")
    return discussions.check_create_thread(w.session, who, (community or w.eng).id, data)


def columns(w: World, m: Mentorship) -> dict[str, list[str]]:
    w.session.expire_all()
    result: dict[str, list[str]] = {c: [] for c in mentorship.COLUMNS}
    for c in w.session.exec(
        select(BoardCard)
        .where(BoardCard.mentorship_id == m.id)
        .order_by(col(BoardCard.column), col(BoardCard.position))
    ).all():
        result[c.column].append(c.title)
    return result


def positions(w: World, m: Mentorship) -> dict[str, list[int]]:
    w.session.expire_all()
    result: dict[str, list[int]] = {c: [] for c in mentorship.COLUMNS}
    for c in w.session.exec(
        select(BoardCard)
        .where(BoardCard.mentorship_id == m.id)
        .order_by(col(BoardCard.column), col(BoardCard.position))
    ).all():
        result[c.column].append(c.position)
    return result


# --- mentor profiles --------------------------------------------------------------------------


def test_profile_defaults_then_save_and_read_back(w: World) -> None:
    view = mentorship.get_mentor_profile(w.session, w.nadia)
    # a new offer starts open: a mentor is not invisible to matching without knowing it
    assert view.has_profile is False and view.accepting is True
    assert view.capacity == settings.MENTOR_CAPACITY_DEFAULT
    saved = mentorship.check_update_mentor_profile(
        w.session,
        w.nadia,
        capacity=2,
        availability="  Fortnightly calls  ",
        accepting=True,
        community_ids=[w.eng.id],
    )
    assert saved.has_profile and saved.capacity == 2 and saved.accepting
    assert saved.availability == "Fortnightly calls"
    assert saved.community_names == ["Engineering Craft Guild"]
    assert saved.expertise == ["python", "testing"] and saved.places_free == 2
    # changing the communities replaces the link rows
    again = mentorship.check_update_mentor_profile(w.session, w.nadia, 3, "", False, [])
    assert again.community_ids == [] and again.capacity == 3 and not again.accepting
    assert (
        w.session.exec(select(MentorCommunity).where(MentorCommunity.mentor_id == w.nadia.id)).all()
        == []
    )
    assert "mentorship.profile_updated" in kinds(w)
    public = mentorship.get_mentor_profile(w.session, w.lucas, w.ravi.id)
    assert public.display_name == "Ravi Iyer" and public.community_ids == [w.eng.id]


def test_profile_refusals(w: World) -> None:
    ok = {"capacity": 2, "availability": "", "accepting": True, "community_ids": []}
    err = refused(w, Forbidden, mentorship.check_update_mentor_profile, w.lucas, **ok)
    assert "Only mentors" in err.message
    refused(w, Forbidden, mentorship.get_mentor_profile, w.lucas)
    for capacity in (0, settings.MENTOR_CAPACITY_MAX + 1, "many", True):
        err = refused(
            w,
            Invalid,
            mentorship.check_update_mentor_profile,
            w.nadia,
            **{**ok, "capacity": capacity},
        )
        assert err.field == "capacity"
    err = refused(
        w, Invalid, mentorship.check_update_mentor_profile, w.nadia, **{**ok, "accepting": "yes"}
    )
    assert err.field == "accepting"
    err = refused(
        w,
        Invalid,
        mentorship.check_update_mentor_profile,
        w.nadia,
        **{**ok, "community_ids": [w.science.id]},
    )
    assert err.message == "Join Science Teaching Circle before offering to mentor there."
    err = refused(
        w,
        Invalid,
        mentorship.check_update_mentor_profile,
        w.nadia,
        **{**ok, "community_ids": [9999]},
    )
    assert err.field == "community_ids"
    refused(w, NotFound, mentorship.get_mentor_profile, w.lucas, w.nadia.id)  # no profile
    refused(w, NotFound, mentorship.get_mentor_profile, w.lucas, w.hannah.id)
    refused(w, Forbidden, mentorship.check_update_mentor_profile, None, **ok)


# --- matching ---------------------------------------------------------------------------------


def test_suggestions_are_ranked_with_a_reason_for_every_point(w: World) -> None:
    s = settings
    got = mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "python, testing")
    assert [x.display_name for x in got] == ["Ravi Iyer", "Marta Silva", "Helen Carter"]
    ravi, marta, helen = got
    assert ravi.reasons == [
        "shares 2 expertise tags: python, testing",
        "knows this community's topics: code-review, architecture",
        "mentors in Engineering Craft Guild",
        "3 of 3 places free",
        "from another department (Payments platform · Engineering)",
    ]
    assert ravi.score == (
        2 * s.MATCH_WEIGHT_SHARED_SKILL
        + 2 * s.MATCH_WEIGHT_COMMUNITY_TOPIC
        + s.MATCH_WEIGHT_MENTORS_HERE
        + 3 * s.MATCH_WEIGHT_FREE_PLACE
        + s.MATCH_WEIGHT_OTHER_DEPARTMENT
    )
    assert ravi.shared_skills == ["python", "testing"] and ravi.available
    # same department as the mentee: no silo bonus
    assert marta.reasons == [
        "shares 1 expertise tag: python",
        "mentors in Engineering Craft Guild",
        "2 of 2 places free",
    ]
    assert marta.score == (
        s.MATCH_WEIGHT_SHARED_SKILL + s.MATCH_WEIGHT_MENTORS_HERE + 2 * s.MATCH_WEIGHT_FREE_PLACE
    )
    # a member of the community without offering to mentor there
    assert helen.reasons == [
        "shares 1 expertise tag: testing",
        "member of Engineering Craft Guild",
        "1 of 1 place free",
        "from another department (St Mary's Hospital · Surgery)",
    ]
    assert helen.score == (
        s.MATCH_WEIGHT_SHARED_SKILL
        + s.MATCH_WEIGHT_MEMBER_HERE
        + s.MATCH_WEIGHT_FREE_PLACE
        + s.MATCH_WEIGHT_OTHER_DEPARTMENT
    )
    # the mentee is never suggested to themself, nor a mentor without a profile
    assert w.nadia.id not in {x.mentor_id for x in got}
    assert w.ravi.id not in {
        x.mentor_id for x in mentorship.suggest_mentors(w.session, w.ravi, w.eng.id, "")
    }


def test_weights_are_the_named_settings(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "MATCH_WEIGHT_OTHER_DEPARTMENT", 100)
    got = mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "python testing")
    assert [x.display_name for x in got] == ["Ravi Iyer", "Helen Carter", "Marta Silva"]
    assert got[1].score == (
        settings.MATCH_WEIGHT_SHARED_SKILL
        + settings.MATCH_WEIGHT_MEMBER_HERE
        + settings.MATCH_WEIGHT_FREE_PLACE
        + 100
    )


def _unrelated_mentor(w: World, capacity: int) -> User:
    """A surgeon who mentors in eng from another department, with many free places."""
    surgeon = User(
        email="sam@example.org",
        display_name="Sam Surgeon",
        role="mentor",
        organisation="City Hospital · Surgery",
        expertise="laparoscopy sutures",
        password_hash="!",
    )
    w.session.add(surgeon)
    w.session.flush()
    w.session.add(MentorProfile(user_id=surgeon.id, capacity=capacity))
    w.session.add(Membership(community_id=w.eng.id, user_id=surgeon.id))
    w.session.add(MentorCommunity(mentor_id=surgeon.id, community_id=w.eng.id))
    w.session.commit()
    return surgeon


def test_relevance_dominates_places_and_department(w: World) -> None:
    # The surgeon's bonuses (mentors here, 10 free places, another department) outweigh
    # Marta's whole score, yet shared expertise ranks first.
    surgeon = _unrelated_mentor(w, capacity=10)
    got = mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "python assessment")
    names = [x.display_name for x in got]
    assert names == ["Marta Silva", "Ravi Iyer", "Helen Carter", "Sam Surgeon"]
    sam, marta = got[-1], got[0]
    assert sam.score > marta.score and sam.relevance == 0 < marta.relevance
    assert sam.mentor_id == surgeon.id
    assert sam.reasons[0] == "no shared expertise: ranked after every mentor who has some"
    assert marta.relevance == 2 * settings.MATCH_WEIGHT_SHARED_SKILL
    assert all("no shared expertise" not in r for r in marta.reasons)


def test_free_places_and_department_only_break_ties(w: World) -> None:
    # Equal relevance: the bonuses decide; unequal: they never do.
    by_name = {
        x.display_name: x
        for x in mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "testing python")
    }
    ravi, helen, marta = by_name["Ravi Iyer"], by_name["Helen Carter"], by_name["Marta Silva"]
    assert ravi.relevance > helen.relevance == marta.relevance
    got = mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "testing python")
    assert [x.display_name for x in got] == ["Ravi Iyer", "Marta Silva", "Helen Carter"]
    # a huge place count lifts Helen above Marta (same relevance), never above Ravi
    profile = w.session.exec(select(MentorProfile).where(MentorProfile.user_id == w.helen.id)).one()
    profile.capacity = 50
    w.session.add(profile)
    w.session.commit()
    got = mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "testing python")
    assert [x.display_name for x in got] == ["Ravi Iyer", "Helen Carter", "Marta Silva"]
    assert got[1].score > got[0].score


def test_ties_are_broken_by_name_then_id(w: World) -> None:
    # With no skills and the same place count, Helen and a twin of hers tie.
    twin = User(
        email="aaron@example.org",
        display_name="Aaron Twin",
        role="mentor",
        organisation=w.helen.organisation,
        expertise=w.helen.expertise,
        password_hash="!",
    )
    w.session.add(twin)
    w.session.flush()
    w.session.add(MentorProfile(user_id=twin.id, capacity=1))
    w.session.add(Membership(community_id=w.eng.id, user_id=twin.id))
    w.session.commit()
    got = mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "testing")
    names = [x.display_name for x in got]
    assert names.index("Aaron Twin") == names.index("Helen Carter") - 1
    assert got[names.index("Aaron Twin")].score == got[names.index("Helen Carter")].score
    assert mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "testing") == got


def test_full_and_closed_mentors_are_left_out_or_marked(w: World) -> None:
    pair(w, w.helen, w.grace)  # Helen's one place is taken
    profile = w.session.exec(select(MentorProfile).where(MentorProfile.user_id == w.marta.id)).one()
    profile.accepting = False
    w.session.add(profile)
    w.session.commit()
    got = mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "python testing")
    assert [x.display_name for x in got] == ["Ravi Iyer"]
    every = mentorship.suggest_mentors(
        w.session, w.lucas, w.eng.id, "python testing", include_unavailable=True
    )
    # unavailable ones come last; Helen and Marta tie on score, so by name
    assert [(x.display_name, x.available) for x in every] == [
        ("Ravi Iyer", True),
        ("Helen Carter", False),
        ("Marta Silva", False),
    ]
    helen, marta = every[1], every[2]
    assert "no free places right now" in helen.reasons
    assert helen.places_free == 0 and helen.active_mentees == 1
    assert "not taking new mentees right now" in marta.reasons
    # free places count for nothing when the mentor is not available
    assert marta.score == settings.MATCH_WEIGHT_SHARED_SKILL + settings.MATCH_WEIGHT_MENTORS_HERE
    assert helen.score == marta.score


def test_a_mentor_already_asked_is_marked_not_suggested_again(w: World) -> None:
    mentorship.check_request_mentorship(w.session, w.lucas, w.ravi.id, w.eng.id, GOALS, "python")
    got = mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "python")
    assert w.ravi.id not in {x.mentor_id for x in got}
    every = mentorship.suggest_mentors(
        w.session, w.lucas, w.eng.id, "python", include_unavailable=True
    )
    ravi = next(x for x in every if x.mentor_id == w.ravi.id)
    assert not ravi.available and "your request is already waiting for them" in ravi.reasons


def test_suggestion_refusals_and_query_count(w: World) -> None:
    refused(w, NotFound, mentorship.suggest_mentors, w.lucas, 9999, "python")
    refused(w, Invalid, mentorship.suggest_mentors, w.lucas, w.eng.id, "x" * 40)
    refused(w, Forbidden, mentorship.suggest_mentors, None, w.eng.id, "")
    with counting(w.engine) as seen:
        mentorship.suggest_mentors(w.session, w.lucas, w.eng.id, "python")
    assert len(seen) <= 7


# --- requests ---------------------------------------------------------------------------------


def test_request_notifies_the_mentor_and_records(w: World, changes) -> None:
    m = mentorship.check_request_mentorship(
        w.session, w.lucas, w.ravi.id, w.eng.id, f"  {GOALS}  ", "Python, code-review"
    )
    m = fresh(w, Mentorship, m.id)
    assert (m.state, m.mentor_id, m.mentee_id, m.community_id) == (
        "requested",
        w.ravi.id,
        w.lucas.id,
        w.eng.id,
    )
    assert m.goals == GOALS and m.skills == "python code-review" and m.started_at is None
    note = w.session.exec(select(Notification)).one()
    assert (note.user_id, note.kind, note.link) == (w.ravi.id, "mentorship.request", "/mentorship")
    assert note.text == "Lucas Moreau asked you for mentorship in Engineering Craft Guild"
    assert kinds(w) == ["mentorship.requested"]
    rooms = {r for c in changes for r in c.rooms}
    assert {
        notifications.user_room(w.ravi.id),
        notifications.user_room(w.lucas.id),
        mentorship.board_room(m.id),
    } <= rooms
    assert any(
        c.kind == "notification" and c.rooms == (notifications.user_room(w.ravi.id),)
        for c in changes
    )


def test_request_refusals_write_nothing(w: World, changes) -> None:
    req = mentorship.check_request_mentorship
    err = refused(w, Invalid, req, w.lucas, w.lucas.id, w.eng.id, GOALS, "")
    assert err.field == "mentor_id"
    refused(w, NotFound, req, w.lucas, 9999, w.eng.id, GOALS, "")
    err = refused(w, Invalid, req, w.lucas, w.nadia.id, w.eng.id, GOALS, "")
    assert err.message == "Nadia Haddad does not offer mentorship."
    refused(w, Invalid, req, w.lucas, w.hannah.id, w.eng.id, GOALS, "")
    err = refused(w, Forbidden, req, w.outsider, w.ravi.id, w.eng.id, GOALS, "")
    assert err.message == "Join Engineering Craft Guild to ask for mentorship in it."
    refused(w, NotFound, req, w.lucas, w.ravi.id, 9999, GOALS, "")
    for goals in ("too short", "x" * (settings.MENTORSHIP_GOALS_MAX + 1), None, 42):
        err = refused(w, Invalid, req, w.lucas, w.ravi.id, w.eng.id, goals, "")
        assert err.field == "goals"
    err = refused(w, Invalid, req, w.lucas, w.ravi.id, w.eng.id, GOALS, " ".join("abcdefghij"))
    assert err.field == "skills"
    refused(w, Forbidden, req, None, w.ravi.id, w.eng.id, GOALS, "")
    pair(w, w.helen, w.grace)
    err = refused(w, Invalid, req, w.lucas, w.helen.id, w.eng.id, GOALS, "")
    assert err.message == "Helen Carter has no free places right now."
    profile = w.session.exec(select(MentorProfile).where(MentorProfile.user_id == w.marta.id)).one()
    profile.accepting = False
    w.session.add(profile)
    w.session.commit()
    err = refused(w, Invalid, req, w.lucas, w.marta.id, w.eng.id, GOALS, "")
    assert err.message == "Marta Silva is not taking new mentees right now."
    assert changes == []


def test_one_open_request_per_mentor_and_a_spam_limit(w: World) -> None:
    req = mentorship.check_request_mentorship
    first = req(w.session, w.lucas, w.ravi.id, w.eng.id, GOALS, "")
    err = refused(w, Invalid, req, w.lucas, w.ravi.id, w.science.id, GOALS, "")
    assert err.message == "Your request to Ravi Iyer is still waiting for an answer."
    req(w.session, w.lucas, w.marta.id, w.eng.id, GOALS, "")
    extra = User(
        email="joe@example.org", display_name="Joseph Mensah", role="mentor", password_hash="!"
    )
    w.session.add(extra)
    w.session.flush()
    w.session.add(MentorProfile(user_id=extra.id, capacity=2))
    w.session.commit()
    req(w.session, w.lucas, w.helen.id, w.eng.id, GOALS, "")
    assert settings.MENTORSHIP_OPEN_REQUESTS_MAX == 3
    err = refused(w, Invalid, req, w.lucas, extra.id, w.eng.id, GOALS, "")
    assert "3 requests waiting" in err.message
    mentorship.check_withdraw(w.session, w.lucas, first.id)
    req(w.session, w.lucas, extra.id, w.eng.id, GOALS, "")  # a place in the limit again
    # once accepted, a second request to the same mentor is refused differently
    m = req(w.session, w.grace, w.ravi.id, w.eng.id, GOALS, "")
    mentorship.check_respond(w.session, w.ravi, m.id, True, "")
    err = refused(w, Invalid, req, w.grace, w.ravi.id, w.eng.id, GOALS, "")
    assert err.message == "Ravi Iyer is already your mentor."


def test_accept_with_welcome_and_capacity_checked_again(w: World, changes) -> None:
    a = mentorship.check_request_mentorship(w.session, w.lucas, w.helen.id, w.eng.id, GOALS, "")
    b = mentorship.check_request_mentorship(w.session, w.grace, w.helen.id, w.eng.id, GOALS, "")
    m = mentorship.check_respond(w.session, w.helen, a.id, True, "Welcome aboard!")
    assert (m.state, m.welcome_message) == ("active", "Welcome aboard!")
    assert m.started_at is not None and m.ended_at is None
    note = w.session.exec(select(Notification).where(Notification.user_id == w.lucas.id)).one()
    assert (note.kind, note.link) == ("mentorship.accepted", routes.board_url(a.id))
    assert note.text == "Helen Carter accepted your mentorship request"
    # Helen's one place is now taken: accepting the second request is refused
    err = refused(w, Invalid, mentorship.check_respond, w.helen, b.id, True, "")
    assert "no free places" in err.message
    assert fresh(w, Mentorship, b.id).state == "requested"
    assert "mentorship.accepted" in kinds(w)


def test_decline_needs_a_reason_the_mentee_reads(w: World) -> None:
    m = mentorship.check_request_mentorship(w.session, w.lucas, w.ravi.id, w.eng.id, GOALS, "")
    for reason in ("", "   ", None):
        err = refused(w, Invalid, mentorship.check_respond, w.ravi, m.id, False, reason)
        assert err.message == "Reason is required." and err.field == "message"
    refused(w, Invalid, mentorship.check_respond, w.ravi, m.id, "yes", "")
    refused(w, Forbidden, mentorship.check_respond, w.lucas, m.id, True, "")
    refused(w, Forbidden, mentorship.check_respond, w.admin, m.id, True, "")
    refused(w, NotFound, mentorship.check_respond, w.marta, m.id, True, "")
    refused(w, NotFound, mentorship.check_respond, w.ravi, 9999, True, "")
    done = mentorship.check_respond(w.session, w.ravi, m.id, False, "Fully booked until June.")
    assert (done.state, done.decline_reason) == ("declined", "Fully booked until June.")
    assert done.ended_at is not None
    note = w.session.exec(select(Notification).where(Notification.user_id == w.lucas.id)).one()
    assert note.kind == "mentorship.declined"
    assert note.text == "Ravi Iyer declined your mentorship request: Fully booked until June."
    view = mentorship.board(w.session, w.lucas, m.id)
    assert view.decline_reason == "Fully booked until June." and view.transitions == []


# --- transitions ------------------------------------------------------------------------------

CALLS: dict[str, Callable[[Session, User, int], Any]] = {
    "accept": lambda s, a, i: mentorship.check_respond(s, a, i, True, "Welcome!"),
    "decline": lambda s, a, i: mentorship.check_respond(s, a, i, False, "No places this term."),
    "withdraw": lambda s, a, i: mentorship.check_withdraw(s, a, i),
    "pause": lambda s, a, i: mentorship.check_pause(s, a, i),
    "resume": lambda s, a, i: mentorship.check_resume(s, a, i),
    "complete": lambda s, a, i: mentorship.check_complete(s, a, i, "We reached the goals we set."),
}


def test_every_state_verb_and_side_follows_the_transition_table(w: World) -> None:
    assert set(CALLS) == set(TRANSITIONS)
    for state in STATES:
        for verb, t in TRANSITIONS.items():
            for side in ("mentor", "mentee"):
                m = pair(w, w.ravi, w.lucas, state=state)
                actor = w.ravi if side == "mentor" else w.lucas
                if state in t.sources and side in t.by:
                    done = CALLS[verb](w.session, actor, m.id)
                    assert done.state == t.target, (state, verb, side)
                else:
                    error = Forbidden if side not in t.by else Invalid
                    before = w.row_counts(w.session)
                    with pytest.raises(error):
                        CALLS[verb](w.session, actor, m.id)
                    assert w.row_counts(w.session) == before
                    w.session.rollback()
                    assert fresh(w, Mentorship, m.id).state == state, (state, verb, side)
                w.session.delete(fresh(w, Mentorship, m.id))
                w.session.commit()


def test_invalid_transitions_say_why(w: World) -> None:
    m = pair(w, state="declined")
    err = refused(
        w, Invalid, mentorship.check_complete, w.ravi, m.id, "We reached the goals we set."
    )
    assert err.message == "A declined mentorship cannot be completed."
    m2 = pair(w, w.marta, state="active")
    err = refused(w, Invalid, mentorship.check_resume, w.lucas, m2.id)
    assert err.message == "An active mentorship cannot be resumed."
    err = refused(w, Forbidden, mentorship.check_withdraw, w.marta, m2.id)
    assert err.message == "Only the mentee can withdraw this mentorship."
    refused(w, NotFound, mentorship.check_pause, w.hannah, m2.id)
    assert allowed_transitions("active", "mentor") == ["pause", "complete"]
    assert allowed_transitions("requested", "mentee") == ["withdraw"]
    assert allowed_transitions("completed", "mentee") == []


def test_complete_needs_a_reflection_and_the_other_side_may_add_theirs(w: World, changes) -> None:
    m = pair(w)
    for text in ("short", "x" * (settings.MENTORSHIP_REFLECTION_MAX + 1), None):
        err = refused(w, Invalid, mentorship.check_complete, w.lucas, m.id, text)
        assert err.field == "reflection"
    done = mentorship.check_complete(w.session, w.lucas, m.id, "I review big PRs in passes now.")
    assert done.state == "completed" and done.reflection_mentee.startswith("I review")
    assert done.ended_at is not None and done.reflection_mentor == ""
    note = w.session.exec(select(Notification).where(Notification.user_id == w.ravi.id)).one()
    assert note.kind == "mentorship.completed"
    refused(w, Invalid, mentorship.check_add_reflection, w.ravi, m.id, "short")
    refused(w, Forbidden, mentorship.check_add_reflection, w.admin, m.id, "Lucas grew a lot here.")
    again = mentorship.check_add_reflection(w.session, w.ravi, m.id, "Lucas grew a lot here.")
    assert again.reflection_mentor == "Lucas grew a lot here."
    live = pair(w, w.marta)
    refused(w, Invalid, mentorship.check_add_reflection, w.marta, live.id, "Too early to say this.")
    assert "mentorship.completed" in kinds(w) and "mentorship.reflected" in kinds(w)


# --- boards -----------------------------------------------------------------------------------


def test_only_the_pair_and_admins_reach_a_board(w: World) -> None:
    m = pair(w)
    c = card(w, m)
    for outsider in (w.marta, w.hannah, w.outsider):  # another mentor, a member, a stranger
        refused(w, NotFound, mentorship.board, outsider, m.id)
        refused(w, NotFound, mentorship.check_add_card, outsider, m.id, clean_card_input("Hello"))
        refused(w, NotFound, mentorship.check_move_card, outsider, c.id, "doing", 0)
        refused(w, NotFound, mentorship.check_edit_card, outsider, c.id, clean_card_input("Hello"))
        refused(w, NotFound, mentorship.check_delete_card, outsider, c.id)
        refused(w, NotFound, mentorship.session_notes, outsider, m.id)
    refused(w, Forbidden, mentorship.board, None, m.id)
    refused(w, NotFound, mentorship.board, w.lucas, 9999)
    refused(w, NotFound, mentorship.check_move_card, w.lucas, 9999, "doing", 0)
    assert mentorship.board(w.session, w.admin, m.id).my_role == "admin"
    card(w, m, "Added by an admin", actor=w.admin)
    card(w, m, "Added by the mentee", actor=w.lucas)
    view = mentorship.board(w.session, w.lucas, m.id)
    assert view.my_role == "mentee" and view.can_edit_cards
    assert [c.title for c in view.todo] == [
        "Ask the guild",
        "Added by an admin",
        "Added by the mentee",
    ]
    snap = mentorship.board_snapshot(w.session, m.id)  # the live room's copy: no viewer
    assert (snap.my_role, snap.transitions, snap.can_log_sessions) == ("", [], False)
    assert snap.todo == view.todo and snap.state == "active"
    assert mentorship.board_snapshot(w.session, 9999) is None
    assert (view.mentor_name, view.mentee_name, view.community_name) == (
        "Ravi Iyer",
        "Lucas Moreau",
        "Engineering Craft Guild",
    )


@pytest.mark.parametrize("state", ["requested", "paused", "completed", "declined", "withdrawn"])
def test_boards_change_only_while_active(w: World, state: str) -> None:
    m = pair(w)
    c = card(w, m)
    m.state = state
    w.session.add(m)
    w.session.commit()
    err = refused(w, Forbidden, mentorship.check_add_card, w.ravi, m.id, clean_card_input("Later"))
    assert err.message == mentorship.read_only_reason(state)
    refused(w, Forbidden, mentorship.check_move_card, w.lucas, c.id, "doing", 0)
    refused(w, Forbidden, mentorship.check_edit_card, w.lucas, c.id, clean_card_input("Renamed"))
    refused(w, Forbidden, mentorship.check_delete_card, w.ravi, c.id)
    view = mentorship.board(w.session, w.lucas, m.id)  # still readable
    assert not view.can_edit_cards and view.read_only_reason and len(view.todo) == 1


def test_card_input_refusals(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for args, fld in [
        (("ab",), "title"),
        (("x" * 121,), "title"),
        (("Fine", "x" * 2001), "description"),
        (("Fine", "", "31/12/2025"), "due_date"),
        (("Fine", "", "1900-01-01"), "due_date"),
        (("Fine", "", None, "abc"), "link_thread_id"),
        (("Fine", "", None, None, None, "write_a_poem"), "requirement"),
    ]:
        with pytest.raises(Invalid) as info:
            clean_card_input(*args)
        assert info.value.field == fld
    data = clean_card_input("  Fine  ", "", "2030-01-31", "", 0, "")
    assert (data.title, data.due_date, data.link_thread_id, data.requirement) == (
        "Fine",
        date(2030, 1, 31),
        None,
        None,
    )
    m = pair(w)
    refused(w, Invalid, mentorship.check_add_card, w.ravi, m.id, clean_card_input("Fine"), "later")
    monkeypatch.setattr(settings, "BOARD_CARDS_MAX", 2)
    card(w, m, "One")
    card(w, m, "Two")
    err = refused(w, Invalid, mentorship.check_add_card, w.ravi, m.id, clean_card_input("Three"))
    assert "at most 2 cards" in err.message


def test_card_links_must_point_into_the_mentorship_community(w: World) -> None:
    m = pair(w)
    here = ask(w, w.hannah)
    reply = discussions.check_post_reply(w.session, w.grace, here.id, "An answer.")
    there = ask(w, w.marta, w.science)
    err = refused(
        w,
        Invalid,
        mentorship.check_add_card,
        w.ravi,
        m.id,
        clean_card_input("Read", link_thread_id=there.id),
    )
    assert (
        err.message == "Link a discussion from Engineering Craft Guild, where this mentorship is."
    )
    refused(
        w,
        Invalid,
        mentorship.check_add_card,
        w.ravi,
        m.id,
        clean_card_input("Read", link_thread_id=9999),
    )
    refused(
        w,
        Invalid,
        mentorship.check_add_card,
        w.ravi,
        m.id,
        clean_card_input("Read", link_thread_id=there.id, link_post_id=reply.id),
    )
    by_post = card(w, m, "Read this answer", link_post_id=reply.id)
    assert (by_post.link_thread_id, by_post.link_post_id) == (here.id, reply.id)
    view = mentorship.board(w.session, w.lucas, m.id)
    shown = view.todo[0]
    assert shown.link == routes.thread_url("engineering-craft", here.id, 2)
    assert (shown.link_title, shown.link_thread_id, shown.link_post_id) == (
        here.title,
        here.id,
        reply.id,
    )
    # an edit that passes the current links keeps them, even once the thread is hidden
    hidden = fresh(w, Thread, here.id)
    hidden.hidden = True
    w.session.add(hidden)
    w.session.commit()
    kept = mentorship.check_edit_card(
        w.session,
        w.lucas,
        by_post.id,
        clean_card_input("Renamed", link_thread_id=here.id, link_post_id=reply.id),
    )
    assert (kept.title, kept.link_thread_id, kept.link_post_id) == ("Renamed", here.id, reply.id)
    assert mentorship.board(w.session, w.lucas, m.id).todo[0].link == ""  # hidden: not shown
    dropped = mentorship.check_edit_card(
        w.session, w.lucas, by_post.id, clean_card_input("Renamed")
    )
    assert (dropped.link_thread_id, dropped.link_post_id) == (None, None)


def test_move_and_reorder_keep_positions_contiguous(w: World, changes) -> None:
    m = pair(w, last_ago=timedelta(days=20))
    a, b, c, d = (card(w, m, t) for t in ("Alpha", "Bravo", "Charlie", "Delta"))
    assert positions(w, m)["todo"] == [0, 1, 2, 3]
    changes.clear()
    mentorship.check_move_card(w.session, w.lucas, c.id, "doing", 0)
    assert columns(w, m) == {"todo": ["Alpha", "Bravo", "Delta"], "doing": ["Charlie"], "done": []}
    mentorship.check_move_card(w.session, w.lucas, d.id, "todo", 0)
    assert columns(w, m)["todo"] == ["Delta", "Alpha", "Bravo"]
    mentorship.check_move_card(w.session, w.ravi, d.id, "todo", 99)  # past the end: the end
    assert columns(w, m)["todo"] == ["Alpha", "Bravo", "Delta"]
    mentorship.check_move_card(w.session, w.ravi, a.id, "doing", 1)
    assert columns(w, m) == {"todo": ["Bravo", "Delta"], "doing": ["Charlie", "Alpha"], "done": []}
    mentorship.check_move_card(w.session, w.ravi, b.id, "done", 0)
    assert positions(w, m) == {"todo": [0], "doing": [0, 1], "done": [0]}
    assert kinds(w).count("board.card_moved") == 5
    assert {ch.kind for ch in changes} >= {"board.card_moved"}
    assert all(
        mentorship.board_room(m.id) in ch.rooms for ch in changes if ch.kind == "board.card_moved"
    )
    assert fresh(w, Mentorship, m.id).last_activity_at > utcnow() - timedelta(minutes=1)
    before = w.row_counts(w.session)
    mentorship.check_move_card(w.session, w.ravi, b.id, "done", 0)  # where it is: nothing written
    assert w.row_counts(w.session) == before
    for column, position in (("later", 0), ("todo", -1), ("todo", True), ("todo", "x")):
        refused(w, Invalid, mentorship.check_move_card, w.ravi, b.id, column, position)


def test_edit_and_delete_cards(w: World) -> None:
    m = pair(w)
    a, b, _ = (card(w, m, t) for t in ("Alpha", "Bravo", "Charlie"))
    edited = mentorship.check_edit_card(
        w.session, w.lucas, b.id, clean_card_input("Bravo two", "More detail", "2030-05-01")
    )
    assert (edited.title, edited.description, edited.due_date) == (
        "Bravo two",
        "More detail",
        date(2030, 5, 1),
    )
    before = w.row_counts(w.session)
    mentorship.check_edit_card(
        w.session, w.lucas, b.id, clean_card_input("Bravo two", "More detail", "2030-05-01")
    )
    assert w.row_counts(w.session) == before and kinds(w).count("board.card_edited") == 1
    mentorship.check_delete_card(w.session, w.ravi, a.id)
    assert columns(w, m)["todo"] == ["Bravo two", "Charlie"]
    assert positions(w, m)["todo"] == [0, 1]
    assert fresh(w, BoardCard, a.id) is None and "board.card_deleted" in kinds(w)


def test_board_view_is_capped_and_flags_overdue_cards(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = pair(w)
    card(w, m, "Late", due_date=(utcnow() - timedelta(days=3)).date().isoformat())
    card(w, m, "Soon", due_date=(utcnow() + timedelta(days=3)).date().isoformat())
    card(w, m, "Third")
    view = mentorship.board(w.session, w.lucas, m.id)
    assert [c.overdue for c in view.todo] == [True, False, False]
    monkeypatch.setattr(settings, "BOARD_CARDS_MAX", 2)
    view = mentorship.board(w.session, w.lucas, m.id)
    assert view.truncated and len(view.todo) == 2 and view.cards_total == 2


# --- practice-linked goals ----------------------------------------------------------------


def goal(w: World, m: Mentorship, requirement: str, title: str | None = None) -> BoardCard:
    return card(w, m, title or f"Goal: {requirement}", requirement=requirement)


def test_ask_question_is_met_through_check_requirements(w: World, changes) -> None:
    m = pair(w)
    g = goal(w, m, "ask_question")
    other = goal(w, pair(w, w.marta, w.grace), "ask_question")
    assert fresh(w, BoardCard, g.id).met_at is None
    # not by: someone else's question, a discussion, a question in another community
    for who, community, kind in (
        (w.hannah, w.eng, "question"),
        (w.lucas, w.eng, "discussion"),
        (w.lucas, w.science, "question"),
    ):
        ask(w, who, community, kind)
        assert mentorship.check_requirements(w.session, latest_event(w, "thread.created")) == []
        w.session.commit()
    assert fresh(w, BoardCard, g.id).met_at is None
    changes.clear()
    q = ask(w, w.lucas)  # activity.record runs check_requirements in the same transaction
    again = mentorship.check_requirements(w.session, latest_event(w, "thread.created"))
    w.session.commit()
    assert again == []  # already met: one artifact meets a goal once
    g = fresh(w, BoardCard, g.id)
    assert g.column == "done" and g.met_at is not None
    assert (g.evidence_type, g.evidence_id) == ("thread", q.id)
    assert g.evidence_link == routes.thread_url("engineering-craft", q.id)
    assert g.evidence_text == f"Asked “{q.title}”"
    assert fresh(w, BoardCard, other.id).met_at is None  # another pair's goal
    assert latest_event(w, "board.goal_met").summary == (
        "Lucas Moreau met a practice goal: ask a question"
    )
    note = w.session.exec(select(Notification).where(Notification.kind == "board.goal_met")).one()
    assert note.user_id == w.ravi.id and note.link == routes.board_url(m.id)
    assert any(
        ch.kind == "board.goal_met" and mentorship.board_room(m.id) in ch.rooms for ch in changes
    )
    # a second question does not meet it again
    ask(w, w.lucas)
    assert mentorship.check_requirements(w.session, latest_event(w, "thread.created")) == []


def test_answer_accepted_is_met_through_check_requirements(w: World) -> None:
    m = pair(w)
    g = goal(w, m, "answer_accepted")
    q = ask(w, w.hannah)
    mine = discussions.check_post_reply(w.session, w.lucas, q.id, "Review it in passes.")
    theirs = discussions.check_post_reply(w.session, w.grace, q.id, "Ask for a split.")
    discussions.check_accept_answer(w.session, w.hannah, q.id, theirs.id)
    assert mentorship.check_requirements(w.session, latest_event(w, "thread.answer_accepted")) == []
    discussions.check_accept_answer(w.session, w.hannah, q.id, mine.id)
    # activity.record already ran the check in the same transaction; a second look finds
    # nothing new, since one artifact meets a goal once.
    assert mentorship.check_requirements(w.session, latest_event(w, "thread.answer_accepted")) == []
    w.session.commit()
    assert fresh(w, BoardCard, g.id).met_at is not None
    g = fresh(w, BoardCard, g.id)
    assert (g.column, g.evidence_type, g.evidence_id) == ("done", "post", mine.id)
    assert g.evidence_link == routes.thread_url("engineering-craft", q.id, 2)
    # the mentee accepting a reply in their own question does not count
    m2 = pair(w, w.marta, w.grace)
    g2 = goal(w, m2, "answer_accepted")
    own = ask(w, w.grace)
    self_reply = discussions.check_post_reply(w.session, w.grace, own.id, "Found it myself.")
    discussions.check_accept_answer(w.session, w.grace, own.id, self_reply.id)
    assert mentorship.check_requirements(w.session, latest_event(w, "thread.answer_accepted")) == []
    assert fresh(w, BoardCard, g2.id).met_at is None


def test_discussion_replied_is_met_when_someone_else_replies(w: World) -> None:
    m = pair(w)
    g = goal(w, m, "discussion_replied")
    t = ask(w, w.lucas, kind="discussion")
    discussions.check_post_reply(w.session, w.lucas, t.id, "Adding some context myself.")
    assert mentorship.check_requirements(w.session, latest_event(w, "post.created")) == []
    discussions.check_post_reply(w.session, w.hannah, t.id, "We test backfills on a sample first.")
    # activity.record already ran the check in the same transaction; a second look finds
    # nothing new, since one artifact meets a goal once.
    assert mentorship.check_requirements(w.session, latest_event(w, "post.created")) == []
    w.session.commit()
    assert fresh(w, BoardCard, g.id).met_at is not None
    g = fresh(w, BoardCard, g.id)
    assert (g.column, g.evidence_type, g.evidence_id) == ("done", "thread", t.id)
    assert "which got replies" in g.evidence_text


def test_events_nobody_listens_to_cost_no_query(w: World) -> None:
    pair(w)
    ev = ActivityEvent(kind="post.edited", actor_id=w.lucas.id, community_id=w.eng.id)
    with counting(w.engine) as seen:
        assert mentorship.check_requirements(w.session, ev) == []
    assert seen == []


def test_scan_counts_practice_since_the_start_and_each_artifact_once(w: World) -> None:
    before_start = ask(w, w.lucas)
    m = pair(w, started_ago=timedelta(0))
    one = goal(w, m, "ask_question", "First question")
    assert fresh(w, BoardCard, one.id).met_at is None  # the older question does not count
    q1 = ask(w, w.lucas)  # met at once: activity.record runs the check
    two = goal(w, m, "ask_question", "Second question")  # the scan checks the board in order
    one, two = fresh(w, BoardCard, one.id), fresh(w, BoardCard, two.id)
    assert one.evidence_id == q1.id and one.met_at is not None
    assert two.met_at is None  # q1 is counted once
    q2 = ask(w, w.lucas)
    mentorship.check_requirements(w.session, latest_event(w, "thread.created"))
    w.session.commit()
    assert fresh(w, BoardCard, two.id).evidence_id == q2.id
    assert before_start.id not in {one.evidence_id, q2.id}
    assert columns(w, m)["done"] == ["First question", "Second question"]


def test_practice_while_paused_is_found_on_resume(w: World) -> None:
    m = pair(w)
    g = goal(w, m, "ask_question")
    mentorship.check_pause(w.session, w.lucas, m.id)
    ask(w, w.lucas)
    assert mentorship.check_requirements(w.session, latest_event(w, "thread.created")) == []
    w.session.commit()
    assert fresh(w, BoardCard, g.id).met_at is None
    mentorship.check_resume(w.session, w.ravi, m.id)
    g = fresh(w, BoardCard, g.id)
    assert g.met_at is not None and g.column == "done"


def test_changing_a_goal_kind_drops_old_evidence_and_scans_again(w: World) -> None:
    m = pair(w)
    q = ask(w, w.lucas)
    g = goal(w, m, "ask_question")
    assert fresh(w, BoardCard, g.id).evidence_id == q.id
    mentorship.check_edit_card(
        w.session, w.ravi, g.id, clean_card_input(g.title, requirement="answer_accepted")
    )
    g = fresh(w, BoardCard, g.id)
    assert (g.requirement, g.met_at, g.evidence_id, g.evidence_text) == (
        "answer_accepted",
        None,
        None,
        "",
    )


def test_a_new_requirement_kind_is_one_registry_entry(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kind the code has never heard of ("thanked": a reply of the mentee's got a
    thanks reaction) works by registering one entry: validation, checks and scans."""

    def thanked(session: Session, c: BoardCard, ev: ActivityEvent | None) -> Evidence | None:
        m = session.get(Mentorship, c.mentorship_id)
        stmt = (
            select(Post)
            .join(Thread, Thread.id == Post.thread_id)
            .where(
                Thread.community_id == m.community_id,
                Post.author_id == m.mentee_id,
                Post.thanks > 0,
            )
        )
        if ev is not None:
            stmt = stmt.where(Post.id == ev.target_id)
        post = session.exec(stmt).first()
        if post is None:
            return None
        return Evidence("post", post.id, "Thanked for a reply", "/somewhere", post.created_at)

    monkeypatch.setitem(
        mentorship.REQUIREMENTS,
        "thanked",
        Requirement("Get thanked", "A reply gets a thanks.", ("post.reacted",), thanked),
    )
    assert {
        "value": "thanked",
        "label": "Get thanked",
        "description": "A reply gets a thanks.",
    } in (mentorship.requirement_options())
    m = pair(w)
    g = goal(w, m, "thanked")
    q = ask(w, w.hannah)
    r = discussions.check_post_reply(w.session, w.lucas, q.id, "Try this.")
    discussions.check_toggle_reaction(w.session, w.hannah, r.id, "thanks")
    # activity.record already ran the check in the same transaction; a second look finds
    # nothing new, since one artifact meets a goal once.
    assert mentorship.check_requirements(w.session, latest_event(w, "post.reacted")) == []
    w.session.commit()
    assert fresh(w, BoardCard, g.id).met_at is not None
    assert fresh(w, BoardCard, g.id).evidence_text == "Thanked for a reply"
    assert "met a practice goal: get thanked" in latest_event(w, "board.goal_met").summary
    # and scans find it for a card added afterwards (the same reply is already counted)
    g2 = goal(w, m, "thanked", "Thanked twice")
    assert fresh(w, BoardCard, g2.id).met_at is None


def _practice(w: World) -> None:
    """Artifacts that meet each goal kind, and near misses that must not (other author,
    community, kind, a hidden one, the mentee's own reply or own question)."""
    mine = ask(w, w.lucas)
    ask(w, w.lucas, w.science)
    ask(w, w.hannah)
    hidden = ask(w, w.lucas)
    hidden.hidden = True
    w.session.add(hidden)
    w.session.commit()
    for answerer in (w.lucas, w.grace):
        q = ask(w, w.hannah)
        r = discussions.check_post_reply(w.session, answerer, q.id, "Try this.")
        discussions.check_accept_answer(w.session, w.hannah, q.id, r.id)
    own = discussions.check_post_reply(w.session, w.lucas, mine.id, "Answering myself.")
    discussions.check_accept_answer(w.session, w.lucas, mine.id, own.id)
    for replier in (w.hannah, w.lucas, None):
        d = ask(w, w.lucas, kind="discussion")
        if replier is not None:
            discussions.check_post_reply(w.session, replier, d.id, "A thought.")
    discussions.check_post_reply(w.session, w.grace, ask(w, w.hannah, kind="discussion").id, "Yes.")
    guide = library.clean_resource_input(
        "guide", "What we learned", "Our notes, kept.", "B", "", ""
    )
    made = library.check_create_resource(w.session, w.lucas, w.eng.id, guide)
    library.check_create_resource(w.session, w.lucas, w.science.id, guide)
    theirs = library.check_create_resource(w.session, w.hannah, w.eng.id, guide)
    library.check_record_reuse(w.session, w.grace, made.id, "It helped")
    library.check_record_reuse(w.session, w.lucas, theirs.id, "")


@pytest.mark.parametrize("requirement", list(mentorship.REQUIREMENTS))
def test_scan_and_per_event_paths_find_the_same_artifacts(w: World, requirement: str) -> None:
    m = pair(w)
    _practice(w)
    goal_card = BoardCard(mentorship_id=m.id, title="Goal", requirement=requirement)
    w.session.add(goal_card)
    w.session.commit()
    rule = mentorship.REQUIREMENTS[requirement]
    events = w.session.exec(
        select(ActivityEvent).where(col(ActivityEvent.kind).in_(rule.listens_to))
    ).all()
    by_event = {
        (found.target_type, found.target_id)
        for event in events
        if (found := rule.met_by(w.session, goal_card, event)) is not None
    }
    by_scan = set()
    while (found := rule.met_by(w.session, goal_card, None)) is not None:
        by_scan.add((found.target_type, found.target_id))
        w.session.add(  # counted: the next scan looks past it
            BoardCard(
                mentorship_id=m.id,
                title="Counted",
                column="done",
                evidence_type=found.target_type,
                evidence_id=found.target_id,
                met_at=found.at,
            )
        )
        w.session.flush()
    assert by_event and by_event == by_scan


def test_goals_listen_only_through_the_wiring(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    m = pair(w)
    g = goal(w, m, "ask_question")
    monkeypatch.setattr(events, "_record_listeners", [])
    ask(w, w.lucas)  # recorded, but nothing listens: the board is untouched
    assert fresh(w, BoardCard, g.id).met_at is None
    wiring.wire()
    ask(w, w.lucas)
    assert fresh(w, BoardCard, g.id).met_at is not None


# --- session log ------------------------------------------------------------------------------


def test_session_notes_are_shared_by_the_pair(w: World, changes) -> None:
    m = pair(w, last_ago=timedelta(days=20))
    yesterday = (utcnow() - timedelta(days=1)).date()
    mentorship.check_add_session_note(
        w.session, w.ravi, m.id, yesterday.isoformat(), "Reviewed a PR together.", "Split it."
    )
    mentorship.check_add_session_note(w.session, w.lucas, m.id, None, "Tried passes alone.")
    notes = mentorship.session_notes(w.session, w.lucas, m.id)
    assert [(n.author_name, n.date) for n in notes] == [
        ("Lucas Moreau", utcnow().date()),
        ("Ravi Iyer", yesterday),
    ]
    assert notes[1].next_steps == "Split it."
    assert mentorship.session_notes(w.session, w.admin, m.id) == notes
    assert fresh(w, Mentorship, m.id).last_activity_at > utcnow() - timedelta(minutes=1)
    assert "mentorship.session_logged" in kinds(w)
    assert any(ch.rooms == (mentorship.board_room(m.id),) for ch in changes)
    add = mentorship.check_add_session_note
    refused(w, Forbidden, add, w.admin, m.id, None, "Admins do not log.")
    refused(w, NotFound, add, w.marta, m.id, None, "Not my pair.")
    err = refused(w, Invalid, add, w.ravi, m.id, None, "")
    assert err.field == "notes"
    refused(w, Invalid, add, w.ravi, m.id, None, "x" * (settings.SESSION_NOTES_MAX + 1))
    future = (utcnow() + timedelta(days=5)).date()
    assert refused(w, Invalid, add, w.ravi, m.id, future, "Planned.").field == "date"
    mentorship.check_pause(w.session, w.lucas, m.id)
    mentorship.check_add_session_note(w.session, w.lucas, m.id, None, "Pausing during the move.")
    done = pair(w, w.marta, w.grace, state="completed")
    refused(w, Forbidden, add, w.marta, done.id, None, "Too late.")


def test_session_notes_are_rate_limited_per_pair(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "SESSION_NOTES_PER_WINDOW", 2)
    m, other = pair(w), pair(w, w.marta, w.grace)
    add = mentorship.check_add_session_note
    add(w.session, w.ravi, m.id, None, "First session.")
    add(w.session, w.lucas, m.id, None, "Second, from the mentee.")
    err = refused(w, RateLimited, add, w.ravi, m.id, None, "A third within the hour.")
    assert err.message == (
        "You have logged 2 sessions in the last hour. Log the next one in 60 minutes."
    )
    assert (err.field, 3500 < err.retry_after <= 3600) == ("notes", True)
    add(w.session, w.marta, other.id, None, "Another pair has its own limit.")
    for note in w.session.exec(select(SessionNote).where(SessionNote.mentorship_id == m.id)):
        note.created_at -= settings.SESSION_NOTES_WINDOW
        w.session.add(note)
    w.session.commit()
    add(w.session, w.ravi, m.id, None, "An hour later, logging works again.")


# --- dashboard and lists ----------------------------------------------------------------------


def test_dashboard_rows_health_and_next_goal(w: World) -> None:
    fine = pair(w, w.ravi, w.lucas, last_ago=timedelta(days=1))
    stale = pair(w, w.ravi, w.grace, last_ago=timedelta(days=settings.CHECKIN_AFTER_DAYS + 2))
    rescued = pair(w, w.ravi, w.hannah, last_ago=timedelta(days=settings.CHECKIN_AFTER_DAYS + 2))
    waiting = pair(w, w.ravi, w.nadia, w.eng, state="requested")
    old = (utcnow() - timedelta(days=30)).date()
    w.session.add_all(
        [
            BoardCard(mentorship_id=fine.id, title="Done one", column="done", position=0),
            BoardCard(mentorship_id=fine.id, title="Todo first", column="todo", position=0),
            BoardCard(mentorship_id=fine.id, title="Doing first", column="doing", position=0),
            BoardCard(mentorship_id=fine.id, title="Doing second", column="doing", position=1),
            BoardCard(mentorship_id=stale.id, title="Old todo", column="todo", position=0),
            SessionNote(mentorship_id=stale.id, author_id=w.ravi.id, date=old, notes="Long ago"),
            SessionNote(
                mentorship_id=rescued.id, author_id=w.ravi.id, date=utcnow().date(), notes="Today"
            ),
        ]
    )
    w.session.commit()
    rows = mentorship.mentor_dashboard(w.session, w.ravi)
    by_id = {r.id: r for r in rows}
    # running pairings first, those needing a check-in on top; requests after them
    assert [r.id for r in rows][:3] == [stale.id, fine.id, rescued.id]
    assert rows[-1].id == waiting.id
    assert (by_id[fine.id].cards_done, by_id[fine.id].cards_total) == (1, 4)
    assert by_id[fine.id].next_goal == "Doing first"
    assert by_id[stale.id].next_goal == "Old todo" and by_id[stale.id].last_session_on == old
    assert by_id[stale.id].needs_checkin and not by_id[fine.id].needs_checkin
    assert not by_id[rescued.id].needs_checkin  # a recent session counts
    assert by_id[rescued.id].cards_total == 0 and by_id[rescued.id].next_goal == ""
    assert by_id[waiting.id].state_label == "Requested" and not by_id[waiting.id].needs_checkin
    assert all(r.role == "mentor" for r in rows)
    assert mentorship.mentor_dashboard(w.session, w.marta) == []


def test_my_mentorships_on_both_sides(w: World) -> None:
    as_mentee = pair(w, w.ravi, w.marta)
    as_mentor = pair(w, w.marta, w.lucas)
    w.session.add(BoardCard(mentorship_id=as_mentee.id, title="Next", column="todo"))
    w.session.commit()
    rows = {r.id: r for r in mentorship.my_mentorships(w.session, w.marta)}
    assert rows[as_mentee.id].role == "mentee" and rows[as_mentee.id].other_name == "Ravi Iyer"
    assert rows[as_mentee.id].next_goal == "Next"
    assert rows[as_mentor.id].role == "mentor" and rows[as_mentor.id].other_name == "Lucas Moreau"
    assert mentorship.my_mentorships(w.session, w.outsider) == []
    with pytest.raises(Forbidden):
        mentorship.my_mentorships(w.session, None)


def _mentees(w: World, n: int) -> User:
    """A mentor with n mentees, each with cards and a session note, inserted in bulk."""
    mentor = User(
        email=f"m{n}@example.org", display_name=f"Mentor {n}", role="mentor", password_hash="!"
    )
    mentees = [
        User(email=f"n{n}-{i}@example.org", display_name=f"Mentee {i}", password_hash="!")
        for i in range(n)
    ]
    w.session.add_all([mentor, *mentees])
    w.session.flush()
    pairs = [
        Mentorship(
            mentor_id=mentor.id,
            mentee_id=u.id,
            community_id=w.eng.id,
            goals=GOALS,
            state=("active", "paused", "requested")[i % 3],
            started_at=utcnow(),
        )
        for i, u in enumerate(mentees)
    ]
    w.session.add_all(pairs)
    w.session.flush()
    for p in pairs:
        w.session.add_all(
            [
                BoardCard(mentorship_id=p.id, title="A", column="todo", position=0),
                BoardCard(mentorship_id=p.id, title="B", column="doing", position=0),
                BoardCard(mentorship_id=p.id, title="C", column="done", position=0),
                SessionNote(mentorship_id=p.id, author_id=mentor.id, date=date.today(), notes="x"),
            ]
        )
    w.session.commit()
    return mentor


def test_dashboard_query_count_does_not_grow_with_mentees(w: World) -> None:
    few, many = _mentees(w, 5), _mentees(w, 50)
    mentorship.mentor_dashboard(w.session, few)  # warm up (first connection set-up)
    counts = []
    for mentor, n in ((few, 5), (many, 50)):
        w.session.expire_all()
        w.session.refresh(mentor)  # the signed-in actor arrives loaded
        with counting(w.engine) as seen:
            rows = mentorship.mentor_dashboard(w.session, mentor)
        assert len(rows) == n and all(r.cards_total == 3 and r.cards_done == 1 for r in rows)
        assert all(r.next_goal == "B" and r.last_session_on == date.today() for r in rows)
        counts.append(len(seen))
    assert counts[0] == counts[1] == 1
    w.session.refresh(many)
    with counting(w.engine) as seen:
        mentorship.my_mentorships(w.session, many)
    assert len(seen) == 1


def test_board_view_query_count_is_fixed(w: World) -> None:
    m = pair(w)
    for i in range(6):
        card(w, m, f"Card {i}")
    mentorship.check_add_session_note(w.session, w.ravi, m.id, None, "Notes")
    w.session.expire_all()
    w.session.refresh(w.lucas)
    with counting(w.engine) as seen:
        view = mentorship.board(w.session, w.lucas, m.id)
    assert len(view.todo) == 6 and len(view.notes) == 1
    assert len(seen) <= 5


# --- demo data --------------------------------------------------------------------------------


def test_seed_mentorship_is_consistent(session: Session) -> None:
    from cop_app.seed import seed
    from cop_app.seed_mentorship import MENTORS, seed_mentorship

    assert seed(session) is True
    seed_mentorship(session)  # a second call adds nothing
    users = {u.email.split("@")[0]: u for u in session.exec(select(User)).all()}
    profiles = {p.user_id: p for p in session.exec(select(MentorProfile)).all()}
    assert set(profiles) == {users[local].id for local in MENTORS}
    assert all(users[local].role in ("mentor", "admin") for local in MENTORS)
    member = {
        (m.community_id, m.user_id)
        for m in session.exec(select(Membership).where(Membership.status == "active")).all()
    }
    for link in session.exec(select(MentorCommunity)).all():
        assert (link.community_id, link.mentor_id) in member
    pairs = session.exec(select(Mentorship)).all()
    states = [m.state for m in pairs]
    assert {"active", "paused", "completed", "requested"} <= set(states)
    now = utcnow()
    for m in pairs:
        assert (m.community_id, m.mentee_id) in member
        assert m.created_at <= now and m.last_activity_at <= now
        if m.state != "requested":
            assert m.created_at <= m.started_at <= m.last_activity_at
        assert (m.state == "completed") == bool(m.reflection_mentor and m.reflection_mentee)
    for mentor_id, p in profiles.items():
        holding = sum(
            1 for m in pairs if m.mentor_id == mentor_id and m.state in ("active", "paused")
        )
        assert holding <= p.capacity
    cards = session.exec(select(BoardCard)).all()
    for m in pairs:
        mine = [c for c in cards if c.mentorship_id == m.id]
        for column in mentorship.COLUMNS:
            assert sorted(c.position for c in mine if c.column == column) == list(
                range(sum(1 for c in mine if c.column == column))
            )
        assert all(c.updated_at <= m.last_activity_at for c in mine)
    active = [m for m in pairs if m.state == "active"]
    assert any(
        {c.column for c in cards if c.mentorship_id == m.id} == set(mentorship.COLUMNS)
        for m in active
    )
    # every met goal is what the live predicate finds, in the right column, counted once
    met = [c for c in cards if c.met_at is not None]
    assert {c.requirement for c in met} >= {"ask_question", "answer_accepted"}
    for c in met:
        assert c.column == "done" and c.evidence_link.startswith("/c/")
        found = mentorship.REQUIREMENTS[c.requirement].met_by(session, c, None)
        assert found is not None and (found.target_type, found.target_id) == (
            c.evidence_type,
            c.evidence_id,
        )
        assert c.met_at == found.at
    evidence = [(c.mentorship_id, c.evidence_type, c.evidence_id) for c in met]
    assert len(evidence) == len(set(evidence))
    # nothing the demo already did is left unmarked
    for m in active:
        assert mentorship.scan_requirements(session, m.id) == []
    session.rollback()
    # what the mentors see
    dashboards = [mentorship.mentor_dashboard(session, users[local]) for local in MENTORS]
    flagged = [r for rows in dashboards for r in rows if r.needs_checkin]
    assert len(flagged) == 1 and flagged[0].state == "active"
    assert all(r.cards_total for rows in dashboards for r in rows if r.state == "active")
    assert session.exec(select(SessionNote)).first() is not None
    kinds_seen = set(session.exec(select(ActivityEvent.kind)).all())
    assert {"mentorship.requested", "mentorship.accepted", "board.goal_met"} <= kinds_seen
    # the notifications are the app's own: to one of the pair, linking to their board (or,
    # for a request, to the mentorship page)
    pair_of = {m.id: m for m in pairs}
    seeded = session.exec(
        select(Notification).where(col(Notification.kind).startswith("mentorship."))
    ).all()
    assert {n.kind for n in seeded} >= {"mentorship.request", "mentorship.accepted"}
    for n in seeded:
        if n.kind == "mentorship.request":
            assert n.link == routes.MENTORSHIP
            assert any(m.mentor_id == n.user_id for m in pairs)
        else:
            board_id = int(n.link.rstrip("/").rsplit("/", 1)[1])
            assert n.link == routes.board_url(board_id)
            assert n.user_id in (pair_of[board_id].mentor_id, pair_of[board_id].mentee_id)
        assert n.created_at <= now
    # the demo the README promises: Lucas's board in progress with Ravi, Mei's request
    lucas = next(m for m in pairs if m.mentee_id == users["lucas.moreau"].id)
    assert (lucas.mentor_id, lucas.state) == (users["ravi.iyer"].id, "active")
    mei = next(m for m in pairs if m.mentee_id == users["mei.wong"].id)
    assert (mei.mentor_id, mei.state) == (users["nadia.haddad"].id, "requested")
    # the demo threads' counters are untouched
    for t in session.exec(select(Thread)).all():
        assert t.post_count == len(session.exec(select(Post).where(Post.thread_id == t.id)).all())


def test_a_card_added_twice_with_one_key_is_one_card(w: World) -> None:
    m, other = pair(w), pair(w, mentee=w.hannah)
    key = "card-draft-key-0123456789"
    data = clean_card_input("Ask the guild")
    first = mentorship.check_add_card(w.session, w.lucas, m.id, data, client_key=key)
    before = w.row_counts(w.session)
    again = mentorship.check_add_card(w.session, w.lucas, m.id, data, client_key=key)
    assert again.id == first.id and w.row_counts(w.session) == before
    # the mentor's own key is theirs; the same key on another board is refused
    assert mentorship.check_add_card(w.session, w.ravi, m.id, data, client_key=key).id != first.id
    refused(w, Invalid, mentorship.check_add_card, w.ravi, other.id, data, client_key=key)
    refused(w, Invalid, mentorship.check_add_card, w.lucas, m.id, data, client_key="bad key")
