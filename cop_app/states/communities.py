"""Community directory, community pages (live through CommunityRoom) and the form."""

from datetime import UTC, datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from cop_app import routes
from cop_app.live import CommunityRoom, assign, link_room, on_signal, unlink_room
from cop_app.models import User
from cop_app.services import communities, settings, validation
from cop_app.services.access import access_community_as_steward, access_community_content
from cop_app.services.communities import CommunityCard, MemberView
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.states.auth import current_user
from cop_app.states.base import Refused, call, error_toast, form_value, route_param
from cop_app.states.discussions import ThreadListState
from cop_app.states.library import LibraryState


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


def _page(
    session: Session, actor: User | None, slug: Any
) -> tuple[CommunityCard, list[MemberView], bool]:
    """The card, the requests a steward answers, and whether the caller sees inside."""
    card = communities.get_by_slug(session, actor, slug)
    steward = card.my_role == "steward"
    pending = communities.list_members(session, actor, card.id, "pending") if steward else []
    return card, pending, _may_see_inside(session, actor, card.id)


def _steward_card(session: Session, actor: User | None, slug: str) -> CommunityCard:
    card = communities.get_by_slug(session, actor, slug)
    access_community_as_steward(session, actor, card.id)
    return card


def _read_form(form: Any) -> communities.CommunityInput:
    return communities.clean_input(
        form_value(form, "name"),
        form_value(form, "kind") or "cop",
        form_value(form, "domain"),
        form_value(form, "description"),
        form_value(form, "tags"),
        form_value(form, "visibility") or "open",
    )


def _slug_and_name(community: Any) -> tuple[str, str]:
    return community.slug, community.name


class DirectoryState(rx.State):
    """The directory: search by name or tag, filter by kind, one capped page."""

    cards: list[CommunityCard] = []
    query: str = ""
    kind: str = ""
    loading: bool = True
    error: str = ""

    async def _reload(self) -> None:
        cards = await call(self, communities.list_directory, self.query, self.kind)
        refused = isinstance(cards, Refused)
        self.cards = [] if refused else cards
        self.error = cards.error.message if refused else ""
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
        self.query = value[: settings.SEARCH_QUERY_MAX]
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
    # The member a steward is about to remove (the confirm dialog is open while set).
    removing_id: int = 0
    removing_name: str = ""

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
        page = await call(self, _page, slug, actor=actor or await current_user(self))
        if isinstance(page, Refused):
            self.found, self.inside, self.missing = False, False, page.error.message
            unlink_room(self, CommunityRoom)
            return
        card, pending, inside = page
        if inside:  # the card and About tab are public; the members are the room's
            await link_room(self, communities.room_for(card.id))  # first: it may be busy
        else:
            unlink_room(self, CommunityRoom)
        assign(self, card=card, found=True, inside=inside, missing="", pending=pending)

    @rx.event
    async def load_page(self) -> None:
        """on_load of /c/[slug]: check access, then link this browser to the room."""
        await self._load(route_param(self, "slug"))

    def _showing(self, community_id: Any) -> bool:
        """This tab has this community's page open."""
        shown = self.found and self.card.id and route_param(self, "slug") == self.card.slug
        return bool(shown) and community_id == self.card.id

    @rx.event
    async def standing_changed(self, community_id: Any) -> Any:
        """Signal: the member's request was answered, or they joined or left in another tab.
        An open page of that community re-reads all of itself (the inside may open or close)."""
        if not self._showing(community_id):
            return None
        await self._load(self.card.slug)
        return [ThreadListState.load, LibraryState.load]

    @rx.event
    async def requests_changed(self, community_id: Any) -> None:
        """Signal to stewards: a request to join came, went or was answered by another."""
        if self._showing(community_id) and self.is_steward:
            await self._load(self.card.slug)

    async def _act(self, verb: str, *args: Any) -> Any:
        """Call a service verb on this community; a verb that returns the member's new card
        (join, leave) of an open community needs no re-read of the page (the member list
        comes from the room)."""
        actor = await current_user(self)
        result = await call(
            self, getattr(communities, f"check_{verb}"), self.card.id, *args, actor=actor
        )
        if isinstance(result, Refused):
            return result.toast
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

    @rx.event
    def ask_remove(self, user_id: Any, name: Any) -> None:
        """Open the confirmation; only this tab's dialog changes (the service checks later)."""
        if isinstance(user_id, int) and not isinstance(user_id, bool) and user_id > 0:
            self.removing_id = user_id
            self.removing_name = name[: settings.DISPLAY_NAME_MAX] if isinstance(name, str) else ""

    @rx.event
    def cancel_remove(self) -> None:
        self.removing_id, self.removing_name = 0, ""

    @rx.event
    async def remove_member(self) -> Any:
        """A steward removes the member named in the open confirmation."""
        uid, name = self.removing_id, self.removing_name
        self.removing_id, self.removing_name = 0, ""
        if not uid or not self.card.id:
            return error_toast(NotFound("Choose a member to remove first."))
        result = await self._act("remove_member", uid)
        return result if result is not None else rx.toast.success(f"Removed {name}.")


class CommunityFormState(rx.State):
    """Create a community, or edit one as its steward; errors stay next to fields."""

    errors: dict[str, str] = {}
    editing_id: int = 0
    values: dict[str, str] = {}
    busy: bool = False

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
        card = await call(self, _steward_card, route_param(self, "slug"))
        if isinstance(card, Refused):
            self.editing_id = 0
            return [card.toast, rx.redirect(routes.COMMUNITIES)]
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
        made = await call(
            self,
            lambda session, user: _slug_and_name(
                communities.check_create_community(session, user, _read_form(form_data))
            ),
            errors="errors",
        )
        if isinstance(made, Refused):
            return None
        slug, name = made
        return [
            rx.redirect(routes.community_url(slug)),
            rx.toast.success(f"{name} is ready. Invite people in."),
        ]

    @rx.event
    async def save(self, form_data: Any) -> Any:
        """Save a steward's edits (audited)."""
        self.errors = {}
        if not self.editing_id:
            return error_toast(NotFound("Open a community's settings first."))
        saved = await call(
            self,
            lambda session, user: _slug_and_name(
                communities.check_edit_community(
                    session, user, self.editing_id, _read_form(form_data)
                )
            ),
            errors="errors",
        )
        if isinstance(saved, Refused):
            return None
        slug, _ = saved
        return [rx.redirect(routes.community_url(slug)), rx.toast.success("Changes saved.")]


on_signal("membership", CommunityState.standing_changed)
on_signal("requests", CommunityState.requests_changed)
