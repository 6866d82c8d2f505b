"""Play many browser clients against a Reflex 0.10 backend over its event socket.

Why a hand-written Socket.IO client: the load generator shares a 2-core
machine with the backend, so every client must cost as little CPU as
possible, and python-socketio's asyncio client needs aiohttp, which is not
installed. Reflex only uses the websocket transport (``allow_upgrades=False``),
so the protocol a client needs is small and spelled out here:

* Engine.IO v4 over one websocket at ``ws://HOST:PORT/_event/?EIO=4&
  transport=websocket&token=<uuid4>``, the token being the browser tab's
  session token (``sessionStorage.token`` in the real frontend). The server
  opens with ``0{"sid":..,"pingInterval":25000,..}``, pings with ``2`` and
  expects ``3`` back, or it drops the socket after ``pingTimeout``.
* Socket.IO v5 packets inside Engine.IO messages (prefix ``4``), all in the
  ``/_event`` namespace: ``0/_event,{auth}`` connects, the server answers
  ``0/_event,{"sid":..}``; events are ``2/_event,["<name>",<data>]``.

Reflex 0.10.1 specifics, read from ``reflex/app.py`` (``EventNamespace``),
``reflex/state.py`` (``State.hydrate_and_load``) and the frontend runtime
``reflex_base/.templates/web/utils/state.js`` + ``compiler/templates.py``
(``initialEvents``):

* There is no separate hydrate event after connecting any more: the frontend
  puts its boot event into the Socket.IO CONNECT packet's auth payload,
  ``{"event": <hydrate_and_load event>, "state_schema": "<md5>"}``, and the
  backend processes it inside ``on_connect``. :meth:`Client.hydrate` sends
  exactly that packet.
* The boot event is ``reflex___state____state.hydrate_and_load`` with payload
  ``{"vars": {<client storage key>: <string value>}, "hashes": [..]}``; each
  key is only present when non-empty / on the first load. Client storage keys
  are ``"<state full name>.<var>_rx_state_"`` (cookies, LocalStorage and
  SessionStorage alike; values are the raw strings the browser stored).
* Every event carries ``router_data = {"pathname", "asPath", "query"?}``
  taken from the page URL, and ``query`` also holds dynamic route params.
* The backend answers with ``2/_event,["event",{"delta": {...},
  "events": [...]}]``. ``StateUpdate.final`` is deprecated and never sent, so
  nothing marks an event as finished: an event is done when its delta
  arrives. A handler that changes nothing sends nothing at all, which is why
  :meth:`Client.send` can send a ``barrier`` event (events of one token run
  strictly in order for non-background handlers) and wait for its delta.
* The page is hydrated when the root state's ``is_hydrated_rx_state_`` turns
  true, the same signal the frontend waits for.

Typical use (see bench/bare_baseline.py for a complete run)::

    backend = start_backend("bench/bare_app", {}, 8131)
    clients, hydrate_stats = await connect_clients(backend.base_url, 100)
    inc = Ev(event_name("bare_app.bare_app.State", "increment"))
    stats = await run_closed_loop(clients, lambda client, i: inc, duration=10)
    await close_clients(clients)
    stop_backend(backend)

Everything here is bounded: loops run to a count and a deadline, waits have
timeouts, and only loopback addresses are accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import importlib.metadata
import ipaddress
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin, Subprotocol

# --- Names --------------------------------------------------------------------

#: Full name of ``rx.State``, the root of every app's state tree.
ROOT_STATE = "reflex___state____state"
#: Suffix Reflex appends to every var name in deltas and client storage keys.
FIELD_MARKER = "_rx_state_"
#: Socket.IO namespace and mount path of the event channel.
NAMESPACE = "/_event"
#: The boot event the frontend sends in the CONNECT packet.
HYDRATE_EVENT = f"{ROOT_STATE}.hydrate_and_load"
#: Key of the root state's hydrated flag inside a delta.
IS_HYDRATED = f"is_hydrated{FIELD_MARKER}"

#: Headers of a desktop Chrome: the backend stores the handshake headers on
#: every client's state (``router.headers``), so their size is part of the
#: memory a real client costs.
BROWSER_HEADERS: Mapping[str, str] = {
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    ),
    "Accept-Language": "en-US,en;q=0.9",
    "Accept-Encoding": "gzip, deflate, br, zstd",
    "Cache-Control": "no-cache",
    "Pragma": "no-cache",
}

Delta = dict[str, dict[str, Any]]


def to_snake_case(text: str) -> str:
    """Snake-case a name exactly like ``reflex_base.utils.format.to_snake_case``.

    Copied (two regexes) so computing event names does not import Reflex into
    the load generator.
    """
    s1 = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", text)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s1).lower().replace("-", "_")


def state_name(qualified_class: str) -> str:
    """Return one state's own name, as ``BaseState.get_name`` derives it.

    The rule is ``to_snake_case(module.replace(".", "___") + "___" + Class)``,
    so ``"bare_app.bare_app.State"`` becomes ``"bare_app___bare_app____state"``
    (four underscores: the separator's three plus the one snake-casing puts
    before the capital). The module is the one the class is defined in, as
    imported by ``reflex run`` (``<app_name>.<app_name>`` for the main file).
    """
    module, _, cls = qualified_class.rpartition(".")
    if not module:
        msg = f"Expected 'package.module.Class', got {qualified_class!r}"
        raise ValueError(msg)
    return to_snake_case(f"{module.replace('.', '___')}___{cls}")


def state_full_name(state: type[Any] | str | Sequence[str]) -> str:
    """Return a state's full (dotted, from the root) name, as the wire uses it.

    Args:
        state: A state class (uses its ``get_full_name()``, which needs the
            app's module importable here), a ``"pkg.module.Class"`` path of a
            direct ``rx.State`` subclass, an already full name starting with
            ``reflex___state____state``, or a sequence of class paths from the
            root's child down to the state, for nested substates (and
            ``rx.SharedState`` subclasses, see :func:`shared_state`).
    """
    if isinstance(state, type):
        return str(state.get_full_name())
    if isinstance(state, str):
        if state == ROOT_STATE or state.startswith(ROOT_STATE + "."):
            return state
        return f"{ROOT_STATE}.{state_name(state)}"
    return ".".join([ROOT_STATE, *(state_name(path) for path in state)])


#: Class path of the hidden parent of every ``rx.SharedState`` subclass.
SHARED_STATE_BASE = "reflex.istate.shared.SharedStateBaseInternal"


def shared_state(qualified_class: str) -> str:
    """Return the full name of an ``rx.SharedState`` subclass.

    Shared states hang under ``SharedStateBaseInternal``, not under the root
    directly: ``reflex___state____state.reflex___istate___shared____shared_state_base_internal.<name>``.
    """
    return state_full_name((SHARED_STATE_BASE, qualified_class))


def event_name(state: type[Any] | str | Sequence[str], handler: str) -> str:
    """Return the wire name of an event handler: ``<state full name>.<handler>``."""
    return f"{state_full_name(state)}.{handler}"


def var_key(var: str) -> str:
    """Return the key a var has inside a state's delta (``counter_rx_state_``)."""
    return var if var.endswith(FIELD_MARKER) else var + FIELD_MARKER


