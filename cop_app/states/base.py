"""What every state handler needs: the caller, from the server, and one way to call a service.

`call` is the whole path of a handler's write or read: resolve the caller from the
server-side session, open one database session, run the service, and turn a domain error
into what the person reads (a field error, a toast), so each handler says only what it
does with the answer.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from cop_app import routes
from cop_app.models import User
from cop_app.services import accounts, communities, events
from cop_app.services.communities import CommunityCard
from cop_app.services.errors import DomainError

T = TypeVar("T")


class Caller(Enum):
    """Who `call` passes to the service as its actor, when it is not a resolved user."""

    SESSION = "session"  # the caller of this event, looked up from its session token
    NOBODY = "nobody"  # the verb takes no actor (sign-in, a reset link's token)


@dataclass(frozen=True)
class Refused:
    """A service refused the call: its error, as the toast a handler may return."""

    error: DomainError

    @property
    def toast(self) -> rx.event.EventSpec:
        """The refusal as a toast the person can read."""
        return error_toast(self.error)


def db() -> Session:
    """A SQLModel session on the configured database (SQLite or PostgreSQL)."""
    return rx.session()


async def call(
    state: rx.State,
    verb: Callable[..., T],
    *args: Any,
    actor: User | Caller | None = Caller.SESSION,
    errors: str = "",
    field: str = "form",
    one_field: bool = False,
    off_loop: bool = False,
    **kwargs: Any,
) -> T | Refused:
    """Run `verb(session, actor, *args, **kwargs)` for the caller of this event and return
    its answer, or a `Refused` when it raised a domain error.

    The caller is looked up from the server-side session on every call (a browser can send
    any event), unless the handler passes the `actor` it resolved earlier in this event (one
    lookup per event, not two). `errors` names a dict var that holds the call's field error
    (emptied first; at `field` when the error names none, or always with `one_field`: an
    editor with one message line). The caller is looked up in the database session the verb
    then runs in: one session per event. `off_loop` runs the verb in a worker
    thread with its own session (password hashing, ~120 ms; every keystroke's search), so
    other tabs keep the event loop; the caller is then looked up in that thread and session
    too (the lookup's Python off the loop as well). Rows it
    returns are detached and the changes it announced reach live rooms from the loop once it
    is done. The verb should return plain values: rows expire on commit.
    """
    from cop_app.states.auth import AuthState  # auth.py builds on this module

    if errors and getattr(state, errors):
        setattr(state, errors, {})
    auth: AuthState | None = None
    if actor is Caller.SESSION:
        auth = await state.get_state(AuthState)
    caller: list[User | None] = []
    try:
        if off_loop:
            token = auth.session_token if auth is not None else None
            return await _in_thread(verb, actor, args, kwargs, token, caller)
        with db() as session:
            if auth is not None:
                # The caller, in the verb's own session: one database session per event.
                actor = auth._resolved(session_user(session, auth.session_token))
            head = () if actor is Caller.NOBODY else (actor,)
            return verb(session, *head, *args, **kwargs)
    except DomainError as err:
        if errors:
            key = field if one_field else err.field or field
            setattr(state, errors, {key: err.message})
        return Refused(err)
    finally:
        if auth is not None and caller:
            auth._resolved(caller[0])


async def call_into(state: rx.State, name: str, verb: Callable[..., Any], *args: Any) -> Any:
    """`call`, keeping the answer in the var `name`; a refusal comes back as its toast."""
    got = await call(state, verb, *args)
    if isinstance(got, Refused):
        return got.toast
    setattr(state, name, got)
    return None


def session_user(session: Session, token: str) -> User | None:
    """The user of a browser's session id, detached (as AuthState._actor looks it up), in the
    session the verb then runs in; None for no id or one that is not valid."""
    return detached(session, accounts.user_for_token(session, token)) if token else None


async def _in_thread(
    verb: Callable[..., T],
    actor: User | Caller | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    token: str | None,
    caller: list[User | None],
) -> T:
    """Run the verb in a worker thread; with a `token`, first look up its user there (as
    AuthState._actor does, detached) into `caller`, and pass that user as the actor."""
    changes: list[events.Change] = []

    def run() -> T:
        with events.collect(changes), db() as session:
            head: tuple[Any, ...] = () if actor is Caller.NOBODY else (actor,)
            if token is not None:
                caller.append(session_user(session, token))
                head = (caller[0],)
            result = verb(session, *head, *args, **kwargs)
            session.expunge_all()
            return result

    try:
        return await asyncio.to_thread(run)
    finally:
        for change in changes:
            events.emit(change)


def typed(value: Any, limit: int) -> str:
    """A text argument as a state keeps it while it is typed: one character over the field's
    limit (from services/settings.py), so an over-long text still reaches the service, which
    says what the limit is, while no client parks megabytes in a var; a non-string is ""."""
    return value[: limit + 1] if isinstance(value, str) else ""


def form_value(form: Any, key: str) -> Any:
    """One field of a submitted form; a non-dict payload reads as empty."""
    return form.get(key, "") if isinstance(form, dict) else ""


def error_toast(err: DomainError) -> rx.event.EventSpec:
    """A domain error as a toast the person can read."""
    return rx.toast.error(err.message, duration=6000)


def detached(session: Session, user: User | None) -> User | None:
    """A user row usable after its session closed (services re-load what they change)."""
    if user is not None:
        session.expunge(user)
    return user


def route_param(state: rx.State, name: str) -> str:
    """A dynamic route segment ([slug], [id]) of the page this event came from.

    Reflex 0.10 has no public accessor besides the deprecated `router.page`, which logs a
    deprecation on every call (measurable per event); this reads the same data."""
    value = state.router._page.params.get(name, "")
    return value if isinstance(value, str) else ""


async def active_member_page(
    state: rx.State, actor: User | None, refused_url: str, join_to: str
) -> CommunityCard | list[rx.event.EventSpec]:
    """The route's community for its active members (forms that add to it); anyone else
    gets the events that send them away: to `refused_url`, or to the community to join it."""
    card = await call(state, communities.get_by_slug, route_param(state, "slug"), actor=actor)
    if isinstance(card, Refused):
        return [card.toast, rx.redirect(refused_url)]
    if card.my_status != "active":
        return [
            rx.toast.info(f"Join {card.name} to {join_to}."),
            rx.redirect(routes.community_url(card.slug)),
        ]
    return card
