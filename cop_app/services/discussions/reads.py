"""One thread's page: its header with the reader's permissions, pages of posts, the
accepted answer, a removed post's kept text for moderators, and mention suggestions. Reads
never write: how far the reader got is `check_mark_read`'s job."""

from operator import itemgetter
from typing import Any

from sqlalchemy import Integer, Row, bindparam, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cop_app.models import Flag, Membership, Post, Reaction, Thread, ThreadFollow, User
from cop_app.services import settings, validation
from cop_app.services.access import membership_of, require_user
from cop_app.services.discussions.access import ThreadAccess, access_post, access_thread
from cop_app.services.discussions.views import PostView, ThreadView
from cop_app.services.errors import Forbidden, Invalid
from cop_app.services.rows import IdsIn


def get_thread(session: Session, actor: User | None, thread_id: object) -> ThreadView:
    """A thread's header with the actor's permissions on it."""
    return _thread_view(session, access_thread(session, actor, thread_id))


def open_thread(
    session: Session, actor: User | None, thread_id: object
) -> tuple[ThreadView, list[PostView]]:
    """A thread's header and its first page, read with one access check (the page open)."""
    return thread_page(session, access_thread(session, actor, thread_id))


def thread_page(session: Session, access: ThreadAccess) -> tuple[ThreadView, list[PostView]]:
    """The header and first page of a thread whose access the caller has just proven."""
    return _thread_view(session, access), read_page(session, access, 0)


def _thread_view(session: Session, access: ThreadAccess) -> ThreadView:
    t, user = access.thread, access.user
    following = access.following
    if following is None:  # not read with the access check
        following = (
            session.exec(
                select(ThreadFollow.id).where(
                    ThreadFollow.thread_id == t.id, ThreadFollow.user_id == user.id
                )
            ).first()
            is not None
        )
    return ThreadView(
        id=t.id,
        community_id=t.community_id,
        community_slug=access.community.slug,
        community_name=access.community.name,
        title=t.title,
        kind=t.kind,
        tags=validation.split_tags(t.tags),
        author_id=t.author_id,
        author_name=access.author_name,
        post_count=t.post_count,
        accepted_post_id=t.accepted_post_id or 0,
        pinned=t.pinned,
        locked=t.locked,
        created_at=t.created_at,
        following=following,
        can_reply=access.member and not t.locked,
        can_moderate=access.steward,
        can_accept=t.kind == "question" and (t.author_id == user.id or access.steward),
        is_member=access.member,
    )


# post_views' statements, built once with bound parameters: a thread open runs them for
# every reader, and building them cost as much as running them. Plain columns, not Post
# entities: the raw Markdown is never needed here, and entity loading was most of a thread
# open's cost.
_THREAD_ID = bindparam("thread_id", type_=Integer)
_LIMIT = bindparam("limit", type_=Integer)
# The post a reply answers, for its number (one join, not a query of parents' numbers).
_PARENT = aliased(Post, name="parent")
_POSTS = (
    select(
        Post.id,
        Post.number,
        Post.author_id,
        Post.body_html,
        Post.created_at,
        # Only whether a post was edited or removed is shown: no datetimes to convert.
        col(Post.edited_at).is_not(None).label("edited"),
        col(Post.deleted_at).is_not(None).label("deleted"),
        Post.hidden,
        Post.parent_id,
        Post.helpful,
        Post.insightful,
        Post.thanks,
        User.display_name,
        User.handle,
        _PARENT.number.label("parent_number"),  # NULL for no parent
    )
    .join(User, User.id == Post.author_id)
    .join(_PARENT, _PARENT.id == Post.parent_id, isouter=True)
    .where(Post.thread_id == _THREAD_ID)
)
_POSTS_BY_ID = _POSTS.where(col(Post.id).in_(bindparam("ids", expanding=True)))
_POSTS_NEWEST = _POSTS.order_by(col(Post.number).desc()).limit(_LIMIT)
_POSTS_AFTER = (
    _POSTS.where(Post.number > bindparam("after", type_=Integer))
    .order_by(col(Post.number))
    .limit(_LIMIT)
)
_MY_REACTIONS = IdsIn(
    lambda ids_in: select(Reaction.post_id, Reaction.kind).where(
        Reaction.user_id == bindparam("user_id", type_=Integer), ids_in
    ),
    Reaction.post_id,
)


