"""The practice library: resources with revisions, credits, endorsements, reuse, files."""

from datetime import datetime

from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from cop_app.models.base import utcnow


class Resource(SQLModel, table=True):
    """A guide, template, checklist, case story or tool in one community. The current text
    is kept here (and in its newest revision); counters are kept by the services."""

    __table_args__ = (
        UniqueConstraint("author_id", "client_key", name="uq_resource_author_client_key"),
        Index("ix_resource_community_reused", "community_id", "outdated", "reuse_count"),
        Index("ix_resource_community_endorsed", "community_id", "outdated", "endorse_count"),
        Index("ix_resource_community_created", "community_id", "outdated", "created_at"),
        Index("ix_resource_community_updated", "community_id", "outdated", "updated_at"),
        Index("ix_resource_community_reviewed", "community_id", "reviewed_at"),
        Index("ix_resource_owner_reviewed", "owner_id", "reviewed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    author_id: int = Field(foreign_key="user.id", index=True)
    owner_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    summary: str = Field(max_length=500)
    body: str = Field(max_length=50_000)
    body_html: str = Field(max_length=200_000)
    tags: str = Field(default="", max_length=300)
    url: str = Field(default="", max_length=500)
    revision: int = Field(default=1)
    endorse_count: int = Field(default=0)
    reuse_count: int = Field(default=0)
    outdated: bool = Field(default=False)
    reviewed_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    source_thread_id: int | None = Field(default=None, foreign_key="thread.id", index=True)
    source_post_id: int | None = Field(default=None, foreign_key="post.id")
    # The idempotency key of the draft this resource came from: a retried Create returns it.
    client_key: str | None = Field(default=None, max_length=64)


class ResourceRevision(SQLModel, table=True):
    """The whole text of a resource as one save left it: who, when, and why (the note)."""

    __table_args__ = (UniqueConstraint("resource_id", "number", name="uq_resourcerevision_number"),)

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(foreign_key="resource.id")
    number: int
    editor_id: int = Field(foreign_key="user.id")
    title: str = Field(max_length=200)
    summary: str = Field(max_length=500)
    body: str = Field(max_length=50_000)
    tags: str = Field(default="", max_length=300)
    url: str = Field(default="", max_length=500)
    note: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ResourceCredit(SQLModel, table=True):
    """Someone whose words a promoted resource started from (a thread's authors)."""

    __table_args__ = (UniqueConstraint("resource_id", "user_id", name="uq_resourcecredit"),)

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(foreign_key="resource.id")
    user_id: int = Field(foreign_key="user.id", index=True)


class Endorsement(SQLModel, table=True):
    """ "I practise this": one per member per resource, withdrawable."""

    __table_args__ = (UniqueConstraint("resource_id", "user_id", name="uq_endorsement"),)

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(foreign_key="resource.id")
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Reuse(SQLModel, table=True):
    """ "I used this", with an optional one-line outcome: the knowledge-reuse figure."""

    __table_args__ = (Index("ix_reuse_resource_time", "resource_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(foreign_key="resource.id")
    user_id: int = Field(foreign_key="user.id", index=True)
    outcome: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Attachment(SQLModel, table=True):
    """A file of a resource: stored under a generated key; `filename` is for display only."""

    id: int | None = Field(default=None, primary_key=True)
    resource_id: int = Field(foreign_key="resource.id", index=True)
    uploader_id: int = Field(foreign_key="user.id")
    key: str = Field(max_length=80, unique=True)
    filename: str = Field(max_length=120)
    content_type: str = Field(max_length=100)
    size: int
    created_at: datetime = Field(default_factory=utcnow)
