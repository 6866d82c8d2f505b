"""Admin and steward tools: the live activity feed, flags, the moderation queue, the audit
log and suspensions. Every handler re-checks the caller; the services check again."""

from typing import Any

import reflex as rx

from cop_app.live import ActivityRoom, feed_window, link_room, unlink_room
from cop_app.services import activity, discussions, feed, moderation
from cop_app.services.errors import DomainError
from cop_app.services.feed import AuditView, EventView
from cop_app.services.moderation import QueueItem
from cop_app.states.admin import AdminUsersState
from cop_app.states.auth import current_user
from cop_app.states.base import db, error_toast, form_value


class FeedState(rx.State):
    """One watcher of the feed: filters, pause, and older pages from the database."""

    allowed: bool = False
    error: str = ""
    group: str = ""
    community: str = ""
    person: str = ""
    paused: bool = False
    paused_at: int = 0
    frozen: list[EventView] = []
    older: list[EventView] = []
    no_more: bool = False
    communities: list[dict[str, str]] = []
    people: list[dict[str, str]] = []

    @rx.event
    async def load(self) -> None:
        """Open the feed: admins see the site, stewards their communities."""
        actor = await current_user(self)
        try:
            with db() as session:
                scope_id = feed.access_feed_room(session, actor)
                options = feed.filter_options(session, actor)
        except DomainError as err:
            self.allowed, self.error = False, err.message
            unlink_room(self, ActivityRoom)
            return
        self.allowed, self.error = True, ""
        self.communities, self.people = options["communities"], options["people"]
        self.paused, self.frozen, self.older, self.no_more = False, [], [], False
        await link_room(self, ActivityRoom, activity.feed_room(scope_id), scope_id)

    def _reset_history(self) -> None:
        self.older, self.no_more = [], False

    @rx.event
    def set_group(self, value: Any) -> None:
        """Filter by kind of event."""
        self.group = value if value in feed.GROUPS else ""
        self._reset_history()

    @rx.event
    def set_community(self, value: Any) -> None:
        """Filter by community (ids come from the options this watcher may see)."""
        ids = {c["id"] for c in self.communities}
        self.community = value if isinstance(value, str) and value in ids else ""
        self._reset_history()

    @rx.event
    def set_person(self, value: Any) -> None:
        """Filter by who acted."""
        ids = {p["id"] for p in self.people}
        self.person = value if isinstance(value, str) and value in ids else ""
        self._reset_history()

    @rx.event
    async def pause(self) -> None:
        """Freeze the list; new events are counted until resume."""
        if not self.allowed:
            return
        room = await self.get_state(ActivityRoom)
        self.frozen = feed_window(room)
        self.paused_at = self.frozen[0].id if self.frozen else 0
        self.paused = True

    @rx.event
    def resume(self) -> None:
        """Show the live list again."""
        self.paused, self.frozen = False, []

    @rx.event
    async def load_older(self) -> Any:
        """The next page of history before the oldest event shown, with the filters."""
        actor = await current_user(self)
        room = await self.get_state(ActivityRoom)
        shown = self.older or self.frozen or feed_window(room)
        before = shown[-1].id if shown else 0
        try:
            with db() as session:
                page = feed.history(
                    session,
                    actor,
                    before_id=before,
                    community_id=self.community or 0,
                    group=self.group,
                    person_id=self.person or 0,
                )
        except DomainError as err:
            return error_toast(err)
        self.older = self.older + page
        self.no_more = not page
        return None


