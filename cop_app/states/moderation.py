"""Admin and steward tools: the live activity feed, flags, the moderation queue, the audit
log and suspensions. Every handler re-checks the caller; the services check again."""

from typing import Any

import reflex as rx
from sqlmodel import Session

from cop_app.live import ActivityRoom, feed_window, link_room, unlink_room
from cop_app.models import User
from cop_app.services import activity, discussions, feed, moderation, settings
from cop_app.services.feed import AuditView, EventView
from cop_app.services.moderation import QueueItem
from cop_app.states.admin import AdminUsersState
from cop_app.states.base import Refused, call, form_value


def _feed_access(
    session: Session, actor: User | None
) -> tuple[int, dict[str, list[dict[str, str]]]]:
    return feed.access_feed_room(session, actor), feed.filter_options(session, actor)


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
        """Admins see the site, stewards their communities."""
        found = await call(self, _feed_access)
        if isinstance(found, Refused):
            self.allowed, self.error = False, found.error.message
            unlink_room(self, ActivityRoom)
            return
        scope_id, options = found
        await link_room(self, activity.feed_room(scope_id))  # first: it may be busy
        self.allowed, self.error = True, ""
        self.communities, self.people = options["communities"], options["people"]
        self.paused, self.frozen, self.older, self.no_more = False, [], [], False

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
        room = await self.get_state(ActivityRoom)
        shown = self.older or self.frozen or feed_window(room)
        page = await call(
            self,
            feed.history,
            before_id=shown[-1].id if shown else 0,
            community_id=self.community or 0,
            group=self.group,
            person_id=self.person or 0,
        )
        if isinstance(page, Refused):
            return page.toast
        self.older = self.older + page
        self.no_more = not page
        return None


# What the moderator is told after each decision.
DECIDED = {
    "dismiss": "Flags dismissed.",
    "hide": "Hidden.",
    "keep_hidden": "Kept hidden; the flags are closed.",
    "restore": "Restored.",
    "delete": "Deleted.",
}


class ModerationState(rx.State):
    """The queue of flagged items and the actions on them."""

    items: list[QueueItem] = []
    error: str = ""

    async def _reload(self) -> None:
        items = await call(self, moderation.queue)
        refused = isinstance(items, Refused)
        self.items = [] if refused else items
        self.error = items.error.message if refused else ""

    @rx.event
    async def load(self) -> None:
        """Open the queue."""
        await self._reload()

    @rx.event
    async def review(self, action: Any, target_type: Any, target_id: Any) -> Any:
        """Decide on an item (moderation.REVIEW_VERBS); it leaves the queue."""
        verb = await call(self, moderation.check_review, action, target_type, target_id)
        if isinstance(verb, Refused):
            return verb.toast
        await self._reload()
        return rx.toast.success(DECIDED[verb])

    @rx.event
    async def lock_thread(self, thread_id: Any) -> Any:
        """Lock the flagged thread against new replies."""
        locked = await call(self, discussions.check_moderate_thread, thread_id, locked=True)
        if isinstance(locked, Refused):
            return locked.toast
        return rx.toast.success("Thread locked.")


def _show(dialog: rx.State, **values: Any) -> None:
    """Open a dialog on fresh values, with no error left over from its last use."""
    for name, value in values.items():
        setattr(dialog, name, value)
    dialog.open, dialog.errors = True, {}


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
            _show(self, user_id=user_id, user_name=name[: settings.DISPLAY_NAME_MAX])

    @rx.event
    def close(self) -> None:
        """Close without suspending."""
        self.open = False

    @rx.event
    async def confirm(self, form_data: Any) -> Any:
        """Suspend now: sessions revoked, every handler refuses the account."""
        suspended = await call(
            self,
            moderation.check_suspend,
            self.user_id,
            form_value(form_data, "reason"),
            form_value(form_data, "until") or None,
            errors="errors",
        )
        if isinstance(suspended, Refused):
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
            _show(self, target_type=target_type, target_id=target_id)

    @rx.event
    def close(self) -> None:
        """Close without flagging."""
        self.open = False

    @rx.event
    async def submit(self, form_data: Any) -> Any:
        """Send the flag; moderators see it in their queue."""
        flagged = await call(
            self,
            moderation.check_flag,
            self.target_type,
            self.target_id,
            form_value(form_data, "reason"),
            form_value(form_data, "note"),
            errors="errors",
        )
        if isinstance(flagged, Refused):
            return None
        self.open = False
        return rx.toast.success("Thanks. Moderators will review it.")


class AuditState(rx.State):
    """The audit log: read-only, filterable, paged."""

    rows: list[AuditView] = []
    action: str = ""
    error: str = ""
    no_more: bool = False  # the oldest entry is shown: "Load older" says so instead

    async def _reload(self) -> None:
        rows = await call(self, feed.audit_log, self.action)
        refused = isinstance(rows, Refused)
        self.rows = [] if refused else rows
        self.error = rows.error.message if refused else ""
        self.no_more = refused or len(self.rows) < settings.AUDIT_PAGE_SIZE

    @rx.event
    async def load(self) -> None:
        """Open the audit log."""
        await self._reload()

    @rx.event
    async def set_action(self, value: Any) -> None:
        """Filter by action prefix (e.g. "user." or "content.hide")."""
        if isinstance(value, str):
            self.action = value[: settings.AUDIT_ACTION_FILTER_MAX]
            await self._reload()

    @rx.event
    async def load_older(self) -> Any:
        """The next page before the oldest entry shown; says so when there is none."""
        page = await call(self, feed.audit_log, self.action, self.rows[-1].id if self.rows else 0)
        if isinstance(page, Refused):
            return page.toast
        self.rows = self.rows + page
        self.no_more = len(page) < settings.AUDIT_PAGE_SIZE
        return None
