"""Recording what happens: one ActivityEvent per action, shown to the listeners wired in
services/wiring.py within the transaction, announced after commit."""

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cop_app.models import ActivityEvent, AuditEntry, Membership
from cop_app.models.base import utcnow
from cop_app.services import settings
from cop_app.services.errors import RateLimited
from cop_app.services.events import Change, on_commit, recorded
from cop_app.services.rooms import RoomKey, RoomKind


def feed_room(scope_user_id: int = 0) -> RoomKey:
    """The live feed room: 0 is the admins' whole-site feed, a user id a steward's feed."""
    return RoomKey(RoomKind.ACTIVITY, scope_user_id)


def check_rate(
    session: Session, actor_id: int, kind: str, limit: int, window: timedelta, what: str
) -> None:
    """Refuse a write when this person already did `kind` `limit` times within `window`: the
    activity stream is the counter, so no table of its own is needed."""
    times = session.exec(
        select(ActivityEvent.created_at)
        .where(
            ActivityEvent.actor_id == actor_id,
            ActivityEvent.kind == kind,
            ActivityEvent.created_at >= utcnow() - window,
        )
        .order_by(col(ActivityEvent.created_at))
        .limit(limit)
    ).all()
    if len(times) >= limit:
        wait = max(1, int((times[0] + window - utcnow()).total_seconds()) + 1)
        minutes = (wait + 59) // 60
        raise RateLimited(
            f"You can make at most {limit} {what} an hour. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}; nothing was changed.",
            retry_after=wait,
        )


def record(
    session: Session,
    kind: str,
    actor_id: int | None,
    *,
    community_id: int | None = None,
    target_type: str = "",
    target_id: int | None = None,
    summary: str = "",
    now: datetime | None = None,
) -> ActivityEvent:
    """Add an event to the caller's transaction; the admin room hears of it after commit.
    `now` dates it (seeds replay the past). An event about a community is in its feed."""
    if community_id is None and target_type == "community":
        community_id = target_id
    event = ActivityEvent(
        kind=kind,
        actor_id=actor_id,
        community_id=community_id,
        target_type=target_type,
        target_id=target_id,
        summary=summary[: settings.ACTIVITY_SUMMARY_MAX],
        created_at=now or utcnow(),
    )
    session.add(event)
    recorded(session, event)
    rooms = [feed_room(0)]
    if community_id is not None:
        stewards = session.exec(
            select(Membership.user_id).where(
                Membership.community_id == community_id,
                Membership.role == "steward",
                Membership.status == "active",
            )
        ).all()
        rooms += [feed_room(uid) for uid in stewards]
    # The community lets open impact dashboards (live.py) re-compute only where it matters.
    data: dict[str, object] = {"kind": kind}
    if community_id is not None:
        data["community_id"] = community_id
    on_commit(session, Change("activity", tuple(rooms), data))
    return event


def audit(
    session: Session,
    actor_id: int,
    action: str,
    target_type: str,
    target_id: int | None,
    *,
    reason: str = "",
    before: str = "",
    after: str = "",
    now: datetime | None = None,
) -> AuditEntry:
    """Append an audit entry in the caller's transaction; there is no update or delete.
    `now` dates it (seeds replay the past)."""
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason[: settings.AUDIT_REASON_MAX],
        before=before[: settings.AUDIT_VALUE_MAX],
        after=after[: settings.AUDIT_VALUE_MAX],
        created_at=now or utcnow(),
    )
    session.add(entry)
    return entry


def staff_action(
    session: Session,
    kind: str,
    action: str,
    actor_id: int,
    target_type: str,
    target_id: int | None,
    *,
    summary: str,
    community_id: int | None = None,
    reason: str = "",
    before: str = "",
    after: str = "",
    now: datetime,
) -> None:
    """An admin's, moderator's or steward's act on others' content or standing: it shows in
    the feed as `kind` and is audited as `action` (with its reason and before/after), both in
    the caller's transaction, so neither exists without the other."""
    record(
        session,
        kind,
        actor_id,
        community_id=community_id,
        target_type=target_type,
        target_id=target_id,
        summary=summary,
        now=now,
    )
    audit(
        session,
        actor_id,
        action,
        target_type,
        target_id,
        reason=reason,
        before=before,
        after=after,
        now=now,
    )
