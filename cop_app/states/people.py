"""Profiles, the member's own settings, and the navigation's list of their communities."""

from datetime import UTC, datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from cop_app.models import User
from cop_app.services import accounts, communities, library, moderation, stages, users
from cop_app.services.access import require_user
from cop_app.services.communities import CommunityCard
from cop_app.services.stages import StageView
from cop_app.services.users import ProfileView
from cop_app.states.auth import AuthState, current_user
from cop_app.states.base import Refused, call, form_value, route_param


def _nav(session: Session, actor: User | None) -> tuple[list[CommunityCard], bool]:
    """The member's communities, and whether they moderate anything (the service says)."""
    mine = communities.list_directory(session, actor, mine_only=True)
    return mine, moderation.stewarded_ids(session, require_user(actor)) != []


def _profile(
    session: Session, actor: User | None, user_id: str
) -> tuple[ProfileView, list[StageView], int]:
    """The profile, the person's stage in each community, and how often others reused
    their library resources."""
    profile = users.profile(session, actor, user_id)
    return (
        profile,
        stages.stages_for_user(session, profile.id),
        library.author_reuse(session, profile.id),
    )


def _profile_values(user: User) -> dict[str, str]:
    return {
        "display_name": user.display_name,
        "bio": user.bio,
        "organisation": user.organisation,
        "expertise": user.expertise,
    }


class NavState(rx.State):
    """The left navigation: the member's own communities (a capped list)."""

    mine: list[CommunityCard] = []
    moderates: bool = False

    @rx.event
    async def load(self) -> None:
        """Refreshed on every signed-in page load: joining elsewhere shows at once."""
        nav = await call(self, _nav)
        self.mine, self.moderates = ([], False) if isinstance(nav, Refused) else nav


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
        found = await call(self, _profile, route_param(self, "id"))
        if isinstance(found, Refused):
            self.found, self.missing = False, found.error.message
            return
        self.profile, self.stages, self.reused = found
        self.found, self.missing = True, ""


class SettingsState(rx.State):
    """The member's own profile and password; forms keep what was typed on error."""

    values: dict[str, str] = {}
    profile_errors: dict[str, str] = {}
    password_errors: dict[str, str] = {}
    saving: bool = False

    @rx.event
    async def load(self) -> None:
        """Fill the profile form from the database."""
        self.profile_errors, self.password_errors = {}, {}
        actor = await current_user(self)
        self.values = _profile_values(actor) if actor is not None else {}

    @rx.event
    async def save_profile(self, form_data: Any) -> Any:
        """Save name, bio, organisation and expertise tags."""
        values = await call(
            self,
            lambda session, user: _profile_values(
                accounts.check_update_profile(
                    session,
                    user,
                    form_value(form_data, "display_name"),
                    form_value(form_data, "bio"),
                    form_value(form_data, "organisation"),
                    form_value(form_data, "expertise"),
                )
            ),
            errors="profile_errors",
        )
        if isinstance(values, Refused):
            return None
        self.values = values
        auth = await self.get_state(AuthState)
        auth.user_name = self.values["display_name"]
        return rx.toast.success("Profile saved.")

    @rx.event
    async def change_password(self, form_data: Any) -> Any:
        """Every other session is signed out; hashing runs off the event loop."""
        auth = await self.get_state(AuthState)
        token = await call(
            self,
            accounts.check_change_password,
            form_value(form_data, "current_password"),
            form_value(form_data, "new_password"),
            auth._client_key(),
            errors="password_errors",
            off_loop=True,
        )
        if isinstance(token, Refused):
            return None
        auth.session_token = token
        return rx.toast.success("Password changed. Other devices were signed out.")
