"""The eight measures, each computed in SQL from the content and activity tables for one
scope and one period [start, end). Every function returns plain numbers (tests check them
against hand-worked answers); services/impact/dashboard.py turns them into what is shown.

Common rules: hidden threads, hidden or deleted posts do not count as conversation; only
active memberships make members (a pending request to an approval-only community does not);
suspended accounts are left out of member counts; times are UTC.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cop_app import routes
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
from cop_app.services import settings, stages
from cop_app.services.impact.scope import Scope
from cop_app.services.impact.sql import (
    ACTED_KINDS,
    DAY,
    WEEK,
    acted,
    bucket,
    in_scope,
    members,
    nearest_rank,
    not_suspended,
)


@dataclass
class Activity:
    """Measure 1: who acted, as a share of members; per day and per week."""

    active: int
    members: int
    per_day: list[int]
    per_week: list[int]


def activity(session: Session, scope: Scope, start: datetime, end: datetime, now: datetime):
    """Distinct members who acted in [start, end), members at `end`, and the daily and
    weekly counts of distinct members who acted."""
    who = members(scope, end, now)
    # `actor_id + 0`: filter the period's rows by membership, rather than walk the actor
    # index (every member's whole history).
    base = [*acted(scope, start, end), (col(ActivityEvent.actor_id) + 0).in_(who)]
    active = session.exec(
        select(func.count(func.distinct(ActivityEvent.actor_id))).where(*base)
    ).one()
    total = session.exec(select(func.count()).select_from(who.subquery())).one()
    days = (end - start).days
    weeks = -(-days // 7)
    per_day, per_week = [0] * days, [0] * weeks
    for series, seconds in ((per_day, DAY), (per_week, WEEK)):
        step = bucket(session, ActivityEvent.created_at, start, seconds).label("b")
        for b, n in session.exec(
            select(step, func.count(func.distinct(ActivityEvent.actor_id)))
            .where(*base)
            .group_by(step)
        ).all():
            if 0 <= b < len(series):
                series[b] = n
    return Activity(active, total, per_day, per_week)


def _visible_thread(scope: Scope):
    return and_(col(Thread.hidden).is_(False), in_scope(Thread.community_id, scope))


def _visible_post():
    return and_(col(Post.hidden).is_(False), col(Post.deleted_at).is_(None))


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
    in_period = and_(Thread.created_at >= start, Thread.created_at < end, _visible_thread(scope))
    tb = bucket(session, Thread.created_at, start, WEEK).label("b")
    threads_pw, replies_pw = [0] * weeks, [0] * weeks
    questions = 0
    for b, kind, n in session.exec(
        select(tb, Thread.kind, func.count()).where(in_period).group_by(tb, Thread.kind)
    ).all():
        threads_pw[b] += n
        questions += n if kind == "question" else 0
    pb = bucket(session, Post.created_at, start, WEEK).label("b")
    for b, n in session.exec(
        select(pb, func.count())
        .select_from(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Post.number > 1,
            Post.created_at >= start,
            Post.created_at < end,
            _visible_post(),
            _visible_thread(scope),
        )
        .group_by(pb)
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


def _first_replies(scope: Scope, start: datetime, end: datetime):
    """First visible reply by someone other than its author, for each visible thread
    started in [start, end) (only those threads' posts are read)."""
    return (
        select(Post.thread_id, func.min(Post.created_at).label("first"))
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Thread.created_at >= start,
            Thread.created_at < end,
            _visible_thread(scope),
            Post.number > 1,
            _visible_post(),
            Post.author_id != Thread.author_id,
        )
        .group_by(Post.thread_id)
        .subquery()
    )


