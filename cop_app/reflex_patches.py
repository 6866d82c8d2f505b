"""Fixes to Reflex 0.10.1's shared states and event queue, applied when the app starts.

Upstream issues worked around: reflex-dev/reflex#6746 (a linked room is fanned out after
every event of a linked tab) and the disk state manager's purge of expired states on every
pass of its write queue. The patches replace private Reflex functions, so `apply()` refuses
to start on any Reflex version but the one they were written for.

Reflex fans a linked room out to every other linked tab after ANY event of a tab linked
to it, even one that changed nothing in the room (its `_previous_dirty_vars` is a set, so
`is not None` is always true). With a room of N viewers every no-op event then costs N
state loads and N full copies of the room; bench/ measured 498 ms of CPU per ping at 100
viewers. Here a room is fanned out only when the event touched it or changed its vars;
rooms changed by `live.publish` (through the room's own token) are unaffected.

Two more, measured in bench/ (py-spy): linking a tab to a room marks every room var dirty
so that tab gets the whole room, and Reflex fanned that out too: each new viewer of a
thread with N viewers cost N state loads. Such marks now stay with the linking tab. And
the disk state manager listed and stat-ed every state file on each pass of its write
queue (several times a second under load, ~10% of the backend's CPU); it now purges
expired files once a minute.

Lock order (cop_app issue 13; no upstream Reflex issue found for it yet): an event locks
its tab, then every room the tab links, in the order the tab happened to link them; and a
handler that links a new room (`live.link_room`) locks it while still holding the rooms
linked before. Two tabs switching threads A→B and B→A at once each held one room and waited
for the other's: with the disk state manager (locks never expire) both tabs, and every tab
behind them, waited for ever. Here rooms are locked at the start of an event in one global
order (`lock_order`), and a lock taken out of that order is waited for at most a few
seconds inside `lock_wait()`, failing with `LockBusy` instead (Redis locks expire anyway); a room
patched in lazily (below) is waited for the same way.

Reflex also locked and copied every room a tab links to into the tab's tree at the start of
EACH of its events (reflex-dev/reflex#6746; on the Redis manager only rooms already loaded,
on the disk and memory managers always), then re-resolved the whole tree's delta (#6392):
with the bell's room linked on every signed-in page, half of a no-op event's CPU. A room is
now patched in the first time the event asks for it (`get_state`, which the event's own
handler also goes through), or before a hydrate snapshots the whole tree; a room that a
computed var of another state reads stays patched eagerly.

And one guard (issue 12): every event, from a socket or chained by a handler, passes
`event_guard.refusal` before it is queued. A refused event (a lone surrogate anywhere, a
payload that is not a dict of names) never loads or changes state: the tab gets a toast,
the log one rate-limited line, and the tab keeps working.
"""

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from importlib import metadata
from types import TracebackType
from typing import Any

import reflex as rx
from reflex.istate.manager.disk import StateManagerDisk
from reflex.istate.manager.memory import StateManagerMemory
from reflex.istate.shared import SharedState, SharedStateBaseInternal, _do_update_other_tokens
from reflex.state import BaseState, State
from reflex_base.event import Event
from reflex_base.event.context import EventContext
from reflex_base.event.processor.event_processor import EventProcessor
from reflex_base.event.processor.future import EventFuture
from reflex_base.utils.exceptions import ReflexRuntimeError

from cop_app import event_guard
from cop_app.services.errors import BUSY_MESSAGE, Busy

