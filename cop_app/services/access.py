"""One place decides who may touch what (Zulip's access_* helpers): load and prove."""

from typing import Any, Protocol

from sqlalchemy import Integer, Row, and_, bindparam
from sqlmodel import Session, select

from cop_app.models import Community, Membership, User
from cop_app.models.base import utcnow
from cop_app.services import settings, validation
from cop_app.services.errors import Forbidden, NotFound
from cop_app.services.events import Change, on_commit

CREATOR_ROLES = ("mentor", "admin")
# The kind of change announcing that what one person may see has changed.
ACCESS_CHANGED = "access.changed"


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


class Visible(Protocol):
    """A community as the inside check reads it: an entity, a row of columns, or a ref."""

    visibility: str


def may_see_inside(
    community: Visible, user: User, membership: Membership | Row[Any] | None
) -> bool:
    """Discussions and the member list: open communities for every signed-in user,
    approval-only ones for their active members and admins (the card and About are public)."""
    active = membership is not None and membership.status == "active"
    return community.visibility == "open" or active or user.role == "admin"


def access_community_content(
    session: Session, actor: User | None, community_id: object
) -> Community:
    """A community whose inside (threads, member list) the actor may see; its live rooms
    are joined only after this check."""
    user = require_user(actor)
    cid = validation.integer(community_id, "community_id", "Community")
    community = session.get(Community, cid)
    if community is None:
        raise NotFound("This community does not exist.")
    _require_inside(community, user, membership_of(session, cid, user.id))
    return community


# The page-open checks' statements, built once with bound parameters (every community
# page and thread list open runs one; building it cost as much as running it): the
# community's columns and the actor's membership (role and status NULL when not in it).
_IN_COMMUNITY = and_(
    Membership.community_id == Community.id,
    Membership.user_id == bindparam("user_id", type_=Integer),
)
# A community card's columns with the actor's role and status in it (the directory too).
CARD_WITH_MEMBERSHIP = select(
    Community.id,
    Community.slug,
    Community.name,
    Community.kind,
    Community.domain,
    Community.description,
    Community.tags,
    Community.visibility,
    Community.member_count,
    Community.last_activity_at,
    Membership.role,
    Membership.status,
).join(Membership, _IN_COMMUNITY, isouter=True)
_CONTENT_AT = CARD_WITH_MEMBERSHIP.where(Community.slug == bindparam("slug"))
_PROOF = select(Community.id, Community.name, Community.visibility, Membership.status).join(
    Membership, _IN_COMMUNITY, isouter=True
)
_CONTENT = _PROOF.where(Community.id == bindparam("community_id", type_=Integer))
_CONTENT_ID_AT = _PROOF.where(Community.slug == bindparam("slug"))


def _columns(session: Session, stmt: Any, params: dict[str, Any]) -> Row[Any] | None:
    """One row of a column select, run by the session's connection (no ORM objects or ORM
    execution needed); pending changes are flushed first, as a query does."""
    session.flush()
    return session.connection().execute(stmt, params).first()


def access_community_content_at(
    session: Session, actor: User | None, slug: object
) -> tuple[Row[Any], Row[Any] | None]:
    """`access_community_content` for a page addressed by its slug: the community's columns
    and the actor's membership (role and status; None when not in it), in one query."""
    user = require_user(actor)
    if not isinstance(slug, str) or not slug or len(slug) > settings.COMMUNITY_SLUG_MAX:
        raise NotFound("This community does not exist.")
    row = _columns(session, _CONTENT_AT, {"slug": slug, "user_id": user.id})
    if row is None:
        raise NotFound("This community does not exist.")
    membership = row if row.status is not None else None
    _require_inside(row, user, membership)
    return row, membership


def check_community_content(session: Session, actor: User | None, community_id: object) -> int:
    """`access_community_content` when only the proof is needed (the read marks beside a
    list): the community's id, from one query of columns."""
    user = require_user(actor)
    cid = validation.integer(community_id, "community_id", "Community")
    row = _columns(session, _CONTENT, {"community_id": cid, "user_id": user.id})
    if row is None:
        raise NotFound("This community does not exist.")
    _require_inside(row, user, row if row.status is not None else None)
    return row.id


def check_community_content_at(session: Session, actor: User | None, slug: object) -> int:
    """`access_community_content_at` when only the proof is needed (a list open): the
    community's id, from one query of four columns."""
    user = require_user(actor)
    if not isinstance(slug, str) or not slug or len(slug) > settings.COMMUNITY_SLUG_MAX:
        raise NotFound("This community does not exist.")
    row = _columns(session, _CONTENT_ID_AT, {"slug": slug, "user_id": user.id})
    if row is None:
        raise NotFound("This community does not exist.")
    _require_inside(row, user, row if row.status is not None else None)
    return row.id


def _require_inside(
    community: Community | Row[Any], user: User, membership: Membership | Row[Any] | None
) -> None:
    if not may_see_inside(community, user, membership):
        raise Forbidden(f"Join {community.name} to see its discussions and members.")


def access_self(actor: User | None, user_id: object) -> User:
    """A person's own private things (their bell, their home feed): theirs alone."""
    user = require_user(actor)
    if user.id != user_id:
        raise NotFound("This page does not exist.")
    return user


def announce_access_change(session: Session, user_id: int, reason: str) -> None:
    """After commit, tell the live side that what this person may see changed (signed out,
    suspended, a new role, no longer a member): their open tabs drop the rooms they lost
    and show `reason`, a sentence for that person."""
    on_commit(session, Change(ACCESS_CHANGED, (), {"user_id": user_id, "reason": reason}))


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
