"""Threads: start one (its first post), pin and lock, follow, and how far a member has
read. Each verb is a check_ (the actor's request) over a do_ (the write)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session, select

from cop_app.models import Community, Post, Thread, ThreadFollow, ThreadRead, User
from cop_app.models.base import utcnow
from cop_app.services import activity, markdown, settings, validation
from cop_app.services.access import membership_of, require_user
from cop_app.services.discussions import guards
from cop_app.services.discussions.access import ThreadAccess, access_thread
from cop_app.services.discussions.common import clean_body, mentioned_members, record_mentions
from cop_app.services.discussions.reads import page_start, read_page, thread_page
from cop_app.services.discussions.rooms import announce_members, announce_thread
from cop_app.services.discussions.views import KINDS, PostView, ThreadView
from cop_app.services.edge import commit_once, committed
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.notifications import notify_post


@dataclass(frozen=True)
class ThreadInput:
    """The new-thread form, validated as a whole."""

    kind: str
    title: str
    body: str
    tags: str


def clean_title(value: object) -> str:
    """A thread's title, within the lengths every title shares."""
    return validation.line(
        value,
        "title",
        "Title",
        min_len=settings.THREAD_TITLE_MIN,
        max_len=settings.THREAD_TITLE_MAX,
    )


def clean_thread_input(kind: object, title: object, body: object, tags: object) -> ThreadInput:
    """Validate every field of the new-thread form."""
    return ThreadInput(
        kind=validation.choice(kind, KINDS, "kind", "Type"),
        title=clean_title(title),
        body=clean_body(body),
        tags=validation.tags(
            tags, "tags", max_tags=settings.THREAD_MAX_TAGS, max_len=settings.TAG_MAX_LENGTH
        ),
    )


def check_create_thread(
    session: Session,
    actor: User | None,
    community_id: object,
    data: ThreadInput,
    client_key: object = None,
) -> Thread:
    """Start a thread in a community the actor belongs to. A draft posted again with the
    same `client_key` returns the thread it already started."""
    user = require_user(actor)
    cid = validation.integer(community_id, "community_id", "Community")
    key = validation.client_key(client_key)
    community = session.get(Community, cid)
    if community is None:
        raise NotFound("This community does not exist.")
    membership = membership_of(session, cid, user.id)
    if membership is None or membership.status != "active":
        raise Forbidden(f"Join {community.name} to start a thread.")
    posted = guards.already_posted(session, user.id, key, thread_id=None)
    if posted is not None:
        return session.get_one(Thread, posted.thread_id)
    guards.check_rate(session, user, thread=True)
    user_id = user.id  # a failed flush expires the rows

    def twin() -> Thread | None:
        first = guards.already_posted(session, user_id, key, thread_id=None)
        return None if first is None else session.get_one(Thread, first.thread_id)

    return commit_once(
        session, lambda: do_create_thread(session, community, user, data, client_key=key), twin
    )


def do_create_thread(
    session: Session,
    community: Community,
    author: User,
    data: ThreadInput,
    *,
    client_key: str | None = None,
    now: datetime | None = None,
) -> Thread:
    """Write the thread and its first post; the author follows it, mentioned members hear."""
    now = now or utcnow()
    mentioned = mentioned_members(session, community.id, data.body)
    thread = Thread(
        community_id=community.id,
        author_id=author.id,
        kind=data.kind,
        title=data.title,
        tags=data.tags,
        created_at=now,
        last_activity_at=now,
    )
    session.add(thread)
    session.flush()
    post = Post(
        thread_id=thread.id,
        number=1,
        author_id=author.id,
        body=data.body,
        body_html=markdown.render(data.body, set(mentioned)),
        client_key=client_key,
        created_at=now,
    )
    session.add(post)
    session.flush()  # a concurrent copy of the same draft fails here, on its unique key
    do_set_following(session, thread, author, True)
    do_mark_read(session, thread, author, 1)
    notify_post(
        session,
        [u.id for u in mentioned.values()],
        "mention",
        author,
        thread,
        post,
        f"{author.display_name} mentioned you in “{thread.title}”",
        now=now,
    )
    community.last_activity_at = now
    session.add(community)
    verb = "asked" if data.kind == "question" else "started"
    activity.record(
        session,
        "thread.created",
        author.id,
        community_id=community.id,
        target_type="thread",
        target_id=thread.id,
        summary=f"{author.display_name} {verb} “{thread.title}”",
        now=now,
    )
    record_mentions(session, author, thread, post, mentioned, now)
    announce_thread(session, thread, "thread.created")
    announce_members(session, community.id)
    return thread


