"""Discussions: threads, their posts (post 1 is the opening post), reactions, follows,
read marks, revisions and notifications."""

from datetime import datetime

from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from cop_app.models.base import utcnow


class Thread(SQLModel, table=True):
    """A discussion or a question in one community; counters are kept by the services."""

    __table_args__ = (
        Index("ix_thread_community_activity", "community_id", "pinned", "last_activity_at"),
        Index("ix_thread_community_created", "community_id", "created_at"),
        Index("ix_thread_community_score", "community_id", "reaction_count"),
        Index(
            "ix_thread_community_unanswered",
            "community_id",
            "kind",
            "accepted_post_id",
            "reply_count",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    author_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(default="discussion", max_length=16)
    title: str = Field(max_length=200)
    tags: str = Field(default="", max_length=300)
    post_count: int = Field(default=1)
    reply_count: int = Field(default=0)
    reaction_count: int = Field(default=0)
    accepted_post_id: int | None = Field(default=None)
    pinned: bool = Field(default=False)
    locked: bool = Field(default=False)
    hidden: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime = Field(default_factory=utcnow, index=True)
    first_reply_at: datetime | None = Field(default=None)


class Post(SQLModel, table=True):
    """One post; `number` orders a thread (1 is the opening post); body_html is sanitized."""

    __table_args__ = (
        UniqueConstraint("thread_id", "number", name="uq_post_thread_number"),
        UniqueConstraint("author_id", "client_key", name="uq_post_author_client_key"),
        # The impact measures: a period's replies by time, what they count read from this
        # index alone (not each post's row, past its body); first replies read a thread's
        # posts from the second (services/impact).
        Index(
            "ix_post_period",
            "created_at",
            "thread_id",
            "number",
            "author_id",
            "parent_id",
            "hidden",
            "deleted_at",
        ),
        Index(
            "ix_post_thread_stage",
            "thread_id",
            "number",
            "author_id",
            "created_at",
            "hidden",
            "deleted_at",
            "helpful",
            "insightful",
            "thanks",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="thread.id")
    number: int
    author_id: int = Field(foreign_key="user.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="post.id")
    body: str = Field(max_length=50_000)
    body_html: str = Field(max_length=200_000)
    helpful: int = Field(default=0)
    insightful: int = Field(default=0)
    thanks: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = Field(default=None)
    deleted_at: datetime | None = Field(default=None)
    hidden: bool = Field(default=False)
    # The idempotency key of the draft this post came from: a retried Post returns this row.
    client_key: str | None = Field(default=None, max_length=64)


class PostRevision(SQLModel, table=True):
    """The text a post had before an edit (the history readers can open)."""

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    editor_id: int = Field(foreign_key="user.id")
    title: str = Field(default="", max_length=200)
    body: str = Field(max_length=50_000)
    created_at: datetime = Field(default_factory=utcnow)


class Reaction(SQLModel, table=True):
    """One member's reaction of one kind on one post."""

    __table_args__ = (UniqueConstraint("post_id", "user_id", "kind", name="uq_reaction"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class ThreadFollow(SQLModel, table=True):
    """A member follows a thread (authors and repliers automatically)."""

    __table_args__ = (UniqueConstraint("thread_id", "user_id", name="uq_follow"),)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="thread.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)


class ThreadRead(SQLModel, table=True):
    """How far a member has read a thread: unread = post_count - last_read_number."""

    __table_args__ = (UniqueConstraint("thread_id", "user_id", name="uq_thread_read"),)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="thread.id")
    user_id: int = Field(foreign_key="user.id", index=True)
    last_read_number: int = Field(default=0)


class Notification(SQLModel, table=True):
    """Something for one member: a mention, a reply in a followed thread, an accepted answer."""

    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=30)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    thread_id: int | None = Field(default=None, foreign_key="thread.id")
    post_id: int | None = Field(default=None, foreign_key="post.id")
    text: str = Field(max_length=300)
    link: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = Field(default=None)


class FirstContribution(SQLModel, table=True):
    """When a member's first reply in a community that counts as a contribution (visible, in a
    visible thread, reacted to or accepted by someone else) was written: a member is past
    asker once one exists, so the impact growth path reads these rows instead of every post.
    services/contributions.py keeps them in the transaction of each write that changes what
    counts."""

    community_id: int = Field(foreign_key="community.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    created_at: datetime