def storage_key(state: type[Any] | str | Sequence[str], var: str) -> str:
    """Return the hydrate ``vars`` key of a Cookie/LocalStorage/SessionStorage var."""
    return f"{state_full_name(state)}.{var_key(var)}"


# --- Updates and predicates ---------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Update:
    """One ``event`` message from the backend, as one client saw it.

    Attributes:
        delta: This message's delta: state full name -> {var key: value}.
        events: Frontend events (``_redirect``, ``_call_script``...) it carries.
        state: The client's merged state after applying ``delta`` (a live view,
            shared with the client; do not mutate).
        received_at: ``time.perf_counter()`` when the frame was parsed; use it
            rather than the time an awaiting coroutine resumes, which includes
            scheduling delay of the load generator.
    """

    delta: Delta
    events: list[dict[str, Any]]
    state: Delta
    received_at: float


Predicate = Callable[[Update], bool]


def any_update(update: Update) -> bool:
    """Match the first update: the default reply to an event."""
    return True


def var_equals(state: type[Any] | str | Sequence[str], var: str, value: Any) -> Predicate:
    """Match once the client's merged state holds ``value`` for the var.

    This is "the viewer now shows X", robust to the value arriving in any
    delta (its own reply, a fan-out from a shared state, or an on_load chain).
    """
    name, key = state_full_name(state), var_key(var)
    return lambda update: update.state.get(name, {}).get(key) == value


def var_matches(
    state: type[Any] | str | Sequence[str], var: str, test: Callable[[Any], bool]
) -> Predicate:
    """Match once ``test(value of the var)`` is true in the merged state."""
    name, key = state_full_name(state), var_key(var)
    missing = object()

    def predicate(update: Update) -> bool:
        value = update.state.get(name, {}).get(key, missing)
        return value is not missing and test(value)

    return predicate


def delta_has(state: type[Any] | str | Sequence[str], var: str) -> Predicate:
    """Match an update whose own delta carries the var, whatever its value."""
    name, key = state_full_name(state), var_key(var)
    return lambda update: key in update.delta.get(name, {})


@dataclasses.dataclass(frozen=True, slots=True)
class Ev:
    """An event to send, and how to tell it has been processed.

    Attributes:
        name: Full event name, see :func:`event_name`.
        payload: Handler arguments by name.
        until: Predicate on the client's updates that marks completion; the
            first update after sending when None.
        barrier: An event sent right after this one whose reply marks
            completion, for handlers that send no delta (see module docs).
    """

    name: str
    payload: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    until: Predicate | None = None
    barrier: Ev | None = None


class ClientError(RuntimeError):
    """A client could not connect, was refused, or lost its socket."""


# --- Client -------------------------------------------------------------------


