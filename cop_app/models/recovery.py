"""Account recovery: single-use reset links and the requests that throttle them."""

from datetime import datetime

from sqlmodel import Field, Index

from cop_app.models.base import ClientRequest, UserToken


class PasswordReset(UserToken, table=True):
    """One reset link; it works once."""

    # The admin who sent the link from the users page; None when the member asked.
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    used_at: datetime | None = Field(default=None)


class ResetRequest(ClientRequest, table=True):
    """Every "forgot password" request, known address or not, kept only to throttle them."""

    __table_args__ = (
        Index("ix_resetrequest_email_time", "email", "created_at"),
        Index("ix_resetrequest_client_time", "client_key", "created_at"),
    )
