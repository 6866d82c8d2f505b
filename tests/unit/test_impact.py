"""The impact measures against a hand-built fixture whose answers are worked out by hand
below (both databases): ties, empty periods, deleted and hidden content, a suspended member,
an approval-only community with a pending request, and events on the period's UTC edges."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from cop_app.models import (
    ActivityEvent,
    BoardCard,
    Community,
    Endorsement,
    Membership,
    Mentorship,
    Post,
    Resource,
    Reuse,
    SessionNote,
    Thread,
    User,
)
from cop_app.services import contributions, impact
from cop_app.services.errors import Forbidden, Invalid
from cop_app.services.impact import measures
from cop_app.services.impact.period import Period
from cop_app.services.impact.scope import Scope
from tests.factories import make_community, make_user


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    """A UTC time in 2026 (March unless told)."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


# The period: 2 March 00:00 to 16 March 00:00 UTC (two weeks); the previous one 16 Feb - 2 Mar.
P = Period(at(2), at(16))
NOW = at(20)


@dataclass
class World:
    """The fixture: Guild (CoP, open), Circle (CoI, approval-only), and their people."""

    guild: Community
    circle: Community
    steward: User
    alice: User
    bob: User
    carol: User
    fay: User
    t: dict[str, int]

    @property
    def g(self) -> Scope:
        return Scope(f"c{self.guild.id}", (self.guild.id,))


ALL = Scope("all", None)


def _member(
    s: Session, c: Community, u: User, when: datetime, status: str = "active", role: str = "member"
) -> None:
    s.add(Membership(community_id=c.id, user_id=u.id, status=status, role=role, created_at=when))


def _event(s: Session, kind: str, who: User, c: Community, when: datetime, **kw: object) -> None:
    s.add(ActivityEvent(kind=kind, actor_id=who.id, community_id=c.id, created_at=when, **kw))


def _thread(s: Session, c: Community, who: User, when: datetime, kind: str = "discussion", **kw):
    thread = Thread(
        community_id=c.id,
        author_id=who.id,
        kind=kind,
        title=f"T by {who.display_name}",
        created_at=when,
        **kw,
    )
    s.add(thread)
    s.flush()
    opening = Post(
        thread_id=thread.id, number=1, author_id=who.id, body="b", body_html="b", created_at=when
    )
    s.add(opening)
    s.flush()
    return thread, opening


def _reply(s: Session, thread: Thread, number: int, who: User, when: datetime, **kw) -> Post:
    post = Post(
        thread_id=thread.id,
        number=number,
        author_id=who.id,
        body="r",
        body_html="r",
        created_at=when,
        **kw,
    )
    s.add(post)
    s.flush()
    return post


