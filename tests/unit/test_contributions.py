"""First contributions (the growth path's aggregate) stay exactly what the posts say through
every write that changes what counts: reactions, accepted answers, hides, removals,
deletions; a suspension leaves them be and the growth path still leaves the person out."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from cop_app.models import Community, FirstContribution, Post, Thread, User
from cop_app.services import contributions, discussions
from cop_app.services.discussions.threads import ThreadInput
from cop_app.services.impact import measures
from cop_app.services.impact.scope import Scope
from cop_app.services.moderation.targets import TARGETS
from tests.factories import add_member, make_community, make_user

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _firsts(session: Session) -> dict[tuple[int, int], datetime]:
    """The aggregate as it stands, checked against one rebuilt from the posts."""
    session.flush()
    kept = {
        (r.community_id, r.user_id): r.created_at.replace(tzinfo=None)
        for r in session.exec(select(FirstContribution)).all()
    }
    contributions.rebuild(session)
    rebuilt = {
        (r.community_id, r.user_id): r.created_at.replace(tzinfo=None)
        for r in session.exec(select(FirstContribution)).all()
    }
    assert kept == rebuilt
    return kept


def _world(session: Session) -> tuple[Community, User, User, User, Thread, Post, Post]:
    """Ann asks; Ben replies twice (hours 1 and 2); Cat is there to react."""
    c = make_community(session, name="Forge", kind="cop")
    ann, ben, cat = (make_user(session, display_name=n) for n in ("Ann", "Ben", "Cat"))
    for u in (ann, ben, cat):
        membership = add_member(session, c, u)
        membership.created_at = T0 - timedelta(days=10)
        session.add(membership)
    thread = discussions.do_create_thread(
        session, c, ann, ThreadInput("question", "How?", "body", ""), now=T0
    )
    first = discussions.do_post_reply(session, thread, ben, "one", now=T0 + timedelta(hours=1))
    second = discussions.do_post_reply(session, thread, ben, "two", now=T0 + timedelta(hours=2))
    session.commit()
    return c, ann, ben, cat, thread, first, second


def _at(hours: int) -> datetime:
    return (T0 + timedelta(hours=hours)).replace(tzinfo=None)


def test_reactions_and_accepted_answers_move_the_first_contribution(session: Session) -> None:
    c, ann, ben, cat, thread, first, second = _world(session)
    key = (c.id, ben.id)
    assert _firsts(session) == {}  # bare replies do not count
    discussions.do_toggle_reaction(session, second, thread, cat, "helpful")
    assert _firsts(session) == {key: _at(2)}
    discussions.do_accept_answer(session, thread, ann, first)
    assert _firsts(session) == {key: _at(1)}
    discussions.do_toggle_reaction(session, second, thread, cat, "helpful")  # taken back
    assert _firsts(session) == {key: _at(1)}
    discussions.do_accept_answer(session, thread, ann, None)  # cleared
    assert _firsts(session) == {}
    own = discussions.do_post_reply(session, thread, ann, "mine", now=T0 + timedelta(hours=3))
    discussions.do_accept_answer(session, thread, ann, own)  # one's own: not a contribution
    assert _firsts(session) == {}
    session.commit()


def test_hides_removals_and_deletions_take_it_away(session: Session) -> None:
    c, _ann, ben, cat, thread, first, second = _world(session)
    key = (c.id, ben.id)
    discussions.do_toggle_reaction(session, first, thread, cat, "thanks")
    discussions.do_toggle_reaction(session, second, thread, cat, "insightful")
    assert _firsts(session) == {key: _at(1)}
    TARGETS["post"].set_hidden(session, first.id, True)
    assert _firsts(session) == {key: _at(2)}
    TARGETS["post"].set_hidden(session, first.id, False)
    assert _firsts(session) == {key: _at(1)}
    TARGETS["thread"].set_hidden(session, thread.id, True)
    assert _firsts(session) == {}
    TARGETS["thread"].set_hidden(session, thread.id, False)
    assert _firsts(session) == {key: _at(1)}
    discussions.do_delete_post(session, first, thread, ben)
    assert _firsts(session) == {key: _at(2)}
    TARGETS["post"].remove(session, second.id, T0 + timedelta(days=1))
    assert _firsts(session) == {}
    session.commit()


def test_growth_reads_it_and_a_suspension_still_leaves_the_person_out(session: Session) -> None:
    c, _ann, ben, cat, thread, first, _second = _world(session)
    discussions.do_toggle_reaction(session, first, thread, cat, "helpful")
    session.commit()
    scope = Scope(f"c{c.id}", (c.id,))
    start, end, now = T0 - timedelta(days=1), T0 + timedelta(days=1), T0 + timedelta(days=2)
    # Members since before the period: Ann asked and Ben contributed in it (both rose from
    # reader), Cat only reads.
    g = measures.growth(session, scope, start, end, now)
    assert g.funnel == [("Forge", [1, 1, 1, 0, 0])]
    assert g.moved_up == 2
    ben.suspended_until = now + timedelta(days=30)
    session.add(ben)
    session.commit()
    assert _firsts(session) == {(c.id, ben.id): _at(1)}  # kept: his posts still count
    g = measures.growth(session, scope, start, end, now)
    assert g.funnel == [("Forge", [1, 1, 0, 0, 0])]  # but he is left out while suspended
    assert g.moved_up == 1
