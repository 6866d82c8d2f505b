"""Communities: the directory, cards and member lists, and creating and editing one."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Row, bindparam, func, or_
from sqlmodel import Session, col, select

from cop_app.models import Community, Membership, User
from cop_app.models.base import utcnow
from cop_app.services import activity, settings, validation
from cop_app.services.access import (
    CARD_WITH_MEMBERSHIP,
    CREATOR_ROLES,
    access_community_as_steward,
    access_community_content,
    access_community_content_at,
    membership_of,
    require_user,
)
from cop_app.services.edge import committed
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.events import Change, on_commit
from cop_app.services.rooms import RoomKey, RoomKind

KINDS = ("cop", "coi")
KIND_LABELS = {"cop": "Community of Practice", "coi": "Community of Interest"}
VISIBILITIES = ("open", "approval")
_SLUG_RE = re.compile(r"[^a-z0-9]+")


def room_for(community_id: int) -> RoomKey:
    """The live room of a community page (no underscores: Reflex room ids forbid them)."""
    return RoomKey(RoomKind.COMMUNITY, community_id)


@dataclass
class CommunityCard:
    """What the directory and a community page show; safe to send to any member."""

    id: int
    slug: str
    name: str
    kind: str
    kind_label: str
    domain: str
    description: str
    tags: list[str]
    visibility: str
    member_count: int
    last_activity_at: datetime
    my_role: str = ""
    my_status: str = ""


@dataclass
class MemberView:
    """A member as listed on a community page."""

    user_id: int
    display_name: str
    organisation: str
    role: str
    joined_at: datetime
    expertise: list[str] = field(default_factory=list)


def _card(
    community: Community | Row[Any], membership: Membership | Row[Any] | None
) -> CommunityCard:
    """A card from a community and the actor's membership (rows or the directory's columns)."""
    return CommunityCard(
        id=community.id or 0,
        slug=community.slug,
        name=community.name,
        kind=community.kind,
        kind_label=KIND_LABELS.get(community.kind, community.kind),
        domain=community.domain,
        description=community.description,
        tags=validation.split_tags(community.tags),
        visibility=community.visibility,
        member_count=community.member_count,
        last_activity_at=community.last_activity_at,
        my_role=membership.role if membership and membership.status == "active" else "",
        my_status=membership.status if membership else "",
    )


# The directory's statement, built once: it runs on every signed-in page load (the left
# navigation) and every directory search, and building it cost more than running it.
# Membership's role and status are NULL for a community the actor is not in.
_DIRECTORY = (
    CARD_WITH_MEMBERSHIP.order_by(col(Community.last_activity_at).desc(), col(Community.id).desc())
    .offset(bindparam("offset", type_=Integer))
    .limit(bindparam("limit", type_=Integer))
)
_DIRECTORY_MINE = _DIRECTORY.where(Membership.status == "active")


def list_directory(
    session: Session,
    actor: User | None,
    query: object = "",
    kind: object = "",
    mine_only: bool = False,
    page: int = 0,
) -> list[CommunityCard]:
    """Search by name or tag, filter by kind; most active first, one page at a time."""
    user = require_user(actor)
    text = validation.text(query, "query", "Search", max_len=settings.SEARCH_QUERY_MAX).lower()
    stmt = _DIRECTORY_MINE if mine_only else _DIRECTORY
    if text:
        like = validation.like_pattern(text)
        stmt = stmt.where(
            or_(
                func.lower(Community.name).like(like, escape="\\"),
                func.lower(Community.tags).like(like, escape="\\"),
            )
        )
    if kind:
        stmt = stmt.where(Community.kind == validation.choice(kind, KINDS, "kind", "Kind"))
    size = settings.DIRECTORY_PAGE_SIZE
    params = {"user_id": user.id, "offset": max(0, int(page)) * size, "limit": size}
    # Columns, not entities, run by the connection: a card needs no ORM object or ORM
    # execution (together half the call). Pending changes are flushed first, as a query does.
    session.flush()
    rows = session.connection().execute(stmt, params).all()
    return [_card(row, row if row.status is not None else None) for row in rows]


def get_by_slug(session: Session, actor: User | None, slug: object) -> CommunityCard:
    """One community's card, with the actor's own role in it."""
    user = require_user(actor)
    if not isinstance(slug, str) or not slug or len(slug) > settings.COMMUNITY_SLUG_MAX:
        raise NotFound("This community does not exist.")
    community = session.exec(select(Community).where(Community.slug == slug)).first()
    if community is None:
        raise NotFound("This community does not exist.")
    card = _card(community, membership_of(session, community.id, user.id))
    if user.role == "admin" and not card.my_role:
        card.my_role = "steward"  # as access_community_as_steward decides
    return card


def content_card(session: Session, actor: User | None, slug: object) -> CommunityCard:
    """The card of a community whose inside (threads, library) the actor may see, for the
    pages that show it: one query proves access and reads the actor's role."""
    user = require_user(actor)
    community, membership = access_community_content_at(session, user, slug)
    card = _card(community, membership)
    if user.role == "admin" and not card.my_role:
        card.my_role = "steward"  # as get_by_slug decides
    return card


