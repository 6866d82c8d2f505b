"""Suspensions: an admin or steward suspends an account, an admin lifts it — audited."""

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from cop_app.models import Membership, User
from cop_app.models.base import utcnow
from cop_app.services import activity, settings, validation
from cop_app.services.access import announce_access_change, require_admin, require_user
from cop_app.services.accounts import revoke_all_sessions
from cop_app.services.edge import committed
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.moderation.targets import stewarded_ids

# Far enough to read as "until further notice" while keeping one column and one comparison.
INDEFINITE = datetime(9999, 12, 31, tzinfo=UTC)


def is_suspended(user: User) -> bool:
    """A suspension in force now."""
    return user.suspended_until is not None and user.suspended_until > utcnow()


def check_suspend(
    session: Session, actor: User | None, user_id: object, reason: object, until: object = None
) -> User:
    """Suspend an account now: its sessions are revoked and every handler refuses it.
    Admins suspend anyone but themselves; stewards suspend members of their communities."""
    moderator = require_user(actor)
    uid = validation.integer(user_id, "user_id", "Person")
    why = validation.text(
        reason, "reason", "Reason", min_len=3, max_len=settings.MODERATION_REASON_MAX
    )
    end = _parse_until(until)
    target = session.get(User, uid)
    if target is None:
        raise NotFound("This person does not exist.")
    if target.id == moderator.id:
        raise Invalid("You cannot suspend yourself.")
    scope = stewarded_ids(session, moderator)
    if scope is not None:
        if not scope:
            raise Forbidden("Only admins and stewards can suspend accounts.")
        if target.role == "admin":
            raise Forbidden("Stewards cannot suspend an admin; ask another admin.")
        shared = session.exec(
            select(Membership.id).where(
                Membership.user_id == uid,
                Membership.status == "active",
                col(Membership.community_id).in_(scope),
            )
        ).first()
        if shared is None:
            raise Forbidden("Stewards can suspend only members of communities they steward.")
    elif target.role == "admin" and moderator.role != "admin":
        raise Forbidden("Only admins can suspend an admin.")
    do_suspend(session, moderator, target, why, end, now=utcnow())
    return committed(session, target)


def do_suspend(
    session: Session, moderator: User, target: User, reason: str, end: datetime, *, now: datetime
) -> None:
    """Write the suspension and end every session of the account; audited."""
    uid = target.id
    before = target.suspended_until.isoformat() if is_suspended(target) else "active"
    target.suspended_until = end
    target.suspension_reason = reason
    session.add(target)
    revoke_all_sessions(session, uid, now)
    announce_access_change(session, uid, "Your account was suspended.")
    shown = "until further notice" if end == INDEFINITE else f"until {end:%d %b %Y}"
    activity.staff_action(
        session,
        "moderation.suspended",
        "user.suspend",
        moderator.id,
        "user",
        uid,
        summary=f"{moderator.display_name} suspended {target.display_name} {shown}",
        reason=reason,
        before=before,
        after=shown,
        now=now,
    )
    session.flush()


def _parse_until(value: object) -> datetime:
    if value in (None, ""):
        return INDEFINITE
    if not isinstance(value, str):
        raise Invalid("Give the end date as YYYY-MM-DD, or leave it empty.", "until")
    try:
        end = datetime.fromisoformat(value.strip()[:10]).replace(tzinfo=utcnow().tzinfo)
    except ValueError:
        raise Invalid("Give the end date as YYYY-MM-DD, or leave it empty.", "until") from None
    if end <= utcnow():
        raise Invalid("The end date must be in the future.", "until")
    return end


def check_reactivate(
    session: Session, actor: User | None, user_id: object, reason: object = ""
) -> User:
    """Lift a suspension (admins only)."""
    admin = require_admin(actor)
    uid = validation.integer(user_id, "user_id", "Person")
    why = validation.text(reason, "reason", "Reason", max_len=settings.MODERATION_REASON_MAX)
    target = session.get(User, uid)
    if target is None:
        raise NotFound("This person does not exist.")
    if not is_suspended(target):
        raise Invalid("This account is not suspended.")
    do_reactivate(session, admin, target, why, now=utcnow())
    return committed(session, target)


def do_reactivate(
    session: Session, admin: User, target: User, reason: str, *, now: datetime
) -> None:
    """Lift the suspension; audited."""
    target.suspended_until = None
    target.suspension_reason = ""
    session.add(target)
    activity.staff_action(
        session,
        "moderation.reactivated",
        "user.reactivate",
        admin.id,
        "user",
        target.id,
        summary=f"{admin.display_name} reactivated {target.display_name}",
        reason=reason,
        before="suspended",
        after="active",
        now=now,
    )
    session.flush()
