"""Reading the library: lists with filters and sorts, one resource as its readers share it,
"needs review" lists and reuse figures (history and diffs: history.py). Reads never commit."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_
from sqlmodel import Session, col, select

from cop_app import routes
from cop_app.models import (
    Attachment,
    Community,
    Endorsement,
    Membership,
    Resource,
    ResourceCredit,
    Reuse,
    Thread,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import settings, validation
from cop_app.services.access import access_community_content, require_user
from cop_app.services.errors import NotFound
from cop_app.services.library.access import ResourceAccess, access_resource
from cop_app.services.library.writes import KIND_LABELS, KINDS
from cop_app.services.rows import with_place_and_author


def review_due(now: datetime | None = None) -> datetime:
    """Resources last reviewed before this moment need review."""
    return (now or utcnow()) - timedelta(days=settings.LIBRARY_REVIEW_AFTER_DAYS)


def _day(moment: datetime) -> str:
    return moment.strftime("%d %b %Y")


@dataclass
class ResourceRow:
    """A line in a library list."""

    id: int
    title: str
    kind: str
    kind_label: str
    summary: str
    community_slug: str
    community_name: str
    author_name: str
    tags: list[str]
    endorse_count: int
    reuse_count: int
    outdated: bool
    needs_review: bool
    updated_on: str


@dataclass
class AttachmentView:
    """A file of a resource as readers see it (the download needs a token per reader)."""

    id: int
    filename: str
    content_type: str
    size_label: str


@dataclass
class ReuseView:
    """Who used a resource and what came of it."""

    name: str
    outcome: str
    on: str


@dataclass
class ResourceView:
    """A resource as all its readers share it (nothing per reader: that is `ResourceMine`)."""

    id: int
    community_id: int
    community_slug: str
    community_name: str
    kind: str
    kind_label: str
    title: str
    summary: str
    body: str
    body_html: str
    tags: list[str]
    url: str
    revision: int
    author_id: int
    author_name: str
    owner_id: int
    owner_name: str
    author_reuse: int
    endorse_count: int
    reuse_count: int
    outdated: bool
    needs_review: bool
    reviewed_on: str
    updated_on: str
    credits: list[str] = field(default_factory=list)
    source_title: str = ""
    source_link: str = ""
    endorsers: list[str] = field(default_factory=list)
    reuses: list[ReuseView] = field(default_factory=list)
    attachments: list[AttachmentView] = field(default_factory=list)


@dataclass
class ResourceMine:
    """What this reader has done and may do with the resource."""

    endorsed: bool = False
    reused: bool = False
    may_edit: bool = False
    steward: bool = False
    member: bool = False


def _listing():
    """The columns of a resource row."""
    return with_place_and_author(
        Resource,
        Resource.id,
        Resource.title,
        Resource.kind,
        Resource.summary,
        Resource.tags,
        Resource.endorse_count,
        Resource.reuse_count,
        Resource.outdated,
        Resource.reviewed_at,
        Resource.updated_at,
    )


def _shown_alike(r: Any, due: datetime) -> dict[str, Any]:
    """What a list line and a resource page show of a resource (a row or a query's line),
    read one way: its kind's label, its tags, its figures and whether it needs review."""
    return {
        "id": r.id,
        "title": r.title,
        "kind": r.kind,
        "kind_label": KIND_LABELS.get(r.kind, r.kind),
        "summary": r.summary,
        "tags": validation.split_tags(r.tags),
        "endorse_count": r.endorse_count,
        "reuse_count": r.reuse_count,
        "outdated": r.outdated,
        "needs_review": r.outdated or r.reviewed_at < due,
        "updated_on": _day(r.updated_at),
    }


def _rows(session: Session, stmt) -> list[ResourceRow]:
    due = review_due()
    return [
        ResourceRow(
            **_shown_alike(r, due),
            community_slug=r.slug,
            community_name=r.name,
            author_name=r.display_name,
        )
        for r in session.exec(stmt).all()
    ]


# Reuse first: a practice library is judged by what people take from it, not by what is newest.
SORTS = ("reused", "endorsed", "newest", "updated", "review")
SORT_LABELS = {
    "reused": "Most reused",
    "endorsed": "Most endorsed",
    "newest": "Newest",
    "updated": "Recently updated",
    "review": "Needs review",
}


def _ordered(stmt, sort: str):
    """The sort's ORDER BY (and, for "needs review", its filter). Outdated resources sink:
    callers list current ones first (`_current_first`)."""
    if sort == "review":
        return stmt.where(
            or_(col(Resource.outdated).is_(True), Resource.reviewed_at < review_due())
        ).order_by(col(Resource.reviewed_at), col(Resource.id))
    key = {
        "reused": col(Resource.reuse_count).desc(),
        "endorsed": col(Resource.endorse_count).desc(),
        "newest": col(Resource.created_at).desc(),
        "updated": col(Resource.updated_at).desc(),
    }[sort]
    return stmt.order_by(key, col(Resource.id).desc())


def _current_first(session: Session, stmt, sort: str, offset: int, size: int) -> list[ResourceRow]:
    """One page with current resources before outdated ones, in two queries that each walk
    an index (community_id, outdated, sort key) in order: one ORDER BY led by `outdated`
    would sort every resource of the community first."""
    if sort == "review":
        return _rows(session, _ordered(stmt, sort).offset(offset).limit(size))
    current = stmt.where(col(Resource.outdated).is_(False))
    rows = _rows(session, _ordered(current, sort).offset(offset).limit(size))
    if len(rows) == size:
        return rows
    before = offset
    if not rows and offset:
        before = session.exec(
            select(func.count()).select_from(current.with_only_columns(Resource.id).subquery())
        ).one()
    outdated = stmt.where(col(Resource.outdated).is_(True))
    skip = max(0, offset - before) if not rows else 0
    return rows + _rows(session, _ordered(outdated, sort).offset(skip).limit(size - len(rows)))


def visible_communities(user: User):
    """Ids of the communities whose library the user may see (a subquery)."""
    if user.role == "admin":
        return select(Community.id)
    return select(Community.id).where(
        or_(
            Community.visibility == "open",
            col(Community.id).in_(
                select(Membership.community_id).where(
                    Membership.user_id == user.id, Membership.status == "active"
                )
            ),
        )
    )


def browse(
    session: Session,
    actor: User | None,
    community_id: object = None,
    kind: object = "",
    tag: object = "",
    sort: object = "reused",
    page: object = 1,
) -> list[ResourceRow]:
    """One page of a library: one community's (checked) or every one the actor may see."""
    user = require_user(actor)
    order = validation.choice(sort, SORTS, "sort", "Sort")
    number = validation.integer(page, "page", "Page")
    stmt = _listing()
    if community_id in (None, 0, ""):
        stmt = stmt.where(col(Resource.community_id).in_(visible_communities(user)))
    else:
        cid = access_community_content(session, user, community_id).id
        stmt = stmt.where(Resource.community_id == cid)
    if kind not in (None, ""):
        stmt = stmt.where(Resource.kind == validation.choice(kind, KINDS, "kind", "Kind"))
    if tag not in (None, ""):
        clean = validation.tags(tag, "tag", max_tags=1, max_len=settings.TAG_MAX_LENGTH)
        if clean:
            stmt = stmt.where((" " + col(Resource.tags) + " ").like(f"% {clean} %"))
    size = settings.LIBRARY_PAGE_SIZE
    return _current_first(session, stmt, order, (number - 1) * size, size)


def latest_rows(session: Session, community_id: int) -> list[ResourceRow]:
    """A community's most reused resources, as its live library room shares them."""
    stmt = _listing().where(Resource.community_id == community_id)
    return _current_first(session, stmt, "reused", 0, settings.LIBRARY_ROOM_SIZE)


def needs_review(
    session: Session, actor: User | None, community_id: int | None = None
) -> list[ResourceRow]:
    """Resources due for review that the actor owns or stewards (in one community when
    given), oldest review first: one indexed query for the owned ones, one per stewarded
    community (an OR of the two would walk every resource)."""
    user = require_user(actor)
    stewarded = session.exec(
        select(Membership.community_id).where(
            Membership.user_id == user.id,
            Membership.role == "steward",
            Membership.status == "active",
        )
    ).all()
    scopes = [Resource.owner_id == user.id]
    scopes += [Resource.community_id == cid for cid in stewarded]
    size = settings.LIBRARY_PAGE_SIZE
    found: dict[int, ResourceRow] = {}
    for scope in scopes:
        stmt = _listing().where(scope)
        if community_id is not None:
            stmt = stmt.where(Resource.community_id == community_id)
        for row in _rows(session, _ordered(stmt, "review").limit(size)):
            found[row.id] = row
    return list(found.values())[:size]


def author_reuse(session: Session, user_id: int) -> int:
    """How many times others reused this person's resources (their profile shows it)."""
    return session.exec(
        select(func.coalesce(func.sum(Resource.reuse_count), 0)).where(
            Resource.author_id == user_id
        )
    ).one()


def community_figures(session: Session, community_id: int) -> tuple[int, int]:
    """A community's resource count and total reuse (its Library tab shows them)."""
    count, reused = session.exec(
        select(func.count(), func.coalesce(func.sum(Resource.reuse_count), 0)).where(
            Resource.community_id == community_id
        )
    ).one()
    return count, reused


def _size(n: int) -> str:
    return (
        f"{n} B" if n < 1024 else f"{n / 1024:.0f} KB" if n < 1024**2 else f"{n / 1024**2:.1f} MB"
    )


def resource_view(session: Session, resource_id: int) -> ResourceView | None:
    """The shared view of one resource (a room's; access was checked when it was linked)."""
    row = session.exec(
        select(Resource, Community).join(Community).where(Resource.id == resource_id)
    ).first()
    if row is None:
        return None
    r, community = row
    names = dict(
        session.exec(
            select(User.id, User.display_name).where(col(User.id).in_({r.author_id, r.owner_id}))
        ).all()
    )
    shown = settings.LIBRARY_NAMES_SHOWN
    credits = session.exec(
        select(User.display_name)
        .join(ResourceCredit, ResourceCredit.user_id == User.id)
        .where(ResourceCredit.resource_id == r.id)
        .order_by(ResourceCredit.id)
    ).all()
    endorsers = session.exec(
        select(User.display_name)
        .join(Endorsement, Endorsement.user_id == User.id)
        .where(Endorsement.resource_id == r.id)
        .order_by(col(Endorsement.id).desc())
        .limit(shown)
    ).all()
    reuses = session.exec(
        select(User.display_name, Reuse.outcome, Reuse.created_at)
        .join(Reuse, Reuse.user_id == User.id)
        .where(Reuse.resource_id == r.id)
        .order_by(col(Reuse.created_at).desc())
        .limit(shown)
    ).all()
    files = session.exec(
        select(Attachment).where(Attachment.resource_id == r.id).order_by(Attachment.id)
    ).all()
    source = session.get(Thread, r.source_thread_id) if r.source_thread_id else None
    source_slug = (
        session.exec(select(Community.slug).where(Community.id == source.community_id)).one()
        if source
        else ""
    )
    return ResourceView(
        **_shown_alike(r, review_due()),
        community_id=community.id,
        community_slug=community.slug,
        community_name=community.name,
        body=r.body,
        body_html=r.body_html,
        url=r.url,
        revision=r.revision,
        author_id=r.author_id,
        author_name=names.get(r.author_id, ""),
        owner_id=r.owner_id,
        owner_name=names.get(r.owner_id, ""),
        author_reuse=author_reuse(session, r.author_id),
        reviewed_on=_day(r.reviewed_at),
        credits=list(credits),
        source_title=source.title if source else "",
        source_link=routes.thread_url(source_slug, source.id) if source else "",
        endorsers=list(endorsers),
        reuses=[ReuseView(n, o, _day(t)) for n, o, t in reuses],
        attachments=[
            AttachmentView(f.id, f.filename, f.content_type, _size(f.size)) for f in files
        ],
    )


def reader_side(
    session: Session, actor: User | None, resource_id: object
) -> tuple[ResourceAccess, ResourceMine]:
    """What this reader did and may do with a resource, in two queries (the access check and
    one for their endorsement and reuse); the shared view comes from the resource's room."""
    access = access_resource(session, actor, resource_id)
    rid, uid = access.resource.id, access.user.id
    endorsed, reused = session.exec(
        select(
            exists().where(Endorsement.resource_id == rid, Endorsement.user_id == uid),
            exists().where(Reuse.resource_id == rid, Reuse.user_id == uid),
        )
    ).one()
    return access, ResourceMine(
        endorsed=bool(endorsed),
        reused=bool(reused),
        may_edit=access.may_edit,
        steward=access.steward,
        member=access.member,
    )


def open_resource(
    session: Session, actor: User | None, resource_id: object
) -> tuple[ResourceView, ResourceMine]:
    """A resource's shared view and this reader's side of it (for callers without a room)."""
    access, mine = reader_side(session, actor, resource_id)
    view = resource_view(session, access.resource.id)
    if view is None:
        raise NotFound("This resource does not exist, or you may not see it.")
    return view, mine
