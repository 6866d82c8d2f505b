"""Mentor profiles: capacity, availability, whether a mentor accepts, and where."""

from datetime import datetime

from sqlmodel import Session, col, select

from cop_app.models import (
    Community,
    Membership,
    MentorCommunity,
    MentorProfile,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import activity, settings, validation
from cop_app.services.access import CREATOR_ROLES, require_user
from cop_app.services.edge import committed
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.mentorship.core import _available_user, _flag, _holding, _id_list
from cop_app.services.mentorship.views import MentorProfileView


def _require_mentor_role(user: User) -> None:
    if user.role not in CREATOR_ROLES:
        raise Forbidden("Only mentors can offer mentorship. Ask an admin to make you a mentor.")


def _profile_view(session: Session, user: User, profile: MentorProfile | None) -> MentorProfileView:
    rows = session.exec(
        select(Community.id, Community.name)
        .join(MentorCommunity, MentorCommunity.community_id == Community.id)
        .where(MentorCommunity.mentor_id == user.id)
        .order_by(Community.name)
    ).all()
    capacity = profile.capacity if profile else settings.MENTOR_CAPACITY_DEFAULT
    taken = _holding(session, user.id)
    return MentorProfileView(
        user_id=user.id,
        display_name=user.display_name,
        organisation=user.organisation,
        expertise=validation.split_tags(user.expertise),
        capacity=capacity,
        availability=profile.availability if profile else "",
        accepting=profile.accepting if profile else True,  # a new offer is open
        community_ids=[cid for cid, _ in rows],
        community_names=[name for _, name in rows],
        active_mentees=taken,
        places_free=max(0, capacity - taken),
        has_profile=profile is not None,
    )


def _profile_of(session: Session, user_id: int) -> MentorProfile | None:
    return session.exec(select(MentorProfile).where(MentorProfile.user_id == user_id)).first()


def get_mentor_profile(
    session: Session, actor: User | None, user_id: object = None
) -> MentorProfileView:
    """The actor's own mentor profile (defaults before the first save), or another mentor's
    public one (NotFound unless that person offers mentorship)."""
    user = require_user(actor)
    if user_id in (None, "", 0) or user_id == user.id:
        _require_mentor_role(user)
        return _profile_view(session, user, _profile_of(session, user.id))
    uid = validation.integer(user_id, "user_id", "Mentor")
    mentor = session.get(User, uid)
    profile = _profile_of(session, uid) if mentor is not None else None
    if profile is None or not _available_user(mentor) or mentor.role not in CREATOR_ROLES:
        raise NotFound("This mentor does not exist.")
    return _profile_view(session, mentor, profile)


def check_update_mentor_profile(
    session: Session,
    actor: User | None,
    capacity: object,
    availability: object,
    accepting: object,
    community_ids: object,
) -> MentorProfileView:
    """Mentors and admins set how many mentees they take, when they are free, whether they
    take requests now, and the communities (they belong to) where they mentor."""
    user = require_user(actor)
    _require_mentor_role(user)
    places = validation.integer(capacity, "capacity", "Capacity")
    if places > settings.MENTOR_CAPACITY_MAX:
        raise Invalid(
            f"Capacity must be between 1 and {settings.MENTOR_CAPACITY_MAX} mentees.", "capacity"
        )
    note = validation.text(
        availability, "availability", "Availability", max_len=settings.MENTOR_AVAILABILITY_MAX
    )
    open_ = _flag(accepting, "accepting", "Choose whether you take new mentees.")
    ids = _id_list(community_ids, "community_ids", "Community", settings.MENTOR_MAX_COMMUNITIES)
    if ids:
        names = dict(
            session.exec(
                select(Community.id, Community.name).where(col(Community.id).in_(ids))
            ).all()
        )
        if len(names) != len(ids):
            raise Invalid("One of the chosen communities does not exist.", "community_ids")
        joined = set(
            session.exec(
                select(Membership.community_id).where(
                    Membership.user_id == user.id,
                    Membership.status == "active",
                    col(Membership.community_id).in_(ids),
                )
            ).all()
        )
        for cid in ids:
            if cid not in joined:
                raise Invalid(
                    f"Join {names[cid]} before offering to mentor there.", "community_ids"
                )
    profile = do_update_mentor_profile(session, user, places, note, open_, ids, now=utcnow())
    committed(session, profile)
    return _profile_view(session, user, profile)


def do_update_mentor_profile(
    session: Session,
    mentor: User,
    capacity: int,
    availability: str,
    accepting: bool,
    community_ids: list[int],
    *,
    now: datetime,
) -> MentorProfile:
    """Write the mentor's offer and the communities it covers."""
    profile = _profile_of(session, mentor.id)
    if profile is None:
        profile = MentorProfile(user_id=mentor.id, created_at=now)
    profile.capacity, profile.availability, profile.accepting = capacity, availability, accepting
    profile.updated_at = now
    session.add(profile)
    current = {
        row.community_id: row
        for row in session.exec(
            select(MentorCommunity).where(MentorCommunity.mentor_id == mentor.id)
        ).all()
    }
    for cid, row in current.items():
        if cid not in community_ids:
            session.delete(row)
    for cid in community_ids:
        if cid not in current:
            session.add(MentorCommunity(mentor_id=mentor.id, community_id=cid))
    activity.record(
        session,
        "mentorship.profile_updated",
        mentor.id,
        target_type="user",
        target_id=mentor.id,
        summary=f"{mentor.display_name} updated their mentor profile",
        now=now,
    )
    session.flush()
    return profile
