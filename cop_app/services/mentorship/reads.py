"""What pages show: one board, the mentor's dashboard and a member's mentorships."""

from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import (
    BoardCard,
    Community,
    Mentorship,
    Post,
    SessionNote,
    Thread,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import settings, validation
from cop_app.services.access import require_user
from cop_app.services.mentorship.access import access_board, read_only_reason
from cop_app.services.mentorship.core import (
    COLUMNS,
    HOLDING_STATES,
    STATE_LABELS,
    _as_datetime,
    _names,
    allowed_transitions,
)
from cop_app.services.mentorship.goals import REQUIREMENTS
from cop_app.services.mentorship.notes import _note_views
from cop_app.services.mentorship.views import BoardView, CardView, MentorshipRow


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
            link = routes.thread_url(slug, card.link_thread_id, post_number or None)
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
        read_only_reason=read_only_reason(m.state),
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
