"""Discussions: threads and replies, questions with accepted answers, reactions, mentions,
follows, read marks and the notifications they cause (through services/notifications.py).

Write path (Zulip's shape): `access_*` loads and proves, the verb validates and writes one
transaction with an activity event, and the rooms that show the change hear of it on commit.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cop_app.models import (
    Community,
    Membership,
    Post,
    PostRevision,
    Reaction,
    Thread,
    ThreadFollow,
    ThreadRead,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import activity, markdown, settings, validation
from cop_app.services.access import (
    access_community_content,
    may_see_inside,
    membership_of,
    require_user,
)
from cop_app.services.errors import Forbidden, Invalid, NotFound, RateLimited
from cop_app.services.events import Change, on_commit
from cop_app.services.notifications import NotificationView as NotificationView
from cop_app.services.notifications import bell, mark_all_read, notify_post
from cop_app.services.notifications import unread_and_latest as unread_and_latest
from cop_app.services.notifications import user_room as user_room
from cop_app.services.rooms import RoomKey, RoomKind

KINDS = ("discussion", "question")
SORTS = ("latest", "newest", "top", "unanswered")
REACTIONS = ("helpful", "insightful", "thanks")
# The bell moved to services/notifications.py; these names stay importable from here.
notifications = bell
mark_notifications_read = mark_all_read


def thread_room(thread_id: int) -> RoomKey:
    """The live room of one thread's readers."""
    return RoomKey(RoomKind.THREAD, thread_id)


def list_room(community_id: int) -> RoomKey:
    """The live room of one community's thread list."""
    return RoomKey(RoomKind.THREADS, community_id)


# ---------------------------------------------------------------- views


@dataclass
class ThreadRow:
    """A line in a thread list."""

    id: int
    community_slug: str
    community_name: str
    title: str
    kind: str
    author_name: str
    tags: list[str]
    post_count: int
    reply_count: int
    reaction_count: int
    answered: bool
    pinned: bool
    locked: bool
    last_activity_at: datetime
    unread: int = 0


@dataclass
class PostView:
    """One post as readers see it; removed posts keep their place without their text."""

    id: int
    number: int
    author_id: int
    author_name: str
    author_handle: str
    body_html: str
    created_at: datetime
    edited: bool
    removed: bool
    hidden: bool
    parent_number: int
    helpful: int
    insightful: int
    thanks: int
    mine: bool = False
    reacted: list[str] = field(default_factory=list)
    accepted: bool = False


@dataclass
class ThreadView:
    """A thread's header and what the reader may do with it."""

    id: int
    community_id: int
    community_slug: str
    community_name: str
    title: str
    kind: str
    tags: list[str]
    author_id: int
    author_name: str
    post_count: int
    accepted_post_id: int
    pinned: bool
    locked: bool
    created_at: datetime
    following: bool = False
    can_reply: bool = False
    can_moderate: bool = False
    can_accept: bool = False
    is_member: bool = False


# ---------------------------------------------------------------- access


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


def _require_member(access: ThreadAccess) -> None:
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


# ---------------------------------------------------------------- helpers


def _check_rate(session: Session, user: User, *, thread: bool) -> None:
    """Discourse-style limits: a minimum interval and a daily cap, slower for new members."""
    now = utcnow()
    new = now - user.created_at < settings.NEW_MEMBER_PERIOD
    if thread:
        interval = settings.THREAD_MIN_INTERVAL
        daily = settings.NEW_MEMBER_THREADS_PER_DAY if new else settings.THREADS_PER_DAY
        scope = Post.number == 1
        noun = "thread"
    else:
        interval = settings.NEW_MEMBER_POST_MIN_INTERVAL if new else settings.POST_MIN_INTERVAL
        daily = settings.NEW_MEMBER_POSTS_PER_DAY if new else settings.POSTS_PER_DAY
        scope = Post.number > 1
        noun = "reply"
    last, today = session.exec(
        select(func.max(Post.created_at), func.count()).where(
            Post.author_id == user.id, scope, Post.created_at >= now - timedelta(days=1)
        )
    ).one()
    if today >= daily:
        raise RateLimited(
            f"You have reached today's limit of {daily} {noun} posts. Try again tomorrow.",
            retry_after=86400,
            field="body",
        )
    if last is not None:
        wait = (last + interval - now).total_seconds()
        if wait > 0:
            seconds = int(wait) + 1
            raise RateLimited(
                f"You are posting too fast. You can post again in {seconds} seconds; "
                "your text is kept.",
                retry_after=seconds,
                field="body",
            )