def check_moderate_thread(
    session: Session,
    actor: User | None,
    thread_id: object,
    *,
    pinned: object = None,
    locked: object = None,
) -> Thread:
    """Stewards pin and lock threads."""
    access = access_thread(session, actor, thread_id)
    if not access.steward:
        raise Forbidden("Only this community's stewards can pin or lock threads.")
    thread = access.thread
    wanted = {"pinned": pinned, "locked": locked}
    if any(v is not None and not isinstance(v, bool) for v in wanted.values()):
        raise Invalid("Choose on or off.")
    changes = {
        name: value
        for name, value in wanted.items()
        if isinstance(value, bool) and getattr(thread, name) != value
    }
    if not changes:
        return thread
    do_moderate_thread(session, thread, access.user, changes)
    return committed(session, thread)


def do_moderate_thread(
    session: Session,
    thread: Thread,
    moderator: User,
    changes: dict[str, bool],
    *,
    now: datetime | None = None,
) -> Thread:
    """Set `pinned` and/or `locked`; audited, since it changes what members may do."""
    now = now or utcnow()
    for name, value in changes.items():
        setattr(thread, name, value)
    session.add(thread)
    summary = ", ".join(f"{name}={value}" for name, value in changes.items())
    activity.staff_action(
        session,
        "thread.moderated",
        "thread.moderate",
        moderator.id,
        "thread",
        thread.id,
        community_id=thread.community_id,
        summary=f"{moderator.display_name} set {summary} on “{thread.title}”",
        after=summary,
        now=now,
    )
    announce_thread(session, thread, "thread.moderated")
    return thread


def check_set_following(
    session: Session, actor: User | None, thread_id: object, follow: object
) -> bool:
    """Follow or unfollow a thread the actor can read."""
    access = access_thread(session, actor, thread_id)
    if not isinstance(follow, bool):
        raise Invalid("Choose follow or unfollow.")
    do_set_following(session, access.thread, access.user, follow)
    session.commit()
    return follow


def do_set_following(session: Session, thread: Thread, user: User, follow: bool) -> bool:
    """Add or drop the follow (nothing when it is already so); returns `follow`."""
    existing = session.exec(
        select(ThreadFollow).where(
            ThreadFollow.thread_id == thread.id, ThreadFollow.user_id == user.id
        )
    ).first()
    if follow and existing is None:
        session.add(ThreadFollow(thread_id=thread.id, user_id=user.id))
    elif not follow and existing is not None:
        session.delete(existing)
    return follow


def check_mark_read(
    session: Session, actor: User | None, thread_id: object, number: object
) -> None:
    """Remember how far the actor has read (never past the last post)."""
    access = access_thread(session, actor, thread_id)
    upto = min(validation.integer(number, "number", "Post"), access.thread.post_count)
    if do_mark_read(session, access.thread, access.user, upto):
        session.commit()


def check_open_thread(
    session: Session, actor: User | None, thread_id: object
) -> tuple[ThreadView, list[PostView]]:
    """Open a thread's page and mark its first page read, on one access proof (a page open
    ran two: the read's and the mark's)."""
    access = access_thread(session, actor, thread_id, reader=True)
    view, posts = thread_page(session, access)
    _mark_shown(session, access, posts)
    return view, posts


def check_read_more(
    session: Session, actor: User | None, thread_id: object, after: object
) -> list[PostView]:
    """The next page of a thread, marked read as it is shown, on one access proof."""
    access = access_thread(session, actor, thread_id, reader=True)
    posts = read_page(session, access, page_start(after))
    _mark_shown(session, access, posts)
    return posts


def _mark_shown(session: Session, access: ThreadAccess, posts: list[PostView]) -> None:
    """Move the read mark to the last post shown; a page read before (a reopened thread)
    writes nothing and reads nothing more, the mark came with the access check."""
    if not posts:
        return
    upto = min(posts[-1].number, access.thread.post_count)
    if access.read_upto is not None and access.read_upto >= upto:
        return
    if do_mark_read(session, access.thread, access.user, upto):
        session.commit()


def do_mark_read(session: Session, thread: Thread | Row[Any], user: User, number: int) -> bool:
    """Move a read mark forward, never back; True when it moved."""
    row = session.exec(
        select(ThreadRead).where(ThreadRead.thread_id == thread.id, ThreadRead.user_id == user.id)
    ).first()
    if row is None:
        session.add(ThreadRead(thread_id=thread.id, user_id=user.id, last_read_number=number))
    elif row.last_read_number < number:
        row.last_read_number = number
        session.add(row)
    else:
        return False
    return True
