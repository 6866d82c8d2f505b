"""What a check_ refuses before anything is written: posting faster than the limits allow,
and a draft that was already posted (its idempotency key names the row it made). Seeds and
imports call the do_ functions and pass none of this."""

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from cop_app.models import Post, User
from cop_app.models.base import utcnow
from cop_app.services import settings, wording
from cop_app.services.errors import Invalid, RateLimited


def check_rate(session: Session, user: User, *, thread: bool) -> None:
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
    day = timedelta(days=1)
    last, today = session.exec(
        select(func.max(Post.created_at), func.count()).where(
            Post.author_id == user.id, scope, Post.created_at >= now - day
        )
    ).one()
    if today >= daily:
        raise RateLimited(
            f"You have reached today's limit of {daily} {noun} posts. Try again tomorrow.",
            retry_after=int(day.total_seconds()),
            field="body",
        )
    if last is not None:
        wait = (last + interval - now).total_seconds()
        if wait > 0:
            seconds = int(wait) + 1
            raise RateLimited(
                f"You are posting too fast. You can post again in "
                f"{wording.plural(seconds, 'second')}; "
                "your text is kept.",
                retry_after=seconds,
                field="body",
            )


def already_posted(
    session: Session, user_id: int, key: str | None, *, thread_id: int | None
) -> Post | None:
    """A retried Post (its acknowledgement lost in a crash) gets the row it created, whatever
    the rate limits say now; a key reused for another thread is refused."""
    if key is None:
        return None
    post = session.exec(
        select(Post).where(Post.author_id == user_id, Post.client_key == key)
    ).first()
    if post is None:
        return None
    if (post.number == 1) != (thread_id is None) or (
        thread_id is not None and post.thread_id != thread_id
    ):
        raise Invalid("This draft was already posted elsewhere; reload the page.", "form")
    return post
