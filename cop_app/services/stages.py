"""Participation stages: the visible path from interested to practising, per community.

visitor (not a member) -> reader (joined) -> asker (asked a question or started a
discussion) -> contributor (a reply that got reactions or was accepted) -> practitioner
(STAGE_PRACTITIONER_ACCEPTED_ANSWERS accepted answers) -> mentor (an active mentee in that
community). A person's stage is the highest one they reached; `next_step` says in words
what moves them on. Hidden and removed content does not count, nor accepting one's own
reply. Library work counts too: publishing a resource is a contribution, and each of one's
resources that others reused counts towards practitioner like an accepted answer (both are
what a community's repertoire is made of).
"""

from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from cop_app.models import Community, Membership, Mentorship, Post, Resource, Thread
from cop_app.services import settings

STAGES = ("visitor", "reader", "asker", "contributor", "practitioner", "mentor")
LABELS = {
    "visitor": "Visitor",
    "reader": "Reader",
    "asker": "Asker",
    "contributor": "Contributor",
    "practitioner": "Practitioner",
    "mentor": "Mentor",
}
_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass
class StageView:
    """Where a person stands in one community, what counted, and the next step."""

    community_id: int
    community_name: str
    community_slug: str
    stage: str
    label: str
    rank: int  # index in STAGES: 0 visitor ... 5 mentor
    next_step: str
    threads: int
    contributions: int
    accepted_answers: int
    mentees: int
    resources: int = 0
    reused: int = 0


@dataclass
class _Counts:
    threads: int = 0
    contributions: int = 0
    accepted: int = 0
    mentees: int = 0
    resources: int = 0
    reused: int = 0


def _number(n: int) -> str:
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def decide(member: bool, counts: _Counts) -> str:
    """The highest stage reached (pure: the tests walk every branch)."""
    if counts.mentees > 0:
        return "mentor"
    if not member:
        return "visitor"
    if counts.accepted + counts.reused >= settings.STAGE_PRACTITIONER_ACCEPTED_ANSWERS:
        return "practitioner"
    if counts.contributions > 0 or counts.accepted > 0 or counts.resources > 0:
        return "contributor"
    if counts.threads > 0:
        return "asker"
    return "reader"


def next_step(stage: str, counts: _Counts, community_name: str) -> str:
    """What moves a person from `stage` to the next one: a sentence of its own (it follows the
    stage's label), true whoever reads it (profiles are read by others)."""
    if stage == "visitor":
        return f"Join {community_name} to become a reader"
    if stage == "reader":
        return "Ask a question or start a discussion to become an asker"
    if stage == "asker":
        return "Write a reply that gets a reaction or is accepted to become a contributor"
    if stage == "contributor":
        done = counts.accepted + counts.reused
        left = max(1, settings.STAGE_PRACTITIONER_ACCEPTED_ANSWERS - done)
        noun = "answer" if left == 1 else "answers"
        return f"{_number(left).capitalize()} accepted {noun} away from practitioner"
    if stage == "practitioner":
        return "Mentor someone in this community to become a mentor"
    return "Mentors others here, helping mentees along this path"


def _counts(session: Session, user_id: int, community_ids: list[int]) -> dict[int, _Counts]:
    """Every count for every listed community in six grouped queries."""
    result = {cid: _Counts() for cid in community_ids}
    if not community_ids:
        return result
    visible_thread = and_(
        col(Thread.community_id).in_(community_ids), col(Thread.hidden).is_(False)
    )
    visible_post = and_(col(Post.hidden).is_(False), col(Post.deleted_at).is_(None))
    for cid, n in session.exec(
        select(Thread.community_id, func.count())
        .where(visible_thread, Thread.author_id == user_id)
        .group_by(Thread.community_id)
    ).all():
        result[cid].threads = n
    reacted = (Post.helpful + Post.insightful + Post.thanks) >= (
        settings.STAGE_CONTRIBUTOR_MIN_REACTIONS
    )
    accepted_by_other = and_(Thread.accepted_post_id == Post.id, Thread.author_id != user_id)
    for cid, n in session.exec(
        select(Thread.community_id, func.count())
        .select_from(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            visible_thread,
            visible_post,
            Post.author_id == user_id,
            Post.number > 1,
            or_(reacted, accepted_by_other),
        )
        .group_by(Thread.community_id)
    ).all():
        result[cid].contributions = n
    for cid, n in session.exec(
        select(Thread.community_id, func.count())
        .select_from(Thread)
        .join(Post, Post.id == Thread.accepted_post_id)
        .where(
            visible_thread,
            visible_post,
            Thread.kind == "question",
            Thread.author_id != user_id,
            Post.author_id == user_id,
        )
        .group_by(Thread.community_id)
    ).all():
        result[cid].accepted = n
    for cid, n in session.exec(
        select(Mentorship.community_id, func.count())
        .where(
            Mentorship.mentor_id == user_id,
            Mentorship.state == "active",
            col(Mentorship.community_id).in_(community_ids),
        )
        .group_by(Mentorship.community_id)
    ).all():
        result[cid].mentees = n
    for cid, made, reused in session.exec(
        select(
            Resource.community_id,
            func.count(),
            func.sum(case((Resource.reuse_count > 0, 1), else_=0)),
        )
        .where(Resource.author_id == user_id, col(Resource.community_id).in_(community_ids))
        .group_by(Resource.community_id)
    ).all():
        result[cid].resources, result[cid].reused = made, int(reused or 0)
    return result


def _view(community: Community, member: bool, counts: _Counts) -> StageView:
    stage = decide(member, counts)
    return StageView(
        community_id=community.id,
        community_name=community.name,
        community_slug=community.slug,
        stage=stage,
        label=LABELS[stage],
        rank=STAGES.index(stage),
        next_step=next_step(stage, counts, community.name),
        threads=counts.threads,
        contributions=counts.contributions,
        accepted_answers=counts.accepted,
        mentees=counts.mentees,
        resources=counts.resources,
        reused=counts.reused,
    )


def stage_for(session: Session, user_id: int, community_id: int) -> StageView | None:
    """One person's stage in one community (None when the community does not exist)."""
    community = session.get(Community, community_id)
    if community is None:
        return None
    member = (
        session.exec(
            select(Membership.id).where(
                Membership.community_id == community_id,
                Membership.user_id == user_id,
                Membership.status == "active",
            )
        ).first()
        is not None
    )
    return _view(community, member, _counts(session, user_id, [community_id])[community_id])


def stages_for_user(session: Session, user_id: int) -> list[StageView]:
    """The person's stage in each community they belong to, by community name, in six
    queries whatever their number."""
    communities = session.exec(
        select(Community)
        .join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == user_id, Membership.status == "active")
        .order_by(Community.name, Community.id)
    ).all()
    counts = _counts(session, user_id, [c.id for c in communities])
    return [_view(c, True, counts[c.id]) for c in communities]