def responsiveness(session: Session, scope: Scope, start: datetime, end: datetime):
    """Over visible threads started in [start, end): hours to the first reply by someone
    else (nearest-rank median and p90), questions whose answer was accepted within 48 hours
    of asking (and is still accepted), and the unanswered ones, oldest first."""
    first = _first_replies(scope, start, end)
    rows = session.exec(
        select(Thread.created_at, first.c.first)
        .join(first, first.c.thread_id == Thread.id, isouter=True)
        .where(Thread.created_at >= start, Thread.created_at < end, _visible_thread(scope))
    ).all()
    waits = sorted((_utc(f) - _utc(c)).total_seconds() / 3600 for c, f in rows if f is not None)
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
    questions = session.exec(
        select(Thread.created_at, Thread.accepted_post_id, accepted.c.at)
        .join(accepted, accepted.c.target_id == Thread.id, isouter=True)
        .where(
            Thread.kind == "question",
            Thread.created_at >= start,
            Thread.created_at < end,
            _visible_thread(scope),
        )
    ).all()
    in_time = sum(
        1
        for created, post_id, at in questions
        if post_id
        and at is not None
        and _utc(at) - _utc(created) <= settings.IMPACT_ACCEPTED_WITHIN
    )
    open_rows = session.exec(
        select(Thread.id, Thread.title, Thread.created_at, Community.name, Community.slug)
        .join(Community, Community.id == Thread.community_id)
        .join(first, first.c.thread_id == Thread.id, isouter=True)
        .where(
            col(first.c.first).is_(None),
            Thread.created_at >= start,
            Thread.created_at < end,
            _visible_thread(scope),
        )
        .order_by(col(Thread.created_at), col(Thread.id))
    ).all()
    oldest = [
        Unanswered(title, cname, routes.thread_url(slug, tid), _utc(created))
        for tid, title, created, cname, slug in open_rows[: settings.IMPACT_LIST_SIZE]
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


def _utc(value: object) -> datetime:
    """A timestamp from an aggregate (SQLite returns MIN() as text), aware in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
    resources, promoted = session.exec(
        select(
            func.count(),
            func.count(Resource.source_thread_id),
        ).where(made)
    ).one()
    series: dict[str, list[int]] = {}
    for name, table in (("reuse", Reuse), ("endorse", Endorsement)):
        b = bucket(session, table.created_at, start, WEEK).label("b")
        values = [0] * weeks
        for k, n in session.exec(
            select(b, func.count())
            .select_from(table)
            .join(Resource, Resource.id == table.resource_id)
            .where(
                table.created_at >= start,
                table.created_at < end,
                in_scope(Resource.community_id, scope),
            )
            .group_by(b)
        ).all():
            values[k] = n
        series[name] = values
    in_period = and_(
        Reuse.created_at >= start, Reuse.created_at < end, in_scope(Resource.community_id, scope)
    )
    n = func.count().label("n")
    top_resources = session.exec(
        select(Resource.title, n)
        .select_from(Reuse)
        .join(Resource, Resource.id == Reuse.resource_id)
        .where(in_period)
        .group_by(Resource.id, Resource.title)
        .order_by(n.desc(), col(Resource.title), col(Resource.id))
        .limit(settings.IMPACT_LIST_SIZE)
    ).all()
    top_people = session.exec(
        select(User.display_name, n)
        .select_from(Reuse)
        .join(Resource, Resource.id == Reuse.resource_id)
        .join(User, User.id == Resource.author_id)
        .where(in_period, Reuse.user_id != Resource.author_id)
        .group_by(User.id, User.display_name)
        .order_by(n.desc(), col(User.display_name), col(User.id))
        .limit(settings.IMPACT_LIST_SIZE)
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


def silos(session: Session, scope: Scope, start: datetime, end: datetime, now: datetime):
    """Of members who acted in the scope in [start, end), those who acted in two or more
    communities (anywhere); visible replies whose author's organisation differs from the
    organisation of the person replied to (the parent post's author, else the thread's);
    members shared by each pair of communities (active memberships today)."""
    everywhere = Scope("all", None)
    active_ids = set(
        session.exec(
            select(ActivityEvent.actor_id)
            .join(User, User.id == ActivityEvent.actor_id)
            .where(*acted(scope, start, end), not_suspended(now))
            .distinct()
        ).all()
    )
    # Two scans of the period, intersected here: an IN over the first inside the second
    # made SQLite walk the actor index once per active member.
    multi_ids = set(
        session.exec(
            select(ActivityEvent.actor_id)
            .where(*acted(everywhere, start, end))
            .group_by(ActivityEvent.actor_id)
            .having(func.count(func.distinct(ActivityEvent.community_id)) >= 2)
        ).all()
    )
    active, multi = len(active_ids), len(active_ids & multi_ids)
    parent = aliased(Post)
    author = aliased(User)
    other = aliased(User)
    target_author = func.coalesce(parent.author_id, Thread.author_id)
    org_differs = and_(
        author.organisation != "",
        other.organisation != "",
        author.organisation != other.organisation,
    )
    replies, cross = session.exec(
        select(func.count(), func.coalesce(func.sum(_flag(org_differs)), 0))
        .select_from(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .join(parent, parent.id == Post.parent_id, isouter=True)
        .join(author, author.id == Post.author_id)
        .join(other, other.id == target_author)
        .where(
            Post.number > 1,
            Post.created_at >= start,
            Post.created_at < end,
            _visible_post(),
            _visible_thread(scope),
            Post.author_id != target_author,
        )
    ).one()
    m1, m2 = aliased(Membership), aliased(Membership)
    c1, c2 = aliased(Community), aliased(Community)
    pair = m1.community_id < m2.community_id
    if scope.community_ids is not None:
        pair = and_(
            col(m1.community_id).in_(scope.community_ids), m2.community_id != m1.community_id
        )
    shared_n = func.count().label("n")
    shared = session.exec(
        select(c1.name, c2.name, shared_n)
        .select_from(m1)
        .join(m2, and_(m2.user_id == m1.user_id, pair))
        .join(c1, c1.id == m1.community_id)
        .join(c2, c2.id == m2.community_id)
        .where(m1.status == "active", m2.status == "active")
        .group_by(c1.id, c1.name, c2.id, c2.name)
        .order_by(shared_n.desc(), col(c1.name), col(c2.name))
    ).all()
    return Silos(active, multi, replies, int(cross), [(a, b, n) for a, b, n in shared])


def _flag(condition):
    """1 where the condition holds, else 0 (to SUM)."""
    return case((condition, 1), else_=0)


@dataclass
class Growth:
    """Measure 6: members per stage per community at the period's end, members whose stage
    rose during it, and Community-of-Interest members who became active in a CoP."""

    funnel: list[tuple[str, list[int]]]  # community name, counts reader..mentor
    moved_up: int
    coi_members: int
    coi_to_cop: int


StageMemo = dict[datetime, dict[tuple[int, int], stages._Counts]]


def _stage_counts(session: Session, cids: list[int], edges: list[datetime]) -> StageMemo:
    """Every member's stage counts per community as of each edge, counting only what
    existed before it (reactions and acceptances as they stand today). One scan per kind
    of count serves every edge: a SUM per edge instead of a query per edge."""
    result: StageMemo = {t: defaultdict(stages._Counts) for t in edges}
    if not cids:
        return result

    def before(column: object) -> list:
        return [func.sum(_flag(col(column) < t)) for t in edges]  # type: ignore[arg-type]

    def spread(rows, field: str) -> None:
        for cid, uid, *ns in rows:
            for t, n in zip(edges, ns, strict=True):
                if n:
                    setattr(result[t][(cid, uid)], field, int(n))

    vt = and_(col(Thread.community_id).in_(cids), col(Thread.hidden).is_(False))
    last = max(edges)
    spread(
        session.exec(
            select(Thread.community_id, Thread.author_id, *before(Thread.created_at))
            .where(vt, Thread.created_at < last)
            .group_by(Thread.community_id, Thread.author_id)
        ).all(),
        "threads",
    )
    reacted = (Post.helpful + Post.insightful + Post.thanks) >= (
        settings.STAGE_CONTRIBUTOR_MIN_REACTIONS
    )
    accepted_by_other = and_(Thread.accepted_post_id == Post.id, Thread.author_id != Post.author_id)
    spread(
        session.exec(
            select(Thread.community_id, Post.author_id, *before(Post.created_at))
            .join(Thread, Thread.id == Post.thread_id)
            .where(
                vt,
                _visible_post(),
                Post.number > 1,
                Post.created_at < last,
                or_(reacted, accepted_by_other),
            )
            .group_by(Thread.community_id, Post.author_id)
        ).all(),
        "contributions",
    )
    spread(
        session.exec(
            select(Thread.community_id, Post.author_id, *before(Post.created_at))
            .select_from(Thread)
            .join(Post, Post.id == Thread.accepted_post_id)
            .where(
                vt,
                _visible_post(),
                Thread.kind == "question",
                Thread.author_id != Post.author_id,
                Post.created_at < last,
            )
            .group_by(Thread.community_id, Post.author_id)
        ).all(),
        "accepted",
    )
    running = [
        func.sum(
            _flag(
                and_(
                    col(Mentorship.started_at) < t,
                    or_(col(Mentorship.ended_at).is_(None), col(Mentorship.ended_at) >= t),
                )
            )
        )
        for t in edges
    ]
    spread(
        session.exec(
            select(Mentorship.community_id, Mentorship.mentor_id, *running)
            .where(
                col(Mentorship.community_id).in_(cids),
                col(Mentorship.started_at).is_not(None),
                col(Mentorship.state).in_(("active", "paused", "completed")),
            )
            .group_by(Mentorship.community_id, Mentorship.mentor_id)
        ).all(),
        "mentees",
    )
    made = before(Resource.created_at)
    reused = [
        func.sum(_flag(and_(Resource.created_at < t, Resource.reuse_count > 0))) for t in edges
    ]
    rows = session.exec(
        select(Resource.community_id, Resource.author_id, *made, *reused)
        .where(col(Resource.community_id).in_(cids), Resource.created_at < last)
        .group_by(Resource.community_id, Resource.author_id)
    ).all()
    k = len(edges)
    spread([(c, u, *ns[:k]) for c, u, *ns in rows], "resources")
    spread([(c, u, *ns[k:]) for c, u, *ns in rows], "reused")
    return result


def stage_memo(session: Session, scope: Scope, edges: list[datetime]) -> StageMemo:
    """The stage counts `growth` needs at these edges, read together (the dashboard reads
    the previous period's start, the start and the end at once)."""
    query = select(Community.id).where(in_scope(Community.id, scope))
    return _stage_counts(session, list(session.exec(query).all()), edges)


def growth(
    session: Session,
    scope: Scope,
    start: datetime,
    end: datetime,
    now: datetime,
    memo: StageMemo | None = None,
):
    """Stages at `end` per community (members only), how many members' stage rose between
    `start` and `end` (joining alone does not count), and CoI members who acted in a CoP in
    the period without having acted in one in the year (IMPACT_LOOKBACK) before."""
    query = select(Community.id, Community.name, Community.kind).where(
        in_scope(Community.id, scope)
    )
    communities = session.exec(query.order_by(Community.name, Community.id)).all()
    cids = [c for c, _, _ in communities]
    joined: dict[tuple[int, int], datetime] = {}
    for cid, uid, created in session.exec(
        select(Membership.community_id, Membership.user_id, Membership.created_at)
        .join(User, User.id == Membership.user_id)
        .where(
            col(Membership.community_id).in_(cids or [-1]),
            Membership.status == "active",
            Membership.created_at < end,
            not_suspended(now),
        )
    ).all():
        joined[(cid, uid)] = _utc(created)
    # The dashboard passes the stages at every edge it needs, read in one go.
    if memo is None or start not in memo or end not in memo:
        memo = _stage_counts(session, cids, [start, end])
    before, after = memo[start], memo[end]
    funnel_counts: dict[int, list[int]] = {c: [0] * 5 for c in cids}
    moved = 0
    for (cid, uid), at in joined.items():
        rank_end = stages.STAGES.index(stages.decide(True, after[(cid, uid)]))
        rank_start = stages.STAGES.index(stages.decide(at < start, before[(cid, uid)]))
        funnel_counts[cid][rank_end - 1] += 1
        if rank_end > max(rank_start, 1):
            moved += 1
    coi = [c for c, _, kind in communities if kind == "coi"]
    coi_members = select(Membership.user_id).where(
        col(Membership.community_id).in_(coi or [-1]),
        Membership.status == "active",
        Membership.created_at < end,
    )
    cop_ids = select(Community.id).where(Community.kind == "cop")
    everywhere = Scope("all", None)
    # Candidates first (CoI members who acted in a CoP in the period), then, per candidate,
    # whether they had acted in a CoP in the IMPACT_LOOKBACK before: bounded, so the cost
    # does not grow with the history.
    candidates = session.exec(
        select(ActivityEvent.actor_id)
        .where(
            *acted(everywhere, start, end),
            col(ActivityEvent.community_id).in_(cop_ids),
            (col(ActivityEvent.actor_id) + 0).in_(coi_members),
        )
        .distinct()
    ).all()
    became = 0
    if coi and candidates:
        older = aliased(ActivityEvent)
        earlier = (
            select(older.id)
            .where(
                older.actor_id == User.id,
                older.created_at < start,
                older.created_at >= start - settings.IMPACT_LOOKBACK,
                col(older.kind).in_(ACTED_KINDS),
                col(older.community_id).in_(cop_ids),
            )
            .exists()
        )
        became = session.exec(
            select(func.count()).where(col(User.id).in_(candidates), ~earlier)
        ).one()
    listed = coi_members.subquery()
    n_coi = session.exec(select(func.count(func.distinct(listed.c.user_id)))).one()
    return Growth(
        funnel=[(name, funnel_counts[cid]) for cid, name, _ in communities],
        moved_up=moved,
        coi_members=n_coi,
        coi_to_cop=became,
    )


@dataclass
class Mentoring:
    """Measure 7: pairs, goals met by artifact, pairs needing a check-in, acceptance time."""

    active_pairs: int
    goals_met: int
    goals_by_artifact: list[tuple[str, int]]
    needs_checkin: int
    accepted: int
    median_accept_hours: float | None


def _pairs(scope: Scope):
    if scope.mentor_only:
        return Mentorship.mentor_id == scope.mentor_id
    return in_scope(Mentorship.community_id, scope)


def mentoring(session: Session, scope: Scope, start: datetime, end: datetime) -> Mentoring:
    """Pairs running at some time in [start, end); practice-linked goals met in it, by the
    kind of evidence; active pairs with no change and no session in the CHECKIN_AFTER_DAYS
    before `end`; median hours from request to acceptance of pairs accepted in it."""
    pairs = _pairs(scope)
    active = session.exec(
        select(func.count()).where(
            pairs,
            col(Mentorship.started_at).is_not(None),
            col(Mentorship.started_at) < end,
            or_(col(Mentorship.ended_at).is_(None), col(Mentorship.ended_at) >= start),
        )
    ).one()
    by_kind = session.exec(
        select(BoardCard.evidence_type, func.count())
        .join(Mentorship, Mentorship.id == BoardCard.mentorship_id)
        .where(pairs, BoardCard.met_at >= start, BoardCard.met_at < end)
        .group_by(BoardCard.evidence_type)
        .order_by(func.count().desc(), col(BoardCard.evidence_type))
    ).all()
    stale = end - timedelta(days=settings.CHECKIN_AFTER_DAYS)
    recent_note = (
        select(SessionNote.id)
        .where(SessionNote.mentorship_id == Mentorship.id, SessionNote.date >= stale.date())
        .exists()
    )
    checkin = session.exec(
        select(func.count()).where(
            pairs, Mentorship.state == "active", Mentorship.last_activity_at < stale, ~recent_note
        )
    ).one()
    rows = session.exec(
        select(Mentorship.created_at, Mentorship.started_at).where(
            pairs, Mentorship.started_at >= start, Mentorship.started_at < end
        )
    ).all()
    waits = sorted((_utc(s) - _utc(c)).total_seconds() / 3600 for c, s in rows)
    return Mentoring(
        active_pairs=active,
        goals_met=sum(n for _, n in by_kind),
        goals_by_artifact=[(k or "other", n) for k, n in by_kind],
        needs_checkin=checkin,
        accepted=len(rows),
        median_accept_hours=nearest_rank(waits, 0.5),
    )


@dataclass
class Retention:
    """Measure 8: weekly cohorts of members who joined in the period, and the share of each
    active in each following week."""

    cohorts: list[tuple[datetime, int, list[float | None]]]


def retention(session: Session, scope: Scope, start: datetime, end: datetime, now: datetime):
    """Members grouped by the week (from `start`) of their first joining in the scope; for
    each, the share who acted in the scope in week 0 (their joining week), 1, 2, ... up to
    the period's end (None past it)."""
    firsts = (
        select(Membership.user_id.label("uid"), func.min(Membership.created_at).label("joined"))
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.status == "active",
            in_scope(Membership.community_id, scope),
            not_suspended(now),
        )
        .group_by(Membership.user_id)
        .subquery()
    )
    in_period = and_(firsts.c.joined >= start, firsts.c.joined < end)
    cw = bucket(session, firsts.c.joined, start, WEEK).label("cw")
    cohort_of = dict(session.exec(select(firsts.c.uid, cw).where(in_period)).all())
    sizes: dict[int, int] = defaultdict(int)
    for c in cohort_of.values():
        sizes[c] += 1
    # The period's events by time (the covering index), one row per member and week, for
    # the cohort's members only: not each member's whole history through the actor index.
    aw = bucket(session, ActivityEvent.created_at, start, WEEK).label("aw")
    active: dict[tuple[int, int], int] = defaultdict(int)
    for a, uid in session.exec(
        select(aw, ActivityEvent.actor_id)
        .where(
            *acted(scope, start, end),
            (col(ActivityEvent.actor_id) + 0).in_(select(firsts.c.uid).where(in_period)),
        )
        .distinct()
    ).all():
        active[(cohort_of[uid], a)] += 1
    weeks = -(-(end - start).days // 7)
    span = min(weeks, settings.IMPACT_COHORT_WEEKS)
    cohorts = []
    for c in sorted(sizes):
        size = sizes[c]
        shares: list[float | None] = []
        for k in range(span):
            if c + k >= weeks:
                shares.append(None)
            else:
                shares.append(active.get((c, c + k), 0) / size)
        cohorts.append((start + timedelta(days=7 * c), size, shares))
    return Retention(cohorts)
