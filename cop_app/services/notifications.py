"""Notifications of every domain: the rows, the bell's count and list, and the per-user room
that hears of them. Domains call `notify` (or `notify_post` for a thread or reply) inside
their transaction; the member's tabs hear of it after commit."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import Community, Notification, Post, Thread, User
from cop_app.models.base import utcnow
from cop_app.services import settings, validation, wording
from cop_app.services.access import require_user
from cop_app.services.errors import Invalid
from cop_app.services.events import Change, on_commit
from cop_app.services.rooms import RoomKey, RoomKind


def user_room(user_id: int) -> RoomKey:
    """The live room of one member's bell and home page (all their tabs)."""
    return RoomKey(RoomKind.USER, user_id)


@dataclass
class NotificationView:
    """A line under the bell: one notification, or several of one kind on one thread."""

    id: int
    text: str
    link: str
    created_at: datetime
    unread: bool
    ids: list[int] = field(default_factory=list)  # every notification this line stands for


# Kinds whose text starts with the actor's name, so that several on one thread read as one
# line: "Ravi Iyer and 3 others replied in “…”".
GROUPED_KINDS = ("reply", "mention")
# A line's date until its caller reads it (`unread_and_latest_many` dates the lines it shows).
_UNDATED = datetime.min.replace(tzinfo=UTC)


