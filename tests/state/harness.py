"""Drive Reflex state handlers the way the server does: through Reflex's own event processor.

Each `Browser` is one client token; `call` sends one event and returns every delta and
front-end event the server emitted for it. Exceptions raised in a handler are recorded.
"""

import asyncio
import inspect
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import reflex as rx
from redis.asyncio import Redis
from reflex.istate.manager.memory import StateManagerMemory
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken
from reflex.state import BaseState, State, StateUpdate
from reflex_base.event import Event
from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor
from reflex_base.utils import format
from sqlalchemy import text
from sqlmodel import SQLModel, func, select

import cop_app.cop_app  # noqa: F401 - registers every state and page with Reflex
from cop_app import live
from cop_app.models import Thread, User
from cop_app.seed import DEMO_PASSWORD, email_of
from cop_app.services import accounts
from cop_app.states.auth import AuthState
from cop_app.states.discussions import NewThreadState

_TOAST = re.compile(r"__toast'\]\?\.\[\"(\w+)\"\]\(\"((?:[^\"\\]|\\.)*)\"")


@dataclass
class Recorder:
    """Stands in for the socket namespace: keeps what would be sent to each browser.

    Each update is encoded as the socket would send it (JSON, then UTF-8): one that cannot be
    encoded never reaches its browser, whose tab is then broken, so it is kept apart."""

    updates: list[tuple[str, StateUpdate]] = field(default_factory=list)
    unsendable: list[tuple[str, Exception]] = field(default_factory=list)

    async def emit_update(self, update: StateUpdate, token: str) -> None:
        """Record one update for one token, or that it could not be sent."""
        try:
            format.json_dumps(["event", update], separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
            self.unsendable.append((token, exc))
            return
        self.updates.append((token, update))

    def unsendable_for(self, token: str) -> list[Exception]:
        """The updates this token's browser never received."""
        return [exc for t, exc in self.unsendable if t == token]


@dataclass
class Server:
    """A processor, a state manager and the failures handlers raised."""

    processor: BaseStateEventProcessor
    manager: StateManagerMemory
    recorder: Recorder
    errors: list[BaseException] = field(default_factory=list)


@dataclass
class Browser:
    """One client token on one page."""

    server: Server
    path: str = "/"
    query: dict[str, str] = field(default_factory=dict)
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    ip: str = "127.0.0.9"

    def _router_data(self) -> dict[str, Any]:
        qs = "&".join(f"{k}={v}" for k, v in self.query.items())
        return {
            "token": self.token,
            "pathname": self.path,
            "query": dict(self.query),
            "asPath": self.path + (f"?{qs}" if qs else ""),
            "headers": {"origin": "http://localhost:3000"},
            "ip": self.ip,
        }

    async def call(self, state: type[BaseState], handler: str, **payload: Any) -> list[StateUpdate]:
        """Send one event; return the updates this browser received for it."""
        before = len(self.server.recorder.updates)
        event = Event(
            name=f"{state.get_full_name()}.{handler}",
            payload=payload,
            router_data=self._router_data(),
        )
        future = await self.server.processor.enqueue(self.token, event)
        await asyncio.wait_for(future, timeout=30)
        await live.drain()
        return [u for t, u in self.server.recorder.updates[before:] if t == self.token]

    async def run_events(self, updates: list[StateUpdate], depth: int = 3) -> list[StateUpdate]:
        """Run the backend events these updates asked the browser to send (as its event
        queue does: a signal, a handler's follow-ups, theirs in turn up to `depth`); return
        everything they sent back."""
        received: list[StateUpdate] = []
        for update in updates:
            for sent in update.events:
                if sent.name.startswith("_"):  # a browser-side event (a toast, a redirect)
                    continue
                before = len(self.server.recorder.updates)
                event = Event(name=sent.name, payload=sent.payload, router_data=self._router_data())
                future = await self.server.processor.enqueue(self.token, event)
                await asyncio.wait_for(future, timeout=30)
                await live.drain()
                mine = [u for t, u in self.server.recorder.updates[before:] if t == self.token]
                received += mine
                if depth > 1:
                    received += await self.run_events(mine, depth - 1)
        return received

    async def sign_in_with_token(self, session_token: str) -> None:
        """Put a session id into this browser's storage var, as the browser would hold it.

        The first event of a token hydrates its state, so it is sent before the id is set.
        """
        await self.call(AuthState, "ping")
        await self.hold_session_token(session_token)

    async def hold_session_token(self, session_token: str) -> None:
        """Set the session id in this (hydrated) browser's storage var without an event."""
        async with self.server.manager.modify_state(
            BaseStateToken(ident=self.token, cls=AuthState)
        ) as root:
            auth = await root.get_state(AuthState)
            auth.session_token = session_token

    async def state(self, cls: type[BaseState]) -> BaseState:
        """Read this browser's copy of a state (linked rooms resolve to the room)."""
        async with self.server.manager.modify_state_with_links(
            BaseStateToken(ident=self.token, cls=cls)
        ) as root:
            return await root.get_state(cls)


@contextmanager
def server_errors(server: Server) -> Iterator[list[BaseException]]:
    """The exceptions raised by handlers while the block ran."""
    start = len(server.errors)
    collected: list[BaseException] = []
    yield collected
    collected.extend(server.errors[start:])


async def start_server(redis_url: str | None = None) -> Server:
    """A started event processor over an in-memory state manager, or over Redis (as one of
    several workers sharing it)."""
    recorder = Recorder()
    manager: StateManagerMemory | StateManagerRedis = (
        StateManagerRedis(redis=Redis.from_url(redis_url)) if redis_url else StateManagerMemory()
    )
    processor = BaseStateEventProcessor()
    server = Server(processor=processor, manager=manager, recorder=recorder)

    def on_error(exc: Exception) -> None:
        server.errors.append(exc)

    processor.backend_exception_handler = on_error
    processor.configure(state_manager=manager, event_namespace=recorder)  # type: ignore[arg-type]
    await processor.start()
    # Rooms are published into this server's state manager and recorder, not the app's.
    live.target = lambda: (manager, recorder)

    return server


def delta_text(updates: list[StateUpdate]) -> str:
    """Everything the browser received, as one string to search for leaks."""
    return " ".join(repr(u.delta) + repr(u.events) for u in updates)


def merged_delta(updates: list[StateUpdate]) -> dict[str, dict[str, Any]]:
    """The var values a browser holds after these updates (later ones win)."""
    merged: dict[str, dict[str, Any]] = {}
    for update in updates:
        for state_name, values in update.delta.items():
            merged.setdefault(state_name, {}).update(values)
    return merged


def var(updates: list[StateUpdate], state: type[BaseState], name: str) -> Any:
    """The last value of one var of one state in these updates."""
    values = merged_delta(updates).get(state.get_full_name(), {})
    return values.get(f"{name}_rx_state_", values.get(name))


def toasts(updates: list[StateUpdate]) -> list[tuple[str, str]]:
    """(level, message) of every toast these updates asked the browser to show."""
    found = []
    for update in updates:
        for event in update.events:
            script = event.payload.get("function") if isinstance(event.payload, dict) else None
            if isinstance(script, str):
                found += [(lvl, json.loads(f'"{msg}"')) for lvl, msg in _TOAST.findall(script)]
    return found


# --- the demo data the state tests act on (`app_db` in conftest.py loads it) -----------------

#: The demo's open community, where most state tests act.
SLUG = "engineering-craft"


def session_token_for(local: str) -> str:
    """A valid session id for a demo person (signs them in through the service)."""
    with rx.session() as session:
        return accounts.check_sign_in(session, email_of(local), DEMO_PASSWORD, "tests").token


def user_id_of(local: str) -> int:
    """The id of a demo person."""
    with rx.session() as session:
        return session.exec(select(User.id).where(User.email == email_of(local))).one()


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (the loginattempt and session tables included)."""
    with rx.session() as session:
        return {
            name: sorted(
                tuple(map(repr, row))
                for row in session.exec(text(f'SELECT * FROM "{name}"')).all()  # type: ignore[call-overload]
            )
            for name in SQLModel.metadata.tables
        }


async def signed_in_browser(server: Server, local: str, path: str, **params: str) -> Browser:
    """A demo person's browser on `path`, signed in."""
    browser = Browser(server, path=path, query=params)
    await browser.sign_in_with_token(session_token_for(local))
    return browser


async def new_thread(server: Server, local: str = "ravi.iyer", kind: str = "question") -> int:
    """A demo person starts a thread in SLUG through the new-thread page; its id."""
    author = await signed_in_browser(server, local, f"/c/{SLUG}/new", slug=SLUG)
    await author.call(NewThreadState, "start")
    await author.call(NewThreadState, "set_kind", value=kind)
    await author.call(NewThreadState, "set_title", value="How do you review migrations?")
    await author.call(NewThreadState, "set_body", value="We keep breaking prod. @hannah-kowalski?")
    await author.call(NewThreadState, "submit")
    with rx.session() as session:
        return session.exec(select(func.max(Thread.id))).one()


def app_handlers() -> list[tuple[type[BaseState], str, list[str]]]:
    """(state, handler, argument names) for every public handler defined in cop_app, by state
    and handler name: what a browser may call."""
    found = []
    stack: list[type[BaseState]] = [State]
    while stack:
        cls = stack.pop()
        stack.extend(cls.get_substates())
        for name, handler in cls.event_handlers.items():
            fn = handler.fn
            if not getattr(fn, "__module__", "").startswith("cop_app") or name.startswith("_"):
                continue
            if fn.__qualname__.split(".")[0] != cls.__name__:
                continue
            params = [p for p in inspect.signature(fn).parameters if p != "self"]
            found.append((cls, name, params))
    return sorted(found, key=lambda h: (h[0].__name__, h[1]))
