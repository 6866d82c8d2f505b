"""The eight measures, each computed in SQL from the content and activity tables for one
scope and one period [start, end). Every function returns plain numbers (tests check them
against hand-worked answers); services/impact/dashboard.py turns them into what is shown.
Measures 6 to 8 live in people.py and are re-exported here.

Common rules: hidden threads, hidden or deleted posts do not count as conversation; only
active memberships make members (a pending request to an approval-only community does not);
suspended accounts are left out of member counts; times are UTC.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import (
    ActivityEvent,
    Community,
    Endorsement,
    Membership,
    Post,
    Resource,
    Reuse,
    Thread,
    User,
)
from cop_app.services import settings
from cop_app.services.impact.people import (
    Growth,
    Mentoring,
    Retention,
    StageMemo,
    growth,
    mentoring,
    retention,
    stage_memo,
)
from cop_app.services.impact.scope import Scope
from cop_app.services.impact.sql import (
    DAY,
    WEEK,
    acted,
    as_utc,
    bucket,
    flag,
    in_scope,
    members,
    nearest_rank,
    not_suspended,
    run,
    visible_post,
    visible_thread,
)


@dataclass
class Activity:
    """Measure 1: who acted, as a share of members; per day and per week."""

    active: int
    members: int
    per_day: list[int]
    per_week: list[int]


def activity(
    session: Session,
    scope: Scope,
    start: datetime,
    end: datetime,
    now: datetime,
    series: bool = True,
):
    """Distinct members who acted in [start, end), members at `end`, and the daily and
    weekly counts of distinct members who acted (empty without `series`: the dashboard
    shows the previous period's totals only)."""
    who = members(scope, end, now)
    # `actor_id + 0`: filter the period's rows by membership, rather than walk the actor
    # index (every member's whole history).
    base = [*acted(scope, start, end), (col(ActivityEvent.actor_id) + 0).in_(who)]
    active = run(
        session, select(func.count(func.distinct(ActivityEvent.actor_id))).where(*base)
    ).one()
    total = run(session, select(func.count()).select_from(who.subquery())).one()
    if not series:
        return Activity(active, total, [], [])
    days = (end - start).days
    weeks = -(-days // 7)
    per_day, per_week = [0] * days, [0] * weeks
    for values, seconds in ((per_day, DAY), (per_week, WEEK)):
        step = bucket(session, ActivityEvent.created_at, start, seconds).label("b")
        for b, n in run(
            session,
            select(step, func.count(func.distinct(ActivityEvent.actor_id)))
            .where(*base)
            .group_by(step),
        ).all():
            if 0 <= b < len(values):
                values[b] = n
    return Activity(active, total, per_day, per_week)


@dataclass
class Conversation:
    """Measure 2: threads, replies and questions started in the period, and per week."""

    threads: int
    replies: int
    questions: int
    threads_per_week: list[int]
    replies_per_week: list[int]


def conversation(session: Session, scope: Scope, start: datetime, end: datetime):
    """Visible threads and questions started, visible replies written, in [start, end)."""
    weeks = -(-(end - start).days // 7)
    in_period = and_(Thread.created_at >= start, Thread.created_at < end, visible_thread(scope))
    tb = bucket(session, Thread.created_at, start, WEEK).label("b")
    threads_pw, replies_pw = [0] * weeks, [0] * weeks
    questions = 0
    for b, kind, n in run(
        session, select(tb, Thread.kind, func.count()).where(in_period).group_by(tb, Thread.kind)
    ).all():
        threads_pw[b] += n
        questions += n if kind == "question" else 0
    pb = bucket(session, Post.created_at, start, WEEK).label("b")
    for b, n in run(
        session,
        select(pb, func.count())
        .select_from(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.number > 1,
            Post.created_at >= start,
            Post.created_at < end,
            visible_post(),
            visible_thread(scope),
        )
        .group_by(pb),
    ).all():
        replies_pw[b] = n
    return Conversation(sum(threads_pw), sum(replies_pw), questions, threads_pw, replies_pw)


@dataclass
class Unanswered:
    """One thread nobody else has replied to yet (a steward's to-do)."""

    title: str
    community: str
    url: str
    created_at: datetime


@dataclass
class Responsiveness:
    """Measure 3: time to first reply, questions accepted within 48 h, unanswered threads."""

    threads: int
    answered: int
    median_hours: float | None
    p90_hours: float | None
    questions: int
    accepted_in_time: int
    unanswered: int
    oldest_unanswered: list[Unanswered] = field(default_factory=list)


def _first_reply():
    """The first visible reply by someone other than its author, per thread (correlated:
    each thread of the period reads only its own posts through the (thread, number) key)."""
    return (
        select(func.min(Post.created_at))
        .where(
            Post.thread_id == Thread.id,
            Post.number > 1,
            visible_post(),
            Post.author_id != Thread.author_id,
        )
        .correlate(Thread)
        .scalar_subquery()
    )


def responsiveness(session: Session, scope: Scope, start: datetime, end: datetime):
    """Over visible threads started in [start, end): hours to the first reply by someone
    else (nearest-rank median and p90), questions whose answer was accepted within 48 hours
    of asking (and is still accepted), and the unanswered ones, oldest first."""
    accepted = (
        select(ActivityEvent.target_id, func.min(ActivityEvent.created_at).label("at"))
        .where(
            # An answer to a question of the period is accepted after the period starts: the
            # time index bounds the read to the period's events, not the whole history.
            col(ActivityEvent.kind).concat("") == "thread.answer_accepted",
            ActivityEvent.target_type == "thread",
            ActivityEvent.created_at >= start,
        )
        .group_by(ActivityEvent.target_id)
        .subquery()
    )
    # One read of the period's threads serves every figure (it used to be four).
    rows = run(
        session,
        select(
            Thread.id,
            Thread.title,
            Thread.created_at,
            Thread.kind,
            Thread.accepted_post_id,
            Community.name,
            Community.slug,
            _first_reply().label("first"),
            accepted.c.at,
        )
        .join(Community, Community.id == Thread.community_id)
        .join(accepted, accepted.c.target_id == Thread.id, isouter=True)
        .where(Thread.created_at >= start, Thread.created_at < end, visible_thread(scope)),
    ).all()
    waits = sorted(
        (as_utc(r.first) - as_utc(r.created_at)).total_seconds() / 3600
        for r in rows
        if r.first is not None
    )
    questions = [r for r in rows if r.kind == "question"]
    in_time = sum(
        1
        for r in questions
        if r.accepted_post_id
        and r.at is not None
        and as_utc(r.at) - as_utc(r.created_at) <= settings.IMPACT_ACCEPTED_WITHIN
    )
    open_rows = sorted(
        (r for r in rows if r.first is None), key=lambda r: (as_utc(r.created_at), r.id)
    )
    oldest = [
        Unanswered(r.title, r.name, routes.thread_url(r.slug, r.id), as_utc(r.created_at))
        for r in open_rows[: settings.IMPACT_LIST_SIZE]
    ]
    return Responsiveness(
        threads=len(rows),
        answered=len(waits),
        median_hours=nearest_rank(waits, 0.5),
        p90_hours=nearest_rank(waits, 0.9),
        questions=len(questions),
        accepted_in_time=in_time,
        unanswered=len(open_rows),
        oldest_unanswered=oldest,
    )


@dataclass
class Knowledge:
    """Measure 4: the library's figures in the period, and who and what was reused."""

    resources: int
    reuses: int
    endorsements: int
    promoted: int
    reuses_per_week: list[int]
    endorsements_per_week: list[int]
    top_resources: list[tuple[str, int]]
    top_contributors: list[tuple[str, int]]


def reuse(session: Session, scope: Scope, start: datetime, end: datetime) -> Knowledge:
    """Resources published (and answers promoted), reuse events and endorsements in
    [start, end); top reused resources (ties by title) and top authors by others' reuse."""
    weeks = -(-(end - start).days // 7)
    made = and_(
        Resource.created_at >= start,
        Resource.created_at < end,
        in_scope(Resource.community_id, scope),
    )
    resources, promoted = run(
        session,
        select(
            func.count(),
            func.count(Resource.source_thread_id),
        ).where(made),
    ).one()
    series: dict[str, list[int]] = {}
    for name, table in (("reuse", Reuse), ("endorse", Endorsement)):
        b = bucket(session, table.created_at, start, WEEK).label("b")
        values = [0] * weeks
        for k, n in run(
            session,
            select(b, func.count())
            .select_from(table)
            .join(Resource, Resource.id == table.resource_id)
            .where(
                table.created_at >= start,
                table.created_at < end,
                in_scope(Resource.community_id, scope),
            )
            .group_by(b),
        ).all():
            values[k] = n
        series[name] = values
    in_period = and_(
        Reuse.created_at >= start, Reuse.created_at < end, in_scope(Resource.community_id, scope)
    )
    n = func.count().label("n")
    top_resources = run(
        session,
        select(Resource.title, n)
        .select_from(Reuse)
        .join(Resource, Resource.id == Reuse.resource_id)
        .where(in_period)
        .group_by(Resource.id, Resource.title)
        .order_by(n.desc(), col(Resource.title), col(Resource.id))
        .limit(settings.IMPACT_LIST_SIZE),
    ).all()
    top_people = run(
        session,
        select(User.display_name, n)
        .select_from(Reuse)
        .join(Resource, Resource.id == Reuse.resource_id)
        .join(User, User.id == Resource.author_id)
        .where(in_period, Reuse.user_id != Resource.author_id)
        .group_by(User.id, User.display_name)
        .order_by(n.desc(), col(User.display_name), col(User.id))
        .limit(settings.IMPACT_LIST_SIZE),
    ).all()
    return Knowledge(
        resources=resources,
        reuses=sum(series["reuse"]),
        endorsements=sum(series["endorse"]),
        promoted=promoted,
        reuses_per_week=series["reuse"],
        endorsements_per_week=series["endorse"],
        top_resources=[(t, c) for t, c in top_resources],
        top_contributors=[(t, c) for t, c in top_people],
    )


@dataclass
class Silos:
    """Measure 5: members acting in several communities, cross-organisation replies, and
    which communities share members."""

    active: int
    multi: int
    replies: int
    cross_org: int
    shared: list[tuple[str, str, int]]


# Aliases made once: building one (and adapting its columns on first use) cost more than
# the queries that use them.
_M1, _M2 = aliased(Membership), aliased(Membership)
_C1, _C2 = aliased(Community), aliased(Community)
_PARENT, _AUTHOR, _OTHER = aliased(Post), aliased(User), aliased(User)


def _shared(session: Session, scope: Scope) -> list[tuple[str, str, int]]:
    """Members each pair of communities shares today (the scope's communities first)."""
    m1, m2, c1, c2 = _M1, _M2, _C1, _C2
    pair = m1.community_id < m2.community_id
    if scope.community_ids is not None:
        pair = and_(
            col(m1.community_id).in_(scope.community_ids), m2.community_id != m1.community_id
        )
    shared_n = func.count().label("n")
    rows = run(
        session,
        select(c1.name, c2.name, shared_n)
        .select_from(m1)
        .join(m2, and_(m2.user_id == m1.user_id, pair))
        .join(c1, c1.id == m1.community_id)
        .join(c2, c2.id == m2.community_id)
        .where(m1.status == "active", m2.status == "active")
        .group_by(c1.id, c1.name, c2.id, c2.name)
        .order_by(shared_n.desc(), col(c1.name), col(c2.name)),
    ).all()
    return [(a, b, n) for a, b, n in rows]


def silos(
    session: Session,
    scope: Scope,
    start: datetime,
    end: datetime,
    now: datetime,
    shared: list[tuple[str, str, int]] | None = None,
):
    """Of members who acted in the scope in [start, end), those who acted in two or more
    communities (anywhere); visible replies whose author's organisation differs from the
    organisation of the person replied to (the parent post's author, else the thread's);
    members shared by each pair of communities (active memberships today: the same for
    every period, so the dashboard passes the current period's `shared` to the previous)."""
    everywhere = Scope("all", None)
    active_ids = set(
        run(
            session,
            select(ActivityEvent.actor_id)
            .join(User, User.id == ActivityEvent.actor_id)
            .where(*acted(scope, start, end), not_suspended(now))
            .distinct(),
        ).all()
    )
    # Two scans of the period, intersected here: an IN over the first inside the second
    # made SQLite walk the actor index once per active member.
    multi_ids = set(
        run(
            session,
            select(ActivityEvent.actor_id)
            .where(*acted(everywhere, start, end))
            .group_by(ActivityEvent.actor_id)
            .having(func.count(func.distinct(ActivityEvent.community_id)) >= 2),
        ).all()
    )
    active, multi = len(active_ids), len(active_ids & multi_ids)
    parent, author, other = _PARENT, _AUTHOR, _OTHER
    target_author = func.coalesce(parent.author_id, Thread.author_id)
    org_differs = and_(
        author.organisation != "",
        other.organisation != "",
        author.organisation != other.organisation,
    )
    replies, cross = run(
        session,
        select(func.count(), func.coalesce(func.sum(flag(org_differs)), 0))
        .select_from(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .join(parent, parent.id == Post.parent_id, isouter=True)
        .join(author, author.id == Post.author_id)
        .join(other, other.id == target_author)
        .where(
            Post.number > 1,
            Post.created_at >= start,
            Post.created_at < end,
            visible_post(),
            visible_thread(scope),
            Post.author_id != target_author,
        ),
    ).one()
    if shared is None:
        shared = _shared(session, scope)
    return Silos(active, multi, replies, int(cross), shared)


__all__ = [
    "Activity",
    "Conversation",
    "Growth",
    "Knowledge",
    "Mentoring",
    "Responsiveness",
    "Retention",
    "Silos",
    "StageMemo",
    "Unanswered",
    "activity",
    "conversation",
    "growth",
    "mentoring",
    "responsiveness",
    "retention",
    "reuse",
    "silos",
    "stage_memo",
]
