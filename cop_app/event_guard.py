"""The entry gate for browser events, and one-line, rate-limited logs of what it refuses.

Any browser can send any event. A string holding a lone UTF-16 surrogate ("\\ud800": valid in
JSON, not encodable as UTF-8) used to reach a text setter, be stored in the tab's state, and
then break every delta and every later hydrate of that tab when the socket encoded it. The
gate refuses such an event before any state is loaded, answers the tab with a toast, and
logs one line; `reflex_patches` installs it on Reflex's event queue, so every handler and
every payload is covered at once. Handler exceptions are logged the same way, one line each,
instead of a full traceback per event.

The gate also limits how fast one tab may send (issue 13: a tab flooding events without
waiting for replies made Reflex process its whole queue ~2.5x slower): a token bucket per
tab; an event over the limit is dropped before any state is loaded, and the tab is told once
per few seconds, not once per event.
"""

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import reflex as rx
from reflex_base.event import Event, EventSpec

from cop_app.services import settings
from cop_app.services.errors import Busy

logger = logging.getLogger("cop_app.events")

UNSAVABLE_TEXT = "That text contains characters that cannot be saved."
MALFORMED = "That request could not be understood, so nothing was changed."
HANDLER_FAILED = "Something went wrong on our side; please try again."
TOO_FAST = (
    "You are sending actions faster than the site can take them, so the last ones were "
    "ignored. Wait a moment, then try again."
)


def _valid_text(value: str) -> bool:
    """A string that encodes to UTF-8 (no lone surrogates); ASCII, as nearly all are, is."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _has_unsavable_text(value: object) -> bool:
    """Any string in this JSON-shaped value, key or item, at any depth, that UTF-8 refuses."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not _valid_text(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def refusal(event: Event) -> tuple[str, str] | None:
    """Why this event must not reach a handler, as (log kind, message for the person), or
    None when it may. Events built by the server pass unchanged: they are dicts of names."""
    if not isinstance(event.name, str) or not isinstance(event.payload, dict):
        return "malformed", MALFORMED
    if not all(isinstance(key, str) for key in event.payload):
        return "malformed", MALFORMED
    if not isinstance(event.router_data, dict):
        return "malformed", MALFORMED
    if _has_unsavable_text([event.name, event.payload, event.router_data]):
        return "unsavable-text", UNSAVABLE_TEXT
    return None


@dataclass
class TabRate:
    """A token bucket per tab (its Reflex token): `burst` events at once, refilled at `rate`
    a second. Idle tabs are forgotten, so the table stays as small as the open tabs."""

    rate: float
    burst: float
    notice_seconds: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # level, at
    _told: dict[str, float] = field(default_factory=dict)
    _swept: float = 0.0

    def allow(self, token: str) -> bool:
        """Take one event from the tab's bucket; False when it is empty."""
        now = self.clock()
        level, at = self._buckets.get(token, (self.burst, now))
        level = min(self.burst, level + (now - at) * self.rate)
        allowed = level >= 1.0
        self._buckets[token] = (level - 1.0 if allowed else level, now)
        if now - self._swept > 60.0:
            self._sweep(now)
        return allowed

    def tell(self, token: str) -> bool:
        """Whether to tell this tab about a refusal now (once per `notice_seconds`)."""
        now = self.clock()
        if now - self._told.get(token, float("-inf")) < self.notice_seconds:
            return False
        self._told[token] = now
        return True

    def _sweep(self, now: float) -> None:
        full_after = self.burst / self.rate
        self._buckets = {t: b for t, b in self._buckets.items() if now - b[1] < full_after}
        self._told = {t: at for t, at in self._told.items() if now - at < self.notice_seconds}
        self._swept = now


tab_rate = TabRate(
    settings.TAB_EVENTS_PER_SECOND, settings.TAB_EVENT_BURST, settings.TAB_FLOOD_NOTICE_SECONDS
)


def refusal_for(token: str, event: Event) -> tuple[str, str | None] | None:
    """`refusal`, then the tab's rate: (log kind, message or None when the tab was already
    told about its flood), or None when the event may be queued."""
    if not tab_rate.allow(token):
        return "flood", TOO_FAST if tab_rate.tell(token) else None
    return refusal(event)


@dataclass
class _Window:
    started: float
    logged: int = 0
    dropped: int = 0


@dataclass
class LimitedLog:
    """At most `limit` lines per kind per window of `seconds`; the first line of the next
    window reports how many were dropped, so a flood costs a few lines, not a full disk."""

    log: logging.Logger
    limit: int
    seconds: float
    clock: Callable[[], float] = time.monotonic
    _windows: dict[str, _Window] = field(default_factory=dict)

    def line(self, kind: str, message: str) -> None:
        """Log one line of this kind unless its window is full."""
        now = self.clock()
        window = self._windows.get(kind)
        if window is None or now - window.started >= self.seconds:
            if window is not None and window.dropped:
                self.log.warning(
                    "%s: %d more lines suppressed in the last %d s",
                    kind,
                    window.dropped,
                    self.seconds,
                )
            window = self._windows[kind] = _Window(started=now)
        if window.logged < self.limit:
            window.logged += 1
            self.log.warning("%s: %s", kind, message)
        else:
            window.dropped += 1


limited_log = LimitedLog(
    logger,
    settings.EVENT_LOG_LINES_PER_WINDOW,
    settings.EVENT_LOG_WINDOW.total_seconds(),
)


def _short(text: object, limit: int = 120) -> str:
    """A log-safe excerpt on one line: newlines and non-ASCII escaped, bounded length."""
    return str(text).encode("unicode_escape").decode("ascii")[:limit]


def log_refused(event: Event, kind: str) -> None:
    """One line for one refused event: which handler it named, never the payload."""
    limited_log.line(kind, f"refused event {_short(event.name)}")


def backend_exception_handler(exception: Exception) -> EventSpec:
    """Reflex calls this when a handler raises: one line (the exception and where it was
    raised), rate-limited per exception type, and a toast instead of a stack trace. A busy
    room is no fault: the tab is told to try again, and no line is logged."""
    if isinstance(exception, Busy):
        return rx.toast.warning(exception.message, id="busy")
    frames = traceback.extract_tb(exception.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    limited_log.line(
        f"handler-error {type(exception).__name__}", f"{_short(str(exception), 200)}{where}"
    )
    return rx.toast.error(HANDLER_FAILED, id="backend_error")
