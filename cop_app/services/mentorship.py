"""Mentorship: mentor profiles, explainable matching, requests and the pairing's life
(a transition table), the pair's board with practice-linked goals, and the session log.

Write path (as in discussions): `access_*` loads and proves, the verb validates and writes
one transaction with an activity event, and the rooms that show the change hear of it on
commit. Privacy: only the pair and admins see a mentorship; everyone else gets NotFound.
Activity summaries name people and the community, never goals, card titles or notes.

Board rules: cards change only while the mentorship is active. A paused board is read-only
for cards; its session log stays open (a pair records why they paused). Requested,
declined, withdrawn and completed boards are read-only archives.

Practice-linked goals: a card may carry a `requirement` from `REQUIREMENTS`. The
discussion services call `check_requirements(session, event)` after recording an event;
`scan_requirements` checks a board against what already happened (since the mentorship
started) when a card is added or the pair resumes. A met goal gets its evidence, moves
to done, records "board.goal_met" and tells the mentor. A new artifact kind (say
"publish_resource") is one more `REQUIREMENTS` entry; nothing else changes.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cop_app.models import (
    ActivityEvent,
    BoardCard,
    Community,
    Membership,
    MentorCommunity,
    MentorProfile,
    Mentorship,
    Notification,
    Post,
    SessionNote,
    Thread,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import activity, discussions, settings, validation
from cop_app.services.access import CREATOR_ROLES, access_community, membership_of, require_user
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.events import Change, on_commit

STATES = ("requested", "active", "paused", "completed", "declined", "withdrawn")
STATE_LABELS = {
    "requested": "Requested",
    "active": "Active",
    "paused": "Paused",
    "completed": "Completed",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
# Requests and pairings still running; a mentee has at most one of these per mentor.
OPEN_STATES = ("requested", "active", "paused")
# Pairings that take one of the mentor's places.
HOLDING_STATES = ("active", "paused")
COLUMNS = ("todo", "doing", "done")
COLUMN_LABELS = {"todo": "To do", "doing": "Doing", "done": "Done"}
MENTORSHIP_LINK = "/mentorship"


def board_room(mentorship_id: int) -> str:
    """The live room of one mentorship board (the pair, and admins looking in)."""
    return f"board-{mentorship_id}"


def mentorship_link(mentorship_id: int) -> str:
    """The page of one mentorship's board."""
    return f"{MENTORSHIP_LINK}/{mentorship_id}"


# ---------------------------------------------------------------- transitions


@dataclass(frozen=True)
class Transition:
    """One verb of a mentorship's life: from which states, to which, and who may."""

    sources: tuple[str, ...]
    target: str
    by: tuple[str, ...]
    past: str


TRANSITIONS: dict[str, Transition] = {
    "accept": Transition(("requested",), "active", ("mentor",), "accepted"),
    "decline": Transition(("requested",), "declined", ("mentor",), "declined"),
    "withdraw": Transition(("requested",), "withdrawn", ("mentee",), "withdrawn"),
    "pause": Transition(("active",), "paused", ("mentor", "mentee"), "paused"),
    "resume": Transition(("paused",), "active", ("mentor", "mentee"), "resumed"),
    "complete": Transition(("active", "paused"), "completed", ("mentor", "mentee"), "completed"),
}


def allowed_transitions(state: str, role: str) -> list[str]:
    """The verbs one side may use now (the board shows these as buttons)."""
    return [v for v, t in TRANSITIONS.items() if state in t.sources and role in t.by]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _check_transition(m: Mentorship, role: str, verb: str) -> Transition:
    t = TRANSITIONS[verb]
    if role not in t.by:
        raise Forbidden(f"Only the {' or the '.join(t.by)} can {verb} this mentorship.")
    if m.state not in t.sources:
        label = STATE_LABELS.get(m.state, m.state).lower()
        raise Invalid(f"{_article(label).capitalize()} {label} mentorship cannot be {t.past}.")
    return t


# ---------------------------------------------------------------- views


@dataclass
class MentorProfileView:
    """A mentor's offer as members see it."""

    user_id: int
    display_name: str
    organisation: str
    expertise: list[str]
    capacity: int
    availability: str
    accepting: bool
    community_ids: list[int]
    community_names: list[str]
    active_mentees: int
    places_free: int
    has_profile: bool = True


@dataclass
class MentorSuggestion:
    """One suggested mentor: every point of `score` is explained by one of `reasons`."""

    mentor_id: int
    display_name: str
    handle: str
    organisation: str
    expertise: list[str]
    availability: str
    capacity: int
    active_mentees: int
    places_free: int
    available: bool
    score: int
    reasons: list[str]
    shared_skills: list[str] = field(default_factory=list)


@dataclass
class MentorshipRow:
    """A line of a mentor's dashboard or of "my mentorships" (`role` is the viewer's side)."""

    id: int
    role: str
    mentor_id: int
    mentor_name: str
    mentee_id: int
    mentee_name: str
    other_name: str
    community_id: int
    community_name: str
    community_slug: str
    state: str
    state_label: str
    goals: str
    cards_done: int
    cards_total: int
    last_session_on: date | None
    last_activity_at: datetime
    needs_checkin: bool
    next_goal: str
    next_goal_card_id: int
    created_at: datetime


@dataclass
class CardView:
    """A card as the board shows it."""

    id: int
    title: str
    description: str
    column: str
    position: int
    due_date: date | None
    overdue: bool
    link: str
    link_title: str
    requirement: str
    requirement_label: str
    met: bool
    met_at: datetime | None
    evidence_text: str
    evidence_link: str
    link_thread_id: int = 0
    link_post_id: int = 0


@dataclass
class SessionNoteView:
    """One entry of the session log."""

    id: int
    author_id: int
    author_name: str
    date: date
    notes: str
    next_steps: str
    created_at: datetime


@dataclass
class BoardView:
    """A mentorship's page: the pair, its state, the three columns and the session log."""

    id: int
    state: str
    state_label: str
    my_role: str
    community_id: int
    community_name: str
    community_slug: str
    mentor_id: int
    mentor_name: str
    mentee_id: int
    mentee_name: str
    goals: str
    skills: list[str]
    welcome_message: str
    decline_reason: str
    reflection_mentor: str
    reflection_mentee: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    last_activity_at: datetime
    can_edit_cards: bool
    can_log_sessions: bool
    read_only_reason: str
    transitions: list[str]
    todo: list[CardView]
    doing: list[CardView]
    done: list[CardView]
    cards_total: int
    truncated: bool
    notes: list[SessionNoteView]


# ---------------------------------------------------------------- helpers


def _available_user(user: User | None) -> bool:
    if user is None or not user.is_active:
        return False
    return user.suspended_until is None or user.suspended_until <= utcnow()


def _holding(session: Session, mentor_id: int) -> int:
    """How many of the mentor's places are taken (active and paused mentorships)."""
    return session.exec(
        select(func.count()).where(
            Mentorship.mentor_id == mentor_id, col(Mentorship.state).in_(HOLDING_STATES)
        )
    ).one()


