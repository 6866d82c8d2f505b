"""Thread lists: a community's pages and sorts, the shared first page its live room
holds, the member's read marks beside it, and the home page's lists. Reads never write."""

from collections.abc import Iterable

from sqlalchemy import Integer, Row, and_, bindparam, func, or_
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from cop_app.models import Community, Membership, Thread, ThreadFollow, ThreadRead, User
from cop_app.services import settings, validation
from cop_app.services.access import (
    access_community_content,
    check_community_content,
    check_community_content_at,
    require_user,
)
from cop_app.services.discussions.views import SORTS, ThreadRow
from cop_app.services.rows import IdsIn, with_place_and_author


def _rows(session: Session, user: User | None, stmt: Select) -> list[ThreadRow]:
    """Thread rows with the reader's unread counts (none for a shared room's rows)."""
    rows = session.exec(stmt).all()
    ids = [r.id for r in rows]
    reads = (
        dict(
            session.exec(
                select(ThreadRead.thread_id, ThreadRead.last_read_number).where(
                    ThreadRead.user_id == user.id, col(ThreadRead.thread_id).in_(ids)
                )
            ).all()
        )
        if ids and user is not None
        else {}
    )
    return [
        _row(r, max(0, r.post_count - reads.get(r.id, 0)) if user is not None else 0) for r in rows
    ]


def _row(r: Row, unread: int) -> ThreadRow:
    """One thread row from the columns of `_listing`."""
    return ThreadRow(
        id=r.id,
        community_slug=r.slug,
        community_name=r.name,
        title=r.title,
        kind=r.kind,
        author_name=r.display_name,
        tags=validation.split_tags(r.tags),
        post_count=r.post_count,
        reply_count=r.reply_count,
        reaction_count=r.reaction_count,
        answered=r.accepted_post_id is not None,
        pinned=r.pinned,
        locked=r.locked,
        last_activity_at=r.last_activity_at,
        unread=unread,
    )


def _listing() -> Select:
    """The columns of a thread row."""
    return with_place_and_author(
        Thread,
        Thread.id,
        Thread.title,
        Thread.kind,
        Thread.tags,
        Thread.post_count,
        Thread.reply_count,
        Thread.reaction_count,
        Thread.accepted_post_id,
        Thread.pinned,
        Thread.locked,
        Thread.last_activity_at,
    )


_MARKS = IdsIn(
    lambda ids_in: select(ThreadRead.thread_id, ThreadRead.last_read_number).where(
        ThreadRead.user_id == bindparam("user_id", type_=Integer), ids_in
    ),
    ThreadRead.thread_id,
)


def read_marks(
    session: Session, actor: User | None, community_id: object, thread_ids: list[int]
) -> dict[str, int]:
    """How far the actor has read each listed thread (keyed by id as text): the unread
    markers beside a community's shared live list, in one query."""
    user = require_user(actor)
    check_community_content(session, user, community_id)
    ids = [i for i in thread_ids[: settings.READ_MARKS_MAX] if isinstance(i, int)]
    if not ids:
        return {}
    # Built once, run by the connection: this runs on every open of every community's list.
    stmt, params = _MARKS(ids)
    rows = session.connection().execute(stmt, {**params, "user_id": user.id}).all()
    return {str(tid): number for tid, number in rows}


# The shared first page's ids as the database has them, each with the reader's read mark
# (NULL: not read): built once, as it runs on every open of every community's list.
_LATEST_MARKS = (
    select(Thread.id, ThreadRead.last_read_number)
    .join(
        ThreadRead,
        and_(
            ThreadRead.thread_id == Thread.id,
            ThreadRead.user_id == bindparam("user_id", type_=Integer),
        ),
        isouter=True,
    )
    .where(
        Thread.community_id == bindparam("community_id", type_=Integer),
        col(Thread.hidden).is_(False),
    )
    .order_by(col(Thread.pinned).desc(), col(Thread.last_activity_at).desc())
    .limit(settings.THREADS_PAGE_SIZE)
)


def latest_marks(
    session: Session, actor: User | None, slug: object
) -> tuple[int, list[int], dict[str, int]]:
    """A list open's first read, by the community's slug: its id once access is proven, the
    ids of its shared first page as the database has it now, and how far the actor has read
    each (as `read_marks` keys them); `read_marks` is needed only when the room it then
    joins lists other threads."""
    user = require_user(actor)
    cid = check_community_content_at(session, user, slug)
    rows = session.connection().execute(_LATEST_MARKS, {"community_id": cid, "user_id": user.id})
    ids, marks = [], {}
    for tid, number in rows:
        ids.append(tid)
        if number is not None:
            marks[str(tid)] = number
    return cid, ids, marks