def notify(
    session: Session,
    recipients: Iterable[int],
    kind: str,
    actor_id: int | None,
    text: str,
    link: str,
    *,
    thread_id: int | None = None,
    post_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Tell each recipient once (never the actor) about what `actor_id` did, linking to it;
    `now` dates it (seeds replay the past). One INSERT for all: a reply tells every follower."""
    people = [uid for uid in dict.fromkeys(recipients) if uid != actor_id]
    if not people:
        return
    when = now or utcnow()
    session.exec(
        insert(Notification),
        params=[
            {
                "user_id": uid,
                "kind": kind,
                "actor_id": actor_id,
                "thread_id": thread_id,
                "post_id": post_id,
                "text": text[:300],
                "link": link,
                "created_at": when,
                "read_at": None,
            }
            for uid in people
        ],
    )
    on_commit(
        session,
        Change(
            "notification", tuple(user_room(uid) for uid in people), {"kind": kind, "part": "bell"}
        ),
    )


def notify_post(
    session: Session,
    recipients: Iterable[int],
    kind: str,
    actor: User,
    thread: Thread,
    post: Post | None,
    text: str,
    now: datetime | None = None,
) -> None:
    """`notify` about a thread, or about one of its posts (the link scrolls to it)."""
    community = session.get(Community, thread.community_id)
    slug = community.slug if community else ""
    link = routes.thread_url(slug, thread.id, post.number if post else None)
    post_id = post.id if post else None
    notify(
        session,
        recipients,
        kind,
        actor.id,
        text,
        link,
        thread_id=thread.id,
        post_id=post_id,
        now=now,
    )


def bell(session: Session, actor: User | None) -> tuple[int, list[NotificationView]]:
    """The unread count and the latest notifications of the actor."""
    user = require_user(actor)
    return unread_and_latest(session, user.id)


def unread_and_latest(session: Session, user_id: int) -> tuple[int, list[NotificationView]]:
    """For the bell (also used by the user's live room, which checked access on link)."""
    return unread_and_latest_many(session, [user_id])[user_id]


class _Note(NamedTuple):
    """One notification as the bell's query reads it."""

    id: int
    user_id: int
    kind: str
    actor_id: int | None
    thread_id: int | None
    text: str
    link: str
    unread: bool
    display_name: str | None


def unread_and_latest_many(
    session: Session, user_ids: Iterable[int]
) -> dict[int, tuple[int, list[NotificationView]]]:
    """The bells of many members in three queries: a reply rings every follower's bell at
    once, and queries per follower cost more than the reply itself."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    unread = dict(
        session.exec(
            select(Notification.user_id, func.count())
            .where(col(Notification.user_id).in_(ids), col(Notification.read_at).is_(None))
            .group_by(col(Notification.user_id))
        ).all()
    )
    # Rank ids alone (from the index), then read the few rows each bell shows.
    ranked = (
        select(
            Notification.id,
            func.row_number()
            .over(partition_by=col(Notification.user_id), order_by=col(Notification.id).desc())
            .label("rank"),
        )
        .where(col(Notification.user_id).in_(ids))
        .subquery()
    )
    limit = settings.NOTIFICATIONS_PAGE_SIZE * settings.NOTIFICATIONS_GROUP_READ_FACTOR
    rows = session.exec(
        select(
            Notification.id,
            Notification.user_id,
            Notification.kind,
            Notification.actor_id,
            Notification.thread_id,
            Notification.text,
            Notification.link,
            col(Notification.read_at).is_(None).label("unread"),
            User.display_name,
        )
        .join(ranked, ranked.c.id == Notification.id)
        .join(User, col(User.id) == Notification.actor_id, isouter=True)
        .where(ranked.c.rank <= limit)
        .order_by(col(Notification.user_id), col(Notification.id).desc())
    ).all()
    by_user: dict[int, list[_Note]] = {uid: [] for uid in ids}
    for row in rows:
        note = _Note._make(row)  # a plain tuple: Row attributes cost more than the grouping
        by_user[note.user_id].append(note)
    bells = {uid: _grouped(by_user[uid])[: settings.NOTIFICATIONS_PAGE_SIZE] for uid in ids}
    # Dates only for the lines shown: parsing one per row read cost more than the query.
    shown = {line.id: line for lines in bells.values() for line in lines}
    if shown:
        for nid, created_at in session.exec(
            select(Notification.id, Notification.created_at).where(
                col(Notification.id).in_(list(shown))
            )
        ).all():
            shown[nid].created_at = created_at
    return {uid: (unread.get(uid, 0), bells[uid]) for uid in ids}


def _grouped(rows: list[_Note]) -> list[NotificationView]:
    """Newest first; notifications of a grouped kind on one thread fold into the newest
    (unread ones apart from those already read, so news never hides in an old line)."""
    groups: dict[tuple[str, int, bool], list[_Note]] = {}
    order: list[list[_Note]] = []
    for n in rows:
        if n.kind in GROUPED_KINDS and n.thread_id is not None:
            key = (n.kind, n.thread_id, n.unread)
            if key in groups:
                groups[key].append(n)
                continue
            groups[key] = [n]
            order.append(groups[key])
        else:
            order.append([n])
    return [_line(group) for group in order]


def _line(group: list[_Note]) -> NotificationView:
    newest = group[0]
    text, name = newest.text, newest.display_name
    others = len({n.actor_id for n in group} - {newest.actor_id})
    if others and name and text.startswith(name):
        text = f"{name} and {wording.plural(others, 'other')}{text[len(name) :]}"
    elif len(group) > 1:
        text = f"{text} ({wording.plural(len(group), 'time')})"
    return NotificationView(
        id=newest.id or 0,
        text=text,
        link=newest.link,
        created_at=_UNDATED,  # the caller dates the lines it shows
        unread=any(n.unread for n in group),
        ids=[n.id or 0 for n in group],
    )


def check_mark_read(session: Session, actor: User | None, ids: object) -> int:
    """Opening a line of the bell marks what it stands for read (only the actor's own)."""
    user = require_user(actor)
    if not isinstance(ids, list) or not ids or len(ids) > settings.NOTIFICATIONS_PAGE_SIZE * 5:
        raise Invalid("Choose a notification.")
    wanted = [validation.integer(i, "ids", "Notification") for i in ids]
    result = session.exec(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            col(Notification.id).in_(wanted),
            col(Notification.read_at).is_(None),
        )
        .values(read_at=utcnow())
    )
    on_commit(session, Change("notification", (user_room(user.id),), {"part": "bell"}))
    session.commit()
    return result.rowcount or 0


def mark_all_read(session: Session, actor: User | None) -> None:
    """Mark every notification of the actor as read."""
    user = require_user(actor)
    session.exec(
        update(Notification)
        .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    on_commit(session, Change("notification", (user_room(user.id),), {"part": "bell"}))
    session.commit()
