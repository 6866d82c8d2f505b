"""The impact dashboard's handlers: choose a view and a period, watch it live, export CSV.

Every handler proves access in the service (services/impact: `check_open`, `csv_for`), so a
steward cannot open or export another community's figures whatever the browser sends.
"""

from typing import Any

import reflex as rx

from cop_app.live import ImpactRoom, link_impact, unlink_room
from cop_app.services import impact, settings
from cop_app.services.rooms import RoomKey, RoomKind
from cop_app.states.base import Refused, call, typed


class ImpactState(rx.State):
    """One viewer's choices: which view (every community, one, or their mentees) and which
    period; the figures themselves are in the shared ImpactRoom it links to."""

    allowed: bool = False
    error: str = ""
    options: list[dict[str, str]] = []
    view: str = ""
    preset: str = "30"
    first: str = ""
    last: str = ""
    range_error: str = ""

    @rx.event
    async def load(self) -> None:
        """Open the dashboard: the views this person may pick, the first one shown."""
        found = await call(self, impact.options)
        if isinstance(found, Refused):
            self.allowed, self.error, self.options = False, found.error.message, []
            unlink_room(self, ImpactRoom)
            return
        self.allowed, self.error, self.options = True, "", found
        view = self.view if self.view in {o["id"] for o in found} else found[0]["id"]
        preset = self.preset if self.preset in (*impact.periods.PRESETS, "custom") else "30"
        await self._open(view, preset)

    async def _open(self, view: str, preset: str) -> Any:
        """Show `view` over `preset`; the picks change only once the room is joined, so a
        refused or busy one (`live.Busy`) leaves the page as it was."""
        ident = await call(self, impact.check_open, view, preset, self.first, self.last)
        if isinstance(ident, Refused):
            if ident.error.field == "range":
                self.preset, self.range_error = preset, ident.error.message
                return None
            self.allowed, self.error = False, ident.error.message
            unlink_room(self, ImpactRoom)
            return ident.toast
        await link_impact(self, RoomKey(RoomKind.IMPACT, ident))
        self.view, self.preset, self.range_error = view, preset, ""
        return None

    @rx.event
    async def set_view(self, value: Any) -> Any:
        """Show another view (the service re-checks it is one this person may see)."""
        if not isinstance(value, str) or value not in {o["id"] for o in self.options}:
            return rx.toast.error("Choose one of the listed views.")
        return await self._open(value, self.preset)

    @rx.event
    async def set_preset(self, value: Any) -> Any:
        """Last 7, 30 or 90 days, or a custom range (applied once both dates are given)."""
        if value not in (*impact.periods.PRESETS, "custom"):
            return rx.toast.error("Choose 7, 30 or 90 days, or a custom range.")
        if value == "custom" and not (self.first and self.last):
            self.preset = value  # the date fields show; nothing to open yet
            return None
        return await self._open(self.view, value)

    @rx.event
    def set_first(self, value: Any) -> None:
        """The custom range's first day (YYYY-MM-DD), kept as typed."""
        self.first = typed(value, settings.DATE_INPUT_MAX)

    @rx.event
    def set_last(self, value: Any) -> None:
        """The custom range's last day (YYYY-MM-DD), kept as typed."""
        self.last = typed(value, settings.DATE_INPUT_MAX)

    @rx.event
    async def apply_range(self) -> Any:
        """Show the custom range; a bad range says why and keeps what was typed."""
        return await self._open(self.view, "custom")

    @rx.event
    async def download(self, key: Any) -> Any:
        """One measure as CSV, from exactly the values this tab shows."""
        room = await self.get_state(ImpactRoom)
        result = await call(self, impact.csv_for, room.ident, list(room.sections), key)
        if isinstance(result, Refused):
            return result.toast
        name, text = result
        return rx.download(data=text, filename=name)