def slug_of(session: Session, community_id: int) -> str:
    """A community's slug (for links), or "" when it does not exist."""
    community = session.get(Community, community_id)
    return community.slug if community else ""


def list_members(
    session: Session, actor: User | None, community_id: int, status: str = "active"
) -> list[MemberView]:
    """Members (stewards first), or pending requests which only stewards may see; an
    approval-only community's members are for its members."""
    if status == "pending":
        access_community_as_steward(session, actor, community_id)
    else:
        access_community_content(session, actor, community_id)
    return member_views(session, community_id, status)


def member_views(session: Session, community_id: int, status: str) -> list[MemberView]:
    """Members (stewards first) without an access check: for callers that already checked.
    Plain columns: this runs on every join and leave, for every viewer's room."""
    rows = session.exec(
        select(
            User.id,
            User.display_name,
            User.organisation,
            User.expertise,
            Membership.role,
            Membership.created_at,
        )
        .join(User, User.id == Membership.user_id)
        .where(Membership.community_id == community_id, Membership.status == status)
        .order_by(col(Membership.role).desc(), col(Membership.created_at))
        .limit(settings.MEMBERS_PAGE_SIZE)
    ).all()
    return [
        MemberView(
            user_id=uid or 0,
            display_name=name,
            organisation=organisation,
            role=role,
            joined_at=joined,
            expertise=validation.split_tags(expertise)[: settings.MEMBER_EXPERTISE_SHOWN],
        )
        for uid, name, organisation, expertise, role, joined in rows
    ]


def member_count(session: Session, community_id: int) -> int:
    """The stored count (kept exact by _recount and _bump inside each membership change)."""
    count = session.exec(select(Community.member_count).where(Community.id == community_id)).first()
    return count or 0


def _unique_slug(session: Session, name: str) -> str:
    base = _SLUG_RE.sub("-", name.lower()).strip("-")[: settings.COMMUNITY_SLUG_BASE_MAX]
    base = base or "community"
    slug, n = base, 2
    while session.exec(select(Community.id).where(Community.slug == slug)).first() is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


@dataclass(frozen=True)
class CommunityInput:
    """The editable fields, validated together so nothing is half-written."""

    name: str
    kind: str
    domain: str
    description: str
    tags: str
    visibility: str


