"""The period a dashboard shows, and the one before it of the same length (UTC days).

A period is a half-open range [start, end) of whole UTC days. "Last N days" ends at the
end of today (UTC) and so moves with the clock; a custom range names its first and last
day. Both are encoded as two small integers so a dashboard room's id can carry them.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from cop_app.services import settings
from cop_app.services.errors import Invalid

PRESETS = ("7", "30", "90")
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Period:
    """[start, end) and the previous period [prev_start, start) of the same length."""

    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        """Whole days in the period."""
        return (self.end - self.start).days

    @property
    def prev_start(self) -> datetime:
        """Start of the previous period of the same length."""
        return self.start - (self.end - self.start)

    @property
    def label(self) -> str:
        """The period in words, as the dashboard and the CSV say it."""
        last = (self.end - timedelta(days=1)).date()
        return f"{self.start.date().isoformat()} to {last.isoformat()} (UTC)"


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def last_days(days: int, now: datetime) -> Period:
    """The last `days` days, today included."""
    end = _midnight(now.astimezone(UTC).date()) + timedelta(days=1)
    return Period(end - timedelta(days=days), end)


def custom(first: object, last: object) -> Period:
    """A custom range from its first to its last day (YYYY-MM-DD, both included)."""
    try:
        a = date.fromisoformat(first) if isinstance(first, str) else None
        b = date.fromisoformat(last) if isinstance(last, str) else None
    except ValueError:
        a = b = None
    if a is None or b is None:
        raise Invalid("Give both dates of the range as YYYY-MM-DD.", "range")
    if b < a:
        raise Invalid("The range must end on or after the day it starts.", "range")
    if (b - a).days + 1 > settings.IMPACT_MAX_RANGE_DAYS:
        raise Invalid(
            f"A range can be at most {settings.IMPACT_MAX_RANGE_DAYS} days long.", "range"
        )
    return Period(_midnight(a), _midnight(b) + timedelta(days=1))


def encode(period: Period | int) -> tuple[int, int]:
    """(0, N) for "last N days", else (first day, day after the last) as days since 1970."""
    if isinstance(period, int):
        return 0, period
    return (period.start.date() - _EPOCH).days, (period.end.date() - _EPOCH).days


def decode(a: int, b: int, now: datetime) -> Period:
    """The period `encode` gave these numbers for (rolling ones as of `now`)."""
    if a == 0:
        return last_days(b, now)
    return Period(_midnight(_EPOCH + timedelta(days=a)), _midnight(_EPOCH + timedelta(days=b)))
