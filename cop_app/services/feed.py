"""Reading the activity stream and the audit log: the admin feed, its summary, history pages.

Every event kind is shown from its own stored summary, so new kinds (library, mentorship)
appear in the feed with no change here; `group_of` only sorts them into filter groups.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, not_, or_
from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import ActivityEvent, AuditEntry, AuthSession, Community, Post, User
from cop_app.models.base import utcnow
from cop_app.services import settings, validation
from cop_app.services.access import require_admin, require_user
from cop_app.services.errors import Forbidden
from cop_app.services.moderation import open_flag_count, stewarded_ids

GROUPS = ("account", "community", "discussion", "moderation", "library", "mentorship")
_GROUP_OF_PREFIX = {
    "user": "account",
    "community": "community",
    "thread": "discussion",
    "post": "discussion",
    "moderation": "moderation",
    "library": "library",
    "resource": "library",
    "mentorship": "mentorship",
    "board": "mentorship",
}


def group_of(kind: str) -> str:
    """The filter group of an event kind (unknown prefixes fall into "community")."""
    return _GROUP_OF_PREFIX.get(kind.split(".", 1)[0], "community")


@dataclass
class EventView:
    """One readable line of the feed: who, what, where (linked), when."""

    id: int
    kind: str
    group: str
    actor_id: int
    actor_name: str
    community_id: int
    community_name: str
    summary: str
    link: str
    created_at: datetime


@dataclass
class FeedSummary:
    """The live numbers beside the feed."""

    events_last_hour: int
    active_now: int
    open_flags: int


def _link(event: ActivityEvent, slug: str | None, post: tuple[int | None, int | None]) -> str:
    if event.target_type == "thread" and slug:
        return routes.thread_url(slug, event.target_id)
    thread_id, number = post
    if event.target_type == "post" and slug and thread_id:
        return routes.thread_url(slug, thread_id, number)
    if event.target_type == "resource" and event.target_id:
        return routes.resource_url(event.target_id)
    if event.target_type == "user" and event.target_id:
        return routes.profile_url(event.target_id)
    if slug:
        return routes.community_url(slug)
    return ""


def _events():
    """Events with their actor's and community's names, in one query."""
    return (
        select(
            ActivityEvent,
            User.display_name,
            Community.name,
            Community.slug,
            Post.thread_id,
            Post.number,
        )
        .join(User, User.id == ActivityEvent.actor_id, isouter=True)
        .join(Community, Community.id == ActivityEvent.community_id, isouter=True)
        # A reply's line opens the reply in its thread, not the community.
        .join(
            Post,
            and_(ActivityEvent.target_type == "post", Post.id == ActivityEvent.target_id),
            isouter=True,
        )
    )


def _views(session: Session, stmt) -> list[EventView]:
    rows = session.exec(stmt).all()
    return [
        EventView(
            id=e.id or 0,
            kind=e.kind,
            group=group_of(e.kind),
            actor_id=e.actor_id or 0,
            actor_name=name or "System",
            community_id=e.community_id or 0,
            community_name=cname or "",
            summary=e.summary,
            link=_link(e, slug, (thread_id, number)),
            created_at=e.created_at,
        )
        for e, name, cname, slug, thread_id, number in rows
    ]


def _scoped(stmt, scope: list[int] | None):
    if scope is None:
        return stmt
    return stmt.where(col(ActivityEvent.community_id).in_(scope or [-1]))


def feed_scope(session: Session, actor: User | None) -> tuple[User, list[int] | None]:
    """Admins see everything; stewards their communities; others nothing."""
    user = require_user(actor)
    scope = stewarded_ids(session, user)
    if scope is not None and not scope:
        raise Forbidden("The activity feed is for admins and community stewards.")
    return user, scope


def access_feed_room(session: Session, actor: User | None) -> int:
    """The feed room the actor may watch: 0 (the whole site) for admins, their own id (their
    communities) for stewards; Forbidden for everyone else."""
    user, scope = feed_scope(session, actor)
    return 0 if scope is None else user.id or 0


def history(
    session: Session,
    actor: User | None,
    *,
    before_id: object = 0,
    community_id: object = 0,
    group: object = "",
    person_id: object = 0,
) -> list[EventView]:
    """One page of older events, newest first, with the same filters as the live list."""
    _, scope = feed_scope(session, actor)
    stmt = _scoped(_events(), scope)
    if before_id not in (0, "0", None, ""):
        stmt = stmt.where(ActivityEvent.id < validation.integer(before_id, "before", "Position"))
    if community_id not in (0, "0", None, ""):
        stmt = stmt.where(
            ActivityEvent.community_id == validation.integer(community_id, "community", "Community")
        )
    if person_id not in (0, "0", None, ""):
        stmt = stmt.where(
            ActivityEvent.actor_id == validation.integer(person_id, "person", "Person")
        )
    if group not in ("", None):
        kind = validation.choice(group, GROUPS, "group", "Kind")
        prefixes = [p for p, g in _GROUP_OF_PREFIX.items() if g == kind]
        matches = [col(ActivityEvent.kind).startswith(p + ".") for p in prefixes]
        if kind == "community":  # group_of files unknown prefixes here too
            known = [col(ActivityEvent.kind).startswith(p + ".") for p in _GROUP_OF_PREFIX]
            matches.append(not_(or_(*known)))
        stmt = stmt.where(or_(*matches))
    stmt = stmt.order_by(col(ActivityEvent.id).desc()).limit(settings.ACTIVITY_PAGE_SIZE)
    return _views(session, stmt)


def latest_for_room(
    session: Session, scope: list[int] | None, after_id: int = 0
) -> list[EventView]:
    """The live window of a feed room, or only the events after the newest it holds (its
    access was checked when a browser linked). Newest first."""
    stmt = _scoped(_events(), scope)
    if after_id:
        stmt = stmt.where(ActivityEvent.id > after_id)
    return _views(
        session, stmt.order_by(col(ActivityEvent.id).desc()).limit(settings.ACTIVITY_ROOM_SIZE)
    )


def summary(session: Session, scope: list[int] | None) -> FeedSummary:
    """Events in the last hour, members active now, open flags — in the room's scope."""
    now = utcnow()
    hour = session.exec(
        _scoped(select(func.count()).select_from(ActivityEvent), scope).where(
            ActivityEvent.created_at >= now - timedelta(hours=1)
        )
    ).one()
    active = session.exec(
        select(func.count(func.distinct(AuthSession.user_id))).where(
            AuthSession.last_seen_at >= now - settings.ACTIVE_NOW_WINDOW,
            col(AuthSession.revoked_at).is_(None),
        )
    ).one()
    return FeedSummary(
        events_last_hour=hour, active_now=active, open_flags=open_flag_count(session, scope)
    )