@pytest.fixture
def w(session: Session) -> World:
    steward = make_user(session, display_name="Sam Steward", organisation="Org A")
    alice = make_user(session, display_name="Alice", organisation="Org A")
    bob = make_user(session, display_name="Bob", organisation="Org B")
    carol = make_user(
        session, display_name="Carol", organisation="Org B", suspended_until=at(1, month=4)
    )
    dave = make_user(session, display_name="Dave")
    erin = make_user(session, display_name="Erin")
    fay = make_user(session, display_name="Fay")
    guild = make_community(session, name="Guild", kind="cop")
    circle = make_community(session, name="Circle", kind="coi", visibility="approval")
    jan = at(1, month=1)
    _member(session, guild, steward, jan, role="steward")
    for u in (alice, bob, carol):
        _member(session, guild, u, jan)
    _member(session, guild, fay, at(2))  # joins exactly at the period's start
    _member(session, circle, alice, at(3))
    _member(session, circle, dave, at(4), status="pending")
    _member(session, circle, erin, at(9))
    session.commit()
    # Activity (what "acted" counts).
    _event(session, "thread.created", alice, guild, at(2))  # the first instant: in
    _event(session, "post.created", alice, guild, at(2, 12))  # same day, same person
    # 16 March 00:30 at UTC+1 is 15 March 23:30 UTC: inside.
    _event(
        session,
        "post.created",
        bob,
        guild,
        datetime(2026, 3, 16, 0, 30, tzinfo=timezone(timedelta(hours=1))),
    )
    _event(session, "post.reacted", bob, guild, at(16))  # the end instant: out
    _event(session, "post.created", carol, guild, at(5))  # suspended: not counted
    _event(session, "user.signed_in", steward, guild, at(5))  # not acting
    _event(session, "thread.created", steward, guild, at(20, month=2))  # previous period
    _event(session, "resource.endorsed", alice, circle, at(10))
    _event(session, "post.created", erin, circle, at(11))
    # Threads and posts.
    t1, t1p1 = _thread(session, guild, alice, at(2), "question")
    t1r = _reply(session, t1, 2, bob, at(2, 3))
    _reply(session, t1, 3, steward, at(2, 4), parent_id=t1p1.id)  # same organisation
    t1.accepted_post_id = t1r.id
    _event(
        session,
        "thread.answer_accepted",
        alice,
        guild,
        at(3),
        target_type="thread",
        target_id=t1.id,
    )
    t2, _ = _thread(session, guild, bob, at(9), "question")
    _reply(session, t2, 2, bob, at(9, 1))  # own reply: not a first reply
    _reply(session, t2, 3, alice, at(9, 2), deleted_at=at(9, 3))  # deleted
    t2r = _reply(session, t2, 4, steward, at(9, 10))
    t2.accepted_post_id = t2r.id
    _event(
        session, "thread.answer_accepted", bob, guild, at(12), target_type="thread", target_id=t2.id
    )  # 72 h after asking: late
    t3, _ = _thread(session, guild, steward, at(10))  # no reply
    t4, _ = _thread(session, guild, alice, at(11), hidden=True)
    _reply(session, t4, 2, bob, at(11, 1))
    t5, _ = _thread(session, guild, alice, at(4))
    _reply(session, t5, 2, steward, at(4, 6), hidden=True)  # hidden reply: still unanswered
    t6, _ = _thread(session, guild, bob, at(15, 23), "question")
    _reply(session, t6, 2, alice, at(16, 1))  # after the end, 2 h after asking
    session.commit()
    # Library.
    r1 = Resource(
        community_id=guild.id,
        author_id=alice.id,
        owner_id=alice.id,
        kind="checklist",
        title="Checklist",
        summary="s",
        body="b",
        body_html="b",
        created_at=at(3),
        reuse_count=2,
    )
    r2 = Resource(
        community_id=guild.id,
        author_id=bob.id,
        owner_id=bob.id,
        kind="guide",
        title="Audit guide",
        summary="s",
        body="b",
        body_html="b",
        created_at=at(20, month=2),
        reuse_count=2,
    )
    r3 = Resource(
        community_id=guild.id,
        author_id=bob.id,
        owner_id=bob.id,
        kind="guide",
        title="Answer: sutures",
        summary="s",
        body="b",
        body_html="b",
        created_at=at(5),
        source_thread_id=t1.id,
        reuse_count=1,
    )
    session.add_all([r1, r2, r3])
    session.flush()
    for res, who, when in (
        (r1, bob, at(4)),
        (r1, steward, at(10)),
        (r2, alice, at(10)),
        (r2, bob, at(11)),
        (r3, alice, at(12)),
    ):
        session.add(Reuse(resource_id=res.id, user_id=who.id, created_at=when))
    for res, who, when in (
        (r1, steward, at(6)),
        (r2, alice, at(15, 23, 59, 59)),
        (r1, bob, at(16)),
    ):
        session.add(Endorsement(resource_id=res.id, user_id=who.id, created_at=when))
    # Mentorship.
    m1 = Mentorship(
        mentor_id=steward.id,
        mentee_id=alice.id,
        community_id=guild.id,
        goals="g",
        state="active",
        created_at=at(1),
        started_at=at(3, 12),
        last_activity_at=at(10),
    )
    m2 = Mentorship(
        mentor_id=steward.id,
        mentee_id=bob.id,
        community_id=guild.id,
        goals="g",
        state="active",
        created_at=at(10, month=1),
        started_at=at(12, month=1),
        last_activity_at=at(20, month=2),
    )
    m3 = Mentorship(
        mentor_id=steward.id,
        mentee_id=carol.id,
        community_id=guild.id,
        goals="g",
        state="completed",
        created_at=at(1, month=1),
        started_at=at(5, month=1),
        ended_at=at(28, month=2),
        last_activity_at=at(28, month=2),
    )
    session.add_all([m1, m2, m3])
    session.flush()
    session.add(
        SessionNote(mentorship_id=m2.id, author_id=steward.id, date=date(2026, 2, 25), notes="n")
    )
    for m, kind, met in ((m1, "thread", at(8)), (m2, "resource", at(14)), (m1, "post", at(16))):
        session.add(
            BoardCard(
                mentorship_id=m.id, title="goal", column="done", evidence_type=kind, met_at=met
            )
        )
    # Rows written directly, as an import does: the first contributions are rebuilt from them.
    contributions.rebuild(session)
    session.commit()
    return World(
        guild, circle, steward, alice, bob, carol, fay, {"t1": t1.id, "t3": t3.id, "t5": t5.id}
    )


