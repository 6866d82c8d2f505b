"""SQL building blocks every measure shares: scope filters, "who acted", period buckets.

Bucketing by day or week is the one place the dialects differ (PostgreSQL has extract(epoch),
SQLite has julianday); everything else is plain SQLAlchemy core on both.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Result, and_, case, cast, func, or_, true
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from cop_app.models import ActivityEvent, Membership, Post, Thread, User
from cop_app.services.impact.scope import Scope

# What "acted" means: posted, replied, reacted, endorsed, reused, published, accepted an
# answer or moved a card. Signing in, editing a profile or being moderated is not acting.
ACTED_KINDS = (
    "thread.created",
    "post.created",
    "post.reacted",
    "thread.answer_accepted",
    "resource.created",
    "resource.promoted",
    "resource.endorsed",
    "resource.reused",
    "board.card_moved",
)
DAY = 86_400
WEEK = 7 * DAY


def run(session: Session, statement: Executable) -> Any:
    """Session.exec's result, run on the session's connection: the measures select columns,
    never ORM objects, and Core skips the ORM's per-statement and per-row work."""
    if session.autoflush:
        session.flush()
    result: Result[Any] = session.connection().execute(statement)
    return result.scalars() if isinstance(statement, SelectOfScalar) else result


def in_scope(column: object, scope: Scope) -> ColumnElement[bool]:
    """A community column limited to the scope (every community: no limit)."""
    if scope.community_ids is None:
        return true()
    return col(column).in_(scope.community_ids)  # type: ignore[arg-type]


def bucket(session: Session, column: object, start: datetime, seconds: int) -> ColumnElement:
    """Whole `seconds`-long steps from `start` to the column's time (0 is the first)."""
    offset = start.timestamp()
    if session.get_bind().dialect.name == "postgresql":
        epoch = func.extract("epoch", column)
        return cast(func.floor((epoch - offset) / seconds), Integer)
    epoch = (func.julianday(column) - 2440587.5) * DAY
    # Rows in a period are at or after its start, so truncation is the floor.
    return cast((epoch - offset) / seconds, Integer)


def not_suspended(now: datetime) -> ColumnElement[bool]:
    """Accounts that may act today: active and not under a running suspension."""
    return and_(
        col(User.is_active).is_(True),
        or_(col(User.suspended_until).is_(None), col(User.suspended_until) <= now),
    )


def members(scope: Scope, at: datetime, now: datetime):
    """Member ids of the scope as of `at`: active memberships (pending requests of
    approval-only communities are not members), suspended accounts left out."""
    return (
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.status == "active",
            Membership.created_at < at,
            in_scope(Membership.community_id, scope),
            not_suspended(now),
        )
        .distinct()
    )


def acted(scope: Scope, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """Conditions on ActivityEvent: someone acted in the scope within [start, end)."""
    return [
        # `kind || ''` keeps the planner on the time index (the period is the narrow part;
        # the kind index would read every acting event of the whole history).
        col(ActivityEvent.kind).concat("").in_(ACTED_KINDS),
        ActivityEvent.created_at >= start,
        ActivityEvent.created_at < end,
        col(ActivityEvent.actor_id).is_not(None),
        in_scope(ActivityEvent.community_id, scope),
    ]


def nearest_rank(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (0.5 median, 0.9 p90) of sorted `values`; None if empty."""
    if not values:
        return None
    rank = max(1, -(-round(share * 1000) * len(values) // 1000))
    return values[min(rank, len(values)) - 1]


def visible_thread(scope: Scope) -> ColumnElement[bool]:
    """Threads that count as conversation: shown, in scope."""
    return and_(col(Thread.hidden).is_(False), in_scope(Thread.community_id, scope))


def visible_post() -> ColumnElement[bool]:
    """Posts that count as conversation: neither hidden nor deleted."""
    return and_(col(Post.hidden).is_(False), col(Post.deleted_at).is_(None))


def as_utc(value: object) -> datetime:
    """A timestamp from an aggregate (SQLite returns MIN() as text), aware in UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 where the condition holds, else 0 (to SUM)."""
    return case((condition, 1), else_=0)