def _posted_with_key(session: Session, user_id: int, key: str | None) -> Post | None:
    """The post this author already made from the draft with this idempotency key."""
    if key is None:
        return None
    return session.exec(
        select(Post).where(Post.author_id == user_id, Post.client_key == key)
    ).first()


def _already_posted(
    session: Session, user_id: int, key: str | None, *, thread_id: int | None
) -> Post | None:
    """A retried Post (its acknowledgement lost in a crash) gets the row it created, whatever
    the rate limits say now; a key reused for another thread is refused."""
    post = _posted_with_key(session, user_id, key)
    if post is None:
        return None
    if (post.number == 1) != (thread_id is None) or (
        thread_id is not None and post.thread_id != thread_id
    ):
        raise Invalid("This draft was already posted elsewhere; reload the page.", "form")
    return post


def _flush_keyed(
    session: Session, user_id: int, key: str | None, *, thread_id: int | None
) -> Post | None:
    """Flush the new post; when the same draft was posted concurrently (the unique key lost
    the race), roll back and return the row that won."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        winner = _already_posted(session, user_id, key, thread_id=thread_id)
        if winner is None:
            raise
        return winner
    return None


def _body(value: object) -> str:
    return validation.text(value, "body", "Text", min_len=1, max_len=settings.POST_BODY_MAX)


def _community_handles(session: Session, community_id: int, handles: list[str]) -> dict[str, User]:
    """Mentioned members of the community, by handle (non-members are not notified)."""
    if not handles:
        return {}
    rows = session.exec(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.community_id == community_id,
            Membership.status == "active",
            col(User.handle).in_(handles[:20]),
        )
    ).all()
    return {u.handle: u for u in rows}


def _follow(session: Session, thread_id: int, user_id: int) -> None:
    exists = session.exec(
        select(ThreadFollow.id).where(
            ThreadFollow.thread_id == thread_id, ThreadFollow.user_id == user_id
        )
    ).first()
    if exists is None:
        session.add(ThreadFollow(thread_id=thread_id, user_id=user_id))


def _mark_read(session: Session, thread_id: int, user_id: int, number: int) -> bool:
    """Move a read mark forward; True when there is something to commit."""
    row = session.exec(
        select(ThreadRead).where(ThreadRead.thread_id == thread_id, ThreadRead.user_id == user_id)
    ).first()
    if row is None:
        session.add(ThreadRead(thread_id=thread_id, user_id=user_id, last_read_number=number))
    elif row.last_read_number < number:
        row.last_read_number = number
        session.add(row)
    else:
        return False
    return True


def _announce_thread(
    session: Session, thread: Thread, kind: str, post_id: int | None = None
) -> None:
    """Readers of the thread and of its community's list hear of it; `post_id` names the
    post to patch for readers who loaded it from an older page."""
    on_commit(
        session,
        Change(
            kind,
            (thread_room(thread.id), list_room(thread.community_id)),
            {"id": thread.id, "post_id": post_id},
        ),
    )


# ---------------------------------------------------------------- writes


@dataclass(frozen=True)
class ThreadInput:
    """The new-thread form, validated as a whole."""

    kind: str
    title: str
    body: str
    tags: str


def clean_thread_input(kind: object, title: object, body: object, tags: object) -> ThreadInput:
    """Validate every field of the new-thread form."""
    return ThreadInput(
        kind=validation.choice(kind, KINDS, "kind", "Type"),
        title=validation.line(
            title,
            "title",
            "Title",
            min_len=settings.THREAD_TITLE_MIN,
            max_len=settings.THREAD_TITLE_MAX,
        ),
        body=_body(body),
        tags=validation.tags(
            tags, "tags", max_tags=settings.THREAD_MAX_TAGS, max_len=settings.TAG_MAX_LENGTH
        ),
    )


def create_thread(
    session: Session,
    actor: User | None,
    community_id: object,
    data: ThreadInput,
    client_key: object = None,
) -> Thread:
    """Start a thread in a community the actor belongs to; the author follows it. A draft
    posted again with the same `client_key` returns the thread it already started."""
    user = require_user(actor)
    cid = validation.integer(community_id, "community_id", "Community")
    key = validation.client_key(client_key)
    community = session.get(Community, cid)
    if community is None:
        raise NotFound("This community does not exist.")
    membership = membership_of(session, cid, user.id)
    if membership is None or membership.status != "active":
        raise Forbidden(f"Join {community.name} to start a thread.")
    posted = _already_posted(session, user.id, key, thread_id=None)
    if posted is not None:
        return session.get_one(Thread, posted.thread_id)
    _check_rate(session, user, thread=True)
    mentioned = _community_handles(session, cid, markdown.mentioned_handles(data.body))
    thread = Thread(
        community_id=cid, author_id=user.id, kind=data.kind, title=data.title, tags=data.tags
    )
    session.add(thread)
    session.flush()
    post = Post(
        thread_id=thread.id,
        number=1,
        author_id=user.id,
        body=data.body,
        body_html=markdown.render(data.body, set(mentioned)),
        client_key=key,
    )
    session.add(post)
    winner = _flush_keyed(session, user.id, key, thread_id=None)
    if winner is not None:
        return session.get_one(Thread, winner.thread_id)
    _follow(session, thread.id, user.id)
    _mark_read(session, thread.id, user.id, 1)
    notify_post(
        session,
        [u.id for u in mentioned.values()],
        "mention",
        user,
        thread,
        post,
        f"{user.display_name} mentioned you in “{thread.title}”",
    )
    community.last_activity_at = utcnow()
    session.add(community)
    verb = "asked" if data.kind == "question" else "started"
    activity.record(
        session,
        "thread.created",
        user.id,
        community_id=cid,
        target_type="thread",
        target_id=thread.id,
        summary=f"{user.display_name} {verb} “{thread.title}”",
    )
    if mentioned:
        activity.record(
            session,
            "post.mentioned",
            user.id,
            community_id=cid,
            target_type="post",
            target_id=post.id,
            summary=f"{user.display_name} mentioned "
            + ", ".join(u.display_name for u in mentioned.values()),
        )
    _announce_thread(session, thread, "thread.created")
    _announce_members(session, cid)
    session.commit()
    session.refresh(thread)
    return thread


def _announce_members(session: Session, community_id: int) -> None:
    """Members' home pages list the latest threads of their communities."""
    member_ids = session.exec(
        select(Membership.user_id).where(
            Membership.community_id == community_id, Membership.status == "active"
        )
    ).all()
    rooms = tuple(user_room(u) for u in member_ids)
    on_commit(session, Change("home.threads", rooms, {"part": "home"}))