def test_active_members_per_day_and_week(session: Session, w: World) -> None:
    # Guild members at the end: Sam, Alice, Bob, Fay (Carol is suspended). Acted: Alice
    # (2 March twice, 3 March accepting) and Bob (12 March accepting, 15 March 23:30 UTC);
    # Bob's reaction at the end instant and Sam's sign-in do not count.
    a = measures.activity(session, w.g, P.start, P.end, NOW)
    assert (a.active, a.members) == (2, 4)
    assert a.per_day == [1, 1] + [0] * 8 + [1, 0, 0, 1]
    assert a.per_week == [1, 1]
    # Previous period: Sam's thread on 20 Feb; Fay joined at the start, so 3 members.
    before = measures.activity(session, w.g, P.prev_start, P.start, NOW)
    assert (before.active, before.members) == (1, 3)
    # Everywhere: Erin joins (Circle), Dave's request is pending, so 5 members, 3 active.
    everywhere = measures.activity(session, ALL, P.start, P.end, NOW)
    assert (everywhere.active, everywhere.members) == (3, 5)


def test_conversation_counts_visible_content_only(session: Session, w: World) -> None:
    c = measures.conversation(session, w.g, P.start, P.end)
    # Threads T1, T2, T3, T5, T6 (T4 hidden); questions T1, T2, T6; replies T1#2, T1#3,
    # T2#2, T2#4 (T2#3 deleted, T5#2 hidden, T6#2 after the end).
    assert (c.threads, c.questions, c.replies) == (5, 3, 4)
    assert c.threads_per_week == [2, 3]
    assert c.replies_per_week == [2, 2]
    empty = measures.conversation(session, w.g, at(1, month=1), at(8, month=1))
    assert (empty.threads, empty.replies, empty.threads_per_week) == (0, 0, [0])


def test_responsiveness(session: Session, w: World) -> None:
    r = measures.responsiveness(session, w.g, P.start, P.end)
    # First replies by someone else: T1 3 h, T2 10 h (own and deleted replies skipped),
    # T6 2 h. Nearest rank over [2, 3, 10]: median 3, p90 10.
    assert (r.threads, r.answered) == (5, 3)
    assert (r.median_hours, r.p90_hours) == (3.0, 10.0)
    # T1 accepted after 24 h: in time; T2 after 72 h: late; T6 not accepted.
    assert (r.questions, r.accepted_in_time) == (3, 1)
    # Unanswered: T5 (its only reply is hidden) then T3, oldest first, linked.
    assert r.unanswered == 2
    assert [u.url.rsplit("/", 1)[1] for u in r.oldest_unanswered] == [
        str(w.t["t5"]),
        str(w.t["t3"]),
    ]
    empty = measures.responsiveness(session, w.g, at(1, month=1), at(8, month=1))
    assert (empty.median_hours, empty.p90_hours, empty.unanswered) == (None, None, 0)


