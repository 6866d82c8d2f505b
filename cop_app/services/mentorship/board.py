"""The pair's board: cards, their columns and order, links to threads and goals."""

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_app.models import (
    BoardCard,
    Community,
    Mentorship,
    Post,
    Thread,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import settings, validation
from cop_app.services.edge import commit_once, committed
from cop_app.services.errors import Invalid
from cop_app.services.mentorship.access import access_board, access_card
from cop_app.services.mentorship.core import (
    COLUMN_LABELS,
    COLUMNS,
    _board_changed,
    _day,
)
from cop_app.services.mentorship.goals import REQUIREMENTS, _place, scan_requirements


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


def check_add_card(
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
    total = session.exec(select(func.count()).where(BoardCard.mentorship_id == m.id)).one()
    if total >= settings.BOARD_CARDS_MAX:
        raise Invalid(
            f"A board holds at most {settings.BOARD_CARDS_MAX} cards; remove finished ones first."
        )
    thread_id, post_id = _links(session, m, data)
    clean = replace(data, link_thread_id=thread_id, link_post_id=post_id)
    return commit_once(
        session,
        lambda: do_add_card(session, m, user, clean, where, client_key=key, now=utcnow()),
        lambda: _card_with_key(session, user.id, key, m.id),
    )


def do_add_card(
    session: Session,
    m: Mentorship,
    author: User,
    data: CardInput,
    column: str,
    *,
    client_key: str | None = None,
    now: datetime,
) -> BoardCard:
    """Write a card at the end of `column` with its links as given (already checked); a
    goal already met by earlier practice is marked at once."""
    position = session.exec(
        select(func.count()).where(BoardCard.mentorship_id == m.id, BoardCard.column == column)
    ).one()
    card = BoardCard(
        mentorship_id=m.id,
        title=data.title,
        description=data.description,
        column=column,
        position=position,
        due_date=data.due_date,
        link_thread_id=data.link_thread_id,
        link_post_id=data.link_post_id,
        requirement=data.requirement,
        created_by=author.id,
        created_at=now,
        updated_at=now,
        client_key=client_key,
    )
    session.add(card)
    session.flush()
    _board_changed(
        session,
        m,
        "board.card_added",
        author,
        f"{author.display_name} added a card to a mentorship board",
        now,
        card.id,
    )
    if card.requirement:
        scan_requirements(session, m.id, now)
    session.flush()
    return card


def check_edit_card(
    session: Session, actor: User | None, card_id: object, data: CardInput
) -> BoardCard:
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
    clean = replace(data, link_thread_id=thread_id, link_post_id=post_id)
    if not do_edit_card(session, card, m, user, clean, now=utcnow()):
        session.rollback()  # nothing to write; let go of the board's row lock
        return card
    return committed(session, card)


def do_edit_card(
    session: Session,
    card: BoardCard,
    m: Mentorship,
    editor: User,
    data: CardInput,
    *,
    now: datetime,
) -> bool:
    """Write the card's changed fields (links as given, already checked); returns whether
    anything changed."""
    wanted = {
        "title": data.title,
        "description": data.description,
        "due_date": data.due_date,
        "link_thread_id": data.link_thread_id,
        "link_post_id": data.link_post_id,
        "requirement": data.requirement,
    }
    changed = {k: v for k, v in wanted.items() if getattr(card, k) != v}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(card, name, value)
    if "requirement" in changed:
        card.evidence_type, card.evidence_id = "", None
        card.evidence_text, card.evidence_link, card.met_at = "", "", None
    card.updated_at = now
    session.add(card)
    _board_changed(
        session,
        m,
        "board.card_edited",
        editor,
        f"{editor.display_name} edited a card on a mentorship board",
        now,
        card.id,
    )
    session.flush()
    if "requirement" in changed and card.requirement:
        scan_requirements(session, m.id, now)
    return True


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


def check_move_card(
    session: Session, actor: User | None, card_id: object, column: object, position: object
) -> BoardCard:
    """Move a card to a place in a column (0 is the top); both columns are renumbered."""
    where = validation.choice(column, COLUMNS, "column", "Column")
    index = _position(position)
    card, access = access_card(session, actor, card_id)
    if not do_move_card(session, card, access.mentorship, access.user, where, index, now=utcnow()):
        session.rollback()  # already there; let go of the board's row lock
        return card
    return committed(session, card)


def do_move_card(
    session: Session,
    card: BoardCard,
    m: Mentorship,
    mover: User,
    column: str,
    index: int,
    *,
    now: datetime,
) -> bool:
    """Put the card at `index` of `column`, renumbering both; returns whether it moved."""
    if not _place(session, card, column, index):
        return False
    card.updated_at = now
    _board_changed(
        session,
        m,
        "board.card_moved",
        mover,
        f"{mover.display_name} moved a card to {COLUMN_LABELS[column]} on a mentorship board",
        now,
        card.id,
    )
    session.flush()
    return True


def check_delete_card(session: Session, actor: User | None, card_id: object) -> None:
    """Remove a card; the rest of its column closes up."""
    card, access = access_card(session, actor, card_id)
    do_delete_card(session, card, access.mentorship, access.user, now=utcnow())
    session.commit()


def do_delete_card(
    session: Session, card: BoardCard, m: Mentorship, remover: User, *, now: datetime
) -> None:
    """Delete the card and close up its column."""
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
    _board_changed(
        session,
        m,
        "board.card_deleted",
        remover,
        f"{remover.display_name} removed a card from a mentorship board",
        now,
        removed_id,
    )
    session.flush()
