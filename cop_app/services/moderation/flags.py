"""Flags, the moderation queue and a moderator's review of a queued item — every action audited."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_app.models import Community, Flag, Membership, User
from cop_app.models.base import utcnow
from cop_app.services import activity, settings, stages, validation
from cop_app.services.access import require_user
from cop_app.services.edge import committed
from cop_app.services.errors import Forbidden, Invalid, NotFound, RateLimited
from cop_app.services.moderation.suspensions import is_suspended
from cop_app.services.moderation.targets import (
    _PAST,
    REVIEW_VERBS,
    TARGETS,
    TargetInfo,
    _require_moderator,
    stewarded_ids,
)

# ---------------------------------------------------------------- flags


def check_flag(
    session: Session,
    actor: User | None,
    target_type: object,
    target_id: object,
    reason: object,
    note: object = "",
) -> Flag:
    """A member reports an item they can read: once per item, a daily cap; three distinct
    reporters with standing (`has_flag_standing`) hide it until a moderator reviews it."""
    user = require_user(actor)
    kind = validation.choice(target_type, tuple(TARGETS), "target_type", "Content kind")
    tid = validation.integer(target_id, "target_id", "Item")
    why = validation.choice(reason, settings.FLAG_REASONS, "reason", "Reason")
    text = validation.text(note, "note", "Note", max_len=settings.FLAG_NOTE_MAX)
    if why == "other" and not text:
        raise Invalid("Say what is wrong in a short note.", "note")
    target = TARGETS[kind]
    target.check_readable(session, user, tid)
    info = target.describe(session, tid)
    if info is None:
        raise NotFound("This item does not exist.")
    if info.author_id == user.id:
        raise Invalid("You cannot flag your own post.")
    already = session.exec(
        select(Flag.id).where(
            Flag.target_type == kind, Flag.target_id == tid, Flag.reporter_id == user.id
        )
    ).first()
    if already is not None:
        raise Invalid("You have already flagged this. Moderators will review it.")
    now = utcnow()
    today = session.exec(
        select(func.count()).where(
            Flag.reporter_id == user.id, Flag.created_at >= now - settings.FLAGS_WINDOW
        )
    ).one()
    if today >= settings.FLAGS_PER_DAY:
        raise RateLimited(
            f"You can flag at most {settings.FLAGS_PER_DAY} items a day.",
            int(settings.FLAGS_WINDOW.total_seconds()),
        )
    row = do_flag(session, user, kind, tid, info, why, text, now=now)
    return committed(session, row)


def do_flag(
    session: Session,
    reporter: User,
    kind: str,
    target_id: int,
    info: TargetInfo,
    reason: str,
    note: str,
    *,
    now: datetime,
) -> Flag:
    """Write a flag; enough reporters with standing hide the item at once."""
    row = Flag(
        target_type=kind,
        target_id=target_id,
        community_id=info.community_id,
        author_id=info.author_id,
        reporter_id=reporter.id,
        reason=reason,
        note=note,
        created_at=now,
    )
    session.add(row)
    session.flush()
    activity.record(
        session,
        "moderation.flagged",
        reporter.id,
        community_id=info.community_id,
        target_type=kind,
        target_id=target_id,
        summary=f"{reporter.display_name} flagged {info.title} as {reason}",
        now=now,
    )
    reporters = _reporters_with_standing(session, kind, target_id, info.community_id)
    if reporters >= settings.FLAG_AUTO_HIDE_COUNT and not info.hidden:
        TARGETS[kind].set_hidden(session, target_id, True)
        activity.record(
            session,
            "moderation.auto_hidden",
            None,
            community_id=info.community_id,
            target_type=kind,
            target_id=target_id,
            summary=f"{info.title} was hidden after {reporters} flags",
            now=now,
        )
    session.flush()
    return row


def has_flag_standing(session: Session, user: User, community_id: int) -> bool:
    """Whether this person's flags count towards auto-hide in this community (the rule and
    its reason are in settings: FLAG_STANDING_*)."""
    if user.role == "admin":
        return True
    role = session.exec(
        select(Membership.role).where(
            Membership.user_id == user.id,
            Membership.community_id == community_id,
            Membership.status == "active",
        )
    ).first()
    if role is None:
        return False
    if role == "steward":
        return True
    if utcnow() - user.created_at < settings.FLAG_STANDING_MIN_ACCOUNT_AGE:
        return False
    view = stages.stage_for(session, user.id, community_id)
    return view is not None and view.rank >= stages.STAGES.index(settings.FLAG_STANDING_MIN_STAGE)


def _reporters_with_standing(session: Session, kind: str, tid: int, community_id: int) -> int:
    """Distinct reporters of the item's open flags whose flags count towards auto-hide."""
    reporter_ids = session.exec(
        select(Flag.reporter_id)
        .where(Flag.target_type == kind, Flag.target_id == tid, Flag.status == "open")
        .distinct()
    ).all()
    reporters = session.exec(select(User).where(col(User.id).in_(reporter_ids))).all()
    return sum(has_flag_standing(session, r, community_id) for r in reporters)


@dataclass
class QueueItem:
    """A flagged item in context with its open flags."""

    target_type: str
    target_id: int
    community_id: int
    community_name: str
    title: str
    excerpt: str
    link: str
    hidden: bool
    author_id: int
    author_name: str
    author_suspended: bool
    flag_count: int
    reasons: list[str] = field(default_factory=list)
    first_flagged_at: datetime | None = None