def post_reply(
    session: Session,
    actor: User | None,
    thread_id: object,
    body: object,
    parent_id: object = None,
    client_key: object = None,
) -> Post:
    """Reply to a thread (optionally to one post); followers and mentioned members hear. A
    draft posted again with the same `client_key` returns the reply it already made."""
    key = validation.client_key(client_key)
    access = access_thread(session, actor, thread_id)
    _require_member(access)
    thread, user = access.thread, access.user
    posted = _already_posted(session, user.id, key, thread_id=thread.id)
    if posted is not None:
        return posted
    if thread.locked:
        raise Forbidden("This thread is locked; it accepts no new replies.")
    text = _body(body)
    parent: Post | None = None
    if parent_id not in (None, "", 0):
        parent = session.get(Post, validation.integer(parent_id, "parent_id", "Reply"))
        if parent is None or parent.thread_id != thread.id:
            raise Invalid("The post you reply to is not in this thread.", "parent_id")
    _check_rate(session, user, thread=False)
    mentioned = _community_handles(session, thread.community_id, markdown.mentioned_handles(text))
    # Numbering under a row lock where the database has one (PostgreSQL); SQLite serialises writes.
    locked = session.exec(
        select(Thread)
        .where(Thread.id == thread.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    now = utcnow()
    locked.post_count += 1
    locked.reply_count += 1
    locked.last_activity_at = now
    if locked.first_reply_at is None:
        locked.first_reply_at = now
    post = Post(
        thread_id=thread.id,
        number=locked.post_count,
        author_id=user.id,
        body=text,
        body_html=markdown.render(text, set(mentioned)),
        parent_id=parent.id if parent else None,
        created_at=now,
        client_key=key,
    )
    session.add_all([locked, post])
    winner = _flush_keyed(session, user.id, key, thread_id=thread.id)
    if winner is not None:
        return winner
    followers_q = select(ThreadFollow.user_id).where(ThreadFollow.thread_id == thread.id)
    if access.community.visibility != "open":
        # Only people who may still read it hear of it (the text names the thread).
        followers_q = followers_q.where(
            col(ThreadFollow.user_id).in_(
                select(Membership.user_id).where(
                    Membership.community_id == thread.community_id, Membership.status == "active"
                )
            )
        )
    followers = session.exec(followers_q).all()
    mentioned_ids = [u.id for u in mentioned.values()]
    notify_post(
        session,
        mentioned_ids,
        "mention",
        user,
        thread,
        post,
        f"{user.display_name} mentioned you in “{thread.title}”",
    )
    notify_post(
        session,
        [f for f in followers if f not in mentioned_ids],
        "reply",
        user,
        thread,
        post,
        f"{user.display_name} replied in “{thread.title}”",
    )
    _follow(session, thread.id, user.id)
    _mark_read(session, thread.id, user.id, post.number)
    access.community.last_activity_at = now
    session.add(access.community)
    activity.record(
        session,
        "post.created",
        user.id,
        community_id=thread.community_id,
        target_type="post",
        target_id=post.id,
        summary=f"{user.display_name} replied in “{thread.title}”",
    )
    if mentioned:
        activity.record(
            session,
            "post.mentioned",
            user.id,
            community_id=thread.community_id,
            target_type="post",
            target_id=post.id,
            summary=f"{user.display_name} mentioned "
            + ", ".join(u.display_name for u in mentioned.values()),
        )
    _announce_thread(session, thread, "post.created")
    session.commit()
    session.refresh(post)
    return post


def edit_post(
    session: Session, actor: User | None, post_id: object, body: object, title: object = None
) -> Post:
    """Authors edit their own posts; the previous text becomes a revision."""
    post, access = access_post(session, actor, post_id)
    if post.author_id != access.user.id:
        raise Forbidden("You can only edit your own posts.")
    if post.deleted_at is not None:
        raise Invalid("A removed post cannot be edited.")
    text = _body(body)
    new_title = None
    if post.number == 1 and title is not None:
        new_title = validation.line(
            title,
            "title",
            "Title",
            min_len=settings.THREAD_TITLE_MIN,
            max_len=settings.THREAD_TITLE_MAX,
        )
    thread = access.thread
    if text == post.body and (new_title is None or new_title == thread.title):
        return post
    session.add(
        PostRevision(
            post_id=post.id,
            editor_id=access.user.id,
            body=post.body,
            title=thread.title if post.number == 1 else "",
        )
    )
    mentioned = _community_handles(session, thread.community_id, markdown.mentioned_handles(text))
    post.body, post.body_html, post.edited_at = (
        text,
        markdown.render(text, set(mentioned)),
        utcnow(),
    )
    session.add(post)
    if new_title is not None and new_title != thread.title:
        thread.title = new_title
        session.add(thread)
    activity.record(
        session,
        "post.edited",
        access.user.id,
        community_id=thread.community_id,
        target_type="post",
        target_id=post.id,
        summary=f"{access.user.display_name} edited a post in “{thread.title}”",
    )
    _announce_thread(session, thread, "post.edited", post.id)
    session.commit()
    session.refresh(post)
    return post


def delete_post(session: Session, actor: User | None, post_id: object) -> Post:
    """Soft delete: the post shows "removed by author"; moderators still see the text."""
    post, access = access_post(session, actor, post_id)
    if post.author_id != access.user.id:
        raise Forbidden("You can only remove your own posts.")
    if post.deleted_at is not None:
        raise Invalid("This post is already removed.")
    post.deleted_at = utcnow()
    session.add(post)
    thread = access.thread
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
        session.add(thread)
    activity.record(
        session,
        "post.deleted",
        access.user.id,
        community_id=thread.community_id,
        target_type="post",
        target_id=post.id,
        summary=f"{access.user.display_name} removed a post in “{thread.title}”",
    )
    _announce_thread(session, thread, "post.deleted", post.id)
    session.commit()
    session.refresh(post)
    return post


def post_revisions(session: Session, actor: User | None, post_id: object) -> list[dict[str, str]]:
    """Earlier versions of a post, newest first (what an "edited" marker opens)."""
    post, access = access_post(session, actor, post_id)
    if post.deleted_at is not None and not access.steward:
        return []
    rows = session.exec(
        select(PostRevision)
        .where(PostRevision.post_id == post.id)
        .order_by(col(PostRevision.id).desc())
        .limit(50)
    ).all()
    return [
        {
            "when": r.created_at.strftime("%d %b %Y %H:%M"),
            "title": r.title,
            "body_html": markdown.render(r.body),
        }
        for r in rows
    ]


def toggle_reaction(session: Session, actor: User | None, post_id: object, kind: object) -> bool:
    """Add or take back one reaction; returns whether it is now on. Members only."""
    post, access = access_post(session, actor, post_id)
    _require_member(access)
    reaction = validation.choice(kind, REACTIONS, "kind", "Reaction")
    if post.deleted_at is not None:
        raise Invalid("A removed post cannot get reactions.")
    existing = session.exec(
        select(Reaction).where(
            Reaction.post_id == post.id,
            Reaction.user_id == access.user.id,
            Reaction.kind == reaction,
        )
    ).first()
    delta = -1 if existing else 1
    if existing:
        session.delete(existing)
    else:
        session.add(Reaction(post_id=post.id, user_id=access.user.id, kind=reaction))
    session.exec(
        update(Post).where(Post.id == post.id).values({reaction: getattr(Post, reaction) + delta})
    )
    session.exec(
        update(Thread)
        .where(Thread.id == post.thread_id)
        .values(reaction_count=Thread.reaction_count + delta)
    )
    if not existing:
        activity.record(
            session,
            "post.reacted",
            access.user.id,
            community_id=access.thread.community_id,
            target_type="post",
            target_id=post.id,
            summary=f"{access.user.display_name} found a post {reaction} "
            f"in “{access.thread.title}”",
        )
    _announce_thread(session, access.thread, "post.reacted", post.id)
    session.commit()
    return not existing


def reactors(session: Session, actor: User | None, post_id: object) -> dict[str, list[str]]:
    """Who reacted, per kind (display names, capped)."""
    post, _ = access_post(session, actor, post_id)
    rows = session.exec(
        select(Reaction.kind, User.display_name)
        .join(User, User.id == Reaction.user_id)
        .where(Reaction.post_id == post.id)
        .order_by(Reaction.id)
        .limit(200)
    ).all()
    result: dict[str, list[str]] = {k: [] for k in REACTIONS}
    for kind, name in rows:
        result[kind].append(name)
    return result


def accept_answer(
    session: Session, actor: User | None, thread_id: object, post_id: object
) -> Thread:
    """The asker or a steward marks one reply as the accepted answer (or clears it: None)."""
    access = access_thread(session, actor, thread_id)
    thread, user = access.thread, access.user
    if thread.kind != "question":
        raise Invalid("Only questions have accepted answers.")
    if thread.author_id != user.id and not access.steward:
        raise Forbidden("Only the person who asked or a steward can accept an answer.")
    if post_id in (None, "", 0):
        thread.accepted_post_id = None
        answer = None
    else:
        answer = session.get(Post, validation.integer(post_id, "post_id", "Reply"))
        if answer is None or answer.thread_id != thread.id or answer.number == 1:
            raise Invalid("Choose a reply in this thread.")
        if answer.deleted_at is not None or answer.hidden:
            raise Invalid("A removed reply cannot be the accepted answer.")
        thread.accepted_post_id = answer.id
        if answer.author_id != user.id:
            notify_post(
                session,
                [answer.author_id],
                "accepted",
                user,
                thread,
                answer,
                f"Your answer in “{thread.title}” was accepted",
            )
    session.add(thread)
    verb = "accepted an answer in" if answer else "cleared the accepted answer of"
    activity.record(
        session,
        "thread.answer_accepted",
        user.id,
        community_id=thread.community_id,
        target_type="thread",
        target_id=thread.id,
        summary=f"{user.display_name} {verb} “{thread.title}”",
    )
    _announce_thread(session, thread, "thread.accepted")
    session.commit()
    session.refresh(thread)
    return thread


def moderate_thread(
    session: Session,
    actor: User | None,
    thread_id: object,
    *,
    pinned: object = None,
    locked: object = None,
) -> Thread:
    """Stewards pin and lock threads; audited."""
    access = access_thread(session, actor, thread_id)
    if not access.steward:
        raise Forbidden("Only this community's stewards can pin or lock threads.")
    thread = access.thread
    changes: list[str] = []
    wanted = {"pinned": pinned, "locked": locked}
    if any(v is not None and not isinstance(v, bool) for v in wanted.values()):
        raise Invalid("Choose on or off.")
    for name, value in wanted.items():
        if value is None:
            continue
        if getattr(thread, name) != value:
            setattr(thread, name, value)
            changes.append(f"{name}={value}")
    if not changes:
        return thread
    session.add(thread)
    summary = ", ".join(changes)
    activity.record(
        session,
        "thread.moderated",
        access.user.id,
        community_id=thread.community_id,
        target_type="thread",
        target_id=thread.id,
        summary=f"{access.user.display_name} set {summary} on “{thread.title}”",
    )
    activity.audit(session, access.user.id, "thread.moderate", "thread", thread.id, after=summary)
    _announce_thread(session, thread, "thread.moderated")
    session.commit()
    session.refresh(thread)
    return thread


def set_following(session: Session, actor: User | None, thread_id: object, follow: object) -> bool:
    """Follow or unfollow a thread the actor can read."""
    access = access_thread(session, actor, thread_id)
    if not isinstance(follow, bool):
        raise Invalid("Choose follow or unfollow.")
    existing = session.exec(
        select(ThreadFollow).where(
            ThreadFollow.thread_id == access.thread.id, ThreadFollow.user_id == access.user.id
        )
    ).first()
    if follow and existing is None:
        session.add(ThreadFollow(thread_id=access.thread.id, user_id=access.user.id))
    elif not follow and existing is not None:
        session.delete(existing)
    session.commit()
    return follow


def mark_read(session: Session, actor: User | None, thread_id: object, number: object) -> None:
    """Remember how far the actor has read."""
    access = access_thread(session, actor, thread_id)
    upto = min(validation.integer(number, "number", "Post"), access.thread.post_count)
    _mark_read(session, access.thread.id, access.user.id, upto)
    session.commit()


# ---------------------------------------------------------------- reads


def _rows(session: Session, user: User | None, stmt) -> list[ThreadRow]:
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
        ThreadRow(
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
            unread=max(0, r.post_count - reads.get(r.id, 0)) if user is not None else 0,
        )
        for r in rows
    ]


def _listing():
    """The columns of a thread row (plain tuples: loading Thread entities costs twice as much)."""
    return (
        select(
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
            Community.slug,
            Community.name,
            User.display_name,
        )
        .join(Community, Community.id == Thread.community_id)
        .join(User, User.id == Thread.author_id)
    )


def read_marks(
    session: Session, actor: User | None, community_id: object, thread_ids: list[int]
) -> dict[str, int]:
    """How far the actor has read each listed thread (keyed by id as text): the unread
    markers beside a community's shared live list, in one query."""
    user = require_user(actor)
    access_community_content(session, user, community_id)
    ids = [i for i in thread_ids[: settings.THREADS_PAGE_SIZE * 2] if isinstance(i, int)]
    if not ids:
        return {}
    rows = session.exec(
        select(ThreadRead.thread_id, ThreadRead.last_read_number).where(
            ThreadRead.user_id == user.id, col(ThreadRead.thread_id).in_(ids)
        )
    ).all()
    return {str(tid): number for tid, number in rows}


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


def get_thread(session: Session, actor: User | None, thread_id: object) -> ThreadView:
    """A thread's header with the actor's permissions on it."""
    return _thread_view(session, access_thread(session, actor, thread_id))


def open_thread(
    session: Session, actor: User | None, thread_id: object
) -> tuple[ThreadView, list[PostView]]:
    """A thread's header and its first page, read with one access check (the page open)."""
    access = access_thread(session, actor, thread_id)
    return _thread_view(session, access), _read_page(session, access, 0)


def _thread_view(session: Session, access: ThreadAccess) -> ThreadView:
    t, user = access.thread, access.user
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


def post_views(
    session: Session,
    viewer: User | None,
    thread: Thread,
    *,
    after: int = 0,
    limit: int,
    newest: bool = False,
    ids: list[int] | None = None,
) -> list[PostView]:
    """Posts of a thread (by number after `after`, the newest `limit`, or given ids) in three
    queries: posts with authors, parents' numbers, and the viewer's own reactions."""
    # Plain columns, not Post entities: the raw Markdown is never needed here, and entity
    # loading was most of a thread open's cost.
    stmt = (
        select(
            Post.id,
            Post.number,
            Post.author_id,
            Post.body_html,
            Post.created_at,
            Post.edited_at,
            Post.deleted_at,
            Post.hidden,
            Post.parent_id,
            Post.helpful,
            Post.insightful,
            Post.thanks,
            User.display_name,
            User.handle,
        )
        .join(User, User.id == Post.author_id)
        .where(Post.thread_id == thread.id)
    )
    if ids is not None:
        stmt = stmt.where(col(Post.id).in_(ids))
    elif newest:
        stmt = stmt.order_by(col(Post.number).desc()).limit(limit)
    else:
        stmt = stmt.where(Post.number > after).order_by(col(Post.number)).limit(limit)
    rows = sorted(session.exec(stmt).all(), key=lambda r: r.number)
    parent_ids = {p.parent_id for p in rows if p.parent_id}
    parents = (
        dict(session.exec(select(Post.id, Post.number).where(col(Post.id).in_(parent_ids))).all())
        if parent_ids
        else {}
    )
    mine: dict[int, list[str]] = {}
    if viewer is not None and rows:
        for pid, kind in session.exec(
            select(Reaction.post_id, Reaction.kind).where(
                Reaction.user_id == viewer.id, col(Reaction.post_id).in_([p.id for p in rows])
            )
        ).all():
            mine.setdefault(pid, []).append(kind)
    views = []
    for p in rows:
        removed = p.deleted_at is not None or p.hidden
        views.append(
            PostView(
                id=p.id,
                number=p.number,
                author_id=p.author_id,
                author_name=p.display_name,
                author_handle=p.handle,
                body_html="" if removed else p.body_html,
                created_at=p.created_at,
                edited=p.edited_at is not None,
                removed=removed,
                hidden=p.hidden,
                parent_number=parents.get(p.parent_id, 0) if p.parent_id else 0,
                helpful=p.helpful,
                insightful=p.insightful,
                thanks=p.thanks,
                mine=viewer is not None and p.author_id == viewer.id,
                reacted=mine.get(p.id, []),
                accepted=thread.accepted_post_id == p.id,
            )
        )
    return views


def read_posts(
    session: Session, actor: User | None, thread_id: object, after: object = 0
) -> list[PostView]:
    """One page of posts after a number; reading it moves the actor's read mark."""
    access = access_thread(session, actor, thread_id)
    start = 0 if after in (0, "0", None) else validation.integer(after, "after", "Position")
    return _read_page(session, access, start)


def _read_page(session: Session, access: ThreadAccess, start: int) -> list[PostView]:
    views = post_views(
        session, access.user, access.thread, after=start, limit=settings.POSTS_PAGE_SIZE
    )
    if views and _mark_read(session, access.thread.id, access.user.id, views[-1].number):
        session.commit()
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
    author edits, as `edit_post` checks again on save."""
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
    text = validation.text(prefix, "prefix", "Name", max_len=40).lower().lstrip("@")
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
    stmt = (
        _listing()
        .join(
            ThreadFollow, and_(ThreadFollow.thread_id == Thread.id, ThreadFollow.user_id == user.id)
        )
        .join(
            ThreadRead,
            and_(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == user.id),
            isouter=True,
        )
        .where(
            Thread.post_count > func.coalesce(ThreadRead.last_read_number, 0),
            col(Thread.hidden).is_(False),
            or_(
                Community.visibility == "open",
                col(Thread.community_id).in_(
                    select(Membership.community_id).where(
                        Membership.user_id == user.id, Membership.status == "active"
                    )
                ),
            ),
        )
        .order_by(col(Thread.last_activity_at).desc())
        .limit(settings.HOME_LIST_SIZE)
    )
    return _rows(session, user, stmt)


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
