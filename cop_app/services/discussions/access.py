"""Who may read and take part in a thread: each loader proves access while it loads, in as
few queries as it can, and says NotFound where existence is private."""

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Integer, Row, and_, bindparam
from sqlmodel import Session, select

from cop_app.models import Community, Membership, Post, Thread, ThreadFollow, ThreadRead, User
from cop_app.services import validation
from cop_app.services.access import may_see_inside, require_user
from cop_app.services.errors import Forbidden, NotFound


class CommunityRef(NamedTuple):
    """What a page open reads of the thread's community (read with `reader=True`)."""

    id: int
    slug: str
    name: str
    visibility: str


@dataclass
class ThreadAccess:
    """What access_thread proved about the actor and the thread. Read with `reader=True`
    (a page open, which never writes the thread) they are read-only columns: the thread's
    as a row, the community's as a `CommunityRef`."""

    thread: Thread | Row[Any]
    community: Community | CommunityRef
    user: User
    member: bool
    steward: bool
    author_name: str = ""
    # Read with `reader=True` (a page open): whether the reader follows the thread and how
    # far they had read it (None: not read).
    following: bool | None = None
    read_upto: int | None = None


# One query for the thread, its community and the reader's membership: every page open and
# every action on a thread starts here, so it is built once (building it cost as much as
# running it). `_ACCESS_READER` also reads the reader's follow and read mark.
_USER_ID = bindparam("user_id", type_=Integer)
_THREAD_ID = bindparam("thread_id", type_=Integer)


def _with_place(stmt: Any) -> Any:
    """`stmt` joined to the thread's community, its author and the reader's membership."""
    return (
        stmt.join(Community, Community.id == Thread.community_id)
        .join(User, User.id == Thread.author_id)
        .join(
            Membership,
            and_(Membership.community_id == Thread.community_id, Membership.user_id == _USER_ID),
            isouter=True,
        )
    )


_ACCESS = _with_place(select(Thread, Community, Membership, User.display_name)).where(
    Thread.id == _THREAD_ID
)
# A page open (`reader=True`) reads columns, run by the connection: no entities to load
# (half the check's cost) and no ORM execution.
_ACCESS_READER = (
    _with_place(
        select(
            Thread.id,
            Thread.community_id,
            Thread.author_id,
            Thread.kind,
            Thread.title,
            Thread.tags,
            Thread.post_count,
            Thread.accepted_post_id,
            Thread.pinned,
            Thread.locked,
            Thread.hidden,
            Thread.created_at,
            Community.slug,
            Community.name,
            Community.visibility,
            Membership.role,
            Membership.status,
            User.display_name,
            ThreadFollow.id.label("follow_id"),
            ThreadRead.last_read_number,
        )
    )
    .join(
        ThreadFollow,
        and_(ThreadFollow.thread_id == Thread.id, ThreadFollow.user_id == _USER_ID),
        isouter=True,
    )
    .join(
        ThreadRead,
        and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == _USER_ID),
        isouter=True,
    )
    .where(Thread.id == _THREAD_ID)
)


def access_thread(
    session: Session, actor: User | None, thread_id: object, *, reader: bool = False
) -> ThreadAccess:
    """Load a thread the actor may read: open communities for all members of the site,
    approval-only communities for their members; hidden threads for moderators only.
    `reader`: also read the actor's follow and read mark, in the same query."""
    user = require_user(actor)
    tid = validation.integer(thread_id, "thread_id", "Thread")
    params = {"thread_id": tid, "user_id": user.id}
    if reader:
        return _reader_access(session, user, params)
    row = session.exec(_ACCESS, params=params).first()
    if row is None:
        raise NotFound("This thread does not exist.")
    thread, community, membership, author_name = row
    return _proven(thread, community, membership, user, author_name)


def _reader_access(session: Session, user: User, params: dict[str, Any]) -> ThreadAccess:
    """`access_thread` of a page open: the same proof from one row of columns, with the
    reader's follow and read mark; pending changes are flushed first, as a query does."""
    session.flush()
    row = session.connection().execute(_ACCESS_READER, params).first()
    if row is None:
        raise NotFound("This thread does not exist.")
    community = CommunityRef(row.community_id, row.slug, row.name, row.visibility)
    membership = row if row.status is not None else None
    access = _proven(row, community, membership, user, row.display_name)
    access.following, access.read_upto = row.follow_id is not None, row.last_read_number
    return access


def _proven(
    thread: Thread | Row[Any],
    community: Community | CommunityRef,
    membership: Membership | Row[Any] | None,
    user: User,
    author_name: str,
) -> ThreadAccess:
    """Who the actor is in the thread's community, once they may read it (else refused)."""
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