# Rooms linked during the event a holder (a tab's tree) is processing, by holder.
_linked_now: dict[int, set[str]] = {}
# Rooms a holder links to that its current event has not touched yet: {full name: token}.
_deferred: dict[int, dict[str, str]] = {}
_original_link_to = SharedState._link_to
_original_get_state = BaseState.get_state
_original_purge = StateManagerDisk._purge_expired_states
_original_enqueue = EventProcessor.enqueue
_original_modify = {cls: cls.modify_state for cls in (StateManagerDisk, StateManagerMemory)}
# The longest wait for a lock taken out of order, and the task it applies to (not the tasks
# that task spawns: they hold none of its locks).
_lock_wait: ContextVar[tuple[float, asyncio.Task | None] | None] = ContextVar(
    "cop_lock_wait", default=None
)
PURGE_EVERY_SECONDS = 60.0
# A room patched in when first read waits this long for its lock, then the tab is told busy.
LAZY_ROOM_WAIT_SECONDS = 4.0
WRITTEN_FOR_REFLEX = "0.10.1"


async def _link_to(self: SharedState, token: str) -> SharedState:
    """Reflex's `_link_to`, remembering the room so its full-state marks reach this tab only."""
    already = self._linked_to == token
    linked = await _original_link_to(self, token)
    if not already:
        holder = id(linked._linked_locks_holder())
        _linked_now.setdefault(holder, set()).add(linked.get_full_name())
    return linked


class LockBusy(ReflexRuntimeError):
    """A lock taken out of order was not free within `lock_wait`'s seconds: nothing was
    locked, and the holder may well be waiting for a lock this task holds."""


def lock_order(token: str) -> tuple[str, int]:
    """The one order rooms are locked in: by kind, then by number ("user-9" before
    "user-10", as `live.publish_members` locks members' rooms)."""
    kind, _, number = token.rpartition("-")
    return (kind, int(number)) if kind and number.isdigit() else (token, -1)


@contextlib.contextmanager
def lock_wait(seconds: float) -> Iterator[None]:
    """Within this block, this task waits at most `seconds` for a state lock (disk and
    memory state managers), then gets `LockBusy`: for locks taken out of `lock_order`."""
    reset = _lock_wait.set((seconds, asyncio.current_task()))
    try:
        yield
    finally:
        _lock_wait.reset(reset)


class _TimedLock:
    """A state manager's `modify_state` whose lock is waited for at most `seconds`."""

    def __init__(self, inner: contextlib.AbstractAsyncContextManager[Any], seconds: float):
        self.inner, self.seconds = inner, seconds

    async def __aenter__(self) -> Any:
        try:
            async with asyncio.timeout(self.seconds):
                return await self.inner.__aenter__()
        except TimeoutError:
            msg = f"a state lock stayed held for {self.seconds} s"
            raise LockBusy(msg) from None

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return await self.inner.__aexit__(kind, exc, tb)


def _timed_modify_state(cls: type) -> Callable[..., Any]:
    """The manager's `modify_state`, its lock waited for at most `lock_wait`'s seconds."""
    original = _original_modify[cls]

    def modify_state(self: Any, token: Any, **context: Any) -> Any:
        inner = original(self, token, **context)
        wait = _lock_wait.get()
        if wait is None or wait[1] is not asyncio.current_task():
            return inner
        return _TimedLock(inner, wait[0])

    return modify_state


def _purge_expired_states(self: StateManagerDisk) -> None:
    """Reflex's purge of expired state files, at most once a minute (tokens live for days)."""
    now = time.monotonic()
    if now - getattr(self, "_cop_last_purge", -PURGE_EVERY_SECONDS) < PURGE_EVERY_SECONDS:
        return
    self._cop_last_purge = now  # type: ignore[attr-defined]
    _original_purge(self)


