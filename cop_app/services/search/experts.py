"""The expert finder: "who knows X", ranked by what people did on that topic, each person
with the evidence behind their rank. Only what the searcher may see counts: threads and
resources of communities they may see inside, visible posts, active people.

A topic's threads and resources are those the search index matches for it (title, tags,
text). Points (EXPERT_POINTS): an accepted answer on the topic 5, a reply others reacted
to 2, the topic in one's expertise tags 4, a resource on the topic 2 plus its endorsements
and reuses (1 + ln(1 + n)) x 2, an active or completed mentorship in it 3.
"""

import math
from dataclasses import dataclass, field

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from cop_app.models import Community, Mentorship, Post, Reaction, Resource, Thread, User
from cop_app.services import settings
from cop_app.services.access import require_user
from cop_app.services.search import Filters, candidates, visible_communities
from cop_app.services.search.index import fold, words
from cop_app.services.search.query import Parsed, Term, parse

EXPERT_POINTS = {
    "accepted": 5.0,
    "reacted": 2.0,
    "expertise": 4.0,
    "resource": 2.0,
    "resource_use": 2.0,
    "mentoring": 3.0,
}


@dataclass
class Expert:
    """A person and why they rank: evidence lines a reader can check."""

    user_id: int
    name: str
    url: str
    expertise: list[str]
    evidence: list[str] = field(default_factory=list)
    score: float = 0.0


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def experts(session: Session, actor: User | None, topic: object) -> tuple[str, list[Expert]]:
    """The topic as read and the people who know it best (at most EXPERTS_MAX)."""
    from cop_app import routes

    user = require_user(actor)
    parsed = parse(topic)
    if parsed.empty:
        return "", []
    label = " ".join(" ".join(t.words) for t in parsed.terms)
    # Each word of the topic, as a prefix: "postgres" finds postgresql threads too.
    loose = Parsed(tuple(Term(t.words, prefix=len(t.words) == 1) for t in parsed.terms))
    limit = settings.EXPERTS_THREADS_MAX
    thread_docs = candidates(session, user, loose, Filters(), ("thread",), limit)
    thread_ids = [d["ref_id"] for d in thread_docs]
    resource_docs = candidates(session, user, loose, Filters(), ("resource",), limit)
    resource_ids = [d["ref_id"] for d in resource_docs]
    score: dict[int, float] = {}
    evidence: dict[int, list[str]] = {}

    def add(uid: int, points: float, line: str) -> None:
        score[uid] = score.get(uid, 0.0) + points
        evidence.setdefault(uid, []).append(line)

    visible_post = and_(col(Post.hidden).is_(False), col(Post.deleted_at).is_(None))
    if thread_ids:
        accepted = session.exec(
            select(Post.author_id, func.count())
            .join(Thread, Thread.accepted_post_id == Post.id)
            .where(col(Thread.id).in_(thread_ids), visible_post)
            .group_by(Post.author_id)
        ).all()
        for uid, n in accepted:
            add(uid, EXPERT_POINTS["accepted"] * n, f"{_plural(n, 'accepted answer')} on {label}")
        others = (
            select(Reaction.post_id)
            .where(Reaction.post_id == Post.id, Reaction.user_id != Post.author_id)
            .exists()
        )
        reacted = session.exec(
            select(Post.author_id, func.count())
            .where(col(Post.thread_id).in_(thread_ids), Post.number > 1, visible_post, others)
            .group_by(Post.author_id)
        ).all()
        for uid, n in reacted:
            add(
                uid,
                EXPERT_POINTS["reacted"] * n,
                f"{_plural(n, 'reply', 'replies')} on {label} others found helpful",
            )
    if resource_ids:
        rows = session.exec(
            select(
                Resource.author_id,
                Resource.kind,
                Resource.title,
                Resource.endorse_count,
                Resource.reuse_count,
            ).where(col(Resource.id).in_(resource_ids))
        ).all()
        for r in rows:
            used = r.endorse_count + r.reuse_count
            parts = [f"{r.kind} “{r.title[:60]}”"]
            if r.reuse_count:
                parts.append(f"reused {_plural(r.reuse_count, 'time')}")
            if r.endorse_count:
                parts.append(f"endorsed by {r.endorse_count}")
            add(
                r.author_id,
                EXPERT_POINTS["resource"] + EXPERT_POINTS["resource_use"] * math.log1p(used),
                " ".join(parts[:1]) + (", " + ", ".join(parts[1:]) if parts[1:] else ""),
            )
    topic_words = set(words(label))
    visible = visible_communities(session, user)
    mentor_query = (
        select(Mentorship.mentor_id, Mentorship.skills, Community.tags)
        .join(Community, Community.id == Mentorship.community_id)
        .where(col(Mentorship.state).in_(("active", "paused", "completed")))
    )
    if visible is not None:
        mentor_query = mentor_query.where(col(Community.id).in_(visible))
    mentor_rows = session.exec(mentor_query).all()
    mentored: dict[int, int] = {}
    for m in mentor_rows:
        if topic_words & set(words(f"{m.skills} {m.tags}")):
            mentored[m.mentor_id] = mentored.get(m.mentor_id, 0) + 1
    for uid, n in mentored.items():
        add(
            uid,
            EXPERT_POINTS["mentoring"] * n,
            f"mentors {_plural(n, 'person', 'people')} in {label}",
        )
    people = session.exec(
        select(User.id, User.display_name, User.expertise).where(col(User.is_active).is_(True))
    ).all()
    info = {}
    for p in people:
        tags = [t for t in p.expertise.split(" ") if t]
        info[p.id] = (p.display_name, tags)
        if any(topic_words & set(words(t)) or fold(t) == fold(label) for t in tags):
            add(p.id, EXPERT_POINTS["expertise"], f"lists {label} in their expertise")
    ranked = sorted((uid for uid in score if uid in info), key=lambda u: (-score[u], info[u][0]))
    return label, [
        Expert(
            user_id=uid,
            name=info[uid][0],
            url=routes.profile_url(uid),
            expertise=info[uid][1],
            evidence=evidence[uid][:4],
            score=round(score[uid], 3),
        )
        for uid in ranked[: settings.EXPERTS_MAX]
    ]
