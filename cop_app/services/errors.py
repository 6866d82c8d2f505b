"""Typed domain errors carrying a message a person can read."""


class DomainError(Exception):
    """Base: `message` is shown to the user as is; `field` names the input at fault."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know it exists."""


class Forbidden(DomainError):
    """The actor may not do this."""


class Invalid(DomainError):
    """The input is malformed; `field` tells which one."""


class RateLimited(DomainError):
    """Too many attempts; `retry_after` seconds until the next one may succeed."""

    def __init__(self, message: str, retry_after: int, field: str = "") -> None:
        super().__init__(message, field)
        self.retry_after = retry_after


class Conflict(DomainError):
    """Someone else saved first: `latest` is the revision the actor's text must be compared
    with; nothing was written and the actor's text is theirs to keep."""

    def __init__(self, message: str, latest: int, field: str = "") -> None:
        super().__init__(message, field)
        self.latest = latest


BUSY_MESSAGE = "This page is busy, try again."


class Busy(DomainError):
    """What the actor asked for is held by others right now (a room another tab is
    switching from): nothing was changed, and trying again a moment later works."""