def test_knowledge_reuse_with_ties(session: Session, w: World) -> None:
    k = measures.reuse(session, w.g, P.start, P.end)
    # Checklist and the promoted answer were made in the period; Audit guide before it.
    assert (k.resources, k.promoted, k.reuses, k.endorsements) == (2, 1, 5, 2)
    assert k.reuses_per_week == [1, 4]
    assert k.endorsements_per_week == [1, 1]
    # Audit guide and Checklist tie at 2: by title.
    assert k.top_resources == [("Audit guide", 2), ("Checklist", 2), ("Answer: sutures", 1)]
    # Alice: Checklist reused by Bob and Sam; Bob: Audit guide by Alice, sutures by Alice
    # (his own reuse does not count). A tie: by name.
    assert k.top_contributors == [("Alice", 2), ("Bob", 2)]


def test_silo_breaking(session: Session, w: World) -> None:
    s = measures.silos(session, w.g, P.start, P.end, NOW)
    # Active in the Guild: Alice and Bob (Carol suspended); Alice also acted in the Circle.
    assert (s.active, s.multi) == (2, 1)
    # Replies to someone else: T1#2 Bob (B) to Alice (A), T1#3 Sam (A) to Alice (A),
    # T2#4 Sam (A) to Bob (B): 3 replies, 2 across organisations.
    assert (s.replies, s.cross_org) == (3, 2)
    # The Guild shares Alice with the Circle (Dave's request is pending).
    assert s.shared == [("Guild", "Circle", 1)]


def test_growth_path(session: Session, w: World) -> None:
    g = measures.growth(session, w.g, P.start, P.end, NOW)
    # At the end: Fay reader, Alice contributor (a resource), Bob practitioner (an accepted
    # answer and two reused resources), Sam mentor (active mentees since January).
    assert g.funnel == [("Guild", [1, 0, 1, 1, 1])]
    # Alice rose from reader, Bob from contributor; Sam stayed mentor; Fay only joined.
    assert g.moved_up == 2
    everywhere = measures.growth(session, ALL, P.start, P.end, NOW)
    # Circle members Alice and Erin; Alice acted in the Guild (a CoP) for the first time.
    assert (everywhere.coi_members, everywhere.coi_to_cop) == (2, 1)


def test_mentorship(session: Session, w: World) -> None:
    m = measures.mentoring(session, w.g, P.start, P.end)
    # M1 and M2 ran in the period (M3 ended before it); goals met on 8 and 14 March (the
    # one met at the end instant is out), a tie ordered by kind; M2 quiet since 20 Feb;
    # M1 accepted 60 h after the request.
    assert m.active_pairs == 2
    assert (m.goals_met, m.goals_by_artifact) == (2, [("resource", 1), ("thread", 1)])
    assert m.needs_checkin == 1
    assert (m.accepted, m.median_accept_hours) == (1, 60.0)
    mine = measures.mentoring(session, Scope("mentees", None, w.steward.id), P.start, P.end)
    assert mine.active_pairs == 2
    theirs = measures.mentoring(session, Scope("mentees", None, w.alice.id), P.start, P.end)
    assert (theirs.active_pairs, theirs.goals_met) == (0, 0)


def test_retention_cohorts(session: Session, w: World) -> None:
    # Everywhere: Erin first joined on 9 March (week 1) and acted on 11 March; week 2 is past
    # the period. Fay joined in week 0 and never acted.
    r = measures.retention(session, ALL, P.start, P.end, NOW)
    assert r.cohorts == [(at(2), 1, [0.0, 0.0]), (at(9), 1, [1.0, None])]


