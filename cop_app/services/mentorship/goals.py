"""Practice-linked goals: each kind in `REQUIREMENTS` is met by real participation; an
event meets it (`check_requirements`) or a scan of what already happened does."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists
from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import (
    ActivityEvent,
    BoardCard,
    Community,
    Mentorship,
    Post,
    Resource,
    Reuse,
    Thread,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import settings
from cop_app.services.events import Change, on_commit
from cop_app.services.mentorship.core import HOLDING_STATES, _bump, _record, _rooms, board_room
from cop_app.services.notifications import notify


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


def _first(
    session: Session,
    card: BoardCard,
    stmt: Any,
    event: ActivityEvent | None,
    narrow: tuple[str, Callable[[int], Any]],
    artifact: tuple[str, Any],
) -> Any:
    """Run a rule's one query: for an event, only about the artifact it names (`narrow`: the
    event target type and the clause for its id); for a scan, the first artifact not yet
    counted by another met card. So the per-event and the scan paths cannot drift."""
    if event is not None:
        target_type, clause = narrow
        if event.target_type != target_type or event.target_id is None:
            return None
        stmt = stmt.where(clause(event.target_id))
    kind, column = artifact
    return session.exec(stmt.where(col(column).not_in(_taken_ids(session, card, kind)))).first()


def _mentee_threads(m: Mentorship, kind: str) -> Any:
    """The mentee's visible threads of `kind` in the community since the mentorship began."""
    return (
        select(Thread)
        .where(
            Thread.community_id == m.community_id,
            Thread.author_id == m.mentee_id,
            Thread.kind == kind,
            col(Thread.hidden).is_(False),
            Thread.created_at >= m.started_at,
        )
        .order_by(col(Thread.created_at), col(Thread.id))
    )


def _thread_evidence(community: Community, thread: Thread, text: str) -> Evidence:
    """A thread the mentee started, as the evidence that met a goal."""
    return Evidence(
        "thread", thread.id, text, routes.thread_url(community.slug, thread.id), thread.created_at
    )


def _asked(session: Session, card: BoardCard, event: ActivityEvent | None) -> Evidence | None:
    """The mentee asked a question in the mentorship's community after it started."""
    ctx = _context(session, card)
    if ctx is None:
        return None
    m, community = ctx
    stmt = _mentee_threads(m, "question")
    thread = _first(
        session, card, stmt, event, ("thread", lambda i: Thread.id == i), ("thread", Thread.id)
    )
    if thread is None:
        return None
    return _thread_evidence(community, thread, f"Asked “{thread.title}”")


def _answered(session: Session, card: BoardCard, event: ActivityEvent | None) -> Evidence | None:
    """A reply the mentee wrote in the community (after the mentorship started) became the
    accepted answer to someone else's question."""
    ctx = _context(session, card)
    if ctx is None:
        return None
    m, community = ctx
    stmt = (
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
        )
        .order_by(col(Post.created_at), col(Post.id))
    )
    row = _first(
        session, card, stmt, event, ("thread", lambda i: Thread.id == i), ("post", Post.id)
    )
    if row is None:
        return None
    post, thread = row
    return Evidence(
        "post",
        post.id,
        f"Answer accepted in “{thread.title}”",
        routes.thread_url(community.slug, thread.id, post.number),
        post.created_at,
    )


def _others_replied(thread_id: Any, mentee_id: int, post_id: int | None = None) -> Any:
    """Someone other than the mentee replied in the thread (with `post_id`: that reply)."""
    clause = exists().where(
        Post.thread_id == thread_id,
        Post.number > 1,
        Post.author_id != mentee_id,
        col(Post.hidden).is_(False),
        col(Post.deleted_at).is_(None),
    )
    return clause if post_id is None else clause.where(Post.id == post_id)


def _discussed(session: Session, card: BoardCard, event: ActivityEvent | None) -> Evidence | None:
    """The mentee started a discussion in the community (after the mentorship started) and
    someone else replied to it."""
    ctx = _context(session, card)
    if ctx is None:
        return None
    m, community = ctx
    stmt = _mentee_threads(m, "discussion").where(_others_replied(Thread.id, m.mentee_id))
    by_reply = ("post", lambda i: _others_replied(Thread.id, m.mentee_id, i))
    thread = _first(session, card, stmt, event, by_reply, ("thread", Thread.id))
    if thread is None:
        return None
    return _thread_evidence(community, thread, f"Started “{thread.title}”, which got replies")


def _published(session: Session, card: BoardCard, event: ActivityEvent | None) -> Evidence | None:
    """The mentee published a resource (or promoted a thread into one) in the community's
    library after the mentorship started."""
    ctx = _context(session, card)
    if ctx is None:
        return None
    m, _community = ctx
    stmt = (
        select(Resource)
        .where(
            Resource.community_id == m.community_id,
            Resource.author_id == m.mentee_id,
            Resource.created_at >= m.started_at,
        )
        .order_by(col(Resource.created_at), col(Resource.id))
    )
    by_resource = ("resource", lambda i: Resource.id == i)
    resource = _first(session, card, stmt, event, by_resource, ("resource", Resource.id))
    if resource is None:
        return None
    return Evidence(
        "resource",
        resource.id,
        f"Published “{resource.title}” in the library",
        routes.resource_url(resource.id),
        resource.created_at,
    )


