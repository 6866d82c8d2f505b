"""A pairing's life: the request, the answer, pause, resume, completion and reflections,
each checked against the transition table."""

from datetime import datetime

from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import Community, MentorProfile, Mentorship, User
from cop_app.models.base import utcnow
from cop_app.services import settings, validation, wording
from cop_app.services.access import CREATOR_ROLES, access_community, membership_of, require_user
from cop_app.services.edge import committed
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.mentorship.access import access_mentorship
from cop_app.services.mentorship.core import (
    OPEN_STATES,
    TRANSITIONS,
    _announce,
    _available_user,
    _check_transition,
    _flag,
    _holding,
    _names,
    _record,
)
from cop_app.services.mentorship.goals import scan_requirements
from cop_app.services.mentorship.profiles import _profile_of
from cop_app.services.notifications import notify


def check_request_mentorship(
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
            f"You already have {wording.plural(waiting, 'request')} waiting for an answer. Wait for a reply or "
            "withdraw one before asking someone else."
        )
    if _holding(session, mid) >= profile.capacity:
        raise Invalid(f"{mentor.display_name} has no free places right now.", "mentor_id")
    m = do_request_mentorship(session, user, mentor, community, text, wanted, now=utcnow())
    return committed(session, m)


def do_request_mentorship(
    session: Session,
    mentee: User,
    mentor: User,
    community: Community,
    goals: str,
    skills: str,
    *,
    now: datetime,
) -> Mentorship:
    """Write a request in the `requested` state and tell the mentor; the mentee's goals and
    wanted skills become the pair's first agreement when it is accepted."""
    m = Mentorship(
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        community_id=community.id,
        goals=goals,
        skills=skills,
        state="requested",
        created_at=now,
        last_activity_at=now,
    )
    session.add(m)
    session.flush()
    notify(
        session,
        [mentor.id],
        "mentorship.request",
        mentee.id,
        f"{mentee.display_name} asked you for mentorship in {community.name}",
        routes.MENTORSHIP,
        now=now,
    )
    _record(
        session,
        "mentorship.requested",
        mentee.id,
        m,
        f"{mentee.display_name} asked {mentor.display_name} for mentorship in {community.name}",
        now,
    )
    _announce(session, m)
    session.flush()
    return m


def check_respond(
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
    _check_transition(m, access.role, "accept" if yes else "decline")
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
    do_respond(session, m, user, yes, text, now=utcnow())
    return committed(session, m)


def do_respond(
    session: Session, m: Mentorship, mentor: User, accept: bool, message: str, *, now: datetime
) -> None:
    """Start the mentorship with a welcome, or decline it with a reason; the mentee is told."""
    t = TRANSITIONS["accept" if accept else "decline"]
    _, mentee_name = _names(session, m)
    if accept:
        m.state, m.welcome_message, m.started_at = "active", message, now
        note = f"{mentor.display_name} accepted your mentorship request"
    else:
        m.state, m.decline_reason, m.ended_at = "declined", message, now
        note = f"{mentor.display_name} declined your mentorship request: {message}"
    m.last_activity_at = now
    session.add(m)
    notify(
        session,
        [m.mentee_id],
        f"mentorship.{t.past}",
        mentor.id,
        note,
        routes.board_url(m.id),
        now=now,
    )
    _record(
        session,
        f"mentorship.{t.past}",
        mentor.id,
        m,
        f"{mentor.display_name} {t.past} {mentee_name}'s mentorship request",
        now,
    )
    _announce(session, m)
    session.flush()


def _check_move(
    session: Session,
    actor: User | None,
    mentorship_id: object,
    verb: str,
    *,
    reflection: object = None,
) -> Mentorship:
    access = access_mentorship(session, actor, mentorship_id, lock=True)
    m = access.mentorship
    _check_transition(m, access.role, verb)
    text = ""
    if verb == "complete":
        text = validation.text(
            reflection,
            "reflection",
            "Reflection",
            min_len=settings.MENTORSHIP_REFLECTION_MIN,
            max_len=settings.MENTORSHIP_REFLECTION_MAX,
        )
    do_transition(session, m, access.user, verb, reflection=text, now=utcnow())
    return committed(session, m)


def do_transition(
    session: Session,
    m: Mentorship,
    actor: User,
    verb: str,
    *,
    reflection: str = "",
    now: datetime,
) -> None:
    """Move a mentorship along `TRANSITIONS[verb]` as one of the pair (the actor's side is
    their own; `reflection` is theirs when completing); the other is told. Resuming finds
    the goals met meanwhile."""
    t = TRANSITIONS[verb]
    side = "mentor" if actor.id == m.mentor_id else "mentee"
    m.state = t.target
    m.last_activity_at = now
    if verb == "complete":
        m.ended_at = now
        if side == "mentor":
            m.reflection_mentor = reflection
        else:
            m.reflection_mentee = reflection
    elif verb == "withdraw":
        m.ended_at = now
    session.add(m)
    mentor_name, mentee_name = _names(session, m)
    other_id = m.mentee_id if side == "mentor" else m.mentor_id
    other_name = mentee_name if side == "mentor" else mentor_name
    if verb == "withdraw":
        summary = f"{actor.display_name} withdrew their mentorship request to {other_name}"
        note = f"{actor.display_name} withdrew their mentorship request"
        link = routes.MENTORSHIP
    else:
        summary = f"{actor.display_name} {t.past} the mentorship with {other_name}"
        note = f"{actor.display_name} {t.past} your mentorship"
        link = routes.board_url(m.id)
    notify(session, [other_id], f"mentorship.{t.past}", actor.id, note, link, now=now)
    _record(session, f"mentorship.{t.past}", actor.id, m, summary, now)
    _announce(session, m)
    session.flush()
    if verb == "resume":
        scan_requirements(session, m.id, now)


def check_withdraw(session: Session, actor: User | None, mentorship_id: object) -> Mentorship:
    """The mentee takes back a request the mentor has not answered yet."""
    return _check_move(session, actor, mentorship_id, "withdraw")


def check_pause(session: Session, actor: User | None, mentorship_id: object) -> Mentorship:
    """Either of the pair pauses an active mentorship (its place stays taken)."""
    return _check_move(session, actor, mentorship_id, "pause")


def check_resume(session: Session, actor: User | None, mentorship_id: object) -> Mentorship:
    """Either of the pair resumes; goals met meanwhile are found and marked."""
    return _check_move(session, actor, mentorship_id, "resume")


def check_complete(
    session: Session, actor: User | None, mentorship_id: object, reflection: object
) -> Mentorship:
    """Either of the pair ends it with a short reflection; the other may add theirs."""
    return _check_move(session, actor, mentorship_id, "complete", reflection=reflection)


def check_add_reflection(
    session: Session, actor: User | None, mentorship_id: object, reflection: object
) -> Mentorship:
    """On a completed mentorship, each of the pair writes (or rewrites) their reflection."""
    access = access_mentorship(session, actor, mentorship_id, lock=True)
    m = access.mentorship
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
    do_add_reflection(session, m, access.user, text, now=utcnow())
    return committed(session, m)


def do_add_reflection(
    session: Session, m: Mentorship, author: User, reflection: str, *, now: datetime
) -> None:
    """Write one side's reflection on a completed mentorship."""
    if author.id == m.mentor_id:
        m.reflection_mentor = reflection
    else:
        m.reflection_mentee = reflection
    session.add(m)
    _record(
        session,
        "mentorship.reflected",
        author.id,
        m,
        f"{author.display_name} wrote a reflection on a completed mentorship",
        now,
    )
    _announce(session, m)
    session.flush()
