"""Writing resources: create, edit (every save a revision; a save based on an older one is
refused as a conflict) and restore.

Each verb is a pair: `check_x` loads and proves access, validates, applies limits and
idempotency keys and commits; `do_x` writes, records the activity and announces the change
after commit, flushing but never committing (seeds call it directly). Promotion lives in
promote.py."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session, select

from cop_app import routes
from cop_app.models import (
    Community,
    Post,
    Resource,
    ResourceCredit,
    ResourceRevision,
    Thread,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import activity, markdown, settings, validation
from cop_app.services.access import membership_of, require_user
from cop_app.services.edge import commit_once, committed
from cop_app.services.errors import Conflict, Forbidden, Invalid, NotFound
from cop_app.services.events import Change, on_commit
from cop_app.services.library.access import (
    access_resource,
    library_room,
    require_editor,
    resource_room,
)
from cop_app.services.notifications import notify

# The kinds of practice artifact members name when they share what works.
KINDS = ("guide", "template", "checklist", "case-story", "tool")
KIND_LABELS = {
    "guide": "Guide",
    "template": "Template",
    "checklist": "Checklist",
    "case-story": "Case story",
    "tool": "Tool or link",
}


@dataclass(frozen=True)
class ResourceInput:
    """The resource form, validated as a whole."""

    kind: str
    title: str
    summary: str
    body: str
    tags: str
    url: str


def clean_url(value: object) -> str:
    """An optional external address: http or https with a host, nothing else."""
    url = validation.text(value, "url", "Link", max_len=settings.RESOURCE_URL_MAX)
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise Invalid("The link must be a web address starting with http:// or https://.", "url")
    return url


def clean_resource_input(
    kind: object, title: object, summary: object, body: object, tags: object, url: object
) -> ResourceInput:
    """Validate every field of the resource form."""
    return ResourceInput(
        kind=validation.choice(kind, KINDS, "kind", "Kind"),
        title=validation.line(
            title,
            "title",
            "Title",
            min_len=settings.RESOURCE_TITLE_MIN,
            max_len=settings.RESOURCE_TITLE_MAX,
        ),
        summary=validation.line(
            summary,
            "summary",
            "Summary",
            min_len=settings.RESOURCE_SUMMARY_MIN,
            max_len=settings.RESOURCE_SUMMARY_MAX,
        ),
        body=validation.text(body, "body", "Text", min_len=1, max_len=settings.RESOURCE_BODY_MAX),
        tags=validation.tags(
            tags, "tags", max_tags=settings.RESOURCE_MAX_TAGS, max_len=settings.TAG_MAX_LENGTH
        ),
        url=clean_url(url),
    )


def clean_note(value: object) -> str:
    """A change note: one optional line."""
    return validation.line(value, "note", "Change note", max_len=settings.RESOURCE_NOTE_MAX)


def announce(session: Session, resource: Resource, kind: str) -> None:
    """The resource's readers and its community's library hear of it after commit."""
    on_commit(
        session,
        Change(
            kind,
            (resource_room(resource.id), library_room(resource.community_id)),
            {"id": resource.id},
        ),
    )


def record_change(
    session: Session,
    kind: str,
    actor: User,
    resource: Resource,
    summary: str,
    now: datetime | None = None,
) -> None:
    """One change to a resource: its line in the activity feed, and its readers and its
    community's library hear of it after commit."""
    activity.record(
        session,
        kind,
        actor.id,
        community_id=resource.community_id,
        target_type="resource",
        target_id=resource.id,
        summary=summary,
        now=now,
    )
    announce(session, resource, kind)


def _snapshot(resource: Resource, editor_id: int, note: str, now: datetime) -> ResourceRevision:
    return ResourceRevision(
        resource_id=resource.id,
        number=resource.revision,
        editor_id=editor_id,
        title=resource.title,
        summary=resource.summary,
        body=resource.body,
        tags=resource.tags,
        url=resource.url,
        note=note,
        created_at=now,
    )


def _apply(resource: Resource, data: ResourceInput) -> None:
    resource.kind, resource.title, resource.summary = data.kind, data.title, data.summary
    resource.body, resource.body_html = data.body, markdown.render(data.body)
    resource.tags, resource.url = data.tags, data.url


# ---------------------------------------------------------------- create


def do_create_resource(
    session: Session,
    community: Community,
    author: User,
    data: ResourceInput,
    *,
    now: datetime | None = None,
    client_key: str | None = None,
    source: Thread | None = None,
    source_post: Post | None = None,
    credits: Iterable[int] = (),
    note: str = "First version",
) -> Resource:
    """Write a resource and its first revision; credited people are told (not the author)."""
    now = now or utcnow()
    resource = Resource(
        community_id=community.id,
        author_id=author.id,
        owner_id=author.id,
        kind=data.kind,
        title=data.title,
        summary=data.summary,
        body=data.body,
        body_html=markdown.render(data.body),
        tags=data.tags,
        url=data.url,
        reviewed_at=now,
        created_at=now,
        updated_at=now,
        source_thread_id=source.id if source else None,
        source_post_id=source_post.id if source_post else None,
        client_key=client_key,
    )
    session.add(resource)
    session.flush()
    session.add(_snapshot(resource, author.id, note, now))
    credited = list(dict.fromkeys(credits))
    for uid in credited:
        session.add(ResourceCredit(resource_id=resource.id, user_id=uid))
    verb = "promoted" if source else "published"
    activity.record(
        session,
        "resource.promoted" if source else "resource.created",
        author.id,
        community_id=community.id,
        target_type="resource",
        target_id=resource.id,
        summary=f"{author.display_name} {verb} “{resource.title}” in the library",
        now=now,
    )
    if source is not None:
        notify(
            session,
            credited,
            "library.promoted",
            author.id,
            f"{author.display_name} added your words in “{source.title}” to the library",
            routes.resource_url(resource.id),
            now=now,
        )
    announce(session, resource, "resource.created")
    session.flush()
    return resource