def queue(session: Session, actor: User | None) -> list[QueueItem]:
    """Items with open flags the actor may moderate, the most flagged first."""
    user = require_user(actor)
    scope = stewarded_ids(session, user)
    if scope is not None and not scope:
        raise Forbidden("Only admins and stewards can open the moderation queue.")
    stmt = (
        select(Flag.target_type, Flag.target_id, func.count(), func.min(Flag.created_at))
        .where(Flag.status == "open")
        .group_by(Flag.target_type, Flag.target_id)
        .order_by(func.count().desc(), func.min(Flag.created_at))
        .limit(settings.MODERATION_PAGE_SIZE)
    )
    if scope is not None:
        stmt = stmt.where(col(Flag.community_id).in_(scope))
    groups = session.exec(stmt).all()
    keys = [(t, i) for t, i, _, _ in groups]
    flags = (
        session.exec(
            select(Flag).where(Flag.status == "open", col(Flag.target_id).in_([i for _, i in keys]))
        ).all()
        if keys
        else []
    )
    reasons: dict[tuple[str, int], list[str]] = {}
    for f in flags:
        label = f.reason + (f": {f.note}" if f.note else "")
        reasons.setdefault((f.target_type, f.target_id), []).append(label)
    items = []
    for kind, tid, count, first in groups:
        info = TARGETS[kind].describe(session, tid) if kind in TARGETS else None
        if info is None:
            continue
        author = session.get(User, info.author_id)
        community = session.get(Community, info.community_id)
        items.append(
            QueueItem(
                target_type=kind,
                target_id=tid,
                community_id=info.community_id,
                community_name=community.name if community else "",
                title=info.title,
                excerpt=info.excerpt,
                link=info.link,
                hidden=info.hidden,
                author_id=info.author_id,
                author_name=author.display_name if author else "",
                author_suspended=bool(author and is_suspended(author)),
                flag_count=count,
                reasons=reasons.get((kind, tid), []),
                first_flagged_at=first,
            )
        )
    return items


def open_flag_count(session: Session, scope: list[int] | None) -> int:
    """Open flags in a scope (None = everywhere)."""
    stmt = select(func.count()).where(Flag.status == "open")
    if scope is not None:
        stmt = stmt.where(col(Flag.community_id).in_(scope or [-1]))
    return session.exec(stmt).one()


def _open_flags(session: Session, kind: str, tid: int) -> list[Flag]:
    return list(
        session.exec(
            select(Flag).where(
                Flag.target_type == kind, Flag.target_id == tid, Flag.status == "open"
            )
        ).all()
    )


def _resolve_flags(
    session: Session, user: User, kind: str, tid: int, status: str, now: datetime
) -> None:
    for f in _open_flags(session, kind, tid):
        f.status, f.resolved_by, f.resolved_at = status, user.id, now
        session.add(f)


def check_review(
    session: Session,
    actor: User | None,
    action: object,
    target_type: object,
    target_id: object,
    reason: object = "",
) -> str:
    """A moderator decides on an item (REVIEW_VERBS); every decision closes its open flags."""
    verb = validation.choice(action, REVIEW_VERBS, "action", "Action")
    kind = validation.choice(target_type, tuple(TARGETS), "target_type", "Content kind")
    tid = validation.integer(target_id, "target_id", "Item")
    why = validation.text(reason, "reason", "Reason", max_len=settings.MODERATION_REASON_MAX)
    if stewarded_ids(session, require_user(actor)) == []:  # refuse before revealing anything
        raise Forbidden("Only admins and stewards can moderate.")
    info = TARGETS[kind].describe(session, tid)
    if info is None:
        raise NotFound("This item does not exist.")
    user = _require_moderator(session, actor, info.community_id)
    if verb == "restore" and not info.hidden:
        raise Invalid("This item is not hidden, so there is nothing to restore.")
    if verb == "hide" and info.hidden:
        raise Invalid("This item is already hidden.")
    if verb == "keep_hidden" and not info.hidden:
        raise Invalid("This item is not hidden; hide it instead.")
    if verb in ("dismiss", "keep_hidden") and not _open_flags(session, kind, tid):
        raise Invalid("There are no open flags on this item.")
    do_review(session, user, verb, kind, tid, info, why, now=utcnow())
    session.commit()
    return verb


def do_review(
    session: Session,
    moderator: User,
    verb: str,
    kind: str,
    target_id: int,
    info: TargetInfo,
    reason: str,
    *,
    now: datetime,
) -> None:
    """Close the item's open flags and show, hide or remove it as `verb` says; audited."""
    target = TARGETS[kind]
    upheld = verb in ("hide", "keep_hidden", "delete")
    _resolve_flags(session, moderator, kind, target_id, "actioned" if upheld else "dismissed", now)
    if verb == "delete":
        target.remove(session, target_id, now)
    elif verb == "hide" or (verb == "keep_hidden" and not info.hidden):
        target.set_hidden(session, target_id, True)
    elif verb in ("dismiss", "restore") and info.hidden:
        target.set_hidden(session, target_id, False)
    after = {"delete": "deleted", "hide": "hidden", "keep_hidden": "hidden"}.get(verb, "visible")
    activity.staff_action(
        session,
        f"moderation.{verb}",
        f"content.{verb}",
        moderator.id,
        kind,
        target_id,
        community_id=info.community_id,
        summary=f"{moderator.display_name} {_PAST[verb]} {info.title}",
        reason=reason,
        before="hidden" if info.hidden else "visible",
        after=after,
        now=now,
    )
    session.flush()
