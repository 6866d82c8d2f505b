"""Measures 6 to 8: growth through the stages, mentoring and retention, in SQL for one
scope and one period [start, end); the common rules of measures.py hold here too.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cop_app.models import (
    ActivityEvent,
    BoardCard,
    Community,
    FirstContribution,
    Membership,
    Mentorship,
    Post,
    Resource,
    SessionNote,
    Thread,
    User,
)
from cop_app.services import settings, stages
from cop_app.services.impact.scope import Scope
from cop_app.services.impact.sql import (
    ACTED_KINDS,
    WEEK,
    acted,
    as_utc,
    bucket,
    flag,
    in_scope,
    nearest_rank,
    not_suspended,
    run,
    visible_post,
)


@dataclass
class Growth:
    """Measure 6: members per stage per community at the period's end, members whose stage
    rose during it, and Community-of-Interest members who became active in a CoP."""

    funnel: list[tuple[str, list[int]]]  # community name, counts reader..mentor
    moved_up: int
    coi_members: int
    coi_to_cop: int


# Per (community, member): each count of stages._Counts (in its field order) at each edge,
# flat: field f at edge e is at f * len(edges) + e.
StageCounts = dict[tuple[int, int], list[int]]
_FIELDS = ("threads", "contributions", "accepted", "mentees", "resources", "reused")


@dataclass
class StageMemo:
    """What `growth` reads for every period it is asked about, read once: the scope's
    communities, and each membership's stage at each edge."""

    communities: list[tuple[int, str, str]]  # id, name, kind, by name
    edges: list[datetime]
    # Active, not suspended memberships before the last edge: community, member, for each
    # edge whether they had joined before it (flags: no timestamps to parse), and their stage
    # then (index in stages.STAGES), decided once here rather than per period asked.
    joined: list[tuple[int, int, tuple[int, ...], tuple[int, ...]]]


def _decide_all(
    counts: StageCounts, rows: list[tuple[int, int, tuple[int, ...]]], k: int
) -> list[tuple[int, int, tuple[int, ...], tuple[int, ...]]]:
    """Each membership's stage at each of the k edges, from stages.decide; many members
    share the same counts, so each (member flag, counts) is decided once."""
    zero = [0] * (len(_FIELDS) * k)
    decided: dict[tuple[int, tuple[int, ...]], int] = {}
    out = []
    for cid, uid, flags in rows:
        row = counts.get((cid, uid), zero)
        ranks = []
        for e in range(k):
            known = (flags[e], tuple(row[e::k]))
            found = decided.get(known)
            if found is None:
                stage = stages.decide(bool(flags[e]), stages._Counts(*known[1]))
                found = decided[known] = stages.STAGES.index(stage)
            ranks.append(found)
        out.append((cid, uid, flags, tuple(ranks)))
    return out


def _stage_counts(session: Session, cids: list[int], edges: list[datetime]) -> StageCounts:
    """Every member's stage counts per community as of each edge, counting only what
    existed before it (reactions and acceptances as they stand today). One scan per kind
    of count serves every edge: a SUM per edge instead of a query per edge; only members
    with something to count get an entry (the others are at zero)."""
    result: StageCounts = {}
    if not cids:
        return result
    k = len(edges)
    width = len(_FIELDS) * k

    def before(column: object) -> list:
        return [func.sum(flag(col(column) < t)) for t in edges]  # type: ignore[arg-type]

    def spread(rows, field: str) -> None:
        first = _FIELDS.index(field) * k
        for cid, uid, *ns in rows:
            row = result.get((cid, uid))
            if row is None:
                row = result[(cid, uid)] = [0] * width
            row[first : first + k] = [int(n or 0) for n in ns]

    vt = and_(col(Thread.community_id).in_(cids), col(Thread.hidden).is_(False))
    last = max(edges)
    spread(
        run(
            session,
            select(Thread.community_id, Thread.author_id, *before(Thread.created_at))
            .where(vt, Thread.created_at < last)
            .group_by(Thread.community_id, Thread.author_id),
        ).all(),
        "threads",
    )
    spread(
        run(
            session,
            select(Thread.community_id, Post.author_id, *before(Post.created_at))
            .select_from(Thread)
            .join(Post, Post.id == Thread.accepted_post_id)
            .where(
                vt,
                visible_post(),
                Thread.kind == "question",
                Thread.author_id != Post.author_id,
                Post.created_at < last,
            )
            .group_by(Thread.community_id, Post.author_id),
        ).all(),
        "accepted",
    )
    running = [
        func.sum(
            flag(
                and_(
                    col(Mentorship.started_at) < t,
                    or_(col(Mentorship.ended_at).is_(None), col(Mentorship.ended_at) >= t),
                )
            )
        )
        for t in edges
    ]
    spread(
        run(
            session,
            select(Mentorship.community_id, Mentorship.mentor_id, *running)
            .where(
                col(Mentorship.community_id).in_(cids),
                col(Mentorship.started_at).is_not(None),
                col(Mentorship.state).in_(("active", "paused", "completed")),
            )
            .group_by(Mentorship.community_id, Mentorship.mentor_id),
        ).all(),
        "mentees",
    )
    made = before(Resource.created_at)
    reused = [
        func.sum(flag(and_(Resource.created_at < t, Resource.reuse_count > 0))) for t in edges
    ]
    rows = run(
        session,
        select(Resource.community_id, Resource.author_id, *made, *reused)
        .where(col(Resource.community_id).in_(cids), Resource.created_at < last)
        .group_by(Resource.community_id, Resource.author_id),
    ).all()
    spread([(c, u, *ns[:k]) for c, u, *ns in rows], "resources")
    spread([(c, u, *ns[k:]) for c, u, *ns in rows], "reused")
    return result


