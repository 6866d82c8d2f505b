"""The session log: notes the pair keeps about their meetings."""

import math
from datetime import date, datetime

from sqlmodel import Session, col, select

from cop_app.models import Mentorship, SessionNote, User
from cop_app.models.base import utcnow
from cop_app.services import settings, validation, wording
from cop_app.services.edge import committed
from cop_app.services.errors import Forbidden, Invalid, RateLimited
from cop_app.services.mentorship.access import access_mentorship, read_only_reason
from cop_app.services.mentorship.core import HOLDING_STATES, _board_changed, _day
from cop_app.services.mentorship.views import SessionNoteView


def _check_note_rate(session: Session, mentorship_id: int) -> None:
    """At most SESSION_NOTES_PER_WINDOW notes per pair in SESSION_NOTES_WINDOW."""
    now = utcnow()
    since = now - settings.SESSION_NOTES_WINDOW
    recent = session.exec(
        select(SessionNote.created_at)
        .where(SessionNote.mentorship_id == mentorship_id, SessionNote.created_at >= since)
        .order_by(col(SessionNote.created_at).desc())
        .limit(settings.SESSION_NOTES_PER_WINDOW)
    ).all()
    if len(recent) < settings.SESSION_NOTES_PER_WINDOW:
        return
    wait = (recent[-1] + settings.SESSION_NOTES_WINDOW - now).total_seconds()
    minutes = max(1, math.ceil(wait / 60))
    raise RateLimited(
        f"You have logged {wording.plural(len(recent), 'session')} in the last hour. "
        f"Log the next one in {minutes} minute{'s' if minutes != 1 else ''}.",
        retry_after=max(1, math.ceil(wait)),
        field="notes",
    )


def check_add_session_note(
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
    m = access.mentorship
    if access.role == "admin":
        raise Forbidden("Only the mentor and the mentee keep this session log.")
    if m.state not in HOLDING_STATES:
        raise Forbidden(read_only_reason(m.state))
    _check_note_rate(session, m.id)
    now = utcnow()
    today = now.date()
    day = _day(on_date, "date", "Date") or today
    if day > today + settings.SESSION_NOTE_DATE_AHEAD:
        raise Invalid("Log a session on or after the day it happens.", "date")
    text = validation.text(notes, "notes", "Notes", min_len=1, max_len=settings.SESSION_NOTES_MAX)
    steps = validation.text(
        next_steps, "next_steps", "Next steps", max_len=settings.SESSION_NEXT_STEPS_MAX
    )
    note = do_add_session_note(session, m, access.user, day, text, steps, now=now)
    return committed(session, note)


def do_add_session_note(
    session: Session,
    m: Mentorship,
    author: User,
    day: date,
    notes: str,
    next_steps: str,
    *,
    now: datetime,
) -> SessionNote:
    """Write a session note for `day`."""
    note = SessionNote(
        mentorship_id=m.id,
        author_id=author.id,
        date=day,
        notes=notes,
        next_steps=next_steps,
        created_at=now,
    )
    session.add(note)
    session.flush()
    _board_changed(
        session,
        m,
        "mentorship.session_logged",
        author,
        f"{author.display_name} logged a mentoring session",
        now,
        None,
        "board.session_logged",
    )
    session.flush()
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
