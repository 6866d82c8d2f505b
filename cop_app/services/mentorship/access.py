"""Loading a mentorship, a board or a card and proving the actor may touch it, in one step;
NotFound where the pairing is private."""

from dataclasses import dataclass

from sqlmodel import Session, select

from cop_app.models import (
    BoardCard,
    Mentorship,
    User,
)
from cop_app.services import validation
from cop_app.services.access import require_user
from cop_app.services.errors import Forbidden, NotFound
from cop_app.services.mentorship.core import STATE_LABELS


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


def read_only_reason(state: str) -> str:
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
        raise Forbidden(read_only_reason(access.mentorship.state))
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
