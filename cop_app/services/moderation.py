"""Moderation: flags, the queue, hide/restore, and suspensions — every action audited.

Content kinds register a `Target` adapter, so a later kind (library resources) is flagged,
queued, hidden and restored by this same code.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import Community, Flag, Membership, Post, Thread, User
from cop_app.models.base import utcnow
from cop_app.services import activity, markdown, settings, stages, validation
from cop_app.services.access import announce_access_change, require_admin, require_user
from cop_app.services.accounts import revoke_all_sessions
from cop_app.services.discussions import access_post, access_thread, announce_thread
from cop_app.services.errors import Forbidden, Invalid, NotFound, RateLimited

# Far enough to read as "until further notice" while keeping one column and one comparison.
INDEFINITE = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass
class TargetInfo:
    """What moderation needs to know about one item."""

    community_id: int
    author_id: int
    hidden: bool
    title: str
    excerpt: str
    link: str


@dataclass(frozen=True)
class Target:
    """How moderation reads, hides and removes one content kind."""

    describe: Callable[[Session, int], TargetInfo | None]
    set_hidden: Callable[[Session, int, bool], None]
    check_readable: Callable[[Session, User, int], object]  # raises when it may not be read
    remove: Callable[[Session, int, datetime], None]  # removed for good, text kept for audit


def _thread_info(session: Session, tid: int) -> TargetInfo | None:
    thread = session.get(Thread, tid)
    if thread is None:
        return None
    first = session.exec(select(Post).where(Post.thread_id == tid, Post.number == 1)).first()
    slug = session.get(Community, thread.community_id).slug  # type: ignore[union-attr]
    return TargetInfo(
        thread.community_id,
        thread.author_id,
        thread.hidden,
        thread.title,
        markdown.excerpt(first.body) if first else "",
        routes.thread_url(slug, tid),
    )


def _post_info(session: Session, pid: int) -> TargetInfo | None:
    post = session.get(Post, pid)
    if post is None:
        return None
    thread = session.get(Thread, post.thread_id)
    slug = session.get(Community, thread.community_id).slug  # type: ignore[union-attr]
    return TargetInfo(
        thread.community_id,
        post.author_id,
        post.hidden,  # type: ignore[union-attr]
        f"Reply #{post.number} in “{thread.title}”",  # type: ignore[union-attr]
        markdown.excerpt(post.body),
        routes.thread_url(slug, post.thread_id, post.number),
    )


def _hide_thread(session: Session, tid: int, hidden: bool) -> None:
    thread = session.get(Thread, tid)
    if thread is not None:
        thread.hidden = hidden
        session.add(thread)
        announce_thread(session, thread, "thread.hidden")


def _hide_post(session: Session, pid: int, hidden: bool) -> None:
    post = session.get(Post, pid)
    if post is not None:
        post.hidden = hidden
        session.add(post)
        thread = session.get(Thread, post.thread_id)
        if thread is not None:
            if hidden and thread.accepted_post_id == pid:
                thread.accepted_post_id = None
                session.add(thread)
            announce_thread(session, thread, "post.hidden", pid)


def _remove_post(session: Session, pid: int, now: datetime) -> None:
    """Removed by moderators: hidden, marked deleted (moderators can still open the text)."""
    post = session.get(Post, pid)
    if post is not None:
        _hide_post(session, pid, True)
        post.deleted_at = post.deleted_at or now
        session.add(post)


def _remove_thread(session: Session, tid: int, now: datetime) -> None:
    """A removed thread stays hidden and its opening post is marked deleted."""
    _hide_thread(session, tid, True)
    first = session.exec(select(Post).where(Post.thread_id == tid, Post.number == 1)).first()
    if first is not None:
        first.deleted_at = first.deleted_at or now
        session.add(first)


TARGETS: dict[str, Target] = {
    "thread": Target(_thread_info, _hide_thread, access_thread, _remove_thread),
    "post": Target(_post_info, _hide_post, access_post, _remove_post),
}

# A moderator's decisions on a queued item: what each does to its flags and to the item.
#   dismiss      flags unfounded; the item is shown (again)
#   hide         a visible item is hidden; flags upheld
#   keep_hidden  an automatically hidden item stays hidden; flags upheld (confirmed spam)
#   restore      a hidden item is shown again; flags dismissed
#   delete       the item is removed for good (hidden and marked deleted); flags upheld
REVIEW_VERBS = ("dismiss", "hide", "keep_hidden", "restore", "delete")
_PAST = {
    "dismiss": "dismissed the flags on",
    "hide": "hid",
    "keep_hidden": "kept hidden",
    "restore": "restored",
    "delete": "deleted",
}


def _target(target_type: object) -> Target:
    kind = validation.choice(target_type, tuple(TARGETS), "target_type", "Content kind")
    return TARGETS[kind]


def stewarded_ids(session: Session, user: User) -> list[int] | None:
    """Communities the user moderates: None means every one (admins)."""
    if user.role == "admin":
        return None
    return list(
        session.exec(
            select(Membership.community_id).where(
                Membership.user_id == user.id,
                Membership.role == "steward",
                Membership.status == "active",
            )
        ).all()
    )


def _require_moderator(session: Session, actor: User | None, community_id: int | None) -> User:
    user = require_user(actor)
    scope = stewarded_ids(session, user)
    if scope is None or (community_id is not None and community_id in scope):
        return user
    raise Forbidden("Only admins and this community's stewards can moderate here.")


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
    session.commit()
    session.refresh(row)
    return row


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
    activity.record(
        session,
        f"moderation.{verb}",
        moderator.id,
        community_id=info.community_id,
        target_type=kind,
        target_id=target_id,
        summary=f"{moderator.display_name} {_PAST[verb]} {info.title}",
        now=now,
    )
    activity.audit(
        session,
        moderator.id,
        f"content.{verb}",
        kind,
        target_id,
        reason=reason,
        before="hidden" if info.hidden else "visible",
        after=after,
        now=now,
    )
    session.flush()


# ---------------------------------------------------------------- suspensions


def is_suspended(user: User) -> bool:
    """A suspension in force now."""
    return user.suspended_until is not None and user.suspended_until > utcnow()


def check_suspend(
    session: Session, actor: User | None, user_id: object, reason: object, until: object = None
) -> User:
    """Suspend an account now: its sessions are revoked and every handler refuses it.
    Admins suspend anyone but themselves; stewards suspend members of their communities."""
    moderator = require_user(actor)
    uid = validation.integer(user_id, "user_id", "Person")
    why = validation.text(
        reason, "reason", "Reason", min_len=3, max_len=settings.MODERATION_REASON_MAX
    )
    end = _parse_until(until)
    target = session.get(User, uid)
    if target is None:
        raise NotFound("This person does not exist.")
    if target.id == moderator.id:
        raise Invalid("You cannot suspend yourself.")
    scope = stewarded_ids(session, moderator)
    if scope is not None:
        if not scope:
            raise Forbidden("Only admins and stewards can suspend accounts.")
        if target.role == "admin":
            raise Forbidden("Stewards cannot suspend an admin; ask another admin.")
        shared = session.exec(
            select(Membership.id).where(
                Membership.user_id == uid,
                Membership.status == "active",
                col(Membership.community_id).in_(scope),
            )
        ).first()
        if shared is None:
            raise Forbidden("Stewards can suspend only members of communities they steward.")
    elif target.role == "admin" and moderator.role != "admin":
        raise Forbidden("Only admins can suspend an admin.")
    do_suspend(session, moderator, target, why, end, now=utcnow())
    session.commit()
    session.refresh(target)
    return target


def do_suspend(
    session: Session, moderator: User, target: User, reason: str, end: datetime, *, now: datetime
) -> None:
    """Write the suspension and end every session of the account; audited."""
    uid = target.id
    before = target.suspended_until.isoformat() if is_suspended(target) else "active"
    target.suspended_until = end
    target.suspension_reason = reason
    session.add(target)
    revoke_all_sessions(session, uid, now)
    announce_access_change(session, uid, "Your account was suspended.")
    shown = "until further notice" if end == INDEFINITE else f"until {end:%d %b %Y}"
    activity.record(
        session,
        "moderation.suspended",
        moderator.id,
        target_type="user",
        target_id=uid,
        summary=f"{moderator.display_name} suspended {target.display_name} {shown}",
        now=now,
    )
    activity.audit(
        session,
        moderator.id,
        "user.suspend",
        "user",
        uid,
        reason=reason,
        before=before,
        after=shown,
        now=now,
    )
    session.flush()


def _parse_until(value: object) -> datetime:
    if value in (None, ""):
        return INDEFINITE
    if not isinstance(value, str):
        raise Invalid("Give the end date as YYYY-MM-DD, or leave it empty.", "until")
    try:
        end = datetime.fromisoformat(value.strip()[:10]).replace(tzinfo=utcnow().tzinfo)
    except ValueError:
        raise Invalid("Give the end date as YYYY-MM-DD, or leave it empty.", "until") from None
    if end <= utcnow():
        raise Invalid("The end date must be in the future.", "until")
    return end


def check_reactivate(
    session: Session, actor: User | None, user_id: object, reason: object = ""
) -> User:
    """Lift a suspension (admins only)."""
    admin = require_admin(actor)
    uid = validation.integer(user_id, "user_id", "Person")
    why = validation.text(reason, "reason", "Reason", max_len=settings.MODERATION_REASON_MAX)
    target = session.get(User, uid)
    if target is None:
        raise NotFound("This person does not exist.")
    if not is_suspended(target):
        raise Invalid("This account is not suspended.")
    do_reactivate(session, admin, target, why, now=utcnow())
    session.commit()
    session.refresh(target)
    return target


def do_reactivate(
    session: Session, admin: User, target: User, reason: str, *, now: datetime
) -> None:
    """Lift the suspension; audited."""
    target.suspended_until = None
    target.suspension_reason = ""
    session.add(target)
    activity.record(
        session,
        "moderation.reactivated",
        admin.id,
        target_type="user",
        target_id=target.id,
        summary=f"{admin.display_name} reactivated {target.display_name}",
        now=now,
    )
    activity.audit(
        session,
        admin.id,
        "user.reactivate",
        "user",
        target.id,
        reason=reason,
        before="suspended",
        after="active",
        now=now,
    )
    session.flush()
