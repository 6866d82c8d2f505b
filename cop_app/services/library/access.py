"""Who may touch a resource: `access_resource` loads it with its community and the actor's
membership in one query and proves the actor may see it."""

from dataclasses import dataclass

from sqlalchemy import and_
from sqlmodel import Session, select

from cop_app.models import Community, Membership, Resource, User
from cop_app.services import validation
from cop_app.services.access import may_see_inside, require_user
from cop_app.services.errors import Forbidden, NotFound
from cop_app.services.rooms import RoomKey, RoomKind

_MISSING = "This resource does not exist, or you may not see it."


@dataclass
class ResourceAccess:
    """What access_resource proved about the actor and the resource."""

    resource: Resource
    community: Community
    user: User
    member: bool
    steward: bool

    @property
    def may_edit(self) -> bool:
        """The author or the owner (while members) and the community's stewards edit."""
        mine = self.user.id in (self.resource.author_id, self.resource.owner_id)
        return self.steward or (self.member and mine)


def library_room(community_id: int) -> RoomKey:
    """The live room of one community's library."""
    return RoomKey(RoomKind.LIBRARY, community_id)


def resource_room(resource_id: int) -> RoomKey:
    """The live room of one resource's readers."""
    return RoomKey(RoomKind.RESOURCE, resource_id)


def access_resource(session: Session, actor: User | None, resource_id: object) -> ResourceAccess:
    """A resource the actor may read: open communities' for every signed-in person,
    approval-only ones' for their members; to anyone else it does not exist (NotFound)."""
    user = require_user(actor)
    rid = validation.integer(resource_id, "resource_id", "Resource")
    row = session.exec(
        select(Resource, Community, Membership)
        .join(Community, Community.id == Resource.community_id)
        .join(
            Membership,
            and_(Membership.community_id == Resource.community_id, Membership.user_id == user.id),
            isouter=True,
        )
        .where(Resource.id == rid)
    ).first()
    if row is None:
        raise NotFound(_MISSING)
    resource, community, membership = row
    if not may_see_inside(community, user, membership):
        raise NotFound(_MISSING)
    member = membership is not None and membership.status == "active"
    steward = user.role == "admin" or (member and membership.role == "steward")
    return ResourceAccess(resource, community, user, member, steward)


def require_member(access: ResourceAccess, what: str) -> None:
    """Endorsing and recording reuse are for the community's active members."""
    if not access.member:
        raise Forbidden(f"Join {access.community.name} to {what}.")


def require_editor(access: ResourceAccess) -> None:
    """Editing, restoring and marking are for the author, the owner and stewards."""
    if not access.may_edit:
        raise Forbidden("Only the author, the owner or a steward can change this resource.")


def require_steward(access: ResourceAccess) -> None:
    """Transferring ownership is for the community's stewards."""
    if not access.steward:
        raise Forbidden("Only this community's stewards can do this.")
