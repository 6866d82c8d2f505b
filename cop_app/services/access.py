"""One place decides who may touch what (Zulip's access_* helpers): load and prove."""

from sqlmodel import Session, select

from cop_app.models import Community, Membership, User
from cop_app.models.base import utcnow
from cop_app.services.errors import Forbidden, NotFound

CREATOR_ROLES = ("mentor", "admin")


def require_user(actor: User | None) -> User:
    """Every service verb starts here: a missing or suspended actor can do nothing."""
    if actor is None or actor.id is None:
        raise Forbidden("Sign in to do this.")
    if not actor.is_active:
        raise Forbidden("This account is deactivated.")
    if actor.suspended_until is not None and actor.suspended_until > utcnow():
        raise Forbidden("Your account is suspended.")
    return actor


def require_admin(actor: User | None) -> User:
    """Admins only."""
    user = require_user(actor)
    if user.role != "admin":
        raise Forbidden("Only admins can do this.")
    return user


def membership_of(session: Session, community_id: int, user_id: int) -> Membership | None:
    """The actor's membership row in a community, if any."""
    return session.exec(
        select(Membership).where(
            Membership.community_id == community_id, Membership.user_id == user_id
        )
    ).first()


def access_community(session: Session, actor: User | None, community_id: int) -> Community:
    """A community any signed-in user may see (the directory lists every one)."""
    require_user(actor)
    community = session.get(Community, community_id)
    if community is None:
        raise NotFound("This community does not exist.")
    return community


def access_community_as_steward(
    session: Session, actor: User | None, community_id: int
) -> tuple[Community, User]:
    """A community the actor stewards (admins steward every community)."""
    user = require_user(actor)
    community = access_community(session, user, community_id)
    if user.role == "admin":
        return community, user
    membership = membership_of(session, community_id, user.id)
    if membership is None or membership.role != "steward" or membership.status != "active":
        raise Forbidden("Only this community's stewards can do this.")
    return community, user
