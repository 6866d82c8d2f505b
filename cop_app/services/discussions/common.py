"""Pieces every discussion write shares: the body rule, who a text mentions, and the
activity events of posts and mentions."""

from datetime import datetime

from sqlmodel import Session, col, select

from cop_app.models import Membership, Post, Thread, User
from cop_app.services import activity, markdown, settings, validation


def clean_body(value: object) -> str:
    """A post's Markdown source, within the length every post shares."""
    return validation.text(value, "body", "Text", min_len=1, max_len=settings.POST_BODY_MAX)


def mentioned_members(session: Session, community_id: int, text: str) -> dict[str, User]:
    """Mentioned members of the community, by handle (non-members are not notified)."""
    handles = markdown.mentioned_handles(text)
    if not handles:
        return {}
    rows = session.exec(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.community_id == community_id,
            Membership.status == "active",
            col(User.handle).in_(handles[: settings.MENTIONS_PER_POST]),
        )
    ).all()
    return {u.handle: u for u in rows}


def record_post_event(
    session: Session,
    kind: str,
    actor: User,
    thread: Thread,
    post: Post,
    summary: str,
    now: datetime,
) -> None:
    """A post's activity event, in its thread's community feed."""
    activity.record(
        session,
        kind,
        actor.id,
        community_id=thread.community_id,
        target_type="post",
        target_id=post.id,
        summary=summary,
        now=now,
    )


def record_mentions(
    session: Session,
    author: User,
    thread: Thread,
    post: Post,
    mentioned: dict[str, User],
    now: datetime,
) -> None:
    """The feed shows who was mentioned (the notifications go out with the post)."""
    if not mentioned:
        return
    record_post_event(
        session,
        "post.mentioned",
        author,
        thread,
        post,
        f"{author.display_name} mentioned " + ", ".join(u.display_name for u in mentioned.values()),
        now,
    )