class _LinkedStates:
    """Reflex's own `_modify_linked_states`, propagating only real changes of a room and
    patching in rooms only when asked (see `_get_state`). A plain async context manager: it
    wraps every event of every tab, and a generator-based one cost more than its work."""

    __slots__ = ("_holder", "_previous", "_stack", "_state")

    def __init__(
        self, state: SharedStateBaseInternal, previous_dirty_vars: dict[str, set[str]] | None
    ) -> None:
        """Remember the tree's shared-state base and the dirty vars a fan-out applies."""
        self._state = state
        self._previous = previous_dirty_vars
        self._holder = state._linked_locks_holder()
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> None:
        """Patch in the rooms a fan-out changes; defer the others until read."""
        state, holder, previous = self._state, self._holder, self._previous
        if holder._exit_stack is not None:
            msg = "Cannot nest _modify_linked_states contexts."
            raise ReflexRuntimeError(msg)
        links: dict[str, str] | None = state.get_value("_reflex_internal_links")
        if links is None:
            msg = "No linked states to modify."
            raise ReflexRuntimeError(msg)
        holder._exit_stack = self._stack
        holder._held_locks = {}
        deferred: dict[str, str] = {}
        try:
            root = state.get_root_state()
            for name, token in sorted(links.items(), key=lambda i: lock_order(i[1])):
                cls = root.get_class_substate(name)
                try:
                    original = state._get_state_from_cache(cls)
                except ValueError:
                    continue
                dirty = previous.get(name) if previous else None
                if not dirty and _may_defer(cls):
                    deferred[name] = token
                    continue
                linked = await _patch_in(original, token)
                if dirty:
                    linked.dirty_vars.update(dirty)
                    linked._mark_dirty()
        except BaseException:
            try:
                await self._stack.aclose()  # the locks taken so far
            finally:
                self._forget()
            raise
        if deferred:
            _deferred[id(holder)] = deferred

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc: Any) -> bool:
        """Release the rooms; fan out what this event changed in them to their other tabs."""
        state, holder = self._state, self._holder
        current_dirty_vars: dict[str, set[str]] = {}
        affected_tokens: set[str] = set()
        try:
            if exc_type is None:
                just_linked = _linked_now.pop(id(holder), set())
                for linked_state in state._held_locks_linked_states():
                    # Only this event's own changes count; `_was_touched` stays set in memory.
                    changed = linked_state._previous_dirty_vars
                    if changed and linked_state.get_full_name() not in just_linked:
                        current_dirty_vars[linked_state.get_full_name()] = set(changed)
                        mine = state.rx_router_session.client_token
                        affected_tokens.update(t for t in linked_state._linked_from if t != mine)
                if not state.get_value("_reflex_internal_links"):
                    base = await state.get_state(SharedStateBaseInternal)
                    if not isinstance(base, SharedStateBaseInternal):
                        msg = "Expected SharedStateBaseInternal in substates."
                        raise ReflexRuntimeError(msg)
                    base._collect_shared_token_updates(affected_tokens, current_dirty_vars)
            suppressed = bool(await self._stack.__aexit__(exc_type, *exc))
        finally:
            self._forget()
        if (exc_type is None or suppressed) and self._previous is None and affected_tokens:
            _do_update_other_tokens(
                affected_tokens=affected_tokens,
                previous_dirty_vars=current_dirty_vars,
                state_type=type(state),
            )
        return suppressed

    def _forget(self) -> None:
        """This tree holds no rooms any more."""
        holder = self._holder
        holder._exit_stack = None
        _linked_now.pop(id(holder), None)
        _deferred.pop(id(holder), None)


def _modify_linked_states(
    self: SharedStateBaseInternal, previous_dirty_vars: dict[str, set[str]] | None = None
) -> _LinkedStates:
    """Reflex's `_modify_linked_states` (an async context manager), as `_LinkedStates`."""
    return _LinkedStates(self, previous_dirty_vars)


@functools.cache
def _may_defer(room: type[BaseState]) -> bool:
    """Whether a room can wait to be patched in until a handler asks for it: no computed var
    of another state reads it (those would otherwise compute from the tab's private copy)."""
    own = room.get_full_name()
    return all(name == own for deps in room._var_dependencies.values() for name, _ in deps)


async def _patch_in(original: SharedState, token: str) -> SharedState:
    """Lock the room a tab links to and put it in the tab's tree, as Reflex does."""
    linked = await original._internal_patch_linked_state(token)
    if linked._previous_dirty_vars is not None:
        # What an earlier event changed must not count as this event's change.
        linked._previous_dirty_vars.clear()
    return linked


