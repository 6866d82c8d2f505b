"""Shared column helpers."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC timestamps: SQLModel's UTCDateTime columns store and return them as UTC."""
    return datetime.now(UTC)