def _check_loopback(base_url: str) -> urllib.parse.SplitResult:
    """Refuse anything but a loopback backend: this tool floods what it targets."""
    parts = urllib.parse.urlsplit(base_url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        msg = f"Only loopback backends are allowed, got {base_url!r}"
        raise ValueError(msg)
    return parts


def _router_data(page_path: str, route_params: Mapping[str, str]) -> dict[str, Any]:
    """Build ``router_data`` the way ``withRouterData`` in state.js does.

    ``query`` merges the URL's query string with the dynamic route params
    React Router extracted (``/room/[room_id]`` -> ``{"room_id": ...}``): the
    backend reads page params from it.
    """
    parts = urllib.parse.urlsplit(page_path)
    pathname = parts.path or "/"
    as_path = pathname
    if parts.query:
        as_path += "?" + parts.query
    if parts.fragment:
        as_path += "#" + parts.fragment
    data: dict[str, Any] = {"pathname": pathname, "asPath": as_path}
    query = {**dict(urllib.parse.parse_qsl(parts.query)), **route_params}
    if query:
        data["query"] = query
    return data


def _observe(future: asyncio.Future[Any]) -> None:
    """Mark a future's exception as seen.

    A dying socket fails every waiter at once; the caller awaits only one of
    them, and asyncio would log the rest as "never retrieved".
    """
    if not future.cancelled():
        future.exception()


@functools.cache
def _reflex_version() -> str:
    """Installed Reflex version, without importing Reflex."""
    try:
        return importlib.metadata.version("reflex")
    except importlib.metadata.PackageNotFoundError:
        return "0.10.1"


def _dumps(obj: Any) -> str:
    """Encode compactly, like JSON.stringify in socket.io-client."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class Client:
    """One browser tab: a session token, a page, client storage and a socket.

    Lifecycle: :meth:`connect` opens the transport (Engine.IO handshake),
    :meth:`hydrate` sends the CONNECT packet carrying ``hydrate_and_load`` and
    waits for ``is_hydrated``, then :meth:`send` events one at a time. The
    client merges every delta into :attr:`state` like the frontend's reducers
    (shallow per substate), so predicates can look at what the page shows.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        page_path: str = "/",
        route_params: Mapping[str, str] | None = None,
        client_storage: Mapping[str, str] | None = None,
        hashes: Sequence[str] | None = None,
        state_schema: str | None = None,
        initial_state: Delta | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        origin: str | None = None,
        on_update: Callable[[Client, Update], None] | None = None,
    ) -> None:
        """Describe the tab; nothing is opened until :meth:`connect`.

        Args:
            token: Session token, a fresh uuid4 by default (one per tab).
            page_path: The URL path (and query) the tab is on.
            route_params: Dynamic route params of the page, sent in ``query``.
            client_storage: Browser storage values by :func:`storage_key`.
            hashes: ``initialStateHashes`` of the compiled frontend; sent on
                the first hydrate so the backend skips default-valued vars.
                Without them the backend sends the full state (a reconnect).
                Pass ``initial_state`` along, or vars left at their default
                never show up in :attr:`state`.
            state_schema: ``stateSchema`` of the compiled frontend; a mismatch
                makes the backend emit ``state_mismatch`` (recorded).
            initial_state: The compiled ``initialState`` the page starts
                from; copied into :attr:`state` before hydrating.
            headers: Handshake headers; :data:`BROWSER_HEADERS` by default.
            cookies: Cookies sent in the handshake ``Cookie`` header.
            origin: ``Origin`` header; must be in ``cors_allowed_origins``.
            on_update: Called for every update after it is merged.
        """
        self.token = token or str(uuid.uuid4())
        self.page_path = page_path
        self.route_params = dict(route_params or {})
        self.client_storage = dict(client_storage or {})
        self.hashes = list(hashes) if hashes else None
        self.state_schema = state_schema
        self.headers = dict(BROWSER_HEADERS if headers is None else headers)
        if cookies:
            self.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.origin = origin
        self.on_update = on_update

        self.state: Delta = {name: dict(values) for name, values in (initial_state or {}).items()}
        self.sid: str | None = None
        self.updates_received = 0
        self.state_mismatch: Any = None
        self.compression: str | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiters: list[tuple[Predicate, asyncio.Future[Update]]] = []
        self._namespace_ready: asyncio.Future[str] | None = None
        self._error: BaseException | None = None
        self._in_flight = False
        self._hydrated_once = False
        self._router_cache: (
            tuple[tuple[str, tuple[tuple[str, str], ...]], dict[str, Any]] | None
        ) = None

    # -- connection ---------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the namespace is connected and the socket still open."""
        return self.sid is not None and self._error is None and self._ws is not None

    def router_data(self) -> dict[str, Any]:
        """The router data every event of this tab carries.

        Cached per page: it is rebuilt only when the scenario changes
        ``page_path`` or ``route_params``, not parsed again for every event.
        """
        key = (self.page_path, tuple(sorted(self.route_params.items())))
        if self._router_cache is None or self._router_cache[0] != key:
            self._router_cache = (key, _router_data(self.page_path, self.route_params))
        return self._router_cache[1]

    async def connect(
        self,
        base_url: str,
        token: str | None = None,
        page_path: str | None = None,
        client_storage: Mapping[str, str] | None = None,
        *,
        timeout: float = 30.0,
    ) -> None:
        """Open the websocket and finish the Engine.IO handshake.

        Like the frontend's warm socket, this opens only the transport; the
        namespace (and with it the hydrate) follows in :meth:`hydrate`.

        Args:
            base_url: Backend origin, e.g. ``http://127.0.0.1:8000``.
            token: Overrides the token given to the constructor.
            page_path: Overrides the page path given to the constructor.
            client_storage: Overrides the client storage values.
            timeout: Seconds for the TCP + websocket + Engine.IO open.
        """
        if self._ws is not None:
            msg = "Client already connected"
            raise ClientError(msg)
        if token is not None:
            self.token = token
        if page_path is not None:
            self.page_path = page_path
        if client_storage is not None:
            self.client_storage = dict(client_storage)
        parts = _check_loopback(base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        query = urllib.parse.urlencode(
            {
                "EIO": "4",
                "transport": "websocket",
                "token": self.token,
            }
        )
        url = f"{scheme}://{parts.netloc}{NAMESPACE}/?{query}"
        ws = await connect(
            url,
            # The frontend offers the Reflex version as the subprotocol; the
            # backend echoes it and only logs a warning on a mismatch.
            subprotocols=[Subprotocol(_reflex_version())],
            origin=Origin(self.origin) if self.origin else None,
            additional_headers=self.headers,
            user_agent_header=None,
            compression="deflate",  # browsers offer permessage-deflate too
            proxy=None,  # never route loopback traffic through an env proxy
            open_timeout=timeout,
            ping_interval=None,  # Engine.IO pings on its own; browsers don't
            max_size=64 * 1024 * 1024,
            close_timeout=2,
        )
        try:
            opening = await asyncio.wait_for(ws.recv(), timeout)
            if not isinstance(opening, str) or not opening.startswith("0"):
                msg = f"Unexpected Engine.IO open packet: {opening!r}"
                raise ClientError(msg)
        except BaseException:
            await ws.close()
            raise
        self._ws = ws
        extensions = ws.protocol.extensions
        self.compression = extensions[0].name if extensions else None
        self._reader = asyncio.create_task(self._read_loop(), name=f"lt-{self.token}")

    def boot_event(self) -> dict[str, Any]:
        """The hydrate_and_load event the frontend's ``initialEvents`` builds."""
        payload: dict[str, Any] = {}
        if self.client_storage:
            payload["vars"] = dict(self.client_storage)
        if self.hashes and not self._hydrated_once:
            payload["hashes"] = list(self.hashes)
        event: dict[str, Any] = {"name": HYDRATE_EVENT}
        if payload:
            event["payload"] = payload
        event["router_data"] = self.router_data()
        return event

    async def hydrate(self, timeout: float = 30.0) -> float:
        """Connect the namespace with the boot event; wait until hydrated.

        Sends ``40/_event,{"event": <boot event>, "state_schema": ...}`` and
        waits for the namespace acknowledgement and for ``is_hydrated`` to
        turn true (after the page's on_load handlers, if any).

        Returns:
            Seconds from sending the CONNECT packet to hydration.
        """
        if self._ws is None:
            msg = "connect() first"
            raise ClientError(msg)
        loop = asyncio.get_running_loop()
        self._namespace_ready = loop.create_future()
        self._namespace_ready.add_done_callback(_observe)
        hydrated = self.expect(var_equals(ROOT_STATE, "is_hydrated", True), fresh=True)
        auth: dict[str, Any] = {"event": self.boot_event()}
        if self.state_schema is not None:
            auth["state_schema"] = self.state_schema
        start = time.perf_counter()
        await self._send_raw(f"0{NAMESPACE},{_dumps(auth)}")
        try:
            async with asyncio.timeout(timeout):
                self.sid = await self._namespace_ready
                update = await hydrated
        except TimeoutError:
            self._drop_waiter(hydrated)
            msg = f"Client {self.token} not hydrated within {timeout}s"
            raise ClientError(msg) from None
        self._hydrated_once = True
        return update.received_at - start

    async def close(self) -> None:
        """Disconnect the namespace and close the socket, as a closing tab does."""
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(ConnectionClosed, OSError):
                if self.sid is not None:
                    await ws.send(f"41{NAMESPACE},")
                await ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self.sid = None
        self._fail_waiters(ClientError(f"Client {self.token} closed"))

    # -- events -------------------------------------------------------------

    def expect(self, predicate: Predicate, *, fresh: bool = False) -> asyncio.Future[Update]:
        """Register interest in an update now; await the returned future later.

        Register before sending whatever causes the update, so a fast reply
        cannot slip past. Unless ``fresh``, the current state is checked first
        (with an empty delta), so "already shows X" resolves at once.
        """
        future: asyncio.Future[Update] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_observe)
        if self._error is not None:
            future.set_exception(ClientError(f"Client {self.token}: {self._error}"))
            return future
        if not fresh:
            current = Update({}, [], self.state, time.perf_counter())
            if predicate(current):
                future.set_result(current)
                return future
        self._waiters.append((predicate, future))
        return future

    async def wait_for(
        self, predicate: Predicate, timeout: float, *, fresh: bool = False
    ) -> Update:
        """Wait until an update (or the current state) matches ``predicate``."""
        future = self.expect(predicate, fresh=fresh)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self._drop_waiter(future)
            msg = f"Client {self.token}: no matching update within {timeout}s"
            raise ClientError(msg) from None

    async def emit(self, name: str, payload: Mapping[str, Any] | None = None) -> None:
        """Send an event without waiting for anything (fire and forget)."""
        event: dict[str, Any] = {"name": name}
        if payload:
            event["payload"] = dict(payload)
        event["router_data"] = self.router_data()
        await self._send_raw(f"2{NAMESPACE},{_dumps(['event', event])}")

    async def send(
        self,
        event_name: str,
        payload: Mapping[str, Any] | None = None,
        *,
        until: Predicate | None = None,
        barrier: Ev | None = None,
        timeout: float = 10.0,
    ) -> float:
        """Send one event and wait until it has been processed.

        Completion is the first update received after sending, or the first
        one matching ``until``; with ``barrier`` set, the barrier event is
        sent right behind and its reply (``barrier.until``, or its first
        update) marks completion. Only one event may be in flight per client,
        like a user who waits for the page to react.

        Pass ``until`` whenever the first update may not be the last one: a
        handler that ``yield``s sends a delta per yield, chained events send
        their own, and a SharedState fan-out from another client can arrive
        at any time. A handler that sends no delta never completes without a
        ``barrier``.

        Returns:
            Seconds from sending to the completing update's arrival.
        """
        if self._in_flight:
            msg = f"Client {self.token} already has an event in flight"
            raise ClientError(msg)
        if self._ws is None or self.sid is None:
            msg = f"Client {self.token} is not hydrated"
            raise ClientError(msg)
        self._in_flight = True
        try:
            done_when = (barrier.until if barrier else until) or any_update
            future = self.expect(done_when, fresh=True)
            start = time.perf_counter()
            await self.emit(event_name, payload)
            if barrier is not None:
                await self.emit(barrier.name, barrier.payload)
            try:
                update = await asyncio.wait_for(future, timeout)
            except TimeoutError:
                self._drop_waiter(future)
                msg = f"Client {self.token}: {event_name} unanswered after {timeout}s"
                raise ClientError(msg) from None
            return update.received_at - start
        finally:
            self._in_flight = False

    async def send_ev(self, ev: Ev, timeout: float = 10.0) -> float:
        """:meth:`send` for an :class:`Ev`."""
        return await self.send(
            ev.name, ev.payload, until=ev.until, barrier=ev.barrier, timeout=timeout
        )

    # -- internals ----------------------------------------------------------

    async def _send_raw(self, packet: str) -> None:
        """Send one Socket.IO packet wrapped in an Engine.IO message (``4``)."""
        if self._ws is None:
            msg = f"Client {self.token} is not connected"
            raise ClientError(msg)
        try:
            await self._ws.send("4" + packet)
        except ConnectionClosed as exc:
            self._error = exc
            raise ClientError(f"Client {self.token}: socket closed ({exc})") from exc

    async def _read_loop(self) -> None:
        """Read frames until the socket closes; answer pings, dispatch packets."""
        ws = self._ws
        assert ws is not None
        error: BaseException
        try:
            async for frame in ws:
                if not isinstance(frame, str) or not frame:
                    continue
                kind = frame[0]
                if kind == "4":
                    self._on_packet(frame[1:])
                elif kind == "2":  # Engine.IO ping; the server drops us without pong
                    await ws.send("3" + frame[1:])
                elif kind == "1":  # Engine.IO close
                    break
            error = ClientError(f"Client {self.token}: server closed the socket")
        except ConnectionClosed as exc:
            error = ClientError(f"Client {self.token}: socket closed ({exc})")
        except Exception as exc:  # a bug in a callback or predicate
            error = exc
        if self._error is None:
            self._error = error
        self._fail_waiters(self._error)

    def _on_packet(self, packet: str) -> None:
        """Handle one Socket.IO packet of the ``/_event`` namespace."""
        kind, rest = packet[0], packet[1:]
        if rest.startswith(NAMESPACE):
            rest = rest[len(NAMESPACE) :]
            rest = rest.removeprefix(",")
        if kind == "2":  # EVENT, possibly with an ack id before the array
            body = rest[rest.find("[") :]
            name, *args = json.loads(body)
            self._on_event(name, args[0] if args else None)
        elif kind == "0":  # CONNECT acknowledged
            sid = json.loads(rest).get("sid", "") if rest else ""
            if self._namespace_ready is not None and not self._namespace_ready.done():
                self._namespace_ready.set_result(sid)
        elif kind == "4":  # CONNECT_ERROR: on_connect raised (e.g. hydrate failed)
            error = ClientError(f"Client {self.token}: connect refused: {rest}")
            if self._namespace_ready is not None and not self._namespace_ready.done():
                self._namespace_ready.set_exception(error)
            self._error = error
            self._fail_waiters(error)
        elif kind == "1":  # DISCONNECT from the server
            self.sid = None
            self._error = ClientError(f"Client {self.token}: disconnected by server")
            self._fail_waiters(self._error)

    def _on_event(self, name: str, data: Any) -> None:
        """Merge a state update and resolve waiters; note other socket events."""
        if name == "event" and isinstance(data, dict):
            received_at = time.perf_counter()
            delta: Delta = data.get("delta") or {}
            for substate, values in delta.items():
                current = self.state.get(substate)
                if current is None:
                    self.state[substate] = dict(values)
                else:
                    current.update(values)
            update = Update(delta, data.get("events") or [], self.state, received_at)
            self.updates_received += 1
            if self.on_update is not None:
                self.on_update(self, update)
            if self._waiters:
                pending = []
                for predicate, future in self._waiters:
                    if future.done():
                        continue
                    if predicate(update):
                        future.set_result(update)
                    else:
                        pending.append((predicate, future))
                self._waiters = pending
        elif name == "new_token" and isinstance(data, str):
            # The backend saw this token on another live socket (a duplicated
            # tab) and issued a new one, as the frontend would store.
            self.token = data
        elif name == "state_mismatch":
            self.state_mismatch = data

    def _drop_waiter(self, future: asyncio.Future[Update]) -> None:
        """Forget a waiter that timed out."""
        future.cancel()
        self._waiters = [(p, f) for p, f in self._waiters if f is not future]

    def _fail_waiters(self, error: BaseException) -> None:
        """Wake every waiter with the error that ended the connection."""
        waiters, self._waiters = self._waiters, []
        for _, future in waiters:
            if not future.done():
                future.set_exception(error)
        if self._namespace_ready is not None and not self._namespace_ready.done():
            self._namespace_ready.set_exception(error)


