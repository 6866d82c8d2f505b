"""Communities: directory, pages, creation and editing, joining and approval."""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select, update

from cop_app import routes
from cop_app.models import Community, Membership, User
from cop_app.models.base import utcnow
from cop_app.services import activity, settings, validation
from cop_app.services.access import (
    CREATOR_ROLES,
    access_community,
    access_community_as_steward,
    access_community_content,
    announce_access_change,
    membership_of,
    require_user,
)
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.events import Change, on_commit
from cop_app.services.notifications import notify
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


def _card(community: Community, membership: Membership | None) -> CommunityCard:
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
    stmt = select(Community, Membership).join(
        Membership,
        (Membership.community_id == Community.id) & (Membership.user_id == user.id),
        isouter=True,
    )
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
    if mine_only:
        stmt = stmt.where(Membership.status == "active")
    size = settings.DIRECTORY_PAGE_SIZE
    stmt = stmt.order_by(col(Community.last_activity_at).desc(), col(Community.id).desc())
    rows = session.exec(stmt.offset(max(0, int(page)) * size).limit(size)).all()
    return [_card(c, m) for c, m in rows]


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
    session.commit()
    session.refresh(community)
    return community


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
        session.commit()
        session.refresh(community)
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
    activity.record(
        session,
        "community.edited",
        editor.id,
        community_id=community.id,
        target_type="community",
        target_id=community.id,
        summary=f"{editor.display_name} edited {community.name}",
        now=now,
    )
    activity.audit(
        session,
        editor.id,
        "community.edit",
        "community",
        community.id,
        before=repr({f: before[f] for f in changed}),
        after=repr(changed),
        now=now,
    )
    on_commit(session, Change("community.edited", (room_for(community.id),), {}))
    session.flush()
    return True


def _recount(session: Session, community: Community, now: datetime) -> None:
    session.flush()
    community.member_count = session.exec(
        select(func.count()).where(
            Membership.community_id == community.id, Membership.status == "active"
        )
    ).one()
    community.last_activity_at = now
    session.add(community)


def _announce_members(session: Session, community: Community) -> None:
    """The community's member list and count are read again once this commits."""
    on_commit(session, Change("community.members", (room_for(community.id),), {}))


def _member_moved(
    session: Session, community: Community, kind: str, user: User, summary: str, now: datetime
) -> None:
    """A person joined, asked to join or left: the feed records it, the member list hears."""
    activity.record(
        session,
        kind,
        user.id,
        community_id=community.id,
        target_type="community",
        target_id=community.id,
        summary=summary,
        now=now,
    )
    _announce_members(session, community)


def _bump(session: Session, community: Community, change: int, now: datetime) -> int:
    """One member more or fewer, counted in SQL: atomic under concurrent joins, with no
    flush and count per join as `_recount` needs. Returns the new count."""
    session.exec(
        update(Community)
        .where(Community.id == community.id)
        .values(member_count=Community.member_count + change, last_activity_at=now)
        .execution_options(synchronize_session=False)
    )
    return max(0, community.member_count + change)


def _steward_count(session: Session, community_id: int) -> int:
    return session.exec(
        select(func.count()).where(
            Membership.community_id == community_id,
            Membership.role == "steward",
            Membership.status == "active",
        )
    ).one()


def check_join(session: Session, actor: User | None, community_id: int) -> CommunityCard:
    """Join an open community, or ask to join an approval-only one; returns the community's
    card as the joiner now sees it (`my_status` is "active" or "pending")."""
    user = require_user(actor)
    community = access_community(session, user, community_id)
    existing = membership_of(session, community.id, user.id)
    if existing is not None:
        if existing.status == "pending":
            raise Invalid("Your request to join is waiting for a steward.")
        raise Invalid("You are already a member of this community.")
    status = "active" if community.visibility == "open" else "pending"
    card = do_join(session, community, user, status=status, now=utcnow())
    session.commit()
    return card


def do_join(
    session: Session, community: Community, user: User, *, status: str, now: datetime
) -> CommunityCard:
    """Write a membership ("active", or "pending" for a steward to decide) and count it;
    returns the card as the joiner sees it."""
    membership = Membership(
        community_id=community.id, user_id=user.id, status=status, created_at=now
    )
    session.add(membership)
    kind = "community.joined" if status == "active" else "community.join_requested"
    verb = "joined" if status == "active" else "asked to join"
    count = _bump(session, community, +1, now) if status == "active" else community.member_count
    _member_moved(
        session, community, kind, user, f"{user.display_name} {verb} {community.name}", now
    )
    card = replace(_card(community, membership), member_count=count)
    session.flush()
    return card


def check_leave(session: Session, actor: User | None, community_id: int) -> CommunityCard:
    """Leave, or withdraw a pending request; the last steward must hand over first.
    Returns the community's card as the leaver now sees it."""
    user = require_user(actor)
    community = access_community(session, user, community_id)
    membership = membership_of(session, community.id, user.id)
    if membership is None:
        raise Invalid("You are not a member of this community.")
    steward = membership.role == "steward" and membership.status == "active"
    if steward and _steward_count(session, community.id) <= 1:
        raise Invalid("You are the only steward. Appoint another steward before leaving.")
    card = do_leave(session, community, user, membership, now=utcnow())
    session.commit()
    return card