def stage_memo(session: Session, scope: Scope, edges: list[datetime], now: datetime) -> StageMemo:
    """What `growth` needs at these edges, read together (the dashboard reads the previous
    period's start, the start and the end at once, for both periods)."""
    query = select(Community.id, Community.name, Community.kind).where(
        in_scope(Community.id, scope)
    )
    communities = [
        (c, n, k) for c, n, k in run(session, query.order_by(Community.name, Community.id))
    ]
    cids = [c for c, _, _ in communities]
    k = len(edges)
    before = [flag(Membership.created_at < t) for t in edges]
    # Contributions: stages.decide only asks whether there is one, so each member's first
    # (services/contributions.py keeps them) says it at every edge: 1 before it, else 0.
    first = FirstContribution
    made = [flag(col(first.created_at) < t) for t in edges]  # none yet: NULL, so 0
    joined = []
    contributed: list[tuple[int, int, tuple[int, ...]]] = []
    for cid, uid, *flags in run(
        session,
        select(Membership.community_id, Membership.user_id, *before, *made)
        .join(User, User.id == Membership.user_id)
        .join(
            first,
            and_(first.community_id == Membership.community_id, first.user_id == User.id),
            isouter=True,
        )
        .where(
            col(Membership.community_id).in_(cids or [-1]),
            Membership.status == "active",
            Membership.created_at < max(edges),
            not_suspended(now),
        ),
    ).all():
        joined.append((cid, uid, tuple(flags[:k])))
        if any(flags[k:]):
            contributed.append((cid, uid, tuple(flags[k:])))
    counts = _stage_counts(session, cids, edges)
    at = _FIELDS.index("contributions") * k
    for cid, uid, flags in contributed:
        row = counts.get((cid, uid))
        if row is None:
            row = counts[(cid, uid)] = [0] * (len(_FIELDS) * k)
        row[at : at + k] = flags
    return StageMemo(communities, edges, _decide_all(counts, joined, k))


_OLDER = aliased(ActivityEvent)  # made once (see measures.py's aliases)


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
    # The dashboard passes what every edge it needs holds, read in one go.
    if memo is None or start not in memo.edges or end not in memo.edges:
        memo = stage_memo(session, scope, [start, end], now)
    communities = memo.communities
    cids = [c for c, _, _ in communities]
    funnel_counts: dict[int, list[int]] = {c: [0] * 5 for c in cids}
    moved = 0
    at_start, at_end = memo.edges.index(start), memo.edges.index(end)
    for cid, _, member, ranks in memo.joined:
        if not member[at_end]:
            continue
        rank_end, rank_start = ranks[at_end], ranks[at_start]
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
    candidates = run(
        session,
        select(ActivityEvent.actor_id)
        .where(
            *acted(everywhere, start, end),
            # `+ 0`: the period's events by time, not every CoP event through the community
            # index (that read grew with the whole history).
            (col(ActivityEvent.community_id) + 0).in_(cop_ids),
            (col(ActivityEvent.actor_id) + 0).in_(coi_members),
        )
        .distinct(),
    ).all()
    became = 0
    if coi and candidates:
        older = _OLDER
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
        became = run(
            session, select(func.count()).where(col(User.id).in_(candidates), ~earlier)
        ).one()
    listed = coi_members.subquery()
    n_coi = run(session, select(func.count(func.distinct(listed.c.user_id)))).one()
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
    active = run(
        session,
        select(func.count()).where(
            pairs,
            col(Mentorship.started_at).is_not(None),
            col(Mentorship.started_at) < end,
            or_(col(Mentorship.ended_at).is_(None), col(Mentorship.ended_at) >= start),
        ),
    ).one()
    by_kind = run(
        session,
        select(BoardCard.evidence_type, func.count())
        .join(Mentorship, Mentorship.id == BoardCard.mentorship_id)
        .where(pairs, BoardCard.met_at >= start, BoardCard.met_at < end)
        .group_by(BoardCard.evidence_type)
        .order_by(func.count().desc(), col(BoardCard.evidence_type)),
    ).all()
    stale = end - timedelta(days=settings.CHECKIN_AFTER_DAYS)
    recent_note = (
        select(SessionNote.id)
        .where(SessionNote.mentorship_id == Mentorship.id, SessionNote.date >= stale.date())
        .exists()
    )
    checkin = run(
        session,
        select(func.count()).where(
            pairs, Mentorship.state == "active", Mentorship.last_activity_at < stale, ~recent_note
        ),
    ).one()
    rows = run(
        session,
        select(Mentorship.created_at, Mentorship.started_at).where(
            pairs, Mentorship.started_at >= start, Mentorship.started_at < end
        ),
    ).all()
    waits = sorted((as_utc(s) - as_utc(c)).total_seconds() / 3600 for c, s in rows)
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
    cohort_of = dict(run(session, select(firsts.c.uid, cw).where(in_period)).all())
    sizes: dict[int, int] = defaultdict(int)
    for c in cohort_of.values():
        sizes[c] += 1
    # The period's events by time (the covering index), one row per member and week, for
    # the cohort's members only: not each member's whole history through the actor index.
    aw = bucket(session, ActivityEvent.created_at, start, WEEK).label("aw")
    active: dict[tuple[int, int], int] = defaultdict(int)
    for a, uid in run(
        session,
        select(aw, ActivityEvent.actor_id)
        .where(
            *acted(scope, start, end),
            (col(ActivityEvent.actor_id) + 0).in_(select(firsts.c.uid).where(in_period)),
        )
        .distinct(),
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
