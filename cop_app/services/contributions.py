"""First contributions: per community and member, when their first reply that counts as a
contribution was written (models.FirstContribution), so the impact growth path reads a row
per member instead of every post of the history.

A reply counts (as services/stages.py counts contributions) when it is not the opening post,
is neither hidden nor deleted, sits in a visible thread, and has at least
STAGE_CONTRIBUTOR_MIN_REACTIONS reactions or is its thread's accepted answer by someone other
than the thread's author. Every write that can change that calls `refresh` for the members
it touches, in its own transaction: reactions, accepting an answer, hiding, removing and
deleting posts and threads, and replying (only when a bare reply would count). Writers that
bypass the services (imports, bulk loads, hand-built test data) call `rebuild` afterwards.
"""

from collections.abc import Iterable

from sqlalchemy import and_, delete, insert, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from cop_app.models import FirstContribution, Post, Thread
from cop_app.services import settings


def counts() -> ColumnElement[bool]:
    """Posts (joined to their thread) that count as a contribution."""
    reacted = (Post.helpful + Post.insightful + Post.thanks) >= (
        settings.STAGE_CONTRIBUTOR_MIN_REACTIONS
    )
    accepted_by_other = and_(Thread.accepted_post_id == Post.id, Thread.author_id != Post.author_id)
    return and_(
        col(Thread.hidden).is_(False),
        col(Post.hidden).is_(False),
        col(Post.deleted_at).is_(None),
        Post.number > 1,
        or_(reacted, accepted_by_other),
    )


def refresh(session: Session, pairs: Iterable[tuple[int, int]]) -> None:
    """Re-read the first contribution of each (community id, member id) from their posts
    (the pending writes flushed first); a member with none left loses the row."""
    session.flush()
    for cid, uid in set(pairs):
        first = session.exec(
            select(Post.created_at)
            .join(Thread, Thread.id == Post.thread_id)
            .where(Post.author_id == uid, Thread.community_id == cid, counts())
            .order_by(col(Post.created_at))
            .limit(1)
        ).first()
        row = session.get(FirstContribution, (cid, uid))
        if first is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(FirstContribution(community_id=cid, user_id=uid, created_at=first))
        elif row.created_at != first:
            row.created_at = first
            session.add(row)
    session.flush()


def refresh_thread(session: Session, thread: Thread) -> None:
    """Every replier of a thread (hiding or showing a thread changes all their replies)."""
    session.flush()
    authors = session.exec(
        select(Post.author_id).where(Post.thread_id == thread.id, Post.number > 1).distinct()
    ).all()
    refresh(session, [(thread.community_id, uid) for uid in authors])


def rebuild(session: Session) -> None:
    """Every first contribution from the posts (after writes that bypassed the services)."""
    session.flush()
    session.exec(delete(FirstContribution))  # type: ignore[call-overload]
    session.exec(  # type: ignore[call-overload]
        insert(FirstContribution).from_select(
            ["community_id", "user_id", "created_at"],
            select(Thread.community_id, Post.author_id, func.min(Post.created_at))
            .join(Thread, Thread.id == Post.thread_id)
            .where(counts())
            .group_by(Thread.community_id, Post.author_id),
        )
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, FirstContribution):
            session.expire(obj)
