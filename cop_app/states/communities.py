"""Community directory, community pages (live through CommunityRoom) and the form."""

from datetime import UTC, datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from cop_app import routes
from cop_app.live import CommunityRoom, assign, link_room, unlink_room
from cop_app.models import User
from cop_app.services import communities, validation
from cop_app.services.access import access_community_content
from cop_app.services.communities import CommunityCard, MemberView
from cop_app.services.errors import DomainError, Forbidden, Invalid, NotFound
from cop_app.states.auth import current_user
from cop_app.states.base import db, error_toast, form_value, route_param


def _empty_card() -> CommunityCard:
    return CommunityCard(
        id=0,
        slug="",
        name="",
        kind="cop",
        kind_label="",
        domain="",
        description="",
        tags=[],
        visibility="open",
        member_count=0,
        last_activity_at=datetime(2000, 1, 1, tzinfo=UTC),
    )


def _may_see_inside(session: Session, actor: User | None, community_id: int) -> bool:
    try:
        access_community_content(session, actor, community_id)
    except Forbidden:
        return False
    return True


class DirectoryState(rx.State):
    """The directory: search by name or tag, filter by kind, one capped page."""

    cards: list[CommunityCard] = []
    query: str = ""
    kind: str = ""
    loading: bool = True
    error: str = ""

    async def _reload(self) -> None:
        actor = await current_user(self)
        try:
            with db() as session:
                self.cards = communities.list_directory(session, actor, self.query, self.kind)
            self.error = ""
        except DomainError as err:
            self.cards, self.error = [], err.message
        self.loading = False

    @rx.event
    async def load(self) -> None:
        """Open the directory."""
        await self._reload()

    @rx.event
    async def set_query(self, value: Any) -> None:
        """Search as the person types (the input debounces)."""
        if not isinstance(value, str):
            return
        self.query = value[:100]
        await self._reload()

    @rx.event
    async def set_kind(self, value: Any) -> None:
        """Filter by kind; 'all' clears it."""
        self.kind = value if value in communities.KINDS else ""
        await self._reload()


class CommunityState(rx.State):
    """One community page; the live part (member count and list) is the linked room."""

    card: CommunityCard = _empty_card()
    found: bool = False
    # May see the inside (member list, threads): not an outsider of an approval-only one.
    inside: bool = False
    missing: str = ""
    pending: list[MemberView] = []

    @rx.var
    def is_member(self) -> bool:
        """An active member of this community."""
        return self.card.my_status == "active"

    @rx.var
    def is_steward(self) -> bool:
        """Stewards see requests and the settings tab (admins steward everything)."""
        return self.card.my_role == "steward"

    @rx.var
    def is_pending(self) -> bool:
        """A request to join waits for a steward."""
        return self.card.my_status == "pending"

    async def _load(self, slug: Any, actor: User | None = None) -> None:
        actor = actor or await current_user(self)
        try:
            with db() as session:
                card = communities.get_by_slug(session, actor, slug)
                pending = (
                    communities.list_members(session, actor, card.id, "pending")
                    if card.my_role == "steward"
                    else []
                )
                inside = _may_see_inside(session, actor, card.id)
        except DomainError as err:
            self.found, self.inside, self.missing = False, False, err.message
            unlink_room(self, CommunityRoom)
            return
        assign(self, card=card, found=True, inside=inside, missing="", pending=pending)
        if inside:  # the card and About tab are public; the members are the room's
            await link_room(self, CommunityRoom, communities.room_for(card.id), card.id)
        else:
            unlink_room(self, CommunityRoom)

    @rx.event
    async def load_page(self) -> None:
        """on_load of /c/[slug]: check access, then link this browser to the room."""
        await self._load(route_param(self, "slug"))

    async def _act(self, verb: str, *args: Any) -> Any:
        """Call a service verb on this community; a verb that returns the member's new card
        (join, leave) of an open community needs no re-read of the page (the member list
        comes from the room)."""
        actor = await current_user(self)
        try:
            with db() as session:
                result = getattr(communities, f"check_{verb}")(session, actor, self.card.id, *args)
        except DomainError as err:
            return error_toast(err)
        if isinstance(result, CommunityCard) and result.visibility == "open":
            assign(self, card=result, pending=[])
        else:  # leaving an approval-only community also closes its inside
            await self._load(self.card.slug, actor)
        return result

    @rx.event
    async def join(self) -> Any:
        """Join (or ask to join) this community."""
        if not self.card.id:
            return error_toast(NotFound("Open a community first."))
        card = await self._act("join")
        if not isinstance(card, CommunityCard):
            return card
        if card.my_status == "active":
            return rx.toast.success(f"You joined {card.name}.")
        return rx.toast.info("Request sent. A steward will review it.")

    @rx.event
    async def leave(self) -> Any:
        """Leave this community (or withdraw a request)."""
        if not self.card.id:
            return error_toast(NotFound("Open a community first."))
        card = await self._act("leave")
        if not isinstance(card, CommunityCard):
            return card
        return rx.toast.info(f"You left {card.name}.")

    @rx.event
    async def decide(self, user_id: Any, approve: Any) -> Any:
        """A steward approves or declines a request to join."""
        try:
            uid = validation.integer(user_id, "user_id", "Person")
        except Invalid as err:
            return error_toast(err)
        if not isinstance(approve, bool) or not self.card.id:
            return error_toast(Invalid("Choose approve or decline."))
        result = await self._act("decide_request", uid, approve)
        return result if result is not None else rx.toast.success("Done.")

    @rx.event
    async def set_role(self, user_id: Any, role: Any) -> Any:
        """A steward appoints another steward or steps one down."""
        try:
            uid = validation.integer(user_id, "user_id", "Person")
        except Invalid as err:
            return error_toast(err)
        if not self.card.id:
            return error_toast(NotFound("Open a community first."))
        result = await self._act("set_member_role", uid, role)
        return result if result is not None else rx.toast.success("Role updated.")