# --- Statistics ---------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (like numpy's default) of sorted data."""
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


@dataclasses.dataclass(frozen=True, slots=True)
class Stats:
    """Throughput and latency of a batch of events (latencies in ms)."""

    count: int
    errors: int
    duration_s: float
    events_per_s: float
    p50: float
    p95: float
    p99: float
    mean: float
    max: float

    @classmethod
    def from_latencies(
        cls, latencies_s: Iterable[float], duration_s: float, errors: int = 0
    ) -> Stats:
        """Summarize latencies given in seconds over a wall-clock duration."""
        values = sorted(latency * 1000 for latency in latencies_s)
        count = len(values)
        return cls(
            count=count,
            errors=errors,
            duration_s=duration_s,
            events_per_s=count / duration_s if duration_s > 0 else math.nan,
            p50=percentile(values, 50),
            p95=percentile(values, 95),
            p99=percentile(values, 99),
            mean=sum(values) / count if count else math.nan,
            max=values[-1] if values else math.nan,
        )

    def __str__(self) -> str:
        """One line for logs and reports."""
        return (
            f"n={self.count} err={self.errors} {self.events_per_s:.1f} ev/s "
            f"p50={self.p50:.2f}ms p95={self.p95:.2f}ms p99={self.p99:.2f}ms "
            f"mean={self.mean:.2f}ms max={self.max:.2f}ms over {self.duration_s:.1f}s"
        )


