"""Membership verbs: join, leave, approve requests, appoint stewards, remove members;
each a check_ (access, validation, commit) and a do_ (writes, records, announces)."""

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select, update

from cop_app import routes
from cop_app.models import Community, Membership, User
from cop_app.models.base import utcnow
from cop_app.services import activity, validation
from cop_app.services.access import (
    access_community,
    access_community_as_steward,
    announce_access_change,
    membership_of,
    require_user,
)
from cop_app.services.communities.core import CommunityCard, _card, room_for
from cop_app.services.errors import Invalid, NotFound
from cop_app.services.events import Change, on_commit
from cop_app.services.notifications import notify, user_room


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


def _announce_standing(
    session: Session, community: Community, user_id: int, *, request: bool
) -> None:
    """After this commits, the person's open tabs re-read where they stand in the community
    (a request answered opens or closes its inside), and when a `request` came or went its
    stewards' tabs re-read the requests waiting for them. Signals name only the community: each tab re-reads with its
    own access checks."""
    data = {"id": community.id}
    if request:
        stewards = session.exec(
            select(Membership.user_id).where(
                Membership.community_id == community.id,
                Membership.role == "steward",
                Membership.status == "active",
            )
        ).all()
        rooms = tuple(user_room(u) for u in stewards if u != user_id)
        on_commit(session, Change("community.requests", rooms, {**data, "signal": "requests"}))
    on_commit(
        session,
        Change("community.standing", (user_room(user_id),), {**data, "signal": "membership"}),
    )


def _member_moved(
    session: Session, community: Community, kind: str, user: User, summary: str, now: datetime
) -> None:
    """A person joined, asked to join or left: the feed records it, the member list hears."""
    activity.record(
        session,
        kind,
        user.id,
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
    _announce_standing(session, community, user.id, request=status == "pending")
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
    _announce_standing(session, community, user.id, request=not was_active)
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
    activity.staff_action(
        session,
        f"community.request_{verb}",
        f"membership.{verb}",
        steward.id,
        "user",
        user_id,
        community_id=community.id,
        summary=f"{steward.display_name} {verb} {name} in {community.name}",
        before="pending",
        after="active" if approve else "removed",
        now=now,
    )
    _announce_members(session, community)
    _announce_standing(session, community, user_id, request=True)
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
    activity.staff_action(
        session,
        "community.role_changed",
        "membership.role",
        steward.id,
        "user",
        user_id,
        community_id=community.id,
        summary=f"{steward.display_name} made a member {role} of {community.name}",
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
    activity.staff_action(
        session,
        "community.member_removed",
        "membership.removed",
        steward.id,
        "user",
        user_id,
        community_id=community.id,
        summary=f"{steward.display_name} removed {name} from {community.name}",
        before="active",
        after="removed",
        now=now,
    )
    _announce_members(session, community)
    session.flush()