def list_threads(
    session: Session,
    actor: User | None,
    community_id: object,
    sort: object = "latest",
    page: object = 0,
) -> list[ThreadRow]:
    """A community's threads, one page: latest activity, newest, top, or unanswered."""
    user = require_user(actor)
    cid = access_community_content(session, user, community_id).id
    order = validation.choice(sort, SORTS, "sort", "Sort")
    number = validation.integer(page, "page", "Page") - 1 if page not in (0, "0") else 0
    stmt = _listing().where(Thread.community_id == cid, col(Thread.hidden).is_(False))
    if order == "latest":
        stmt = stmt.order_by(col(Thread.pinned).desc(), col(Thread.last_activity_at).desc())
    elif order == "newest":
        stmt = stmt.order_by(col(Thread.created_at).desc())
    elif order == "top":
        stmt = stmt.order_by(col(Thread.reaction_count).desc(), col(Thread.id).desc())
    else:
        stmt = stmt.where(
            Thread.kind == "question",
            col(Thread.accepted_post_id).is_(None),
            Thread.reply_count == 0,
        ).order_by(col(Thread.created_at).desc())
    size = settings.THREADS_PAGE_SIZE
    return _rows(session, user, stmt.offset(max(0, number) * size).limit(size))


def latest_rows(session: Session, community_id: int) -> list[ThreadRow]:
    """The first page of a community's list by activity, as every reader shares it."""
    stmt = (
        _listing()
        .where(Thread.community_id == community_id, col(Thread.hidden).is_(False))
        .order_by(col(Thread.pinned).desc(), col(Thread.last_activity_at).desc())
        .limit(settings.THREADS_PAGE_SIZE)
    )
    return _rows(session, None, stmt)


def home_latest(session: Session, user: User) -> list[ThreadRow]:
    """Latest threads across the member's communities (their home page, kept live)."""
    mine = select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.status == "active"
    )
    stmt = (
        _listing()
        .where(col(Thread.community_id).in_(mine), col(Thread.hidden).is_(False))
        .order_by(col(Thread.last_activity_at).desc())
        .limit(settings.HOME_LIST_SIZE)
    )
    return _rows(session, user, stmt)


def followed_unread(session: Session, actor: User | None) -> list[ThreadRow]:
    """Threads the member follows that have posts they have not read."""
    user = require_user(actor)
    return followed_unread_many(session, [user.id])[user.id]


def followed_unread_many(session: Session, user_ids: Iterable[int]) -> dict[int, list[ThreadRow]]:
    """`followed_unread` of many members in one query: a reply changes it for every
    follower at once, and a query per follower cost more than the reply itself."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    read_upto = func.coalesce(ThreadRead.last_read_number, 0)
    newest = (col(Thread.last_activity_at).desc(), col(Thread.id).desc())
    ranked = (
        _listing()
        .add_columns(
            col(ThreadFollow.user_id).label("follower"),
            read_upto.label("read_upto"),
            func.row_number()
            .over(partition_by=col(ThreadFollow.user_id), order_by=newest)
            .label("rank"),
        )
        .join(
            ThreadFollow,
            and_(ThreadFollow.thread_id == Thread.id, col(ThreadFollow.user_id).in_(ids)),
        )
        .join(
            ThreadRead,
            and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == ThreadFollow.user_id),
            isouter=True,
        )
        .where(
            Thread.post_count > read_upto,
            col(Thread.hidden).is_(False),
            or_(
                Community.visibility == "open",
                col(Thread.community_id).in_(
                    select(Membership.community_id).where(
                        Membership.user_id == ThreadFollow.user_id, Membership.status == "active"
                    )
                ),
            ),
        )
        .subquery()
    )
    rows = session.exec(
        select(*ranked.c)
        .where(ranked.c.rank <= settings.HOME_LIST_SIZE)
        .order_by(ranked.c.follower, ranked.c.rank)
    ).all()
    by_user: dict[int, list[ThreadRow]] = {uid: [] for uid in ids}
    for r in rows:
        by_user[r.follower].append(_row(r, max(0, r.post_count - r.read_upto)))
    return by_user


def could_help(session: Session, actor: User | None) -> list[ThreadRow]:
    """Unanswered questions in the member's communities that match their expertise tags."""
    user = require_user(actor)
    tags = validation.split_tags(user.expertise)
    if not tags:
        return []
    mine = select(Membership.community_id).where(
        Membership.user_id == user.id, Membership.status == "active"
    )
    padded = " " + col(Thread.tags) + " "
    stmt = (
        _listing()
        .where(
            col(Thread.community_id).in_(mine),
            Thread.kind == "question",
            col(Thread.accepted_post_id).is_(None),
            Thread.author_id != user.id,
            col(Thread.hidden).is_(False),
            or_(*[padded.like(f"% {t} %") for t in tags]),
        )
        .order_by(col(Thread.reply_count), col(Thread.created_at).desc())
        .limit(settings.HOME_LIST_SIZE)
    )
    return _rows(session, user, stmt)