def _notify(
    session: Session, user_id: int, kind: str, actor_id: int | None, text: str, link: str
) -> None:
    session.add(
        Notification(user_id=user_id, kind=kind, actor_id=actor_id, text=text[:300], link=link)
    )
    rooms = (discussions.user_room(user_id),)
    on_commit(session, Change("notification", rooms, {"kind": kind, "part": "bell"}))


def _rooms(m: Mentorship) -> tuple[str, ...]:
    return (
        discussions.user_room(m.mentor_id),
        discussions.user_room(m.mentee_id),
        board_room(m.id),
    )


def _announce(session: Session, m: Mentorship, kind: str = "mentorship.changed") -> None:
    """Both of the pair (their lists and bells) and the board hear of a state change."""
    on_commit(session, Change(kind, _rooms(m), {"id": m.id, "state": m.state}))


def _announce_board(session: Session, m: Mentorship, kind: str, card_id: int | None) -> None:
    on_commit(session, Change(kind, (board_room(m.id),), {"id": m.id, "card_id": card_id}))


def _record(session: Session, kind: str, actor_id: int | None, m: Mentorship, summary: str):
    return activity.record(
        session,
        kind,
        actor_id,
        community_id=m.community_id,
        target_type="mentorship",
        target_id=m.id,
        summary=summary,
    )


def _names(session: Session, m: Mentorship) -> tuple[str, str]:
    """Display names of the mentor and the mentee (one query)."""
    rows = dict(
        session.exec(
            select(User.id, User.display_name).where(col(User.id).in_([m.mentor_id, m.mentee_id]))
        ).all()
    )
    return rows.get(m.mentor_id, ""), rows.get(m.mentee_id, "")


def _bump(session: Session, m: Mentorship) -> None:
    m.last_activity_at = utcnow()
    session.add(m)


def _flag(value: object, field_name: str, message: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(message, field_name)
    return value


def _id_list(value: object, field_name: str, label: str, max_items: int) -> list[int]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, list | tuple | set | frozenset):
        raise Invalid(f"{label} must be a list.", field_name)
    ids = list(dict.fromkeys(validation.integer(v, field_name, label) for v in value))
    if len(ids) > max_items:
        raise Invalid(f"Choose at most {max_items} communities.", field_name)
    return ids


def _day(value: object, field_name: str, label: str) -> date | None:
    """A calendar date from a date or an ISO string ("" and None mean none)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(f"{label} must be a date like 2025-03-31.", field_name) from None
    else:
        raise Invalid(f"{label} must be a date like 2025-03-31.", field_name)
    if not 2000 <= day.year <= 2100:
        raise Invalid(f"{label} must be between the years 2000 and 2100.", field_name)
    return day


def _as_datetime(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=UTC) if day is not None else None


# ---------------------------------------------------------------- mentor profiles


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
        accepting=profile.accepting if profile else False,
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


def update_mentor_profile(
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
    profile = _profile_of(session, user.id)
    if profile is None:
        profile = MentorProfile(user_id=user.id)
    profile.capacity, profile.availability, profile.accepting = places, note, open_
    profile.updated_at = utcnow()
    session.add(profile)
    current = {
        row.community_id: row
        for row in session.exec(
            select(MentorCommunity).where(MentorCommunity.mentor_id == user.id)
        ).all()
    }
    for cid, row in current.items():
        if cid not in ids:
            session.delete(row)
    for cid in ids:
        if cid not in current:
            session.add(MentorCommunity(mentor_id=user.id, community_id=cid))
    activity.record(
        session,
        "mentorship.profile_updated",
        user.id,
        target_type="user",
        target_id=user.id,
        summary=f"{user.display_name} updated their mentor profile",
    )
    session.commit()
    session.refresh(profile)
    return _profile_view(session, user, profile)


# ---------------------------------------------------------------- matching


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

    Shared skills count most, then the community's topics the mentor knows, offering to
    mentor in this community (or at least belonging to it), free places, and coming from
    another department. A mentor who does not take requests, has no free place, or already
    has an open mentorship with the mentee is listed as unavailable."""
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
        reasons=reasons,
        shared_skills=shared,
    )


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
    suggestions.sort(key=lambda s: (not s.available, -s.score, s.display_name.lower(), s.mentor_id))
    return suggestions[: limit or settings.MENTOR_SUGGESTIONS]


# ---------------------------------------------------------------- access


@dataclass
class MentorshipAccess:
    """What access_mentorship proved: the row, the actor, and their side of it."""

    mentorship: Mentorship
    user: User
    role: str  # "mentor", "mentee" or "admin"