def _created_with_key(session: Session, user_id: int, key: str | None) -> Resource | None:
    if key is None:
        return None
    return session.exec(
        select(Resource).where(Resource.author_id == user_id, Resource.client_key == key)
    ).first()


def _active_member_community(session: Session, user: User, community_id: object) -> Community:
    cid = validation.integer(community_id, "community_id", "Community")
    community = session.get(Community, cid)
    membership = membership_of(session, cid, user.id) if community else None
    if community is None or (
        community.visibility != "open" and (membership is None or membership.status != "active")
    ):
        raise NotFound("This community does not exist.")
    if membership is None or membership.status != "active":
        raise Forbidden(f"Join {community.name} to add to its library.")
    return community


def check_create_resource(
    session: Session,
    actor: User | None,
    community_id: object,
    data: ResourceInput,
    client_key: object = None,
) -> Resource:
    """Publish a resource in a community the actor is an active member of. The same draft
    created again (same `client_key`, after a lost acknowledgement) returns the first one."""
    user = require_user(actor)
    key = validation.client_key(client_key)
    community = _active_member_community(session, user, community_id)
    done = _created_with_key(session, user.id, key)
    if done is not None:
        if done.community_id != community.id:
            raise Invalid("This draft was already published elsewhere; reload the page.", "form")
        return done
    activity.check_rate(
        session,
        user.id,
        "resource.created",
        settings.RESOURCES_PER_WINDOW,
        settings.WRITE_LIMIT_WINDOW,
        "new resources",
    )
    return commit_once(
        session,
        lambda: do_create_resource(session, community, user, data, client_key=key),
        lambda: _created_with_key(session, user.id, key),
    )


# ---------------------------------------------------------------- edit and restore


def do_edit_resource(
    session: Session,
    resource: Resource,
    editor: User,
    data: ResourceInput,
    note: str,
    *,
    now: datetime | None = None,
    verb: str = "edited",
) -> ResourceRevision:
    """Apply new text as the next revision (the resource row holds the current text)."""
    now = now or utcnow()
    _apply(resource, data)
    resource.revision += 1
    resource.updated_at = now
    session.add(resource)
    revision = _snapshot(resource, editor.id, note, now)
    session.add(revision)
    record_change(
        session,
        f"resource.{verb}",
        editor,
        resource,
        f"{editor.display_name} {verb} “{resource.title}” (revision {resource.revision})",
        now,
    )
    session.flush()
    return revision


def _locked(session: Session, resource_id: int) -> Resource:
    """The row re-read under a row lock where the database has one (PostgreSQL), so two saves
    cannot both pass the revision check; SQLite serialises writers anyway."""
    return session.exec(
        select(Resource)
        .where(Resource.id == resource_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _check_base(resource: Resource, base_revision: object) -> None:
    base = validation.integer(base_revision, "base_revision", "Revision")
    if base > resource.revision:
        raise Invalid("This revision does not exist; reload the page.", "form")
    if base != resource.revision:
        raise Conflict(
            f"Someone saved revision {resource.revision} while you were editing revision "
            f"{base}. Your text is kept: compare the changes, then save again.",
            resource.revision,
            "form",
        )


def check_edit_resource(
    session: Session,
    actor: User | None,
    resource_id: object,
    data: ResourceInput,
    note: object,
    base_revision: object,
) -> Resource:
    """Save an edit started from `base_revision`; refused with `Conflict` when someone saved
    since. An unchanged text makes no revision."""
    access = access_resource(session, actor, resource_id)
    require_editor(access)
    clean = clean_note(note)
    resource = _locked(session, access.resource.id)
    _check_base(resource, base_revision)
    if (data.kind, data.title, data.summary, data.body, data.tags, data.url) == (
        resource.kind,
        resource.title,
        resource.summary,
        resource.body,
        resource.tags,
        resource.url,
    ):
        session.rollback()
        return resource
    activity.check_rate(
        session,
        access.user.id,
        "resource.edited",
        settings.RESOURCE_SAVES_PER_WINDOW,
        settings.WRITE_LIMIT_WINDOW,
        "saves",
    )
    do_edit_resource(session, resource, access.user, data, clean or "Edited")
    return committed(session, resource)


def revision_row(session: Session, resource_id: int, number: object) -> ResourceRevision:
    """One revision of a resource the caller already may read; unknown numbers are refused."""
    n = validation.integer(number, "revision", "Revision")
    row = session.exec(
        select(ResourceRevision).where(
            ResourceRevision.resource_id == resource_id, ResourceRevision.number == n
        )
    ).first()
    if row is None:
        raise Invalid(f"This resource has no revision {n}.", "revision")
    return row


def check_restore_revision(
    session: Session, actor: User | None, resource_id: object, number: object
) -> Resource:
    """Bring back an old revision's text as a new revision (history is never rewritten)."""
    access = access_resource(session, actor, resource_id)
    require_editor(access)
    old = revision_row(session, access.resource.id, number)
    resource = _locked(session, access.resource.id)
    if old.number == resource.revision:
        raise Invalid("This is already the current revision.", "revision")
    activity.check_rate(
        session,
        access.user.id,
        "resource.restored",
        settings.RESOURCE_SAVES_PER_WINDOW,
        settings.WRITE_LIMIT_WINDOW,
        "restores",
    )
    data = ResourceInput(resource.kind, old.title, old.summary, old.body, old.tags, old.url)
    do_edit_resource(
        session,
        resource,
        access.user,
        data,
        f"Restored revision {old.number}",
        verb="restored",
    )
    return committed(session, resource)
