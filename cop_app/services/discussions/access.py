"""Who may read and take part in a thread: each loader proves access while it loads, in as
few queries as it can, and says NotFound where existence is private."""

from dataclasses import dataclass

from sqlalchemy import and_
from sqlmodel import Session, select

from cop_app.models import Community, Membership, Post, Thread, User
from cop_app.services import validation
from cop_app.services.access import may_see_inside, require_user
from cop_app.services.errors import Forbidden, NotFound


@dataclass
class ThreadAccess:
    """What access_thread proved about the actor and the thread."""

    thread: Thread
    community: Community
    user: User
    member: bool
    steward: bool
    author_name: str = ""


def access_thread(session: Session, actor: User | None, thread_id: object) -> ThreadAccess:
    """Load a thread the actor may read: open communities for all members of the site,
    approval-only communities for their members; hidden threads for moderators only."""
    user = require_user(actor)
    tid = validation.integer(thread_id, "thread_id", "Thread")
    # One query for the thread, its community and the reader's membership: every page
    # open and every action on a thread starts here.
    row = session.exec(
        select(Thread, Community, Membership, User.display_name)
        .join(Community, Community.id == Thread.community_id)
        .join(User, User.id == Thread.author_id)
        .join(
            Membership,
            and_(Membership.community_id == Thread.community_id, Membership.user_id == user.id),
            isouter=True,
        )
        .where(Thread.id == tid)
    ).first()
    if row is None:
        raise NotFound("This thread does not exist.")
    thread, community, membership, author_name = row
    member = membership is not None and membership.status == "active"
    steward = user.role == "admin" or (member and membership.role == "steward")
    if not may_see_inside(community, user, membership):
        raise Forbidden(f"Join {community.name} to read its discussions.")
    if thread.hidden and not steward:
        raise NotFound("This thread does not exist.")
    return ThreadAccess(thread, community, user, member, steward, author_name)


def require_member(access: ThreadAccess) -> None:
    """Reading is open wider than taking part: writing needs an active membership."""
    if not access.member:
        raise Forbidden(f"Join {access.community.name} to take part.")


def access_post(session: Session, actor: User | None, post_id: object) -> tuple[Post, ThreadAccess]:
    """A post in a thread the actor may read."""
    pid = validation.integer(post_id, "post_id", "Post")
    post = session.get(Post, pid)
    if post is None:
        raise NotFound("This post does not exist.")
    access = access_thread(session, actor, post.thread_id)
    if post.hidden and not access.steward:
        raise NotFound("This post does not exist.")
    return post, access