async def _get_state(self: BaseState, state_cls: type[BaseState]) -> BaseState:
    """Reflex's `get_state`, patching in a linked room the first time this event asks for it
    (reflex-dev/reflex#6746): an event that never reads a room never locks or copies it."""
    state = await _original_get_state(self, state_cls)
    if _deferred and isinstance(state, SharedState):
        rooms = _deferred.get(id(state._linked_locks_holder()))
        if rooms and (token := rooms.pop(state_cls.get_full_name(), None)) is not None:
            # Locked after the event's other rooms, so out of `lock_order`: wait a while only.
            try:
                with lock_wait(LAZY_ROOM_WAIT_SECONDS):
                    return await _patch_in(state, token)
            except LockBusy:
                raise Busy(BUSY_MESSAGE) from None
    return state


async def _patch_deferred(state: BaseState) -> None:
    """Patch in every room this tab links to: a hydrate sends the whole tree."""
    holder = await _original_get_state(state, SharedStateBaseInternal)
    root = state._get_root_state()
    rooms = _deferred.get(id(holder), {})
    for name in sorted(rooms, key=lambda n: lock_order(rooms[n])):
        await state.get_state(root.get_class_substate(name))


def _rooms_first(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """A hydrate handler that first patches in the tab's rooms, so its snapshot has them."""

    @functools.wraps(fn)
    async def hydrate(self: BaseState, *args: Any, **kwargs: Any) -> Any:
        await _patch_deferred(self)
        return await fn(self, *args, **kwargs)

    hydrate.__cop_rooms_first__ = True  # type: ignore[attr-defined]
    return hydrate


async def _enqueue(
    self: EventProcessor, token: str, event: Event, ev_ctx: EventContext | None = None
) -> EventFuture:
    """Reflex's `enqueue`, refusing a malformed event, or one over the tab's rate, before any
    state is touched."""
    refused = event_guard.refusal_for(token, event)
    if refused is None:
        return await _original_enqueue(self, token, event, ev_ctx)
    kind, message = refused
    event_guard.log_refused(event, kind)
    root = self._root_context
    if message is not None and root is not None and root.emit_event_impl is not None:
        toast = Event.from_event_type(rx.toast.error(message, id="refused_event"))
        await root.emit_event_impl(token, *toast)
    done = EventFuture(txid=f"refused-{id(event)}")
    done.set_result(None)
    return done


def apply() -> None:
    """Install the fix (idempotent); refuses any Reflex but the version it was written for."""
    installed = metadata.version("reflex")
    if installed != WRITTEN_FOR_REFLEX:
        msg = (
            f"cop_app.reflex_patches replaces private functions of Reflex {WRITTEN_FOR_REFLEX}, "
            f"but Reflex {installed} is installed: pin reflex=={WRITTEN_FOR_REFLEX} or re-check "
            "each patch against the new version (and whether upstream fixed it) first."
        )
        raise RuntimeError(msg)
    if SharedStateBaseInternal._modify_linked_states is _modify_linked_states:
        return
    SharedStateBaseInternal._modify_linked_states = _modify_linked_states  # type: ignore[method-assign]
    SharedState._link_to = _link_to  # type: ignore[method-assign]
    StateManagerDisk._purge_expired_states = _purge_expired_states  # type: ignore[method-assign]
    EventProcessor.enqueue = _enqueue  # type: ignore[method-assign]
    BaseState.get_state = _get_state  # type: ignore[method-assign]
    for cls in _original_modify:
        cls.modify_state = _timed_modify_state(cls)  # type: ignore[method-assign]
    for name in ("hydrate", "hydrate_and_load"):
        handler = State.event_handlers[name]
        if not getattr(handler.fn, "__cop_rooms_first__", False):
            object.__setattr__(handler, "fn", _rooms_first(handler.fn))