# --- Many clients ---------------------------------------------------------------


async def connect_clients(
    base_url: str,
    count: int,
    make_client: Callable[[int], Client] | None = None,
    *,
    concurrency: int = 25,
    timeout: float = 60.0,
) -> tuple[list[Client], Stats]:
    """Connect and hydrate ``count`` clients, ``concurrency`` at a time.

    Args:
        base_url: Backend origin.
        count: Number of clients.
        make_client: Builds client ``i`` (page, storage, ...); a default
            :class:`Client` on ``/`` when None.
        concurrency: Handshakes in progress at once, like tabs opening in a
            burst but not all in the same millisecond.
        timeout: Seconds allowed for connecting and hydrating one client.

    Returns:
        The hydrated clients and the hydrate latency statistics. Raises the
        first failure after closing whatever had connected.
    """
    make = make_client or (lambda _i: Client())
    clients = [make(i) for i in range(count)]
    gate = asyncio.Semaphore(max(1, concurrency))
    latencies: list[float] = []

    async def one(client: Client) -> None:
        async with gate:
            await client.connect(base_url, timeout=timeout)
            latencies.append(await client.hydrate(timeout=timeout))

    start = time.perf_counter()
    results = await asyncio.gather(*(one(c) for c in clients), return_exceptions=True)
    duration = time.perf_counter() - start
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        await close_clients(clients)
        msg = f"{len(failures)}/{count} clients failed to hydrate: {failures[0]!r}"
        raise ClientError(msg) from failures[0]
    return clients, Stats.from_latencies(latencies, duration)


