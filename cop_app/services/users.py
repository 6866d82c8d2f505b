"""People: public profiles and the admin's user management (audited)."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from cop_app.models import ActivityEvent, AuthSession, Community, Membership, Post, User
from cop_app.models.base import utcnow
from cop_app.services import activity, settings, validation, wording
from cop_app.services.access import announce_access_change, require_admin, require_user
from cop_app.services.accounts import ROLES
from cop_app.services.edge import committed
from cop_app.services.errors import Invalid, NotFound


@dataclass
class ProfileView:
    """A public profile: nothing private (no email, no hash)."""

    id: int
    display_name: str
    role: str
    bio: str
    organisation: str
    expertise: list[str]
    joined_at: datetime
    communities: list[dict[str, str]] = field(default_factory=list)


@dataclass
class UserRow:
    """A line on the admin users page; email is shown to admins only."""

    id: int
    display_name: str
    email: str
    role: str
    organisation: str
    joined_at: datetime
    communities: int
    posts: int
    last_active: datetime | None
    suspended: bool


def profile(session: Session, actor: User | None, user_id: object) -> ProfileView:
    """Any signed-in member may read a profile and its communities."""
    require_user(actor)
    uid = validation.integer(user_id, "user_id", "Person")
    user = session.get(User, uid)
    if user is None or not user.is_active:
        raise NotFound("This person does not exist.")
    rows = session.exec(
        select(Community.slug, Community.name, Membership.role)
        .join(Membership, Membership.community_id == Community.id)
        .where(Membership.user_id == uid, Membership.status == "active")
        .order_by(Community.name)
    ).all()
    return ProfileView(
        id=uid,
        display_name=user.display_name,
        role=user.role,
        bio=user.bio,
        organisation=user.organisation,
        expertise=validation.split_tags(user.expertise),
        joined_at=user.created_at,
        communities=[{"slug": s, "name": n, "role": r} for s, n, r in rows],
    )


def list_users(
    session: Session, actor: User | None, query: object = "", role: object = "", page: int = 0
) -> list[UserRow]:
    """Admin search over name, email and organisation, filtered by role."""
    require_admin(actor)
    text = validation.text(query, "query", "Search", max_len=settings.SEARCH_QUERY_MAX).lower()
    counts = (
        select(Membership.user_id, func.count().label("n"))
        .where(Membership.status == "active")
        .group_by(Membership.user_id)
        .subquery()
    )
    posts = select(Post.author_id, func.count().label("n")).group_by(Post.author_id).subquery()
    seen = (
        select(AuthSession.user_id, func.max(AuthSession.last_seen_at).label("at"))
        .group_by(AuthSession.user_id)
        .subquery()
    )
    # Signing in is not the only sign of life: posts, reactions and edits are (the demo's
    # members never signed in, yet they wrote every thread).
    acted = (
        select(ActivityEvent.actor_id, func.max(ActivityEvent.created_at).label("at"))
        .group_by(ActivityEvent.actor_id)
        .subquery()
    )
    stmt = (
        select(
            User,
            func.coalesce(counts.c.n, 0),
            func.coalesce(posts.c.n, 0),
            seen.c.at,
            acted.c.at,
        )
        .join(counts, counts.c.user_id == User.id, isouter=True)
        .join(posts, posts.c.author_id == User.id, isouter=True)
        .join(seen, seen.c.user_id == User.id, isouter=True)
        .join(acted, acted.c.actor_id == User.id, isouter=True)
    )
    if text:
        like = validation.like_pattern(text)
        stmt = stmt.where(
            or_(
                func.lower(User.display_name).like(like, escape="\\"),
                func.lower(User.email).like(like, escape="\\"),
                func.lower(User.organisation).like(like, escape="\\"),
            )
        )
    if role:
        stmt = stmt.where(User.role == validation.choice(role, ROLES, "role", "Role"))
    size = settings.USERS_PAGE_SIZE
    rows = session.exec(
        stmt.order_by(col(User.display_name)).offset(max(0, int(page)) * size).limit(size)
    ).all()
    now = utcnow()
    return [
        UserRow(
            id=u.id or 0,
            display_name=u.display_name,
            email=u.email,
            role=u.role,
            organisation=u.organisation,
            joined_at=u.created_at,
            communities=n,
            posts=p,
            last_active=max((t for t in (seen_at, acted_at) if t is not None), default=None),
            suspended=u.suspended_until is not None and u.suspended_until > now,
        )
        for u, n, p, seen_at, acted_at in rows
    ]


def check_set_role(
    session: Session, actor: User | None, user_id: object, role: object, reason: object = ""
) -> User:
    """An admin changes a site role; admins cannot demote themselves (no lock-out)."""
    admin = require_admin(actor)
    uid = validation.integer(user_id, "user_id", "Person")
    new_role = validation.choice(role, ROLES, "role", "Role")
    why = validation.text(reason, "reason", "Reason", max_len=settings.MODERATION_REASON_MAX)
    user = session.get(User, uid)
    if user is None:
        raise NotFound("This person does not exist.")
    if user.id == admin.id and new_role != "admin":
        raise Invalid("You cannot remove your own admin role; ask another admin.", "role")
    if user.role == new_role:
        return user
    do_set_role(session, admin, user, new_role, why, now=utcnow())
    return committed(session, user)


def do_set_role(
    session: Session, admin: User, user: User, role: str, reason: str, *, now: datetime
) -> None:
    """Write a site role; the person's open tabs re-check what they may see; audited."""
    before = user.role
    user.role = role
    session.add(user)
    announce_access_change(session, user.id, f"Your site role changed to {role}.")
    activity.staff_action(
        session,
        "user.role_changed",
        "user.role",
        admin.id,
        "user",
        user.id,
        summary=f"{admin.display_name} made {user.display_name} {wording.with_article(role)}",
        reason=reason,
        before=before,
        after=role,
        now=now,
    )
    session.flush()
