"""Shared column helpers, and the column sets two kinds of table share."""

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC timestamps: SQLModel's UTCDateTime columns store and return them as UTC."""
    return datetime.now(UTC)


class UserToken(SQLModel):
    """A secret handed to one user's browser or mailbox: only its SHA-256 is stored, and it
    lapses at `expires_at` (sign-in sessions, password-reset links)."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ClientRequest(SQLModel):
    """One request by address and client, kept only to throttle both (sign-ins, reset
    requests); each table indexes (email, created_at) and (client_key, created_at)."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    client_key: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
