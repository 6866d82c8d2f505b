"""Moderation targets: the adapter each content kind registers, and who moderates where."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from cop_app import routes
from cop_app.models import Community, Membership, Post, Thread, User
from cop_app.services import contributions, markdown
from cop_app.services.access import require_user
from cop_app.services.discussions import access_post, access_thread, announce_thread
from cop_app.services.errors import Forbidden


@dataclass
class TargetInfo:
    """What moderation needs to know about one item."""

    community_id: int
    author_id: int
    hidden: bool
    title: str
    excerpt: str
    link: str


@dataclass(frozen=True)
class Target:
    """How moderation reads, hides and removes one content kind."""

    describe: Callable[[Session, int], TargetInfo | None]
    set_hidden: Callable[[Session, int, bool], None]
    check_readable: Callable[[Session, User, int], object]  # raises when it may not be read
    remove: Callable[[Session, int, datetime], None]  # removed for good, text kept for audit


def _thread_info(session: Session, tid: int) -> TargetInfo | None:
    thread = session.get(Thread, tid)
    if thread is None:
        return None
    first = session.exec(select(Post).where(Post.thread_id == tid, Post.number == 1)).first()
    slug = session.get(Community, thread.community_id).slug  # type: ignore[union-attr]
    return TargetInfo(
        thread.community_id,
        thread.author_id,
        thread.hidden,
        thread.title,
        markdown.excerpt(first.body) if first else "",
        routes.thread_url(slug, tid),
    )


def _post_info(session: Session, pid: int) -> TargetInfo | None:
    post = session.get(Post, pid)
    if post is None:
        return None
    thread = session.get(Thread, post.thread_id)
    slug = session.get(Community, thread.community_id).slug  # type: ignore[union-attr]
    return TargetInfo(
        thread.community_id,
        post.author_id,
        post.hidden,  # type: ignore[union-attr]
        f"Reply #{post.number} in “{thread.title}”",  # type: ignore[union-attr]
        markdown.excerpt(post.body),
        routes.thread_url(slug, post.thread_id, post.number),
    )


def _hide_thread(session: Session, tid: int, hidden: bool) -> None:
    thread = session.get(Thread, tid)
    if thread is not None:
        thread.hidden = hidden
        session.add(thread)
        contributions.refresh_thread(session, thread)
        announce_thread(session, thread, "thread.hidden")


def _hide_post(session: Session, pid: int, hidden: bool) -> None:
    post = session.get(Post, pid)
    if post is not None:
        post.hidden = hidden
        session.add(post)
        thread = session.get(Thread, post.thread_id)
        if thread is not None:
            if hidden and thread.accepted_post_id == pid:
                thread.accepted_post_id = None
                session.add(thread)
            contributions.refresh(session, [(thread.community_id, post.author_id)])
            announce_thread(session, thread, "post.hidden", pid)


def _remove_post(session: Session, pid: int, now: datetime) -> None:
    """Removed by moderators: hidden, marked deleted (moderators can still open the text)."""
    post = session.get(Post, pid)
    if post is not None:
        _hide_post(session, pid, True)
        post.deleted_at = post.deleted_at or now
        session.add(post)
        thread = session.get(Thread, post.thread_id)
        if thread is not None:
            contributions.refresh(session, [(thread.community_id, post.author_id)])


def _remove_thread(session: Session, tid: int, now: datetime) -> None:
    """A removed thread stays hidden and its opening post is marked deleted."""
    _hide_thread(session, tid, True)
    first = session.exec(select(Post).where(Post.thread_id == tid, Post.number == 1)).first()
    if first is not None:
        first.deleted_at = first.deleted_at or now
        session.add(first)


TARGETS: dict[str, Target] = {
    "thread": Target(_thread_info, _hide_thread, access_thread, _remove_thread),
    "post": Target(_post_info, _hide_post, access_post, _remove_post),
}

# A moderator's decisions on a queued item: what each does to its flags and to the item.
#   dismiss      flags unfounded; the item is shown (again)
#   hide         a visible item is hidden; flags upheld
#   keep_hidden  an automatically hidden item stays hidden; flags upheld (confirmed spam)
#   restore      a hidden item is shown again; flags dismissed
#   delete       the item is removed for good (hidden and marked deleted); flags upheld
REVIEW_VERBS = ("dismiss", "hide", "keep_hidden", "restore", "delete")
_PAST = {
    "dismiss": "dismissed the flags on",
    "hide": "hid",
    "keep_hidden": "kept hidden",
    "restore": "restored",
    "delete": "deleted",
}


def stewarded_ids(session: Session, user: User) -> list[int] | None:
    """Communities the user moderates: None means every one (admins)."""
    if user.role == "admin":
        return None
    return list(
        session.exec(
            select(Membership.community_id).where(
                Membership.user_id == user.id,
                Membership.role == "steward",
                Membership.status == "active",
            )
        ).all()
    )


def _require_moderator(session: Session, actor: User | None, community_id: int | None) -> User:
    user = require_user(actor)
    scope = stewarded_ids(session, user)
    if scope is None or (community_id is not None and community_id in scope):
        return user
    raise Forbidden("Only admins and this community's stewards can moderate here.")