def test_dashboard_and_csv_show_the_same_numbers(session: Session, w: World) -> None:
    board = impact.compute(session, w.g, P, NOW)
    assert [s.key for s in board.sections] == [
        "active",
        "conversation",
        "responsiveness",
        "reuse",
        "silos",
        "growth",
        "mentorship",
        "retention",
    ]
    active = board.sections[0]
    assert [(f.label, f.value, f.previous, f.change) for f in active.figures] == [
        ("Active members", "2", "1", "+1"),
        ("Share of members", "50.0%", "33.3%", "+16.7 pts"),
        ("Members", "4", "3", "+1"),
    ]
    text = impact.to_csv(active, P.label)
    lines = text.splitlines()
    assert lines[0] == "Active members,2026-03-02 to 2026-03-15 (UTC)"
    assert lines[2:5] == [
        "Active members,2,1,+1",
        "Share of members,50.0%,33.3%,+16.7 pts",
        "Members,4,3,+1",
    ]
    assert lines[-2:] == ["2026-03-02,1,25.0%", "2026-03-09,1,25.0%"]
    mentor = impact.compute(session, Scope("mentees", None, w.steward.id), P, NOW)
    assert [s.key for s in mentor.sections] == ["mentorship"]


def test_who_may_see_which_view(session: Session, w: World) -> None:
    admin = make_user(session, role="admin")
    session.add(Membership(community_id=w.circle.id, user_id=w.fay.id, role="steward"))
    session.commit()
    assert impact.access_view(session, admin, "all").community_ids is None
    assert impact.access_view(session, w.fay, f"c{w.circle.id}").community_ids == (w.circle.id,)
    for view in ("all", f"c{w.guild.id}", "mentees"):
        with pytest.raises(Forbidden):
            impact.access_view(session, w.fay, view)
    with pytest.raises(Invalid):
        impact.access_view(session, w.fay, "c1; drop")
    assert [o["id"] for o in impact.options(session, w.fay)] == [f"c{w.circle.id}"]
    with pytest.raises(Forbidden):
        impact.options(session, w.bob)
    # A room id names its view and period; another steward's or mentor's room is refused.
    ident = impact.check_open(
        session, w.fay, f"c{w.circle.id}", "custom", "2026-03-02", "2026-03-15"
    )
    scope, period = impact.access_room(session, w.fay, ident, NOW)
    assert (scope.community_ids, period) == ((w.circle.id,), P)
    with pytest.raises(Forbidden):
        impact.access_room(session, w.alice, ident, NOW)
    sam = impact.check_open(session, w.steward, "mentees", "30")
    with pytest.raises(Forbidden):
        impact.access_room(session, admin, sam, NOW)
    with pytest.raises(Invalid):
        impact.check_open(session, w.fay, f"c{w.circle.id}", "custom", "2026-03-15", "2026-03-01")


def test_the_demo_tells_a_story(session: Session) -> None:
    """On first run, 90 days: the guild grows, the circle stalls with unanswered questions,
    an early cohort stays, and the activity spans at least twelve weeks."""
    from sqlalchemy import func
    from sqlmodel import select

    from cop_app.models.base import utcnow
    from cop_app.seed import seed

    assert seed(session) is True
    now = utcnow()
    period = impact.periods.last_days(90, now)
    ids = {c.slug: c.id for c in session.exec(select(Community)).all()}
    guild = Scope("g", (ids["engineering-craft"],))
    circle = Scope("c", (ids["science-teaching-circle"],))
    weekly = measures.conversation(session, guild, period.start, period.end).threads_per_week
    assert sum(weekly[:6]) < sum(weekly[6:])
    slow = measures.responsiveness(session, circle, period.start, period.end)
    fast = measures.responsiveness(session, guild, period.start, period.end)
    assert slow.unanswered >= 3 and slow.median_hours > 2 * fast.median_hours
    cohorts = measures.retention(session, ALL, period.start, period.end, now).cohorts
    assert any(size >= 5 and (shares[-1] or 0) >= 0.5 for _, size, shares in cohorts)
    first, last = session.exec(
        select(func.min(ActivityEvent.created_at), func.max(ActivityEvent.created_at))
    ).one()
    assert last - first >= timedelta(weeks=12)
