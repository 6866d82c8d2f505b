"""Flags raised by members on content; the moderation queue reads the open ones."""

from datetime import datetime

from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from cop_app.models.base import utcnow


class Flag(SQLModel, table=True):
    """One member's report on one item (a thread, a post, or a later content kind)."""

    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "reporter_id", name="uq_flag_once"),
        Index("ix_flag_open", "status", "community_id", "created_at"),
        Index("ix_flag_target", "target_type", "target_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    target_type: str = Field(max_length=20)
    target_id: int
    community_id: int | None = Field(default=None, foreign_key="community.id")
    author_id: int | None = Field(default=None, foreign_key="user.id")
    reporter_id: int = Field(foreign_key="user.id", index=True)
    reason: str = Field(max_length=20)
    note: str = Field(default="", max_length=500)
    status: str = Field(default="open", max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    resolved_by: int | None = Field(default=None, foreign_key="user.id")
    resolved_at: datetime | None = Field(default=None)
