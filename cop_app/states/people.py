"""Profiles, the member's own settings, and the navigation's list of their communities."""

from datetime import UTC, datetime
from typing import Any

import reflex as rx

from cop_app.services import accounts, communities, library, stages, users
from cop_app.services.communities import CommunityCard
from cop_app.services.errors import DomainError
from cop_app.services.stages import StageView
from cop_app.services.users import ProfileView
from cop_app.states.auth import AuthState, current_user
from cop_app.states.base import db, form_value, in_thread, route_param


class NavState(rx.State):
    """The left navigation: the member's own communities (a capped list)."""

    mine: list[CommunityCard] = []
    moderates: bool = False

    @rx.event
    async def load(self) -> None:
        """Refresh on every signed-in page load."""
        actor = await current_user(self)
        if actor is None:
            self.mine, self.moderates = [], False
            return
        with db() as session:
            self.mine = communities.list_directory(session, actor, mine_only=True)
        self.moderates = actor.role == "admin" or any(c.my_role == "steward" for c in self.mine)


class ProfileState(rx.State):
    """A public profile at /u/[id]."""

    profile: ProfileView = ProfileView(
        id=0,
        display_name="",
        role="",
        bio="",
        organisation="",
        expertise=[],
        joined_at=datetime(2000, 1, 1, tzinfo=UTC),
    )
    found: bool = False
    missing: str = ""
    stages: list[StageView] = []
    reused: int = 0

    @rx.event
    async def load(self) -> None:
        """Load the profile named in the route, with the person's stage in each community
        and how often others reused their library resources."""
        actor = await current_user(self)
        try:
            with db() as session:
                self.profile = users.profile(session, actor, route_param(self, "id"))
                self.stages = stages.stages_for_user(session, self.profile.id)
                self.reused = library.author_reuse(session, self.profile.id)
            self.found, self.missing = True, ""
        except DomainError as err:
            self.found, self.missing = False, err.message


class SettingsState(rx.State):
    """The member's own profile and password; forms keep what was typed on error."""

    values: dict[str, str] = {}
    profile_errors: dict[str, str] = {}
    password_errors: dict[str, str] = {}
    saving: bool = False

    @rx.event
    async def load(self) -> None:
        """Fill the profile form from the database."""
        actor = await current_user(self)
        self.profile_errors, self.password_errors = {}, {}
        if actor is None:
            self.values = {}
            return
        self.values = {
            "display_name": actor.display_name,
            "bio": actor.bio,
            "organisation": actor.organisation,
            "expertise": actor.expertise,
        }

    @rx.event
    async def save_profile(self, form_data: Any) -> Any:
        """Save name, bio, organisation and expertise tags."""
        self.profile_errors = {}
        actor = await current_user(self)
        try:
            with db() as session:
                user = accounts.update_profile(
                    session,
                    actor,
                    form_value(form_data, "display_name"),
                    form_value(form_data, "bio"),
                    form_value(form_data, "organisation"),
                    form_value(form_data, "expertise"),
                )
                self.values = {
                    "display_name": user.display_name,
                    "bio": user.bio,
                    "organisation": user.organisation,
                    "expertise": user.expertise,
                }
        except DomainError as err:
            self.profile_errors = {err.field or "form": err.message}
            return None
        auth = await self.get_state(AuthState)
        auth.user_name = self.values["display_name"]
        return rx.toast.success("Profile saved.")

    @rx.event
    async def change_password(self, form_data: Any) -> Any:
        """Change the password: every other session is signed out. Hashing runs in a thread."""
        self.password_errors = {}
        actor = await current_user(self)
        auth = await self.get_state(AuthState)
        try:
            token = await in_thread(
                accounts.change_password,
                actor,
                form_value(form_data, "current_password"),
                form_value(form_data, "new_password"),
                auth._client_key(),
            )
        except DomainError as err:
            self.password_errors = {err.field or "form": err.message}
            return None
        auth.session_token = token
        return rx.toast.success("Password changed. Other devices were signed out.")