class CommunityFormState(rx.State):
    """Create a community, or edit one as its steward; errors stay next to fields."""

    errors: dict[str, str] = {}
    editing_id: int = 0
    values: dict[str, str] = {}
    busy: bool = False

    def _read_form(self, form: Any) -> communities.CommunityInput:
        return communities.clean_input(
            form_value(form, "name"),
            form_value(form, "kind") or "cop",
            form_value(form, "domain"),
            form_value(form, "description"),
            form_value(form, "tags"),
            form_value(form, "visibility") or "open",
        )

    @rx.event
    def start_new(self) -> None:
        """on_load of the create page: an empty form."""
        self.errors, self.editing_id = {}, 0
        self.values = {
            "name": "",
            "kind": "cop",
            "domain": "",
            "description": "",
            "tags": "",
            "visibility": "open",
        }

    @rx.event
    async def start_edit(self) -> Any:
        """on_load of a community's settings page: stewards only."""
        self.errors = {}
        actor = await current_user(self)
        try:
            with db() as session:
                card = communities.get_by_slug(session, actor, route_param(self, "slug"))
                communities.access_community_as_steward(session, actor, card.id)
        except DomainError as err:
            self.editing_id = 0
            return [error_toast(err), rx.redirect(routes.communities_url())]
        self.editing_id = card.id
        self.values = {
            "name": card.name,
            "kind": card.kind,
            "domain": card.domain,
            "description": card.description,
            "tags": " ".join(card.tags),
            "visibility": card.visibility,
        }
        return None

    @rx.event
    async def create(self, form_data: Any) -> Any:
        """Create a community; the creator becomes its steward."""
        self.errors = {}
        actor = await current_user(self)
        try:
            data = self._read_form(form_data)
            with db() as session:
                community = communities.check_create_community(session, actor, data)
                slug, name = community.slug, community.name
        except DomainError as err:
            self.errors = {err.field or "form": err.message}
            return None
        return [
            rx.redirect(routes.community_url(slug)),
            rx.toast.success(f"{name} is ready. Invite people in."),
        ]

    @rx.event
    async def save(self, form_data: Any) -> Any:
        """Save a steward's edits (audited)."""
        self.errors = {}
        actor = await current_user(self)
        if not self.editing_id:
            return error_toast(NotFound("Open a community's settings first."))
        try:
            data = self._read_form(form_data)
            with db() as session:
                community = communities.check_edit_community(session, actor, self.editing_id, data)
                slug = community.slug
        except DomainError as err:
            self.errors = {err.field or "form": err.message}
            return None
        return [rx.redirect(routes.community_url(slug)), rx.toast.success("Changes saved.")]
