"""The mentorship vocabulary: states, board columns, the transition table that drives
the buttons and the checks, and the helpers every mentorship verb shares (rooms, events)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_app.models import (
    ActivityEvent,
    Mentorship,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import activity, settings, validation
from cop_app.services.errors import Forbidden, Invalid
from cop_app.services.events import Change, on_commit
from cop_app.services.notifications import user_room
from cop_app.services.rooms import RoomKey, RoomKind

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


def board_room(mentorship_id: int) -> RoomKey:
    """The live room of one mentorship board (the pair, and admins looking in)."""
    return RoomKey(RoomKind.BOARD, mentorship_id)


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


def _rooms(m: Mentorship) -> tuple[RoomKey, ...]:
    return (
        user_room(m.mentor_id),
        user_room(m.mentee_id),
        board_room(m.id),
    )


def _announce(session: Session, m: Mentorship, kind: str = "mentorship.changed") -> None:
    """Both of the pair (a signal: their open mentorship pages re-read) and the board hear
    of a state change."""
    data = {"id": m.id, "state": m.state, "signal": "mentorship"}
    on_commit(session, Change(kind, _rooms(m), data))


def _announce_board(session: Session, m: Mentorship, kind: str, card_id: int | None) -> None:
    on_commit(session, Change(kind, (board_room(m.id),), {"id": m.id, "card_id": card_id}))


def _record(
    session: Session,
    kind: str,
    actor_id: int | None,
    m: Mentorship,
    summary: str,
    at: datetime | None = None,
) -> ActivityEvent:
    return activity.record(
        session,
        kind,
        actor_id,
        community_id=m.community_id,
        target_type="mentorship",
        target_id=m.id,
        summary=summary,
        now=at,
    )


def _names(session: Session, m: Mentorship) -> tuple[str, str]:
    """Display names of the mentor and the mentee (one query)."""
    rows = dict(
        session.exec(
            select(User.id, User.display_name).where(col(User.id).in_([m.mentor_id, m.mentee_id]))
        ).all()
    )
    return rows.get(m.mentor_id, ""), rows.get(m.mentee_id, "")


def _bump(session: Session, m: Mentorship, now: datetime | None = None) -> None:
    """Last activity moves forward only (a seed replays moments out of order)."""
    m.last_activity_at = max(m.last_activity_at, now or utcnow())
    session.add(m)


def _board_changed(
    session: Session,
    m: Mentorship,
    kind: str,
    actor: User,
    summary: str,
    now: datetime,
    card_id: int | None,
    change: str = "",
) -> None:
    """A change on the board: the mentorship's last activity moves, the feed records `kind`,
    and the board's room hears of it (as `change`, by default `kind`) after commit."""
    _bump(session, m, now)
    _record(session, kind, actor.id, m, summary, now)
    _announce_board(session, m, change or kind, card_id)


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
    first, last = settings.DATE_YEAR_MIN, settings.DATE_YEAR_MAX
    if not first <= day.year <= last:
        raise Invalid(f"{label} must be between the years {first} and {last}.", field_name)
    return day


def _as_datetime(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=UTC) if day is not None else None
