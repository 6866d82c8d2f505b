"""Reactions on posts and the accepted answer of a question: how members say a post
helped. Each write verb is a check_ (the actor's request) over a do_ (the write)."""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from cop_app.models import Post, Reaction, Thread, User
from cop_app.models.base import utcnow
from cop_app.services import activity, contributions, settings, validation
from cop_app.services.discussions.access import access_post, access_thread, require_member
from cop_app.services.discussions.common import record_post_event
from cop_app.services.discussions.rooms import announce_thread
from cop_app.services.discussions.views import REACTIONS
from cop_app.services.edge import committed
from cop_app.services.errors import Forbidden, Invalid
from cop_app.services.notifications import notify_post


def check_toggle_reaction(
    session: Session, actor: User | None, post_id: object, kind: object
) -> bool:
    """Add or take back one reaction; returns whether it is now on. Members only."""
    post, access = access_post(session, actor, post_id)
    require_member(access)
    reaction = validation.choice(kind, REACTIONS, "kind", "Reaction")
    if post.deleted_at is not None:
        raise Invalid("A removed post cannot get reactions.")
    on = do_toggle_reaction(session, post, access.thread, access.user, reaction)
    session.commit()
    return on


def do_toggle_reaction(
    session: Session,
    post: Post,
    thread: Thread,
    user: User,
    kind: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Add the reaction, or take it back when it is there; the post's and the thread's
    counters move in SQL, so concurrent reactions never lose a count."""
    now = now or utcnow()
    existing = session.exec(
        select(Reaction).where(
            Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == kind
        )
    ).first()
    delta = -1 if existing else 1
    if existing:
        session.delete(existing)
    else:
        session.add(Reaction(post_id=post.id, user_id=user.id, kind=kind, created_at=now))
    session.exec(update(Post).where(Post.id == post.id).values({kind: getattr(Post, kind) + delta}))
    session.exec(
        update(Thread)
        .where(Thread.id == post.thread_id)
        .values(reaction_count=Thread.reaction_count + delta)
    )
    contributions.refresh(session, [(thread.community_id, post.author_id)])
    if not existing:
        author = session.get(User, post.author_id)
        whose = author.display_name if author else "someone"
        said = (
            f"thanked {whose} for a post" if kind == "thanks" else f"found a post by {whose} {kind}"
        )
        record_post_event(
            session,
            "post.reacted",
            user,
            thread,
            post,
            f"{user.display_name} {said} in “{thread.title}”",
            now,
        )
    announce_thread(session, thread, "post.reacted", post.id)
    return not existing


def reactors(session: Session, actor: User | None, post_id: object) -> dict[str, list[str]]:
    """Who reacted, per kind (display names, capped)."""
    post, _ = access_post(session, actor, post_id)
    rows = session.exec(
        select(Reaction.kind, User.display_name)
        .join(User, User.id == Reaction.user_id)
        .where(Reaction.post_id == post.id)
        .order_by(Reaction.id)
        .limit(settings.REACTORS_SHOWN)
    ).all()
    result: dict[str, list[str]] = {k: [] for k in REACTIONS}
    for kind, name in rows:
        result[kind].append(name)
    return result


def check_accept_answer(
    session: Session, actor: User | None, thread_id: object, post_id: object
) -> Thread:
    """The asker or a steward marks one reply as the accepted answer (or clears it: None)."""
    access = access_thread(session, actor, thread_id)
    thread, user = access.thread, access.user
    if thread.kind != "question":
        raise Invalid("Only questions have accepted answers.")
    if thread.author_id != user.id and not access.steward:
        raise Forbidden("Only the person who asked or a steward can accept an answer.")
    answer: Post | None = None
    if post_id not in (None, "", 0):
        answer = session.get(Post, validation.integer(post_id, "post_id", "Reply"))
        if answer is None or answer.thread_id != thread.id or answer.number == 1:
            raise Invalid("Choose a reply in this thread.")
        if answer.deleted_at is not None or answer.hidden:
            raise Invalid("A removed reply cannot be the accepted answer.")
    do_accept_answer(session, thread, user, answer)
    return committed(session, thread)


def do_accept_answer(
    session: Session,
    thread: Thread,
    chooser: User,
    answer: Post | None,
    *,
    now: datetime | None = None,
) -> Thread:
    """Set (or clear, with None) the accepted answer; its author hears unless they chose it."""
    now = now or utcnow()
    before = session.get(Post, thread.accepted_post_id) if thread.accepted_post_id else None
    thread.accepted_post_id = answer.id if answer else None
    if answer is not None and answer.author_id != chooser.id:
        notify_post(
            session,
            [answer.author_id],
            "accepted",
            chooser,
            thread,
            answer,
            f"Your answer in “{thread.title}” was accepted",
            now=now,
        )
    session.add(thread)
    contributions.refresh(
        session, [(thread.community_id, p.author_id) for p in (before, answer) if p is not None]
    )
    verb = "accepted an answer in" if answer else "cleared the accepted answer of"
    activity.record(
        session,
        "thread.answer_accepted",
        chooser.id,
        community_id=thread.community_id,
        target_type="thread",
        target_id=thread.id,
        summary=f"{chooser.display_name} {verb} “{thread.title}”",
        now=now,
    )
    announce_thread(session, thread, "thread.accepted")
    return thread