def _reused(session: Session, card: BoardCard, event: ActivityEvent | None) -> Evidence | None:
    """Someone else recorded using one of the mentee's resources of the community, after
    the mentorship started (each reuse meets one goal)."""
    ctx = _context(session, card)
    if ctx is None:
        return None
    m, _community = ctx
    stmt = (
        select(Reuse, Resource)
        .join(Resource, Resource.id == Reuse.resource_id)
        .where(
            Resource.community_id == m.community_id,
            Resource.author_id == m.mentee_id,
            Reuse.user_id != m.mentee_id,
            Reuse.created_at >= m.started_at,
        )
        .order_by(col(Reuse.created_at), col(Reuse.id))
    )
    by_resource = ("resource", lambda i: Resource.id == i)
    row = _first(session, card, stmt, event, by_resource, ("reuse", Reuse.id))
    if row is None:
        return None
    reuse, resource = row
    return Evidence(
        "reuse",
        reuse.id,
        f"“{resource.title}” was reused",
        routes.resource_url(resource.id),
        reuse.created_at,
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
    "publish_resource": Requirement(
        "Publish a resource",
        "Add a guide, template, checklist, case story or tool to the community's library.",
        ("resource.created", "resource.promoted"),
        _published,
    ),
    "resource_reused": Requirement(
        "A resource of yours is reused",
        "Publish a resource that someone else in the community records using.",
        ("resource.reused",),
        _reused,
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


def _mark_met(
    session: Session, card: BoardCard, evidence: Evidence, met_at: datetime, now: datetime
) -> None:
    m = session.get(Mentorship, card.mentorship_id)
    mentee = session.get(User, m.mentee_id)
    cut = settings.EVIDENCE_TEXT_MAX
    card.evidence_type, card.evidence_id = evidence.target_type, evidence.target_id
    card.evidence_text, card.evidence_link = evidence.text[:cut], evidence.link[:cut]
    card.met_at = met_at
    card.updated_at = now
    _place(session, card, "done", None)
    _bump(session, m, now)
    label = REQUIREMENTS[card.requirement].label if card.requirement in REQUIREMENTS else "a goal"
    name = mentee.display_name if mentee else "The mentee"
    _record(
        session,
        "board.goal_met",
        m.mentee_id,
        m,
        f"{name} met a practice goal: {label.lower()}",
        now,
    )
    notify(
        session,
        [m.mentor_id],
        "board.goal_met",
        m.mentee_id,
        f"{name} met a goal on your mentorship board: “{card.title}”",
        routes.board_url(m.id),
        now=now,
    )
    on_commit(session, Change("board.goal_met", _rooms(m), {"id": m.id, "card_id": card.id}))


def _open_goal_cards():
    return select(BoardCard).where(
        col(BoardCard.requirement).is_not(None),
        col(BoardCard.met_at).is_(None),
        BoardCard.column != "done",
    )


def check_requirements(session: Session, event: ActivityEvent) -> list[BoardCard]:
    """The listener of recorded activity (wired in services/wiring.py), inside the recording
    transaction. Open goal cards of active mentorships in the event's community whose
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
        met_at = event.created_at or utcnow()
        _mark_met(session, card, evidence, met_at, met_at)
        session.flush()
        met.append(card)
    return met


# What moves a participation stage (services/stages.py): asking, replying, reactions and
# accepted answers, library work, joining and leaving, and moderation taking content away.
STAGE_KINDS = frozenset(
    {
        "thread.created",
        "post.created",
        "post.reacted",
        "post.deleted",
        "post.hidden",
        "thread.hidden",
        "thread.answer_accepted",
        "resource.created",
        "resource.promoted",
        "resource.reused",
        "community.joined",
        "community.left",
        "community.request_approved",
    }
)


def announce_stage_changes(session: Session, event: ActivityEvent) -> None:
    """The listener (wired in services/wiring.py) that keeps a board's stage banner live:
    after an event that can move a stage, the boards of the event's community re-read the
    mentee's stage (only boards someone has open are read). Kinds outside STAGE_KINDS cost
    no query."""
    if event.kind not in STAGE_KINDS or event.community_id is None:
        return
    boards = session.exec(
        select(Mentorship.id).where(
            Mentorship.community_id == event.community_id,
            col(Mentorship.state).in_(HOLDING_STATES),
        )
    ).all()
    if boards:
        rooms = tuple(board_room(b) for b in boards)
        on_commit(session, Change("board.stage", rooms, {"part": "stage"}))


def scan_requirements(
    session: Session, mentorship_id: int, now: datetime | None = None
) -> list[BoardCard]:
    """Check an active board's open goal cards against what the mentee already did since
    the mentorship started; met cards get evidence dated when the artifact happened, and
    are marked at `now` (a seed's past moment), or when the evidence happened if later.
    Writes into the caller's transaction and never commits."""
    now = now or utcnow()
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
        _mark_met(session, card, evidence, evidence.at, max(now, evidence.at))
        session.flush()
        met.append(card)
    return met
