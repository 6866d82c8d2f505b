"""Accounts: users, server-side sessions and sign-in attempts (for throttling)."""

from datetime import datetime

from sqlmodel import Field, Index, SQLModel

from cop_app.models.base import ClientRequest, UserToken, utcnow


class User(SQLModel, table=True):
    """A person with a site role; expertise is a space-separated list of tag slugs."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(max_length=80)
    handle: str = Field(default="", max_length=40, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="member", max_length=16, index=True)
    bio: str = Field(default="", max_length=2000)
    organisation: str = Field(default="", max_length=120)
    expertise: str = Field(default="", max_length=500)
    is_active: bool = Field(default=True)
    suspended_until: datetime | None = Field(default=None)
    suspension_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class AuthSession(UserToken, table=True):
    """A signed-in browser; the token is the browser's random id."""

    last_seen_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = Field(default=None)


class LoginAttempt(ClientRequest, table=True):
    """Every sign-in attempt, kept to throttle per account and per client."""

    __table_args__ = (
        Index("ix_loginattempt_email_time", "email", "created_at"),
        Index("ix_loginattempt_client_time", "client_key", "created_at"),
    )

    success: bool = Field(default=False)