class ModerationState(rx.State):
    """The queue of flagged items and the actions on them."""

    items: list[QueueItem] = []
    error: str = ""

    async def _reload(self) -> None:
        actor = await current_user(self)
        try:
            with db() as session:
                self.items = moderation.queue(session, actor)
            self.error = ""
        except DomainError as err:
            self.items, self.error = [], err.message

    @rx.event
    async def load(self) -> None:
        """Open the queue."""
        await self._reload()

    @rx.event
    async def review(self, action: Any, target_type: Any, target_id: Any) -> Any:
        """Dismiss the flags, hide, or restore an item."""
        actor = await current_user(self)
        try:
            with db() as session:
                verb = moderation.check_review(session, actor, action, target_type, target_id)
        except DomainError as err:
            return error_toast(err)
        await self._reload()
        return rx.toast.success(
            {"dismiss": "Flags dismissed.", "hide": "Hidden.", "restore": "Restored."}[verb]
        )

    @rx.event
    async def lock_thread(self, thread_id: Any) -> Any:
        """Lock the flagged thread against new replies."""
        actor = await current_user(self)
        try:
            with db() as session:
                discussions.moderate_thread(session, actor, thread_id, locked=True)
        except DomainError as err:
            return error_toast(err)
        return rx.toast.success("Thread locked.")


class SuspendState(rx.State):
    """The suspend dialog (from the queue or the users page)."""

    user_id: int = 0
    user_name: str = ""
    open: bool = False
    errors: dict[str, str] = {}

    @rx.event
    def ask(self, user_id: Any, name: Any) -> None:
        """Open the dialog for one person."""
        if isinstance(user_id, int) and isinstance(name, str):
            self.user_id, self.user_name, self.open, self.errors = user_id, name[:80], True, {}

    @rx.event
    def close(self) -> None:
        """Close without suspending."""
        self.open = False

    @rx.event
    async def confirm(self, form_data: Any) -> Any:
        """Suspend now: sessions revoked, every handler refuses the account."""
        actor = await current_user(self)
        try:
            with db() as session:
                moderation.check_suspend(
                    session,
                    actor,
                    self.user_id,
                    form_value(form_data, "reason"),
                    form_value(form_data, "until") or None,
                )
        except DomainError as err:
            self.errors = {err.field or "form": err.message}
            return None
        self.open = False
        # The pages that list people or flags show the new state at once.
        return [
            rx.toast.success(f"{self.user_name} is suspended."),
            AdminUsersState.load,
            ModerationState.load,
        ]


class FlagState(rx.State):
    """The flag dialog on any post or thread."""

    target_type: str = ""
    target_id: int = 0
    open: bool = False
    errors: dict[str, str] = {}

    @rx.event
    def ask(self, target_type: Any, target_id: Any) -> None:
        """Open the dialog for one item."""
        if (
            isinstance(target_type, str)
            and target_type in moderation.TARGETS
            and (isinstance(target_id, int))
        ):
            self.target_type, self.target_id, self.open, self.errors = (
                target_type,
                target_id,
                True,
                {},
            )

    @rx.event
    def close(self) -> None:
        """Close without flagging."""
        self.open = False

    @rx.event
    async def submit(self, form_data: Any) -> Any:
        """Send the flag; moderators see it in their queue."""
        actor = await current_user(self)
        try:
            with db() as session:
                moderation.check_flag(
                    session,
                    actor,
                    self.target_type,
                    self.target_id,
                    form_value(form_data, "reason"),
                    form_value(form_data, "note"),
                )
        except DomainError as err:
            self.errors = {err.field or "form": err.message}
            return None
        self.open = False
        return rx.toast.success("Thanks. Moderators will review it.")


class AuditState(rx.State):
    """The audit log: read-only, filterable, paged."""

    rows: list[AuditView] = []
    action: str = ""
    error: str = ""

    async def _reload(self) -> None:
        actor = await current_user(self)
        try:
            with db() as session:
                self.rows = feed.audit_log(session, actor, self.action)
            self.error = ""
        except DomainError as err:
            self.rows, self.error = [], err.message

    @rx.event
    async def load(self) -> None:
        """Open the audit log."""
        await self._reload()

    @rx.event
    async def set_action(self, value: Any) -> None:
        """Filter by action prefix (e.g. "user." or "content.hide")."""
        if isinstance(value, str):
            self.action = value[:40]
            await self._reload()

    @rx.event
    async def load_older(self) -> Any:
        """The next page."""
        actor = await current_user(self)
        try:
            with db() as session:
                page = feed.audit_log(
                    session, actor, self.action, self.rows[-1].id if self.rows else 0
                )
        except DomainError as err:
            return error_toast(err)
        self.rows = self.rows + page
        return None
