"""Account recovery: single-use reset links and the requests that throttle them."""

from datetime import datetime

from sqlmodel import Field, Index, SQLModel

from cop_app.models.base import utcnow


class PasswordReset(SQLModel, table=True):
    """One reset link; only the SHA-256 of its token is stored, and it works once."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    # The admin who sent the link from the users page; None when the member asked.
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = Field(default=None)


class ResetRequest(SQLModel, table=True):
    """Every "forgot password" request, known address or not, kept only to throttle them."""

    __table_args__ = (
        Index("ix_resetrequest_email_time", "email", "created_at"),
        Index("ix_resetrequest_client_time", "client_key", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    client_key: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
