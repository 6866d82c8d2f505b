"""Explainable matching: mentors ranked by a score whose reasons are shown."""

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from cop_app.models import (
    Community,
    Membership,
    MentorCommunity,
    MentorProfile,
    Mentorship,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import settings, validation
from cop_app.services.access import CREATOR_ROLES, access_community, require_user
from cop_app.services.mentorship.core import HOLDING_STATES, OPEN_STATES
from cop_app.services.mentorship.views import MentorSuggestion


def _listing(tags: list[str]) -> str:
    return ", ".join(tags)


def score_mentor(
    mentor: User,
    profile: MentorProfile,
    *,
    wanted: list[str],
    community: Community,
    mentors_here: bool,
    member_here: bool,
    holding: int,
    mentee: User,
    existing_state: str = "",
) -> MentorSuggestion:
    """One mentor's score for one request, with a reason for every part of it.

    Relevance (the wanted skills and the community's topics the mentor knows) ranks first;
    offering to mentor in this community (or belonging to it), free places and coming from
    another department only break ties between equally relevant mentors. A mentor who does
    not take requests, has no free place, or already has an open mentorship with the mentee
    is listed as unavailable."""
    expertise = validation.split_tags(mentor.expertise)
    known = set(expertise)
    score, reasons = 0, []
    shared = [t for t in wanted if t in known]
    if shared:
        score += settings.MATCH_WEIGHT_SHARED_SKILL * len(shared)
        noun = "tag" if len(shared) == 1 else "tags"
        reasons.append(f"shares {len(shared)} expertise {noun}: {_listing(shared)}")
    topics = [t for t in validation.split_tags(community.tags) if t in known and t not in shared]
    if topics:
        score += settings.MATCH_WEIGHT_COMMUNITY_TOPIC * len(topics)
        reasons.append(f"knows this community's topics: {_listing(topics)}")
    relevance = score
    if not relevance:
        reasons.append("no shared expertise: ranked after every mentor who has some")
    if mentors_here:
        score += settings.MATCH_WEIGHT_MENTORS_HERE
        reasons.append(f"mentors in {community.name}")
    elif member_here:
        score += settings.MATCH_WEIGHT_MEMBER_HERE
        reasons.append(f"member of {community.name}")
    free = max(0, profile.capacity - holding)
    available = profile.accepting and free > 0 and not existing_state
    if free:
        if available:
            score += settings.MATCH_WEIGHT_FREE_PLACE * free
        noun = "place" if profile.capacity == 1 else "places"
        reasons.append(f"{free} of {profile.capacity} {noun} free")
    else:
        reasons.append("no free places right now")
    mine, theirs = mentee.organisation.strip(), mentor.organisation.strip()
    if mine and theirs and mine.lower() != theirs.lower():
        score += settings.MATCH_WEIGHT_OTHER_DEPARTMENT
        reasons.append(f"from another department ({theirs})")
    if not profile.accepting:
        reasons.append("not taking new mentees right now")
    if existing_state == "requested":
        reasons.append("your request is already waiting for them")
    elif existing_state:
        reasons.append("already your mentor")
    return MentorSuggestion(
        mentor_id=mentor.id,
        display_name=mentor.display_name,
        handle=mentor.handle,
        organisation=mentor.organisation,
        expertise=expertise,
        availability=profile.availability,
        capacity=profile.capacity,
        active_mentees=holding,
        places_free=free,
        available=available,
        score=score,
        relevance=relevance,
        reasons=reasons,
        shared_skills=shared,
    )


def _rank(s: MentorSuggestion) -> tuple[bool, int, int, str, int]:
    """Available first, then relevance; the other points only order equally relevant ones."""
    return (not s.available, -s.relevance, -s.score, s.display_name.lower(), s.mentor_id)


def suggest_mentors(
    session: Session,
    actor: User | None,
    community_id: object,
    skills: object,
    *,
    include_unavailable: bool = False,
    limit: int | None = None,
) -> list[MentorSuggestion]:
    """Mentors ranked for the actor's request in a community, best first (ties by name),
    in a fixed number of queries. Unavailable mentors are left out unless asked for; then
    they come after every available one, each saying why."""
    user = require_user(actor)
    cid = validation.integer(community_id, "community_id", "Community")
    community = access_community(session, user, cid)
    wanted = validation.split_tags(
        validation.tags(
            skills,
            "skills",
            max_tags=settings.MENTORSHIP_SKILLS_MAX_TAGS,
            max_len=settings.TAG_MAX_LENGTH,
        )
    )
    now = utcnow()
    candidates = session.exec(
        select(User, MentorProfile)
        .join(MentorProfile, MentorProfile.user_id == User.id)
        .where(
            col(User.role).in_(CREATOR_ROLES),
            col(User.is_active).is_(True),
            User.id != user.id,
            or_(col(User.suspended_until).is_(None), col(User.suspended_until) <= now),
        )
    ).all()
    if not candidates:
        return []
    ids = [u.id for u, _ in candidates]
    here = set(
        session.exec(
            select(MentorCommunity.mentor_id).where(
                MentorCommunity.community_id == cid, col(MentorCommunity.mentor_id).in_(ids)
            )
        ).all()
    )
    members = set(
        session.exec(
            select(Membership.user_id).where(
                Membership.community_id == cid,
                Membership.status == "active",
                col(Membership.user_id).in_(ids),
            )
        ).all()
    )
    holding = dict(
        session.exec(
            select(Mentorship.mentor_id, func.count())
            .where(col(Mentorship.mentor_id).in_(ids), col(Mentorship.state).in_(HOLDING_STATES))
            .group_by(Mentorship.mentor_id)
        ).all()
    )
    existing = dict(
        session.exec(
            select(Mentorship.mentor_id, Mentorship.state).where(
                Mentorship.mentee_id == user.id, col(Mentorship.state).in_(OPEN_STATES)
            )
        ).all()
    )
    suggestions = [
        score_mentor(
            mentor,
            profile,
            wanted=wanted,
            community=community,
            mentors_here=mentor.id in here,
            member_here=mentor.id in members,
            holding=holding.get(mentor.id, 0),
            mentee=user,
            existing_state=existing.get(mentor.id, ""),
        )
        for mentor, profile in candidates
    ]
    if not include_unavailable:
        suggestions = [s for s in suggestions if s.available]
    suggestions.sort(key=_rank)
    return suggestions[: limit or settings.MENTOR_SUGGESTIONS]