def post_views(
    session: Session,
    viewer: User | None,
    thread: Thread | Row[Any],
    *,
    after: int = 0,
    limit: int,
    newest: bool = False,
    ids: list[int] | None = None,
) -> list[PostView]:
    """Posts of a thread (by number after `after`, the newest `limit`, or given ids) in two
    queries: posts with their authors and parents' numbers, and the viewer's own reactions."""
    params: dict[str, object] = {"thread_id": thread.id, "limit": limit}
    if ids is not None:
        stmt, params["ids"] = _POSTS_BY_ID, list(ids)
    elif newest:
        stmt = _POSTS_NEWEST
    else:
        stmt, params["after"] = _POSTS_AFTER, after
    # Run by the session's connection, not the ORM (columns need no ORM execution); pending
    # changes are flushed first, as a query through the session does.
    session.flush()
    conn = session.connection()
    rows = sorted(conn.execute(stmt, params).all(), key=itemgetter(1))  # by number
    mine: dict[int, list[str]] = {}
    if viewer is not None and rows:
        stmt, params = _MY_REACTIONS([p.id for p in rows])
        for pid, kind in conn.execute(stmt, {**params, "user_id": viewer.id}).all():
            mine.setdefault(pid, []).append(kind)
    hidden_ids = [p.id for p in rows if p.hidden]
    awaiting_review = (
        set(
            session.exec(
                select(Flag.target_id).where(
                    Flag.target_type == "post",
                    Flag.status == "open",
                    col(Flag.target_id).in_(hidden_ids),
                )
            ).all()
        )
        if hidden_ids
        else set()
    )
    # Rows unpacked once (a Row's attribute lookups were most of this loop's cost).
    viewer_id = viewer.id if viewer is not None else None
    accepted_id = thread.accepted_post_id
    views = []
    for (
        pid,
        number,
        author_id,
        body_html,
        created_at,
        edited,
        deleted,
        hidden,
        parent_id,
        helpful,
        insightful,
        thanks,
        author_name,
        author_handle,
        parent_number,
    ) in rows:
        removed = deleted or hidden
        views.append(
            PostView(
                id=pid,
                number=number,
                author_id=author_id,
                author_name=author_name,
                author_handle=author_handle,
                body_html="" if removed else body_html,
                created_at=created_at,
                edited=edited,
                removed=removed,
                hidden=hidden,
                removed_label=_removed_label(deleted, hidden, pid in awaiting_review)
                if removed
                else "",
                parent_number=parent_number or 0 if parent_id else 0,
                helpful=helpful,
                insightful=insightful,
                thanks=thanks,
                mine=viewer_id is not None and author_id == viewer_id,
                reacted=mine.get(pid, []),
                accepted=accepted_id == pid,
            )
        )
    return views


def _removed_label(deleted: bool, hidden: bool, awaiting_review: bool) -> str:
    """Who took a post away, in words: an automatic hide is not a moderator's decision."""
    if deleted:
        return "Removed by moderators." if hidden else "Removed by author."
    if awaiting_review:
        return "Hidden automatically after reports, until moderators review it."
    return "Hidden by moderators."


def read_posts(
    session: Session, actor: User | None, thread_id: object, after: object = 0
) -> list[PostView]:
    """One page of posts after a number (the reader's tab then calls `check_mark_read`)."""
    access = access_thread(session, actor, thread_id)
    return read_page(session, access, page_start(after))


def page_start(after: object) -> int:
    """The post number a page starts after (0: the first page)."""
    return 0 if after in (0, "0", None) else validation.integer(after, "after", "Position")


def read_page(session: Session, access: ThreadAccess, start: int) -> list[PostView]:
    """The page of posts after `start` (the first page when 0), access already proven."""
    views = post_views(
        session, access.user, access.thread, after=start, limit=settings.POSTS_PAGE_SIZE
    )
    return views


def removed_text(session: Session, actor: User | None, post_id: object) -> str:
    """The kept text (as safe HTML) of a post its author removed or moderators hid: only
    moderators of its community may read it, and it never enters a shared room."""
    post, access = access_post(session, actor, post_id)
    if not access.steward:
        raise Forbidden("Only the community's moderators can read removed posts.")
    if post.deleted_at is None and not post.hidden:
        raise Invalid("This post is not removed.")
    return post.body_html


def quotable_text(session: Session, actor: User | None, post_id: object) -> str:
    """The Markdown a reply may quote: a removed or hidden post's text is not quotable."""
    post, _ = access_post(session, actor, post_id)
    if post.deleted_at is not None or post.hidden:
        raise Invalid("A removed post cannot be quoted.")
    return post.body


def post_to_edit(session: Session, actor: User | None, post_id: object) -> tuple[int, str, str]:
    """What the post editor opens with (id, text, the title of an opening post): only the
    author edits, as `check_edit_post` checks again on save."""
    post, access = access_post(session, actor, post_id)
    if post.author_id != access.user.id:
        raise Forbidden("You can only edit your own posts.")
    return post.id or 0, post.body, access.thread.title if post.number == 1 else ""


def accepted_post(session: Session, actor: User | None, thread_id: object) -> list[PostView]:
    """The accepted answer, shown right under the question (empty when none)."""
    access = access_thread(session, actor, thread_id)
    if not access.thread.accepted_post_id:
        return []
    return post_views(
        session, access.user, access.thread, limit=1, ids=[access.thread.accepted_post_id]
    )


def mention_candidates(
    session: Session, actor: User | None, community_id: object, prefix: object
) -> list[dict[str, str]]:
    """Members of the community whose handle or name starts with the prefix."""
    user = require_user(actor)
    cid = validation.integer(community_id, "community_id", "Community")
    membership = membership_of(session, cid, user.id)
    if membership is None or membership.status != "active":
        raise Forbidden("Join the community to mention its members.")
    text = (
        validation.text(prefix, "prefix", "Name", max_len=settings.MENTION_PREFIX_MAX)
        .lower()
        .lstrip("@")
    )
    like = validation.like_pattern(text)[1:]  # a prefix: no leading wildcard
    rows = session.exec(
        select(User.handle, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.community_id == cid,
            Membership.status == "active",
            or_(
                func.lower(User.handle).like(like, escape="\\"),
                func.lower(User.display_name).like(like, escape="\\"),
            ),
        )
        .order_by(User.display_name)
        .limit(settings.MENTION_SUGGESTIONS)
    ).all()
    return [{"handle": h, "name": n} for h, n in rows]