def access_mentorship(
    session: Session, actor: User | None, mentorship_id: object, *, lock: bool = False
) -> MentorshipAccess:
    """A mentorship of the actor's (either side), or any for admins; NotFound for everyone
    else, other mentors included. `lock` takes the row lock writes need (PostgreSQL)."""
    user = require_user(actor)
    mid = validation.integer(mentorship_id, "mentorship_id", "Mentorship")
    if lock:
        m = session.exec(
            select(Mentorship)
            .where(Mentorship.id == mid)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
    else:
        m = session.get(Mentorship, mid)
    if m is None:
        raise NotFound("This mentorship does not exist.")
    if user.id == m.mentor_id:
        role = "mentor"
    elif user.id == m.mentee_id:
        role = "mentee"
    elif user.role == "admin":
        role = "admin"
    else:
        raise NotFound("This mentorship does not exist.")
    return MentorshipAccess(m, user, role)


def _read_only_reason(state: str) -> str:
    if state == "active":
        return ""
    if state == "paused":
        return "This board is read-only while the mentorship is paused; resume it to change cards."
    if state == "requested":
        return "The board opens when the mentor accepts the request."
    return f"This mentorship is {STATE_LABELS.get(state, state).lower()}; its board is read-only."


def access_board(
    session: Session, actor: User | None, mentorship_id: object, *, write: bool = False
) -> MentorshipAccess:
    """A board the actor may read (the pair and admins); `write` also needs it active."""
    access = access_mentorship(session, actor, mentorship_id, lock=write)
    if write and access.mentorship.state != "active":
        raise Forbidden(_read_only_reason(access.mentorship.state))
    return access


def access_card(
    session: Session, actor: User | None, card_id: object
) -> tuple[BoardCard, MentorshipAccess]:
    """A card on a board the actor may change."""
    require_user(actor)
    cid = validation.integer(card_id, "card_id", "Card")
    card = session.get(BoardCard, cid)
    if card is None:
        raise NotFound("This card does not exist.")
    try:
        access = access_board(session, actor, card.mentorship_id, write=True)
    except NotFound:
        raise NotFound("This card does not exist.") from None
    return card, access


# ---------------------------------------------------------------- requests and life


def request_mentorship(
    session: Session,
    actor: User | None,
    mentor_id: object,
    community_id: object,
    goals: object,
    skills: object,
) -> Mentorship:
    """A member asks a mentor for mentorship in one of their communities, in their own
    words. Refused: asking yourself, a mentor who takes no requests or has no free place,
    a second open request to the same mentor, more than MENTORSHIP_OPEN_REQUESTS_MAX
    requests waiting at once."""
    user = require_user(actor)
    mid = validation.integer(mentor_id, "mentor_id", "Mentor")
    cid = validation.integer(community_id, "community_id", "Community")
    text = validation.text(
        goals,
        "goals",
        "Goals",
        min_len=settings.MENTORSHIP_GOALS_MIN,
        max_len=settings.MENTORSHIP_GOALS_MAX,
    )
    wanted = validation.tags(
        skills,
        "skills",
        max_tags=settings.MENTORSHIP_SKILLS_MAX_TAGS,
        max_len=settings.TAG_MAX_LENGTH,
    )
    if mid == user.id:
        raise Invalid("You cannot be your own mentor; choose someone else.", "mentor_id")
    mentor = session.get(User, mid)
    if mentor is None or not mentor.is_active:
        raise NotFound("This mentor does not exist.")
    profile = _profile_of(session, mid)
    if profile is None or mentor.role not in CREATOR_ROLES:
        raise Invalid(f"{mentor.display_name} does not offer mentorship.", "mentor_id")
    community = access_community(session, user, cid)
    membership = membership_of(session, cid, user.id)
    if membership is None or membership.status != "active":
        raise Forbidden(f"Join {community.name} to ask for mentorship in it.")
    if not profile.accepting or not _available_user(mentor):
        raise Invalid(f"{mentor.display_name} is not taking new mentees right now.", "mentor_id")
    open_states = dict(
        session.exec(
            select(Mentorship.mentor_id, Mentorship.state).where(
                Mentorship.mentee_id == user.id, col(Mentorship.state).in_(OPEN_STATES)
            )
        ).all()
    )
    if open_states.get(mid) == "requested":
        raise Invalid(f"Your request to {mentor.display_name} is still waiting for an answer.")
    if mid in open_states:
        raise Invalid(f"{mentor.display_name} is already your mentor.")
    waiting = sum(1 for s in open_states.values() if s == "requested")
    if waiting >= settings.MENTORSHIP_OPEN_REQUESTS_MAX:
        raise Invalid(
            f"You already have {waiting} requests waiting for an answer. Wait for a reply or "
            "withdraw one before asking someone else."
        )
    if _holding(session, mid) >= profile.capacity:
        raise Invalid(f"{mentor.display_name} has no free places right now.", "mentor_id")
    now = utcnow()
    m = Mentorship(
        mentor_id=mid,
        mentee_id=user.id,
        community_id=cid,
        goals=text,
        skills=wanted,
        state="requested",
        created_at=now,
        last_activity_at=now,
    )
    session.add(m)
    session.flush()
    _notify(
        session,
        mid,
        "mentorship.request",
        user.id,
        f"{user.display_name} asked you for mentorship in {community.name}",
        MENTORSHIP_LINK,
    )
    _record(
        session,
        "mentorship.requested",
        user.id,
        m,
        f"{user.display_name} asked {mentor.display_name} for mentorship in {community.name}",
    )
    _announce(session, m)
    session.commit()
    session.refresh(m)
    return m


def respond(
    session: Session,
    actor: User | None,
    mentorship_id: object,
    accept: object,
    message: object = "",
) -> Mentorship:
    """The mentor accepts (an optional welcome; a free place is checked again) or declines
    (a reason the mentee will read is required). The mentee is told either way."""
    access = access_mentorship(session, actor, mentorship_id, lock=True)
    m, user = access.mentorship, access.user
    yes = _flag(accept, "accept", "Choose accept or decline.")
    verb = "accept" if yes else "decline"
    t = _check_transition(m, access.role, verb)
    if yes:
        text = validation.text(
            message, "message", "Welcome message", max_len=settings.MENTORSHIP_MESSAGE_MAX
        )
        profile = session.exec(
            select(MentorProfile).where(MentorProfile.user_id == user.id).with_for_update()
        ).first()
        capacity = profile.capacity if profile else settings.MENTOR_CAPACITY_DEFAULT
        if _holding(session, user.id) >= capacity:
            raise Invalid(
                f"You have no free places right now ({capacity} of {capacity} taken). "
                "Complete or pause a mentorship, or raise your capacity, first."
            )
    else:
        text = validation.text(
            message,
            "message",
            "Reason",
            min_len=1,
            max_len=settings.MENTORSHIP_DECLINE_REASON_MAX,
        )
    now = utcnow()
    _, mentee_name = _names(session, m)
    if yes:
        m.state, m.welcome_message, m.started_at = "active", text, now
        note = f"{user.display_name} accepted your mentorship request"
    else:
        m.state, m.decline_reason, m.ended_at = "declined", text, now
        note = f"{user.display_name} declined your mentorship request: {text}"
    m.last_activity_at = now
    session.add(m)
    _notify(session, m.mentee_id, f"mentorship.{t.past}", user.id, note, mentorship_link(m.id))
    _record(
        session,
        f"mentorship.{t.past}",
        user.id,
        m,
        f"{user.display_name} {t.past} {mentee_name}'s mentorship request",
    )
    _announce(session, m)
    session.commit()
    session.refresh(m)
    return m


def _move(
    session: Session,
    actor: User | None,
    mentorship_id: object,
    verb: str,
    *,
    reflection: object = None,
) -> Mentorship:
    access = access_mentorship(session, actor, mentorship_id, lock=True)
    m, user = access.mentorship, access.user
    t = _check_transition(m, access.role, verb)
    text = ""
    if verb == "complete":
        text = validation.text(
            reflection,
            "reflection",
            "Reflection",
            min_len=settings.MENTORSHIP_REFLECTION_MIN,
            max_len=settings.MENTORSHIP_REFLECTION_MAX,
        )
    now = utcnow()
    m.state = t.target
    m.last_activity_at = now
    if verb == "complete":
        m.ended_at = now
        if access.role == "mentor":
            m.reflection_mentor = text
        else:
            m.reflection_mentee = text
    elif verb == "withdraw":
        m.ended_at = now
    session.add(m)
    mentor_name, mentee_name = _names(session, m)
    other_id = m.mentee_id if access.role == "mentor" else m.mentor_id
    other_name = mentee_name if access.role == "mentor" else mentor_name
    if verb == "withdraw":
        summary = f"{user.display_name} withdrew their mentorship request to {other_name}"
        note = f"{user.display_name} withdrew their mentorship request"
        link = MENTORSHIP_LINK
    else:
        summary = f"{user.display_name} {t.past} the mentorship with {other_name}"
        note = f"{user.display_name} {t.past} your mentorship"
        link = mentorship_link(m.id)
    _notify(session, other_id, f"mentorship.{t.past}", user.id, note, link)
    _record(session, f"mentorship.{t.past}", user.id, m, summary)
    _announce(session, m)
    if verb == "resume":
        session.flush()
        scan_requirements(session, m.id)
    session.commit()
    session.refresh(m)
    return m


def withdraw(session: Session, actor: User | None, mentorship_id: object) -> Mentorship:
    """The mentee takes back a request the mentor has not answered yet."""
    return _move(session, actor, mentorship_id, "withdraw")


def pause(session: Session, actor: User | None, mentorship_id: object) -> Mentorship:
    """Either of the pair pauses an active mentorship (its place stays taken)."""
    return _move(session, actor, mentorship_id, "pause")


def resume(session: Session, actor: User | None, mentorship_id: object) -> Mentorship:
    """Either of the pair resumes; goals met meanwhile are found and marked."""
    return _move(session, actor, mentorship_id, "resume")


def complete(
    session: Session, actor: User | None, mentorship_id: object, reflection: object
) -> Mentorship:
    """Either of the pair ends it with a short reflection; the other may add theirs."""
    return _move(session, actor, mentorship_id, "complete", reflection=reflection)


def add_reflection(
    session: Session, actor: User | None, mentorship_id: object, reflection: object
) -> Mentorship:
    """On a completed mentorship, each of the pair writes (or rewrites) their reflection."""
    access = access_mentorship(session, actor, mentorship_id, lock=True)
    m, user = access.mentorship, access.user
    if access.role not in ("mentor", "mentee"):
        raise Forbidden("Only the mentor or the mentee can reflect on this mentorship.")
    if m.state != "completed":
        raise Invalid("Reflections are written when the mentorship is completed.")
    text = validation.text(
        reflection,
        "reflection",
        "Reflection",
        min_len=settings.MENTORSHIP_REFLECTION_MIN,
        max_len=settings.MENTORSHIP_REFLECTION_MAX,
    )
    if access.role == "mentor":
        m.reflection_mentor = text
    else:
        m.reflection_mentee = text
    session.add(m)
    _record(
        session,
        "mentorship.reflected",
        user.id,
        m,
        f"{user.display_name} wrote a reflection on a completed mentorship",
    )
    _announce(session, m)
    session.commit()
    session.refresh(m)
    return m


# ---------------------------------------------------------------- practice-linked goals


@dataclass(frozen=True)
class Evidence:
    """What met a goal: the artifact (`target_type`, `target_id`), a line and a link to
    it, and when it happened (used as met_at when found by a scan)."""

    target_type: str
    target_id: int
    text: str
    link: str
    at: datetime


# (session, card, event) -> evidence or None. With an event: does this event's artifact
# meet the card? With None: does anything already in the database (a scan)?
Predicate = Callable[[Session, BoardCard, ActivityEvent | None], Evidence | None]


@dataclass(frozen=True)
class Requirement:
    """One kind of practice-linked goal: its label, the activity event kinds that may meet
    it, and the predicate that decides (and finds the evidence)."""

    label: str
    description: str
    listens_to: tuple[str, ...]
    met_by: Predicate


def _context(session: Session, card: BoardCard) -> tuple[Mentorship, Community] | None:
    m = session.get(Mentorship, card.mentorship_id)
    if m is None or m.started_at is None:
        return None
    community = session.get(Community, m.community_id)
    return (m, community) if community is not None else None


def taken_evidence(session: Session, card: BoardCard) -> set[tuple[str, int]]:
    """Artifacts already counted by the board's other met cards: one artifact meets one
    goal, so two "ask a question" cards need two questions."""
    rows = session.exec(
        select(BoardCard.evidence_type, BoardCard.evidence_id).where(
            BoardCard.mentorship_id == card.mentorship_id,
            col(BoardCard.met_at).is_not(None),
            col(BoardCard.evidence_id).is_not(None),
            BoardCard.id != card.id,
        )
    ).all()
    return {(kind, tid) for kind, tid in rows}


def _taken_ids(session: Session, card: BoardCard, kind: str) -> list[int]:
    return [tid for k, tid in taken_evidence(session, card) if k == kind]


def _thread_link(community: Community, thread_id: int) -> str:
    return f"/c/{community.slug}/t/{thread_id}"


def _asked(session: Session, card: BoardCard, event: ActivityEvent | None) -> Evidence | None:
    """The mentee asked a question in the mentorship's community after it started."""
    ctx = _context(session, card)
    if ctx is None:
        return None
    m, community = ctx
    if event is None:
        thread = session.exec(
            select(Thread)
            .where(
                Thread.community_id == m.community_id,
                Thread.author_id == m.mentee_id,
                Thread.kind == "question",
                col(Thread.hidden).is_(False),
                Thread.created_at >= m.started_at,
                col(Thread.id).not_in(_taken_ids(session, card, "thread")),
            )
            .order_by(col(Thread.created_at), col(Thread.id))
        ).first()
    else:
        if event.target_type != "thread" or event.target_id is None:
            return None
        thread = session.get(Thread, event.target_id)
        if (
            thread is None
            or thread.community_id != m.community_id
            or thread.author_id != m.mentee_id
            or thread.kind != "question"
            or thread.hidden
            or thread.created_at < m.started_at
        ):
            return None
    if thread is None:
        return None
    return Evidence(
        "thread",
        thread.id,
        f"Asked “{thread.title}”",
        _thread_link(community, thread.id),
        thread.created_at,
    )


def _answer_ok(thread: Thread, post: Post, m: Mentorship) -> bool:
    return (
        thread.community_id == m.community_id
        and thread.kind == "question"
        and not thread.hidden
        and thread.accepted_post_id == post.id
        and thread.author_id != m.mentee_id
        and post.author_id == m.mentee_id
        and post.number > 1
        and not post.hidden
        and post.deleted_at is None
        and post.created_at >= m.started_at
    )


def _answered(session: Session, card: BoardCard, event: ActivityEvent | None) -> Evidence | None:
    """A reply the mentee wrote in the community (after the mentorship started) became the
    accepted answer to someone else's question."""
    ctx = _context(session, card)
    if ctx is None:
        return None
    m, community = ctx
    if event is None:
        row = session.exec(
            select(Post, Thread)
            .join(Thread, Thread.accepted_post_id == Post.id)
            .where(
                Thread.community_id == m.community_id,
                Thread.kind == "question",
                col(Thread.hidden).is_(False),
                Thread.author_id != m.mentee_id,
                Post.author_id == m.mentee_id,
                Post.number > 1,
                col(Post.hidden).is_(False),
                col(Post.deleted_at).is_(None),
                Post.created_at >= m.started_at,
                col(Post.id).not_in(_taken_ids(session, card, "post")),
            )
            .order_by(col(Post.created_at), col(Post.id))
        ).first()
        if row is None:
            return None
        post, thread = row
    else:
        if event.target_type != "thread" or event.target_id is None:
            return None
        thread = session.get(Thread, event.target_id)
        if thread is None or thread.accepted_post_id is None:
            return None
        post = session.get(Post, thread.accepted_post_id)
        if post is None or not _answer_ok(thread, post, m):
            return None
    return Evidence(
        "post",
        post.id,
        f"Answer accepted in “{thread.title}”",
        f"{_thread_link(community, thread.id)}#post-{post.number}",
        post.created_at,
    )


def _others_replied(thread_id: int, mentee_id: int):
    return exists().where(
        Post.thread_id == thread_id,
        Post.number > 1,
        Post.author_id != mentee_id,
        col(Post.hidden).is_(False),
        col(Post.deleted_at).is_(None),
    )


def _discussed(session: Session, card: BoardCard, event: ActivityEvent | None) -> Evidence | None:
    """The mentee started a discussion in the community (after the mentorship started) and
    someone else replied to it."""
    ctx = _context(session, card)
    if ctx is None:
        return None
    m, community = ctx
    if event is None:
        thread = session.exec(
            select(Thread)
            .where(
                Thread.community_id == m.community_id,
                Thread.author_id == m.mentee_id,
                Thread.kind == "discussion",
                col(Thread.hidden).is_(False),
                Thread.created_at >= m.started_at,
                col(Thread.id).not_in(_taken_ids(session, card, "thread")),
                _others_replied(Thread.id, m.mentee_id),
            )
            .order_by(col(Thread.created_at), col(Thread.id))
        ).first()
        if thread is None:
            return None
    else:
        if event.target_type != "post" or event.target_id is None:
            return None
        post = session.get(Post, event.target_id)
        if (
            post is None
            or post.number < 2
            or post.author_id == m.mentee_id
            or post.hidden
            or post.deleted_at is not None
        ):
            return None
        thread = session.get(Thread, post.thread_id)
        if (
            thread is None
            or thread.community_id != m.community_id
            or thread.author_id != m.mentee_id
            or thread.kind != "discussion"
            or thread.hidden
            or thread.created_at < m.started_at
        ):
            return None
    return Evidence(
        "thread",
        thread.id,
        f"Started “{thread.title}”, which got replies",
        _thread_link(community, thread.id),
        thread.created_at,
    )


REQUIREMENTS: dict[str, Requirement] = {
    "ask_question": Requirement(
        "Ask a question",
        "Ask a question in the community.",
        ("thread.created",),
        _asked,
    ),
    "answer_accepted": Requirement(
        "Get an answer accepted",
        "Answer someone's question in the community well enough that it is accepted.",
        ("thread.answer_accepted",),
        _answered,
    ),
    "discussion_replied": Requirement(
        "Start a discussion that gets replies",
        "Start a discussion in the community and get at least one reply from someone else.",
        ("post.created",),
        _discussed,
    ),
}


def requirement_options() -> list[dict[str, str]]:
    """The goal kinds a card may carry, for the card form."""
    return [
        {"value": key, "label": r.label, "description": r.description}
        for key, r in REQUIREMENTS.items()
    ]


def _place(session: Session, card: BoardCard, column: str, index: int | None) -> bool:
    """Put a card at `index` of `column` (None: at the end) and number both columns 0..n-1;
    returns whether any card's place changed."""
    rows = session.exec(
        select(BoardCard)
        .where(
            BoardCard.mentorship_id == card.mentorship_id,
            col(BoardCard.column).in_({card.column, column}),
            BoardCard.id != card.id,
        )
        .order_by(col(BoardCard.position), col(BoardCard.id))
    ).all()
    source = [c for c in rows if c.column == card.column]
    target = source if column == card.column else [c for c in rows if c.column == column]
    at = len(target) if index is None else max(0, min(index, len(target)))
    target.insert(at, card)
    changed = card.column != column
    card.column = column
    for cards in (source, target) if source is not target else (target,):
        for i, c in enumerate(cards):
            if c.position != i:
                c.position = i
                changed = True
                session.add(c)
    session.add(card)
    return changed


def _mark_met(session: Session, card: BoardCard, evidence: Evidence, met_at: datetime) -> None:
    m = session.get(Mentorship, card.mentorship_id)
    mentee = session.get(User, m.mentee_id)
    card.evidence_type, card.evidence_id = evidence.target_type, evidence.target_id
    card.evidence_text, card.evidence_link = evidence.text[:300], evidence.link[:300]
    card.met_at = met_at
    card.updated_at = utcnow()
    _place(session, card, "done", None)
    _bump(session, m)
    label = REQUIREMENTS[card.requirement].label if card.requirement in REQUIREMENTS else "a goal"
    name = mentee.display_name if mentee else "The mentee"
    _record(
        session, "board.goal_met", m.mentee_id, m, f"{name} met a practice goal: {label.lower()}"
    )
    _notify(
        session,
        m.mentor_id,
        "board.goal_met",
        m.mentee_id,
        f"{name} met a goal on your mentorship board: “{card.title}”",
        mentorship_link(m.id),
    )
    on_commit(session, Change("board.goal_met", _rooms(m), {"id": m.id, "card_id": card.id}))


def _open_goal_cards():
    return select(BoardCard).where(
        col(BoardCard.requirement).is_not(None),
        col(BoardCard.met_at).is_(None),
        BoardCard.column != "done",
    )


def check_requirements(session: Session, event: ActivityEvent) -> list[BoardCard]:
    """Hook for the services that record activity: call it right after `activity.record`,
    before the commit. Open goal cards of active mentorships in the event's community whose
    requirement listens to this kind are checked; the met ones get their evidence and move
    to done. Writes into the caller's transaction and never commits. Events no requirement
    listens to cost no query."""
    kinds = [key for key, r in REQUIREMENTS.items() if event.kind in r.listens_to]
    if not kinds or event.community_id is None:
        return []
    cards = session.exec(
        _open_goal_cards()
        .join(Mentorship, Mentorship.id == BoardCard.mentorship_id)
        .where(
            Mentorship.community_id == event.community_id,
            Mentorship.state == "active",
            col(BoardCard.requirement).in_(kinds),
        )
        .order_by(col(BoardCard.mentorship_id), col(BoardCard.position), col(BoardCard.id))
    ).all()
    met: list[BoardCard] = []
    for card in cards:
        evidence = REQUIREMENTS[card.requirement].met_by(session, card, event)
        if evidence is None:
            continue
        if (evidence.target_type, evidence.target_id) in taken_evidence(session, card):
            continue
        _mark_met(session, card, evidence, event.created_at or utcnow())
        session.flush()
        met.append(card)
    return met


def scan_requirements(session: Session, mentorship_id: int) -> list[BoardCard]:
    """Check an active board's open goal cards against what the mentee already did since
    the mentorship started; met cards get evidence dated when the artifact happened.
    Writes into the caller's transaction and never commits."""
    m = session.get(Mentorship, mentorship_id)
    if m is None or m.state != "active":
        return []
    cards = session.exec(
        _open_goal_cards()
        .where(BoardCard.mentorship_id == mentorship_id)
        .order_by(col(BoardCard.position), col(BoardCard.id))
    ).all()
    met: list[BoardCard] = []
    for card in cards:
        requirement = REQUIREMENTS.get(card.requirement or "")
        if requirement is None:
            continue
        evidence = requirement.met_by(session, card, None)
        if evidence is None:
            continue
        if (evidence.target_type, evidence.target_id) in taken_evidence(session, card):
            continue
        _mark_met(session, card, evidence, evidence.at)
        session.flush()
        met.append(card)
    return met


# ---------------------------------------------------------------- board cards


@dataclass(frozen=True)
class CardInput:
    """The card form, validated as a whole (links are checked against the board later)."""

    title: str
    description: str
    due_date: date | None
    link_thread_id: int | None
    link_post_id: int | None
    requirement: str | None


def _optional_id(value: object, field_name: str, label: str) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    return validation.integer(value, field_name, label)


def clean_card_input(
    title: object,
    description: object = "",
    due_date: object = None,
    link_thread_id: object = None,
    link_post_id: object = None,
    requirement: object = None,
) -> CardInput:
    """Validate every field of the card form."""
    goal = None
    if requirement not in (None, ""):
        goal = validation.choice(requirement, tuple(REQUIREMENTS), "requirement", "Goal kind")
    return CardInput(
        title=validation.text(
            title,
            "title",
            "Title",
            min_len=settings.BOARD_CARD_TITLE_MIN,
            max_len=settings.BOARD_CARD_TITLE_MAX,
        ),
        description=validation.text(
            description, "description", "Description", max_len=settings.BOARD_CARD_DESCRIPTION_MAX
        ),
        due_date=_day(due_date, "due_date", "Due date"),
        link_thread_id=_optional_id(link_thread_id, "link_thread_id", "Linked thread"),
        link_post_id=_optional_id(link_post_id, "link_post_id", "Linked post"),
        requirement=goal,
    )


def _links(session: Session, m: Mentorship, data: CardInput) -> tuple[int | None, int | None]:
    """The card's links, which must point into the mentorship's community."""
    community = session.get(Community, m.community_id)
    name = community.name if community else "this community"
    thread_id = data.link_thread_id
    if data.link_post_id is not None:
        post = session.get(Post, data.link_post_id)
        if post is None or post.hidden or post.deleted_at is not None:
            raise Invalid("The linked post does not exist.", "link_post_id")
        if thread_id is not None and post.thread_id != thread_id:
            raise Invalid("The linked post is not in the linked thread.", "link_post_id")
        thread_id = post.thread_id
    if thread_id is not None:
        thread = session.get(Thread, thread_id)
        field_name = "link_thread_id" if data.link_post_id is None else "link_post_id"
        if thread is None or thread.hidden:
            raise Invalid("The linked thread does not exist.", field_name)
        if thread.community_id != m.community_id:
            raise Invalid(f"Link a discussion from {name}, where this mentorship is.", field_name)
    return thread_id, data.link_post_id


def _card_with_key(
    session: Session, user_id: int, key: str | None, mentorship_id: int | None
) -> BoardCard | None:
    """The card this person already added from the draft with this idempotency key."""
    if key is None:
        return None
    card = session.exec(
        select(BoardCard).where(BoardCard.created_by == user_id, BoardCard.client_key == key)
    ).first()
    if card is not None and card.mentorship_id != mentorship_id:
        raise Invalid("This draft was already added to another board; reload the page.")
    return card


def add_card(
    session: Session,
    actor: User | None,
    mentorship_id: object,
    data: CardInput,
    column: object = "todo",
    client_key: object = None,
) -> BoardCard:
    """Add a card at the end of a column; a goal card already met by earlier practice
    (since the mentorship started) is marked at once. A draft added again with the same
    `client_key` returns the card it already made."""
    key = validation.client_key(client_key)
    access = access_board(session, actor, mentorship_id, write=True)
    m, user = access.mentorship, access.user
    added = _card_with_key(session, user.id, key, m.id)
    if added is not None:
        return added
    where = validation.choice(column, COLUMNS, "column", "Column")
    counts = dict(
        session.exec(
            select(BoardCard.column, func.count())
            .where(BoardCard.mentorship_id == m.id)
            .group_by(BoardCard.column)
        ).all()
    )
    if sum(counts.values()) >= settings.BOARD_CARDS_MAX:
        raise Invalid(
            f"A board holds at most {settings.BOARD_CARDS_MAX} cards; remove finished ones first."
        )
    thread_id, post_id = _links(session, m, data)
    now = utcnow()
    card = BoardCard(
        mentorship_id=m.id,
        title=data.title,
        description=data.description,
        column=where,
        position=counts.get(where, 0),
        due_date=data.due_date,
        link_thread_id=thread_id,
        link_post_id=post_id,
        requirement=data.requirement,
        created_by=user.id,
        created_at=now,
        updated_at=now,
        client_key=key,
    )
    session.add(card)
    try:
        session.flush()
    except IntegrityError:  # the same draft added concurrently: its card won the race
        session.rollback()
        winner = _card_with_key(session, user.id, key, m.id)
        if winner is None:
            raise
        return winner
    _bump(session, m)
    _record(
        session,
        "board.card_added",
        user.id,
        m,
        f"{user.display_name} added a card to a mentorship board",
    )
    _announce_board(session, m, "board.card_added", card.id)
    if card.requirement:
        scan_requirements(session, m.id)
    session.commit()
    session.refresh(card)
    return card


def edit_card(session: Session, actor: User | None, card_id: object, data: CardInput) -> BoardCard:
    """Replace a card's text, due date, links and goal kind (pass the current links, from
    CardView.link_thread_id/link_post_id, to keep them: unchanged links are not checked
    again); a new goal kind drops the old evidence and is checked against earlier practice."""
    card, access = access_card(session, actor, card_id)
    m, user = access.mentorship, access.user
    kept_post = data.link_post_id is not None and data.link_post_id == card.link_post_id
    if kept_post and data.link_thread_id in (None, card.link_thread_id):
        thread_id, post_id = card.link_thread_id, card.link_post_id  # unchanged: not re-checked
    elif card.link_post_id is None and (data.link_thread_id, data.link_post_id) == (
        card.link_thread_id,
        None,
    ):
        thread_id, post_id = card.link_thread_id, None
    else:
        thread_id, post_id = _links(session, m, data)
    wanted = {
        "title": data.title,
        "description": data.description,
        "due_date": data.due_date,
        "link_thread_id": thread_id,
        "link_post_id": post_id,
        "requirement": data.requirement,
    }
    changed = {k: v for k, v in wanted.items() if getattr(card, k) != v}
    if not changed:
        session.rollback()  # nothing to write; let go of the board's row lock
        return card
    for name, value in changed.items():
        setattr(card, name, value)
    if "requirement" in changed:
        card.evidence_type, card.evidence_id = "", None
        card.evidence_text, card.evidence_link, card.met_at = "", "", None
    card.updated_at = utcnow()
    session.add(card)
    _bump(session, m)
    _record(
        session,
        "board.card_edited",
        user.id,
        m,
        f"{user.display_name} edited a card on a mentorship board",
    )
    _announce_board(session, m, "board.card_edited", card.id)
    if "requirement" in changed and card.requirement:
        session.flush()
        scan_requirements(session, m.id)
    session.commit()
    session.refresh(card)
    return card


def _position(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid("Position is not valid.", "position")
    try:
        number = int(value)
    except ValueError:
        raise Invalid("Position is not valid.", "position") from None
    if not 0 <= number <= settings.BOARD_CARDS_MAX:
        raise Invalid("Position is not valid.", "position")
    return number


def move_card(
    session: Session, actor: User | None, card_id: object, column: object, position: object
) -> BoardCard:
    """Move a card to a place in a column (0 is the top); both columns are renumbered."""
    where = validation.choice(column, COLUMNS, "column", "Column")
    index = _position(position)
    card, access = access_card(session, actor, card_id)
    m, user = access.mentorship, access.user
    if not _place(session, card, where, index):
        session.rollback()  # already there; let go of the board's row lock
        return card
    card.updated_at = utcnow()
    _bump(session, m)
    _record(
        session,
        "board.card_moved",
        user.id,
        m,
        f"{user.display_name} moved a card to {COLUMN_LABELS[where]} on a mentorship board",
    )
    _announce_board(session, m, "board.card_moved", card.id)
    session.commit()
    session.refresh(card)
    return card


def delete_card(session: Session, actor: User | None, card_id: object) -> None:
    """Remove a card; the rest of its column closes up."""
    card, access = access_card(session, actor, card_id)
    m, user = access.mentorship, access.user
    rest = session.exec(
        select(BoardCard)
        .where(
            BoardCard.mentorship_id == m.id,
            BoardCard.column == card.column,
            BoardCard.id != card.id,
        )
        .order_by(col(BoardCard.position), col(BoardCard.id))
    ).all()
    removed_id = card.id
    session.delete(card)
    for i, c in enumerate(rest):
        if c.position != i:
            c.position = i
            session.add(c)
    _bump(session, m)
    _record(
        session,
        "board.card_deleted",
        user.id,
        m,
        f"{user.display_name} removed a card from a mentorship board",
    )
    _announce_board(session, m, "board.card_deleted", removed_id)
    session.commit()


# ---------------------------------------------------------------- session log


def add_session_note(
    session: Session,
    actor: User | None,
    mentorship_id: object,
    on_date: object,
    notes: object,
    next_steps: object = "",
) -> SessionNote:
    """Either of the pair logs a session (today unless a past date is given) while the
    mentorship is active or paused."""
    access = access_mentorship(session, actor, mentorship_id, lock=True)
    m, user = access.mentorship, access.user
    if access.role == "admin":
        raise Forbidden("Only the mentor and the mentee keep this session log.")
    if m.state not in HOLDING_STATES:
        raise Forbidden(_read_only_reason(m.state))
    today = utcnow().date()
    day = _day(on_date, "date", "Date") or today
    if day > today + timedelta(days=1):
        raise Invalid("Log a session on or after the day it happens.", "date")
    text = validation.text(notes, "notes", "Notes", min_len=1, max_len=settings.SESSION_NOTES_MAX)
    steps = validation.text(
        next_steps, "next_steps", "Next steps", max_len=settings.SESSION_NEXT_STEPS_MAX
    )
    note = SessionNote(
        mentorship_id=m.id, author_id=user.id, date=day, notes=text, next_steps=steps
    )
    session.add(note)
    session.flush()
    _bump(session, m)
    _record(
        session,
        "mentorship.session_logged",
        user.id,
        m,
        f"{user.display_name} logged a mentoring session",
    )
    _announce_board(session, m, "board.session_logged", None)
    session.commit()
    session.refresh(note)
    return note


def _note_views(session: Session, mentorship_id: int) -> list[SessionNoteView]:
    rows = session.exec(
        select(SessionNote, User.display_name)
        .join(User, User.id == SessionNote.author_id)
        .where(SessionNote.mentorship_id == mentorship_id)
        .order_by(col(SessionNote.date).desc(), col(SessionNote.id).desc())
        .limit(settings.SESSION_NOTES_PAGE_SIZE)
    ).all()
    return [
        SessionNoteView(
            id=n.id,
            author_id=n.author_id,
            author_name=name,
            date=n.date,
            notes=n.notes,
            next_steps=n.next_steps,
            created_at=n.created_at,
        )
        for n, name in rows
    ]


def session_notes(
    session: Session, actor: User | None, mentorship_id: object
) -> list[SessionNoteView]:
    """The session log, newest first (the pair and admins)."""
    access = access_mentorship(session, actor, mentorship_id)
    return _note_views(session, access.mentorship.id)


# ---------------------------------------------------------------- reads


def board(session: Session, actor: User | None, mentorship_id: object) -> BoardView:
    """A mentorship's page in five queries: the row, the pair's names, the community, the
    cards (capped, with their linked threads) and the session log."""
    access = access_board(session, actor, mentorship_id)
    return _board_view(session, access.mentorship, access.role)


def board_snapshot(session: Session, mentorship_id: int) -> BoardView | None:
    """The board as its live room shares it (every viewer alike: `my_role` "" and no
    transitions); access was checked when the viewer linked to the room."""
    m = session.get(Mentorship, mentorship_id)
    return _board_view(session, m, "") if m is not None else None


def _board_view(session: Session, m: Mentorship, role: str) -> BoardView:
    mentor_name, mentee_name = _names(session, m)
    community = session.get(Community, m.community_id)
    rows = session.exec(
        select(BoardCard, Thread.title, Thread.hidden, Post.number)
        .join(Thread, Thread.id == BoardCard.link_thread_id, isouter=True)
        .join(Post, Post.id == BoardCard.link_post_id, isouter=True)
        .where(BoardCard.mentorship_id == m.id)
        .order_by(col(BoardCard.position), col(BoardCard.id))
        .limit(settings.BOARD_CARDS_MAX + 1)
    ).all()
    truncated = len(rows) > settings.BOARD_CARDS_MAX
    today = utcnow().date()
    slug = community.slug if community else ""
    columns: dict[str, list[CardView]] = {c: [] for c in COLUMNS}
    for card, thread_title, thread_hidden, post_number in rows[: settings.BOARD_CARDS_MAX]:
        link, link_title = "", ""
        if card.link_thread_id and thread_title is not None and not thread_hidden:
            link = f"/c/{slug}/t/{card.link_thread_id}"
            if post_number:
                link += f"#post-{post_number}"
            link_title = thread_title
        requirement = REQUIREMENTS.get(card.requirement or "")
        columns.setdefault(card.column, []).append(
            CardView(
                id=card.id,
                title=card.title,
                description=card.description,
                column=card.column,
                position=card.position,
                due_date=card.due_date,
                overdue=card.due_date is not None
                and card.due_date < today
                and card.column != "done",
                link=link,
                link_title=link_title,
                requirement=card.requirement or "",
                requirement_label=requirement.label if requirement else "",
                met=card.met_at is not None,
                met_at=card.met_at,
                evidence_text=card.evidence_text,
                evidence_link=card.evidence_link,
                link_thread_id=card.link_thread_id or 0,
                link_post_id=card.link_post_id or 0,
            )
        )
    pair = role in ("mentor", "mentee")
    return BoardView(
        id=m.id,
        state=m.state,
        state_label=STATE_LABELS.get(m.state, m.state),
        my_role=role,
        community_id=m.community_id,
        community_name=community.name if community else "",
        community_slug=slug,
        mentor_id=m.mentor_id,
        mentor_name=mentor_name,
        mentee_id=m.mentee_id,
        mentee_name=mentee_name,
        goals=m.goals,
        skills=validation.split_tags(m.skills),
        welcome_message=m.welcome_message,
        decline_reason=m.decline_reason,
        reflection_mentor=m.reflection_mentor,
        reflection_mentee=m.reflection_mentee,
        created_at=m.created_at,
        started_at=m.started_at,
        ended_at=m.ended_at,
        last_activity_at=m.last_activity_at,
        can_edit_cards=m.state == "active",
        can_log_sessions=pair and m.state in HOLDING_STATES,
        read_only_reason=_read_only_reason(m.state),
        transitions=allowed_transitions(m.state, role),
        todo=columns["todo"],
        doing=columns["doing"],
        done=columns["done"],
        cards_total=len(rows) if not truncated else settings.BOARD_CARDS_MAX,
        truncated=truncated,
        notes=_note_views(session, m.id),
    )


# Lists show running pairings first, then requests waiting for an answer, then the ended.
_STATE_RANK = {
    s: i
    for i, s in enumerate(("active", "paused", "requested", "completed", "declined", "withdrawn"))
}


def _mentorship_rows(session: Session, viewer_id: int, where) -> list[MentorshipRow]:
    """Mentorships matching `where` with their board counts, last session, next open goal
    and health, in ONE query whatever their number (grouped subqueries, a window for the
    next goal)."""
    mentor_u = aliased(User)
    mentee_u = aliased(User)
    mine = select(Mentorship.id).where(where)
    cards = (
        select(
            BoardCard.mentorship_id.label("mid"),
            func.count().label("total"),
            func.sum(case((BoardCard.column == "done", 1), else_=0)).label("done"),
        )
        .where(col(BoardCard.mentorship_id).in_(mine))
        .group_by(BoardCard.mentorship_id)
        .subquery()
    )
    notes = (
        select(
            SessionNote.mentorship_id.label("mid"),
            func.max(SessionNote.date).label("last"),
        )
        .where(col(SessionNote.mentorship_id).in_(mine))
        .group_by(SessionNote.mentorship_id)
        .subquery()
    )
    ranked = (
        select(
            BoardCard.mentorship_id.label("mid"),
            BoardCard.id.label("card_id"),
            BoardCard.title.label("title"),
            func.row_number()
            .over(
                partition_by=BoardCard.mentorship_id,
                order_by=(
                    case((BoardCard.column == "doing", 0), else_=1),
                    BoardCard.position,
                    BoardCard.id,
                ),
            )
            .label("rn"),
        )
        .where(BoardCard.column != "done", col(BoardCard.mentorship_id).in_(mine))
        .subquery()
    )
    rank = case(
        *[(Mentorship.state == s, i) for s, i in _STATE_RANK.items()], else_=len(_STATE_RANK)
    )
    stmt = (
        select(
            Mentorship,
            mentor_u.display_name,
            mentee_u.display_name,
            Community.name,
            Community.slug,
            cards.c.total,
            cards.c.done,
            notes.c.last,
            ranked.c.card_id,
            ranked.c.title,
        )
        .join(mentor_u, mentor_u.id == Mentorship.mentor_id)
        .join(mentee_u, mentee_u.id == Mentorship.mentee_id)
        .join(Community, Community.id == Mentorship.community_id)
        .join(cards, cards.c.mid == Mentorship.id, isouter=True)
        .join(notes, notes.c.mid == Mentorship.id, isouter=True)
        .join(ranked, and_(ranked.c.mid == Mentorship.id, ranked.c.rn == 1), isouter=True)
        .where(where)
        .order_by(rank, col(Mentorship.last_activity_at).desc(), col(Mentorship.id).desc())
        .limit(settings.MENTORSHIP_LIST_SIZE)
    )
    stale_before = utcnow() - timedelta(days=settings.CHECKIN_AFTER_DAYS)
    result = []
    for m, mentor_name, mentee_name, cname, slug, total, done, last, card_id, title in session.exec(
        stmt
    ).all():
        last_day = last if isinstance(last, date) or last is None else date.fromisoformat(last)
        touched = max(m.last_activity_at, _as_datetime(last_day) or m.last_activity_at)
        role = "mentor" if m.mentor_id == viewer_id else "mentee"
        result.append(
            MentorshipRow(
                id=m.id,
                role=role,
                mentor_id=m.mentor_id,
                mentor_name=mentor_name,
                mentee_id=m.mentee_id,
                mentee_name=mentee_name,
                other_name=mentee_name if role == "mentor" else mentor_name,
                community_id=m.community_id,
                community_name=cname,
                community_slug=slug,
                state=m.state,
                state_label=STATE_LABELS.get(m.state, m.state),
                goals=m.goals,
                cards_done=int(done or 0),
                cards_total=int(total or 0),
                last_session_on=last_day,
                last_activity_at=m.last_activity_at,
                needs_checkin=m.state == "active" and touched < stale_before,
                next_goal=title or "",
                next_goal_card_id=card_id or 0,
                created_at=m.created_at,
            )
        )
    # Within a state, the pairs that need a check-in come first (a stable sort keeps the rest).
    result.sort(key=lambda r: (_STATE_RANK.get(r.state, 99), not r.needs_checkin))
    return result


def mentor_dashboard(session: Session, actor: User | None) -> list[MentorshipRow]:
    """Every mentorship the actor mentors: active and paused first (those needing a
    check-in on top), then requests waiting for an answer, then finished ones. One query."""
    user = require_user(actor)
    return _mentorship_rows(session, user.id, Mentorship.mentor_id == user.id)


def my_mentorships(session: Session, actor: User | None) -> list[MentorshipRow]:
    """The actor's mentorships on both sides, with each one's next open goal. One query."""
    user = require_user(actor)
    return _mentorship_rows(
        session,
        user.id,
        or_(Mentorship.mentor_id == user.id, Mentorship.mentee_id == user.id),
    )
