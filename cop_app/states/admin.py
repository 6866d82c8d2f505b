"""Admin tools: user management (every handler re-checks the admin role in the service)."""

from typing import Any

import reflex as rx

from cop_app.services import moderation, recovery, users
from cop_app.services.errors import DomainError
from cop_app.services.users import UserRow
from cop_app.states.auth import current_user
from cop_app.states.base import db, error_toast


class AdminUsersState(rx.State):
    """Search and filter users; change site roles; send password reset links."""

    rows: list[UserRow] = []
    query: str = ""
    role: str = ""
    error: str = ""

    async def _reload(self) -> None:
        actor = await current_user(self)
        try:
            with db() as session:
                self.rows = users.list_users(session, actor, self.query, self.role)
            self.error = ""
        except DomainError as err:
            self.rows, self.error = [], err.message

    @rx.event
    async def load(self) -> None:
        """Open the users page."""
        await self._reload()

    @rx.event
    async def set_query(self, value: Any) -> None:
        """Search by name, email or organisation."""
        if isinstance(value, str):
            self.query = value[:100]
            await self._reload()

    @rx.event
    async def set_role_filter(self, value: Any) -> None:
        """Filter by site role; 'all' clears it."""
        self.role = value if value in ("member", "mentor", "admin") else ""
        await self._reload()

    @rx.event
    async def reactivate(self, user_id: Any) -> Any:
        """Lift a suspension (audited)."""
        actor = await current_user(self)
        try:
            with db() as session:
                user = moderation.check_reactivate(session, actor, user_id)
                message = f"{user.display_name} is active again."
        except DomainError as err:
            return error_toast(err)
        await self._reload()
        return rx.toast.success(message)

    @rx.event
    async def change_role(self, user_id: Any, role: Any) -> Any:
        """Change a person's site role (audited)."""
        actor = await current_user(self)
        try:
            with db() as session:
                user = users.check_set_role(session, actor, user_id, role)
                message = f"{user.display_name} is now a {user.role}."
        except DomainError as err:
            return error_toast(err)
        await self._reload()
        return rx.toast.success(message)

    @rx.event
    async def send_reset(self, user_id: Any) -> Any:
        """Mail a person a password reset link (admins only, audited)."""
        actor = await current_user(self)
        try:
            with db() as session:
                user = recovery.check_admin_request_reset(session, actor, user_id)
                message = f"A password reset link is on its way to {user.display_name}."
        except DomainError as err:
            return error_toast(err)
        return rx.toast.success(message)
