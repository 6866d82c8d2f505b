"""Promotion: a thread, or a question's accepted answer, becomes a resource in one step,
crediting the words' authors; thread and resource link to each other both ways."""

from datetime import datetime

from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import Community, Post, Resource, Thread, User
from cop_app.services import activity, markdown, settings, validation
from cop_app.services.access import membership_of
from cop_app.services.discussions import access_thread
from cop_app.services.edge import committed
from cop_app.services.errors import Forbidden, Invalid
from cop_app.services.library.writes import ResourceInput, do_create_resource


def promotion_input(thread: Thread, opening: Post, answer: Post | None) -> ResourceInput:
    """The resource a thread (or its accepted answer) starts as: its title, an excerpt as
    the summary, and the words themselves, quoted with their place."""
    body = opening.body if answer is None else f"**Question.** {opening.body}\n\n{answer.body}"
    summary = markdown.excerpt(answer.body if answer else opening.body, 300)
    if len(summary) < settings.RESOURCE_SUMMARY_MIN:
        summary = f"From the discussion “{thread.title}”."[: settings.RESOURCE_SUMMARY_MAX]
    return ResourceInput(
        kind="guide",
        title=thread.title[: settings.RESOURCE_TITLE_MAX],
        summary=summary,
        body=body[: settings.RESOURCE_BODY_MAX],
        tags=" ".join(validation.split_tags(thread.tags)[: settings.RESOURCE_MAX_TAGS]),
        url="",
    )


def do_promote(
    session: Session,
    community: Community,
    promoter: User,
    thread: Thread,
    opening: Post,
    answer: Post | None,
    *,
    now: datetime | None = None,
) -> Resource:
    """Create the resource from the thread, crediting the words' authors (the thread page
    finds it through `thread_resources`)."""
    credits = [opening.author_id] + ([answer.author_id] if answer else [])
    return do_create_resource(
        session,
        community,
        promoter,
        promotion_input(thread, opening, answer),
        now=now,
        source=thread,
        source_post=answer,
        credits=credits,
        note="Promoted from the discussion",
    )


def check_promote(
    session: Session, actor: User | None, thread_id: object, answer_only: object = False
) -> Resource:
    """Promote a thread (or, for a question, its accepted answer) in one step; promoting
    the same thing again opens the resource it already became."""
    if not isinstance(answer_only, bool):
        raise Invalid("Choose the thread or its accepted answer.")
    access = access_thread(session, actor, thread_id)
    membership = membership_of(session, access.community.id, access.user.id)
    if membership is None or membership.status != "active":
        raise Forbidden(f"Join {access.community.name} to add to its library.")
    thread = access.thread
    answer = None
    if answer_only:
        if not thread.accepted_post_id:
            raise Invalid("This thread has no accepted answer to promote.")
        answer = session.get(Post, thread.accepted_post_id)
    same_source = (
        Resource.source_post_id == answer.id
        if answer is not None
        else col(Resource.source_post_id).is_(None)
    )
    done = session.exec(
        select(Resource).where(Resource.source_thread_id == thread.id, same_source)
    ).first()
    if done is not None:
        return done
    opening = session.exec(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).one()
    for post in (opening, answer):
        if post is not None and (post.deleted_at is not None or post.hidden):
            raise Invalid("Removed posts cannot be promoted.")
    activity.check_rate(
        session,
        access.user.id,
        "resource.promoted",
        settings.RESOURCES_PER_WINDOW,
        settings.WRITE_LIMIT_WINDOW,
        "promotions",
    )
    resource = do_promote(session, access.community, access.user, thread, opening, answer)
    return committed(session, resource)


def thread_resources(session: Session, thread_id: int) -> list[dict[str, str]]:
    """The resources a thread became (the thread page links to them); the thread's access
    was checked by its caller, and a resource lives in the thread's own community."""
    rows = session.exec(
        select(Resource.id, Resource.title)
        .where(Resource.source_thread_id == thread_id)
        .order_by(Resource.id)
    ).all()
    return [{"title": t, "link": routes.resource_url(i)} for i, t in rows]
