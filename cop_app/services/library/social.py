"""What members do with a resource besides editing it: endorse ("I practise this"), record
reuse ("I used this"), and look after it (mark reviewed or outdated, transfer the owner)."""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cop_app import routes
from cop_app.models import Endorsement, Membership, Resource, Reuse, User
from cop_app.models.base import utcnow
from cop_app.services import activity, settings, validation
from cop_app.services.edge import committed
from cop_app.services.errors import Invalid
from cop_app.services.library.access import (
    access_resource,
    require_editor,
    require_member,
    require_steward,
)
from cop_app.services.library.writes import KIND_LABELS, record_change
from cop_app.services.notifications import notify


def _told(resource: Resource) -> list[int]:
    return [resource.author_id, resource.owner_id]


def do_endorse(
    session: Session, resource: Resource, user: User, on: bool, *, now: datetime | None = None
) -> bool:
    """Add or withdraw the member's endorsement; returns whether anything changed."""
    existing = session.exec(
        select(Endorsement).where(
            Endorsement.resource_id == resource.id, Endorsement.user_id == user.id
        )
    ).first()
    if on == (existing is not None):
        return False
    if existing is not None:
        session.delete(existing)
    else:
        session.add(
            Endorsement(resource_id=resource.id, user_id=user.id, created_at=now or utcnow())
        )
    session.exec(
        update(Resource)
        .where(Resource.id == resource.id)
        .values(endorse_count=Resource.endorse_count + (1 if on else -1))
    )
    if on:
        label = KIND_LABELS.get(resource.kind, "resource").lower()
        notify(
            session,
            _told(resource),
            "library.endorsed",
            user.id,
            f"{user.display_name} endorsed your {label} “{resource.title}”",
            routes.resource_url(resource.id),
            now=now,
        )
    record_change(
        session,
        "resource.endorsed" if on else "resource.unendorsed",
        user,
        resource,
        f"{user.display_name} {'endorsed' if on else 'withdrew their endorsement of'} "
        f"“{resource.title}”",
        now,
    )
    session.flush()
    return True


def check_endorse(session: Session, actor: User | None, resource_id: object, on: object) -> bool:
    """Endorse (once) or withdraw; members of the community only. Returns the new state."""
    if not isinstance(on, bool):
        raise Invalid("Choose endorse or withdraw.")
    access = access_resource(session, actor, resource_id)
    require_member(access, "endorse its resources")
    try:
        if do_endorse(session, access.resource, access.user, on):
            session.commit()
    except IntegrityError:  # the same click twice at once: the first one counted
        session.rollback()
    return on


def do_record_reuse(
    session: Session, resource: Resource, user: User, outcome: str, *, now: datetime | None = None
) -> Reuse:
    """Count one reuse with its outcome; the author hears of it."""
    row = Reuse(
        resource_id=resource.id, user_id=user.id, outcome=outcome, created_at=now or utcnow()
    )
    session.add(row)
    session.exec(
        update(Resource)
        .where(Resource.id == resource.id)
        .values(reuse_count=Resource.reuse_count + 1)
    )
    notify(
        session,
        _told(resource),
        "library.reused",
        user.id,
        f"{user.display_name} used your resource “{resource.title}”"
        + (f": {outcome}" if outcome else ""),
        routes.resource_url(resource.id),
        now=now,
    )
    record_change(
        session,
        "resource.reused",
        user,
        resource,
        f"{user.display_name} used “{resource.title}”",
        now,
    )
    session.flush()
    return row


def check_record_reuse(
    session: Session, actor: User | None, resource_id: object, outcome: object
) -> Reuse:
    """ "I used this": once per member and resource (the figure counts people), not for
    one's own resource."""
    access = access_resource(session, actor, resource_id)
    require_member(access, "record that you used its resources")
    text = validation.line(outcome, "outcome", "Outcome", max_len=settings.REUSE_OUTCOME_MAX)
    if access.user.id == access.resource.author_id:
        raise Invalid("Reuse counts what others did with your resource; ask them to record it.")
    already = session.exec(
        select(Reuse.id).where(
            Reuse.resource_id == access.resource.id, Reuse.user_id == access.user.id
        )
    ).first()
    if already is not None:
        raise Invalid("You already recorded using this resource.", "outcome")
    activity.check_rate(
        session,
        access.user.id,
        "resource.reused",
        settings.REUSES_PER_WINDOW,
        settings.WRITE_LIMIT_WINDOW,
        "reuse records",
    )
    row = do_record_reuse(session, access.resource, access.user, text)
    return committed(session, row)


def do_mark(
    session: Session,
    resource: Resource,
    user: User,
    mark: str,
    *,
    now: datetime | None = None,
) -> None:
    """ "reviewed" (current, reviewed today) or "outdated" (kept readable with a banner)."""
    now = now or utcnow()
    resource.reviewed_at = now
    resource.outdated = mark == "outdated"
    session.add(resource)
    if mark == "outdated":
        notify(
            session,
            [resource.owner_id],
            "library.outdated",
            user.id,
            f"{user.display_name} marked “{resource.title}” outdated: it needs your review",
            routes.resource_url(resource.id),
            now=now,
        )
    record_change(
        session,
        f"resource.{mark}",
        user,
        resource,
        f"{user.display_name} marked “{resource.title}” {mark}",
        now,
    )
    session.flush()


def check_mark(session: Session, actor: User | None, resource_id: object, mark: object) -> Resource:
    """One click: reviewed or outdated (author, owner, stewards)."""
    choice = validation.choice(mark, ("reviewed", "outdated"), "mark", "Mark")
    access = access_resource(session, actor, resource_id)
    require_editor(access)
    activity.check_rate(
        session,
        access.user.id,
        f"resource.{choice}",
        settings.RESOURCE_SAVES_PER_WINDOW,
        settings.WRITE_LIMIT_WINDOW,
        "review marks",
    )
    do_mark(session, access.resource, access.user, choice)
    return committed(session, access.resource)


def do_transfer_owner(session: Session, resource: Resource, steward: User, owner: User) -> None:
    """Give the resource a new owner, who is told."""
    resource.owner_id = owner.id
    session.add(resource)
    notify(
        session,
        [owner.id],
        "library.owner",
        steward.id,
        f"{steward.display_name} made you the owner of “{resource.title}”",
        routes.resource_url(resource.id),
    )
    record_change(
        session,
        "resource.owner_changed",
        steward,
        resource,
        f"{steward.display_name} made {owner.display_name} the owner of “{resource.title}”",
    )
    activity.audit(
        session, steward.id, "resource.transfer", "resource", resource.id, after=str(owner.id)
    )
    session.flush()


def check_transfer_owner(
    session: Session, actor: User | None, resource_id: object, owner_id: object
) -> Resource:
    """Stewards hand a resource to another active member of its community."""
    access = access_resource(session, actor, resource_id)
    require_steward(access)
    uid = validation.integer(owner_id, "owner_id", "New owner")
    owner = session.exec(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            User.id == uid,
            Membership.community_id == access.resource.community_id,
            Membership.status == "active",
        )
    ).first()
    if owner is None or not owner.is_active:
        raise Invalid("The new owner must be an active member of this community.", "owner_id")
    if owner.id == access.resource.owner_id:
        raise Invalid(f"{owner.display_name} already owns this resource.", "owner_id")
    do_transfer_owner(session, access.resource, access.user, owner)
    return committed(session, access.resource)
