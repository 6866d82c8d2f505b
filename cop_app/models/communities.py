"""Communities and memberships."""

from datetime import datetime

from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from cop_app.models.base import utcnow


class Community(SQLModel, table=True):
    """A Community of Practice ("cop") or of Interest ("coi") with its domain."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True, index=True)
    name: str = Field(max_length=80)
    kind: str = Field(default="cop", max_length=8, index=True)
    domain: str = Field(max_length=500)
    description: str = Field(default="", max_length=5000)
    tags: str = Field(default="", max_length=300)
    visibility: str = Field(default="open", max_length=16)
    member_count: int = Field(default=0)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime = Field(default_factory=utcnow, index=True)


class Membership(SQLModel, table=True):
    """A member's place in a community: role member or steward, status active or pending."""

    __table_args__ = (
        UniqueConstraint("community_id", "user_id", name="uq_membership_pair"),
        Index("ix_membership_community_status", "community_id", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id")
    user_id: int = Field(foreign_key="user.id", index=True)
    role: str = Field(default="member", max_length=16)
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