async def close_clients(clients: Iterable[Client]) -> None:
    """Close all clients concurrently, ignoring ones already broken."""
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


EventMaker = Callable[[Client, int], Ev | tuple[str, Mapping[str, Any]]]


async def run_closed_loop(
    clients: Sequence[Client],
    make_event: EventMaker,
    *,
    duration: float | None = None,
    count: int | None = None,
    warmup: float = 0.0,
    timeout: float = 10.0,
    max_duration: float = 600.0,
    latencies_out: list[float] | None = None,
) -> Stats:
    """Run every client in a closed loop: send, wait for completion, repeat.

    Each client keeps exactly one event in flight, so throughput is what the
    backend sustains for that many users acting back to back. The run stops
    at ``duration`` seconds or after ``count`` completed-or-issued events,
    whichever comes first, and never later than ``max_duration``.

    Args:
        clients: Hydrated clients.
        make_event: ``(client, i) -> Ev | (name, payload)``; ``i`` is the
            client's own sequence number, for varying payloads.
        duration: Seconds to run (after warmup).
        count: Total events to issue across all clients (after warmup).
        warmup: Seconds run first whose events are not counted.
        timeout: Seconds an event may take; a client that times out stops
            (a late reply would be taken for its next event's) and counts one
            error.
        max_duration: Hard cap on the whole run, warmup included.
        latencies_out: Receives the measured latencies (seconds) too, to pool
            several runs (e.g. interleaved slices of two loops) into one Stats.

    Returns:
        Stats over the events completed after the warmup.
    """
    if duration is None and count is None:
        msg = "Give duration or count"
        raise ValueError(msg)
    loop_start = time.perf_counter()
    measure_from = loop_start + warmup
    deadline = min(
        measure_from + (duration if duration is not None else max_duration),
        loop_start + max_duration,
    )
    budget = count if count is not None else sys.maxsize
    issued = 0
    errors = 0
    latencies: list[float] = []

    async def worker(client: Client) -> None:
        nonlocal issued, errors
        i = 0
        while time.perf_counter() < deadline:
            measured = time.perf_counter() >= measure_from
            if measured:
                if issued >= budget:
                    return
                issued += 1
            made = make_event(client, i)
            ev = made if isinstance(made, Ev) else Ev(made[0], made[1])
            i += 1
            try:
                latency = await client.send_ev(ev, timeout=timeout)
            except ClientError:
                errors += 1
                return
            if measured:
                latencies.append(latency)
                if latencies_out is not None:
                    latencies_out.append(latency)

    await asyncio.gather(*(worker(c) for c in clients))
    elapsed = time.perf_counter() - max(loop_start, measure_from)
    return Stats.from_latencies(latencies, elapsed, errors)


