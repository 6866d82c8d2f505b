"""The activity stream (everything that happens) and the append-only audit log."""

from datetime import datetime

from sqlmodel import Field, Index, SQLModel

from cop_app.models.base import utcnow


class ActivityEvent(SQLModel, table=True):
    """One thing someone did; the admin feed and the metrics read these rows."""

    __table_args__ = (
        Index("ix_activity_community_time", "community_id", "id"),
        # The impact measures read a period's events from this index alone.
        Index("ix_activity_time_kind_actor", "created_at", "kind", "actor_id", "community_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    community_id: int | None = Field(default=None, foreign_key="community.id")
    target_type: str = Field(default="", max_length=30)
    target_id: int | None = Field(default=None)
    summary: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class AuditEntry(SQLModel, table=True):
    """An admin or steward action: who, what, target, reason, before and after."""

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="user.id", index=True)
    action: str = Field(max_length=40, index=True)
    target_type: str = Field(max_length=30)
    target_id: int | None = Field(default=None)
    reason: str = Field(default="", max_length=500)
    before: str = Field(default="", max_length=2000)
    after: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, index=True)
