"""Posts: reply, edit (the earlier text becomes a revision), remove, and the revision
history. Each write verb is a check_ (the actor's request) over a do_ (the write)."""

from datetime import datetime

from sqlmodel import Session, col, select

from cop_app.models import Community, Membership, Post, PostRevision, Thread, ThreadFollow, User
from cop_app.models.base import utcnow
from cop_app.services import contributions, markdown, settings, validation
from cop_app.services.discussions import guards
from cop_app.services.discussions.access import access_post, access_thread, require_member
from cop_app.services.discussions.common import (
    clean_body,
    mentioned_members,
    record_mentions,
    record_post_event,
)
from cop_app.services.discussions.rooms import announce_thread
from cop_app.services.discussions.threads import clean_title, do_mark_read, do_set_following
from cop_app.services.edge import commit_once, committed
from cop_app.services.errors import Forbidden, Invalid
from cop_app.services.notifications import notify_post


def check_post_reply(
    session: Session,
    actor: User | None,
    thread_id: object,
    body: object,
    parent_id: object = None,
    client_key: object = None,
) -> Post:
    """Reply to a thread (optionally to one post). A draft posted again with the same
    `client_key` returns the reply it already made."""
    key = validation.client_key(client_key)
    access = access_thread(session, actor, thread_id)
    require_member(access)
    thread, user = access.thread, access.user
    posted = guards.already_posted(session, user.id, key, thread_id=thread.id)
    if posted is not None:
        return posted
    if thread.locked:
        raise Forbidden("This thread is locked; it accepts no new replies.")
    text = clean_body(body)
    parent: Post | None = None
    if parent_id not in (None, "", 0):
        parent = session.get(Post, validation.integer(parent_id, "parent_id", "Reply"))
        if parent is None or parent.thread_id != thread.id:
            raise Invalid("The post you reply to is not in this thread.", "parent_id")
    guards.check_rate(session, user, thread=False)
    user_id, tid = user.id, thread.id  # a failed flush expires the rows
    return commit_once(
        session,
        lambda: do_post_reply(session, thread, user, text, parent=parent, client_key=key),
        lambda: guards.already_posted(session, user_id, key, thread_id=tid),
    )


def do_post_reply(
    session: Session,
    thread: Thread,
    author: User,
    body: str,
    *,
    parent: Post | None = None,
    client_key: str | None = None,
    now: datetime | None = None,
) -> Post:
    """Write the next numbered post and its counters; followers and mentioned members hear,
    and the author follows the thread."""
    now = now or utcnow()
    community = session.get_one(Community, thread.community_id)
    mentioned = mentioned_members(session, thread.community_id, body)
    # Numbering under a row lock where the database has one (PostgreSQL); SQLite serialises writes.
    locked = session.exec(
        select(Thread)
        .where(Thread.id == thread.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    locked.post_count += 1
    locked.reply_count += 1
    locked.last_activity_at = now
    if locked.first_reply_at is None:
        locked.first_reply_at = now
    post = Post(
        thread_id=thread.id,
        number=locked.post_count,
        author_id=author.id,
        body=body,
        body_html=markdown.render(body, set(mentioned)),
        parent_id=parent.id if parent else None,
        created_at=now,
        client_key=client_key,
    )
    session.add_all([locked, post])
    session.flush()  # a concurrent copy of the same draft fails here, on its unique key
    followers_q = select(ThreadFollow.user_id).where(ThreadFollow.thread_id == thread.id)
    if community.visibility != "open":
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
        author,
        thread,
        post,
        f"{author.display_name} mentioned you in “{thread.title}”",
        now=now,
    )
    notify_post(
        session,
        [f for f in followers if f not in mentioned_ids],
        "reply",
        author,
        thread,
        post,
        f"{author.display_name} replied in “{thread.title}”",
        now=now,
    )
    do_set_following(session, thread, author, True)
    do_mark_read(session, thread, author, post.number)
    community.last_activity_at = now
    session.add(community)
    record_post_event(
        session,
        "post.created",
        author,
        thread,
        post,
        f"{author.display_name} replied in “{thread.title}”",
        now,
    )
    record_mentions(session, author, thread, post, mentioned, now)
    if settings.STAGE_CONTRIBUTOR_MIN_REACTIONS <= 0:  # a bare reply counts
        contributions.refresh(session, [(thread.community_id, author.id)])
    announce_thread(session, thread, "post.created")
    return post


def check_edit_post(
    session: Session, actor: User | None, post_id: object, body: object, title: object = None
) -> Post:
    """Authors edit their own posts (and the title, on the first post)."""
    post, access = access_post(session, actor, post_id)
    if post.author_id != access.user.id:
        raise Forbidden("You can only edit your own posts.")
    if post.deleted_at is not None:
        raise Invalid("A removed post cannot be edited.")
    text = clean_body(body)
    new_title = clean_title(title) if post.number == 1 and title is not None else None
    thread = access.thread
    if text == post.body and (new_title is None or new_title == thread.title):
        return post
    do_edit_post(session, post, thread, access.user, text, new_title)
    return committed(session, post)


def do_edit_post(
    session: Session,
    post: Post,
    thread: Thread,
    editor: User,
    body: str,
    title: str | None = None,
    *,
    now: datetime | None = None,
) -> Post:
    """Keep the previous text as a revision, then write the new text (and title)."""
    now = now or utcnow()
    session.add(
        PostRevision(
            post_id=post.id,
            editor_id=editor.id,
            body=post.body,
            title=thread.title if post.number == 1 else "",
            created_at=now,
        )
    )
    mentioned = mentioned_members(session, thread.community_id, body)
    post.body, post.body_html, post.edited_at = body, markdown.render(body, set(mentioned)), now
    session.add(post)
    if title is not None and title != thread.title:
        thread.title = title
        session.add(thread)
    record_post_event(
        session,
        "post.edited",
        editor,
        thread,
        post,
        f"{editor.display_name} edited a post in “{thread.title}”",
        now,
    )
    announce_thread(session, thread, "post.edited", post.id)
    return post


def check_delete_post(session: Session, actor: User | None, post_id: object) -> Post:
    """Authors remove their own posts."""
    post, access = access_post(session, actor, post_id)
    if post.author_id != access.user.id:
        raise Forbidden("You can only remove your own posts.")
    if post.deleted_at is not None:
        raise Invalid("This post is already removed.")
    do_delete_post(session, post, access.thread, access.user)
    return committed(session, post)


def do_delete_post(
    session: Session, post: Post, thread: Thread, remover: User, *, now: datetime | None = None
) -> Post:
    """Soft delete: the post shows "removed by author"; moderators still see the text. A
    removed answer is no longer the accepted one."""
    now = now or utcnow()
    post.deleted_at = now
    session.add(post)
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
        session.add(thread)
    contributions.refresh(session, [(thread.community_id, post.author_id)])
    record_post_event(
        session,
        "post.deleted",
        remover,
        thread,
        post,
        f"{remover.display_name} removed a post in “{thread.title}”",
        now,
    )
    announce_thread(session, thread, "post.deleted", post.id)
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
        .limit(settings.POST_REVISIONS_SHOWN)
    ).all()
    return [
        {
            "when": r.created_at.strftime("%d %b %Y %H:%M"),
            "title": r.title,
            "body_html": markdown.render(r.body),
        }
        for r in rows
    ]