async def fan_out_arrivals(
    sender: Client,
    event: Ev,
    viewers: Sequence[Client],
    predicate: Predicate,
    *,
    timeout: float = 10.0,
) -> tuple[list[float | None], float]:
    """Send one event; return each viewer's latency (seconds) until ``predicate``.

    The raw form of :func:`fan_out_latency`, for callers that pool per-viewer
    latencies over many actions. Waiters are registered before sending; a
    viewer's latency is its matching frame's arrival minus the send time, or
    None when it did not match within ``timeout``.

    Returns:
        ``(latencies in viewer order, send time as time.perf_counter())``.
    """
    futures = [viewer.expect(predicate, fresh=True) for viewer in viewers]
    start = time.perf_counter()
    await sender.emit(event.name, event.payload)
    if futures:
        _done, pending = await asyncio.wait(futures, timeout=timeout)
        for viewer, future in zip(viewers, futures, strict=True):
            if future in pending:
                viewer._drop_waiter(future)
    latencies: list[float | None] = []
    for future in futures:
        if future.done() and not future.cancelled() and future.exception() is None:
            latencies.append(future.result().received_at - start)
        else:
            latencies.append(None)
    return latencies, start


async def fan_out_latency(
    sender: Client,
    event: Ev,
    viewers: Sequence[Client],
    predicate: Predicate,
    *,
    timeout: float = 10.0,
) -> Stats:
    """Send one event and time until every viewer's state matches ``predicate``.

    Measures broadcast latency, e.g. a SharedState room's member count
    reaching every other tab. Waiters are registered before sending; each
    latency is the viewer's matching frame arrival minus the send time, and
    the Stats duration is until the last viewer matched. Viewers that do not
    match within ``timeout`` count as errors. The sender's own reply is not
    awaited; list the sender among the viewers to time it too.
    """
    latencies, _start = await fan_out_arrivals(sender, event, viewers, predicate, timeout=timeout)
    arrived = [latency for latency in latencies if latency is not None]
    errors = len(latencies) - len(arrived)
    return Stats.from_latencies(arrived, max(arrived, default=0.0), errors)


# --- Backend process ----------------------------------------------------------


@dataclasses.dataclass
class Backend:
    """A Reflex backend started by :func:`start_backend`."""

    proc: subprocess.Popen[bytes]
    host: str
    port: int
    app_dir: Path
    log_path: Path

    @property
    def base_url(self) -> str:
        """HTTP origin of the backend."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """PID of the ``reflex run`` process (the root of the backend tree)."""
        return self.proc.pid

    def processes(self) -> list[psutil.Process]:
        """The backend's processes: reflex CLI / Granian supervisor + workers."""
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss(self) -> int:
        """Summed RSS in bytes of the backend's process tree."""
        total = 0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        """Summed user+system CPU seconds of the backend's process tree."""
        total = 0.0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def log_tail(self, lines: int = 40) -> str:
        """The end of the backend log, for error messages."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def _port_is_free(host: str, port: int) -> bool:
    """Whether nothing listens on host:port (so we do not measure a stranger)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def start_backend(
    app_dir: str | Path,
    env: Mapping[str, str] | None = None,
    port: int = 8000,
    *,
    mode: str = "prod",
    host: str = "127.0.0.1",
    timeout: float = 180.0,
    log_path: str | Path | None = None,
    unset_env: Iterable[str] = (),
) -> Backend:
    """Start ``reflex run --env <mode> --backend-only`` and wait for ``/ping``.

    ``--env prod --backend-only`` works without an exported frontend in 0.10.1
    (it only builds the frontend when one is served) and runs Granian with
    one worker unless Redis is configured. Socket clients need no frontend.

    Args:
        app_dir: Directory holding the app's ``rxconfig.py``.
        env: Variables added to this process's environment.
        port: Backend port; must be free.
        mode: ``prod`` or ``dev`` (hot reload, slower).
        host: Loopback address to bind.
        timeout: Seconds to wait for ``/ping``.
        log_path: Where stdout/stderr go; ``<app_dir>/.web/bench-backend.log``.
        unset_env: Variables of this process's environment the backend must
            not inherit (e.g. ``REFLEX_REDIS_URL``, which would mean several
            workers and a Redis state manager).

    Returns:
        The running backend; stop it with :func:`stop_backend`.
    """
    app_dir = Path(app_dir).resolve()
    _check_loopback(f"http://{host}:{port}")
    if not _port_is_free(host, port):
        msg = f"Port {host}:{port} is already in use"
        raise RuntimeError(msg)
    log = Path(log_path) if log_path else app_dir / ".web" / "bench-backend.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    reflex_bin = Path(sys.executable).with_name("reflex")
    command = [
        str(reflex_bin),
        "run",
        "--env",
        mode,
        "--backend-only",
        "--backend-port",
        str(port),
        "--backend-host",
        host,
    ]
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            command,
            cwd=app_dir,
            env={
                **{k: v for k, v in os.environ.items() if k not in set(unset_env)},
                "PYTHONUNBUFFERED": "1",
                **(env or {}),
            },
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: stop_backend kills just it
        )
    backend = Backend(proc=proc, host=host, port=port, app_dir=app_dir, log_path=log)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                msg = f"Backend exited with {proc.returncode}:\n{backend.log_tail()}"
                raise RuntimeError(msg)
            with contextlib.suppress(httpx.HTTPError):
                if http.get(f"{backend.base_url}/ping").status_code == 200:
                    return backend
            time.sleep(0.25)
    stop_backend(backend)
    msg = f"Backend not answering /ping after {timeout}s:\n{backend.log_tail()}"
    raise RuntimeError(msg)