def clean_input(
    name: object,
    kind: object,
    domain: object,
    description: object,
    tags: object,
    visibility: object,
) -> CommunityInput:
    """Validate every field of the community form."""
    return CommunityInput(
        name=validation.line(
            name,
            "name",
            "Name",
            min_len=settings.COMMUNITY_NAME_MIN,
            max_len=settings.COMMUNITY_NAME_MAX,
        ),
        kind=validation.choice(kind, KINDS, "kind", "Kind"),
        domain=validation.text(
            domain,
            "domain",
            "Domain statement",
            min_len=settings.COMMUNITY_DOMAIN_MIN,
            max_len=settings.COMMUNITY_DOMAIN_MAX,
        ),
        description=validation.text(
            description, "description", "Description", max_len=settings.COMMUNITY_DESCRIPTION_MAX
        ),
        tags=validation.tags(
            tags, "tags", max_tags=settings.COMMUNITY_MAX_TAGS, max_len=settings.TAG_MAX_LENGTH
        ),
        visibility=validation.choice(visibility, VISIBILITIES, "visibility", "Visibility"),
    )


def _refuse_taken_name(session: Session, name: str, community_id: int | None) -> None:
    clash = session.exec(
        select(Community.id).where(
            func.lower(Community.name) == name.lower(), Community.id != (community_id or 0)
        )
    ).first()
    if clash is not None:
        raise Invalid("A community with this name already exists.", "name")


def check_create_community(session: Session, actor: User | None, data: CommunityInput) -> Community:
    """Mentors and admins create communities; the creator becomes the first steward."""
    user = require_user(actor)
    if user.role not in CREATOR_ROLES:
        raise Forbidden("Only mentors and admins can create communities.")
    _refuse_taken_name(session, data.name, None)
    community = do_create_community(session, user, data, now=utcnow())
    return committed(session, community)


def do_create_community(
    session: Session, creator: User, data: CommunityInput, *, now: datetime, slug: str = ""
) -> Community:
    """Write a community with its creator as first steward (`slug` keeps a known one)."""
    community = Community(
        slug=slug or _unique_slug(session, data.name),
        name=data.name,
        kind=data.kind,
        domain=data.domain,
        description=data.description,
        tags=data.tags,
        visibility=data.visibility,
        member_count=1,
        created_by=creator.id,
        created_at=now,
        last_activity_at=now,
    )
    session.add(community)
    session.flush()
    session.add(
        Membership(community_id=community.id, user_id=creator.id, role="steward", created_at=now)
    )
    activity.record(
        session,
        "community.created",
        creator.id,
        community_id=community.id,
        target_type="community",
        target_id=community.id,
        summary=f"{creator.display_name} created {community.name}",
        now=now,
    )
    on_commit(session, Change("community.created", (), {"id": community.id}))
    session.flush()
    return community


def check_edit_community(
    session: Session, actor: User | None, community_id: int, data: CommunityInput
) -> Community:
    """Stewards edit their community; the change is audited with before and after."""
    community, user = access_community_as_steward(session, actor, community_id)
    activity.check_rate(
        session,
        user.id,
        "community.edited",
        settings.COMMUNITY_EDITS_PER_WINDOW,
        settings.WRITE_LIMIT_WINDOW,
        "community edits",
    )
    _refuse_taken_name(session, data.name, community.id)
    if do_edit_community(session, community, user, data, now=utcnow()):
        committed(session, community)
    return community


def do_edit_community(
    session: Session, community: Community, editor: User, data: CommunityInput, *, now: datetime
) -> bool:
    """Write the changed fields with their audit entry; returns whether anything changed."""
    fields = ("name", "kind", "domain", "description", "tags", "visibility")
    before = {f: getattr(community, f) for f in fields}
    changed = {f: getattr(data, f) for f in fields if before[f] != getattr(data, f)}
    if not changed:
        return False
    for f, value in changed.items():
        setattr(community, f, value)
    session.add(community)
    activity.staff_action(
        session,
        "community.edited",
        "community.edit",
        editor.id,
        "community",
        community.id,
        community_id=community.id,
        summary=f"{editor.display_name} edited {community.name}",
        before=repr({f: before[f] for f in changed}),
        after=repr(changed),
        now=now,
    )
    on_commit(session, Change("community.edited", (room_for(community.id),), {}))
    session.flush()
    return True
