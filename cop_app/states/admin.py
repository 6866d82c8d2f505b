"""Admin tools: user management (every handler re-checks the admin role in the service)."""

from typing import Any

import reflex as rx
from sqlmodel import Session

from cop_app.models import User
from cop_app.services import accounts, moderation, recovery, settings, users, wording
from cop_app.services.users import UserRow
from cop_app.states.base import Refused, call


def _set_role(session: Session, actor: User | None, user_id: Any, role: Any) -> tuple[str, str]:
    user = users.check_set_role(session, actor, user_id, role)
    return user.display_name, user.role


class AdminUsersState(rx.State):
    """Search and filter users; change site roles; send password reset links."""

    rows: list[UserRow] = []
    query: str = ""
    role: str = ""
    error: str = ""
    # A role chosen in a row's dropdown, waiting for the admin to confirm it (dialog open).
    pending_id: int = 0
    pending_name: str = ""
    pending_role: str = ""

    async def _reload(self) -> None:
        rows = await call(self, users.list_users, self.query, self.role)
        refused = isinstance(rows, Refused)
        self.rows = [] if refused else rows
        self.error = rows.error.message if refused else ""

    @rx.event
    async def load(self) -> None:
        """Open the users page."""
        await self._reload()

    @rx.event
    async def set_query(self, value: Any) -> None:
        """Search by name, email or organisation."""
        if isinstance(value, str):
            self.query = value[: settings.SEARCH_QUERY_MAX]
            await self._reload()

    @rx.event
    async def set_role_filter(self, value: Any) -> None:
        """Filter by site role; 'all' clears it."""
        self.role = value if value in accounts.ROLES else ""
        await self._reload()

    @rx.event
    async def reactivate(self, user_id: Any) -> Any:
        """Lift a suspension (audited)."""
        name = await call(
            self,
            lambda session, actor: (
                moderation.check_reactivate(session, actor, user_id).display_name
            ),
        )
        if isinstance(name, Refused):
            return name.toast
        message = f"{name} is active again."
        await self._reload()
        return rx.toast.success(message)

    @rx.event
    def ask_role(self, user_id: Any, role: Any) -> None:
        """The dropdown only asks: the change waits for the confirmation dialog."""
        row = next((r for r in self.rows if r.id == user_id), None)
        if row is None or role not in accounts.ROLES or role == row.role:
            return
        self.pending_id, self.pending_name, self.pending_role = row.id, row.display_name, role

    @rx.event
    def cancel_role(self) -> None:
        """Keep the role as it is."""
        self.pending_id, self.pending_name, self.pending_role = 0, "", ""

    @rx.event
    async def confirm_role(self) -> Any:
        """Apply the role the admin confirmed (the service checks again)."""
        user_id, role = self.pending_id, self.pending_role
        self.cancel_role()
        return await self._apply_role(user_id, role)

    @rx.event
    async def change_role(self, user_id: Any, role: Any) -> Any:
        """Change a person's site role (audited)."""
        return await self._apply_role(user_id, role)

    async def _apply_role(self, user_id: Any, role: Any) -> Any:
        changed = await call(self, _set_role, user_id, role)
        if isinstance(changed, Refused):
            return changed.toast
        name, role = changed
        message = f"{name} is now {wording.with_article(role)}."
        await self._reload()
        return rx.toast.success(message)

    @rx.event
    async def send_reset(self, user_id: Any) -> Any:
        """Mail a person a password reset link (admins only, audited)."""
        name = await call(
            self,
            lambda session, actor: (
                recovery.check_admin_request_reset(session, actor, user_id).display_name
            ),
        )
        if isinstance(name, Refused):
            return name.toast
        return rx.toast.success(f"A password reset link is on its way to {name}.")