def stop_backend(backend: Backend, timeout: float = 15.0) -> int | None:
    """Stop the backend (SIGTERM, then SIGKILL after ``timeout``) and reap it.

    Only processes of the tree started by :func:`start_backend` are signalled,
    by their ids: the CLI process's own group (it leads a new session), and
    afterwards any worker of that tree that outlived it.

    Returns:
        The exit code of the ``reflex run`` process.
    """
    proc = backend.proc
    tree = backend.processes()
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout)
    _, alive = psutil.wait_procs(tree, timeout=timeout)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    return proc.returncode


async def settled_rss(
    backend: Backend, *, settle: float = 2.0, samples: int = 5, interval: float = 0.2
) -> int:
    """Backend RSS after letting it settle: median of a few samples.

    The pause lets deferred work (the disk state manager's debounced writes,
    socket buffers) finish so the figure is the steady cost, not a spike.
    """
    await asyncio.sleep(settle)
    values = []
    for _ in range(max(1, samples)):
        values.append(backend.rss())
        await asyncio.sleep(interval)
    values.sort()
    return values[len(values) // 2]


@dataclasses.dataclass(frozen=True, slots=True)
class MemoryPerClient:
    """Backend RSS before and after connecting+hydrating a batch of clients."""

    clients: int
    rss_before: int
    rss_after: int

    @property
    def per_client(self) -> float:
        """Bytes of backend RSS each client added."""
        return (self.rss_after - self.rss_before) / self.clients if self.clients else 0.0

    def __str__(self) -> str:
        """One line for logs and reports."""
        return (
            f"RSS {self.rss_before / 2**20:.1f} MiB -> {self.rss_after / 2**20:.1f} MiB "
            f"for {self.clients} clients = {self.per_client / 1024:.1f} KiB/client"
        )


async def measure_memory_per_client(
    backend: Backend,
    count: int,
    make_client: Callable[[int], Client] | None = None,
    *,
    concurrency: int = 25,
    settle: float = 2.0,
) -> tuple[list[Client], MemoryPerClient, Stats]:
    """Connect and hydrate ``count`` clients and attribute the RSS growth to them.

    Warm the backend up first (a few clients and events) so one-time costs
    such as lazy imports and caches do not land on the per-client figure.

    Returns:
        The connected clients (close them), the memory figure, and hydrate Stats.
    """
    before = await settled_rss(backend, settle=settle)
    clients, hydrate_stats = await connect_clients(
        backend.base_url, count, make_client, concurrency=concurrency
    )
    after = await settled_rss(backend, settle=settle)
    return clients, MemoryPerClient(count, before, after), hydrate_stats


# --- Compiled frontend context ----------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class FrontendContext:
    """What a compiled frontend sends on its first connect."""

    state_schema: str | None
    hashes: list[str]
    initial_state: Delta
    client_storage: dict[str, dict[str, Any]]

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments making a :class:`Client` load the page like a browser."""
        return {
            "hashes": self.hashes,
            "state_schema": self.state_schema,
            "initial_state": self.initial_state,
        }


def read_frontend_context(web_dir: str | Path) -> FrontendContext | None:
    """Read ``stateSchema``, ``initialState(Hashes)`` and ``clientStorage``.

    They are in ``.web/utils/context.js(x)`` once the app has been compiled
    (``reflex run`` with a frontend, ``reflex export`` or ``reflex compile``).
    Passing them to :class:`Client` makes the first hydrate byte-for-byte what
    a browser on a fresh page load sends. Returns None when not compiled.
    """
    web = Path(web_dir)
    for name in ("context.jsx", "context.js"):
        path = web / "utils" / name
        if path.is_file():
            text = path.read_text()
            break
    else:
        return None

    def const(name: str) -> Any:
        match = re.search(rf"^export const {name} = (.*)$", text, re.MULTILINE)
        return json.loads(match.group(1)) if match else None

    return FrontendContext(
        state_schema=const("stateSchema"),
        hashes=list(const("initialStateHashes") or []),
        initial_state=dict(const("initialState") or {}),
        client_storage=dict(const("clientStorage") or {}),
    )