def scope_for_room(session: Session, scope_user_id: int) -> list[int] | None:
    """The scope of feed room `activity-<id>`: 0 is everything."""
    if scope_user_id == 0:
        return None
    user = session.get(User, scope_user_id)
    return stewarded_ids(session, user) if user else []


def filter_options(session: Session, actor: User | None) -> dict[str, list[dict[str, str]]]:
    """Communities and people the actor can filter the feed by."""
    _, scope = feed_scope(session, actor)
    communities = select(Community.id, Community.name).order_by(Community.name)
    if scope is not None:
        communities = communities.where(col(Community.id).in_(scope))
    people = (
        select(User.id, User.display_name)
        .where(
            # EXISTS walks the actor index per person: it does not grow with the history.
            _scoped(select(ActivityEvent.id), scope)
            .where(ActivityEvent.actor_id == User.id)
            .exists()
        )
        .order_by(User.display_name)
        .limit(300)
    )
    found = session.exec(people.add_columns(User.handle)).all()
    shared = {n for n, k in Counter(n for _, n, _ in found).items() if k > 1}
    return {
        "communities": [{"id": str(i), "name": n} for i, n in session.exec(communities).all()],
        # Two people may share a name: their @handles tell them apart in the filter.
        "people": [
            {"id": str(i), "name": f"{n} ({f'@{h}' if h else f'#{i}'})" if n in shared else n}
            for i, n, h in found
        ],
    }


@dataclass
class AuditView:
    """One line of the audit log."""

    id: int
    actor_name: str
    action: str
    target: str
    reason: str
    before: str
    after: str
    created_at: datetime


def audit_log(
    session: Session, actor: User | None, action: object = "", before_id: object = 0
) -> list[AuditView]:
    """The append-only audit log, newest first (admins only; nothing edits or deletes it)."""
    require_admin(actor)
    stmt = select(AuditEntry, User.display_name).join(User, User.id == AuditEntry.actor_id)
    if action not in ("", None):
        text = validation.text(action, "action", "Action", max_len=40)
        stmt = stmt.where(col(AuditEntry.action).startswith(text, autoescape=True))
    if before_id not in (0, "0", None, ""):
        stmt = stmt.where(AuditEntry.id < validation.integer(before_id, "before", "Position"))
    rows = session.exec(
        stmt.order_by(col(AuditEntry.id).desc()).limit(settings.AUDIT_PAGE_SIZE)
    ).all()
    return [
        AuditView(
            id=a.id or 0,
            actor_name=name,
            action=a.action,
            target=f"{a.target_type} #{a.target_id}" if a.target_id else a.target_type,
            reason=a.reason,
            before=a.before,
            after=a.after,
            created_at=a.created_at,
        )
        for a, name in rows
    ]