def do_leave(
    session: Session, community: Community, user: User, membership: Membership, *, now: datetime
) -> CommunityCard:
    """Delete the membership (or the request) and count it; returns the card as the leaver
    sees it."""
    was_active = membership.status == "active"
    session.delete(membership)
    if was_active and community.visibility != "open":
        # The leaver's other tabs lose this community's rooms (open ones stay readable).
        announce_access_change(session, user.id, f"You are no longer a member of {community.name}.")
    count = _bump(session, community, -1, now) if was_active else community.member_count
    _member_moved(
        session,
        community,
        "community.left",
        user,
        f"{user.display_name} left {community.name}",
        now,
    )
    card = replace(_card(community, None), member_count=count)
    session.flush()
    return card


def check_decide_request(
    session: Session, actor: User | None, community_id: int, user_id: int, approve: bool
) -> None:
    """A steward approves or declines a pending request to join."""
    community, steward = access_community_as_steward(session, actor, community_id)
    membership = membership_of(session, community.id, user_id)
    if membership is None or membership.status != "pending":
        raise NotFound("There is no pending request from this person.")
    do_decide_request(session, community, steward, membership, bool(approve), now=utcnow())
    session.commit()


def do_decide_request(
    session: Session,
    community: Community,
    steward: User,
    membership: Membership,
    approve: bool,
    *,
    now: datetime,
) -> None:
    """Activate a pending membership (and recount) or delete it; audited."""
    user_id = membership.user_id
    applicant = session.get(User, user_id)
    name = applicant.display_name if applicant else "someone"
    if approve:
        membership.status = "active"
        membership.created_at = now
        session.add(membership)
        _recount(session, community, now)
    else:
        session.delete(membership)
    verb = "approved" if approve else "declined"
    activity.record(
        session,
        f"community.request_{verb}",
        steward.id,
        community_id=community.id,
        target_type="user",
        target_id=user_id,
        summary=f"{steward.display_name} {verb} {name} in {community.name}",
        now=now,
    )
    activity.audit(
        session,
        steward.id,
        f"membership.{verb}",
        "user",
        user_id,
        before="pending",
        after="active" if approve else "removed",
        now=now,
    )
    _announce_members(session, community)
    session.flush()


def check_set_member_role(
    session: Session, actor: User | None, community_id: int, user_id: int, role: object
) -> None:
    """A steward appoints or steps down another steward; audited."""
    community, steward = access_community_as_steward(session, actor, community_id)
    role = validation.choice(role, ("member", "steward"), "role", "Role")
    membership = membership_of(session, community.id, user_id)
    if membership is None or membership.status != "active":
        raise NotFound("This person is not a member of the community.")
    if membership.role == role:
        return
    if role == "member" and _steward_count(session, community.id) <= 1:
        raise Invalid("A community needs at least one steward.")
    do_set_member_role(session, community, steward, membership, role, now=utcnow())
    session.commit()


def do_set_member_role(
    session: Session,
    community: Community,
    steward: User,
    membership: Membership,
    role: str,
    *,
    now: datetime,
) -> None:
    """Write a member's new community role; audited."""
    user_id = membership.user_id
    before = membership.role
    membership.role = role
    session.add(membership)
    if role == "member":  # a steward's feed and hidden threads close with the role
        announce_access_change(
            session, user_id, f"You are no longer a steward of {community.name}."
        )
    activity.record(
        session,
        "community.role_changed",
        steward.id,
        community_id=community.id,
        target_type="user",
        target_id=user_id,
        summary=f"{steward.display_name} made a member {role} of {community.name}",
        now=now,
    )
    activity.audit(
        session,
        steward.id,
        "membership.role",
        "user",
        user_id,
        before=before,
        after=role,
        now=now,
    )
    _announce_members(session, community)
    session.flush()


def check_remove_member(
    session: Session, actor: User | None, community_id: int, user_id: int
) -> None:
    """A steward removes a member (not a steward: step them down first); audited."""
    community, steward = access_community_as_steward(session, actor, community_id)
    membership = membership_of(session, community.id, user_id)
    if membership is None or membership.status != "active":
        raise NotFound("This person is not a member of the community.")
    if user_id == steward.id:
        raise Invalid("To leave the community yourself, use Leave.")
    if membership.role == "steward":
        raise Invalid("Step this steward down to member before removing them.")
    do_remove_member(session, community, steward, membership, now=utcnow())
    session.commit()


def do_remove_member(
    session: Session, community: Community, steward: User, membership: Membership, *, now: datetime
) -> None:
    """End a membership: the member is told in the bell, and their open tabs lose the
    community's private rooms at once."""
    user_id = membership.user_id
    member = session.get(User, user_id)
    name = member.display_name if member else "someone"
    session.delete(membership)
    _bump(session, community, -1, now)
    if community.visibility != "open":
        announce_access_change(session, user_id, f"You are no longer a member of {community.name}.")
    notify(
        session,
        [user_id],
        "community.removed",
        steward.id,
        f"{steward.display_name} removed you from {community.name}",
        routes.community_url(community.slug),
        now=now,
    )
    activity.record(
        session,
        "community.member_removed",
        steward.id,
        community_id=community.id,
        target_type="user",
        target_id=user_id,
        summary=f"{steward.display_name} removed {name} from {community.name}",
        now=now,
    )
    activity.audit(
        session,
        steward.id,
        "membership.removed",
        "user",
        user_id,
        before="active",
        after="removed",
        now=now,
    )
    _announce_members(session, community)
    session.flush()
