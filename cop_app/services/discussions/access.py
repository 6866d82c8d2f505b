"""Who may read and take part in a thread: each loader proves access while it loads, in as
few queries as it can, and says NotFound where existence is private."""

from dataclasses import dataclass

from sqlalchemy import and_
from sqlmodel import Session, select

from cop_app.models import Community, Membership, Post, Thread, ThreadFollow, ThreadRead, User
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
    # Read with `reader=True` (a page open): whether the reader follows the thread and how
    # far they had read it (None: not read).
    following: bool | None = None
    read_upto: int | None = None


def access_thread(
    session: Session, actor: User | None, thread_id: object, *, reader: bool = False
) -> ThreadAccess:
    """Load a thread the actor may read: open communities for all members of the site,
    approval-only communities for their members; hidden threads for moderators only.
    `reader`: also read the actor's follow and read mark, in the same query."""
    user = require_user(actor)
    tid = validation.integer(thread_id, "thread_id", "Thread")
    # One query for the thread, its community and the reader's membership: every page
    # open and every action on a thread starts here.
    stmt = (
        select(Thread, Community, Membership, User.display_name)
        .join(Community, Community.id == Thread.community_id)
        .join(User, User.id == Thread.author_id)
        .join(
            Membership,
            and_(Membership.community_id == Thread.community_id, Membership.user_id == user.id),
            isouter=True,
        )
        .where(Thread.id == tid)
    )
    if reader:
        stmt = stmt.add_columns(ThreadFollow.id, ThreadRead.last_read_number)
        for table in (ThreadFollow, ThreadRead):
            stmt = stmt.join(
                table, and_(table.thread_id == Thread.id, table.user_id == user.id), isouter=True
            )
    row = session.exec(stmt).first()
    if row is None:
        raise NotFound("This thread does not exist.")
    thread, community, membership, author_name = row[:4]
    member = membership is not None and membership.status == "active"
    steward = user.role == "admin" or (member and membership.role == "steward")
    if not may_see_inside(community, user, membership):
        raise Forbidden(f"Join {community.name} to read its discussions.")
    if thread.hidden and not steward:
        raise NotFound("This thread does not exist.")
    access = ThreadAccess(thread, community, user, member, steward, author_name)
    if reader:
        access.following, access.read_upto = row[4] is not None, row[5]
    return access


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
