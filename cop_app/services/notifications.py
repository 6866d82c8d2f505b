"""Notifications of every domain: the rows, the bell's count and list, and the per-user room
that hears of them. Domains call `notify` (or `notify_post` for a thread or reply) inside
their transaction; the member's tabs hear of it after commit."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import Community, Notification, Post, Thread, User
from cop_app.models.base import utcnow
from cop_app.services import settings
from cop_app.services.access import require_user
from cop_app.services.events import Change, on_commit


def user_room(user_id: int) -> str:
    """The live room of one member's bell and home page (all their tabs)."""
    return f"user-{user_id}"


@dataclass
class NotificationView:
    """A line under the bell."""

    id: int
    text: str
    link: str
    created_at: datetime
    unread: bool


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
    at: datetime | None = None,
) -> None:
    """Tell each recipient once (never the actor) about what `actor_id` did, linking to it;
    `at` dates it in the past (seeds)."""
    for uid in dict.fromkeys(recipients):
        if uid == actor_id:
            continue
        session.add(
            Notification(
                user_id=uid,
                kind=kind,
                actor_id=actor_id,
                thread_id=thread_id,
                post_id=post_id,
                text=text[:300],
                link=link,
                created_at=at or utcnow(),
            )
        )
        on_commit(
            session, Change("notification", (user_room(uid),), {"kind": kind, "part": "bell"})
        )


def notify_post(
    session: Session,
    recipients: Iterable[int],
    kind: str,
    actor: User,
    thread: Thread,
    post: Post | None,
    text: str,
) -> None:
    """`notify` about a thread, or about one of its posts (the link scrolls to it)."""
    community = session.get(Community, thread.community_id)
    slug = community.slug if community else ""
    link = routes.thread_url(slug, thread.id, post.number if post else None)
    post_id = post.id if post else None
    notify(session, recipients, kind, actor.id, text, link, thread_id=thread.id, post_id=post_id)


def bell(session: Session, actor: User | None) -> tuple[int, list[NotificationView]]:
    """The unread count and the latest notifications of the actor."""
    user = require_user(actor)
    return unread_and_latest(session, user.id)


def unread_and_latest(session: Session, user_id: int) -> tuple[int, list[NotificationView]]:
    """For the bell (also used by the user's live room, which checked access on link)."""
    unread = session.exec(
        select(func.count()).where(
            Notification.user_id == user_id, col(Notification.read_at).is_(None)
        )
    ).one()
    rows = session.exec(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(col(Notification.id).desc())
        .limit(settings.NOTIFICATIONS_PAGE_SIZE)
    ).all()
    return unread, [
        NotificationView(
            id=n.id, text=n.text, link=n.link, created_at=n.created_at, unread=n.read_at is None
        )
        for n in rows
    ]


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
