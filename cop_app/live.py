"""Real-time fan-out: SharedState rooms, refreshed from the database after commits.

Services announce changes through `services.events`; `start()` subscribes here. Each
announced room is re-read from the database and written into its SharedState through
`app.modify_state`, so every linked browser gets the delta. Changes to one room that
arrive together are coalesced into one refresh (bursts cost one write, not many).

Access works the other way too: a tab holds a room only while its session may see it.
Every tab holding a room is registered under its member (`live_tabs`: a dict per worker,
a Redis set when several run), so when a service announces that what a person may see
changed (`ACCESS_CHANGED`), the person's tabs are found there: each is re-checked with its
own session against the room's `access_*` helper and drops what it lost, through the state
manager (Redis when several workers run), and is told why.
"""

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Callable, Coroutine
from typing import Any, Literal

import reflex as rx
from redis.asyncio import Redis
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken
from reflex.istate.proxy import MutableProxy
from reflex.state import StateUpdate
from reflex_base import constants
from reflex_base.event import Event, EventSpec
from reflex_base.registry import RegistrationContext
from sqlmodel import Session

from cop_app import reflex_patches
from cop_app.live_tabs import TabRegistry
from cop_app.models import Thread, User
from cop_app.models.base import utcnow
from cop_app.services import (
    communities,
    discussions,
    feed,
    impact,
    library,
    markdown,
    mentorship,
    settings,
    stages,
)
from cop_app.services.access import (
    ACCESS_CHANGED,
    access_community_content,
    access_self,
)
from cop_app.services.discussions import NotificationView, PostView, ThreadRow
from cop_app.services.errors import BUSY_MESSAGE, Busy, DomainError, Forbidden
from cop_app.services.events import Change, subscribe
from cop_app.services.feed import EventView
from cop_app.services.library import ResourceRow, ResourceView
from cop_app.services.mentorship import CardView, SessionNoteView
from cop_app.services.rooms import RoomKey, RoomKind, parse
from cop_app.services.stages import StageView
from cop_app.states.auth import AuthState

logger = logging.getLogger(__name__)

# When `publish` re-reads a room: on a change if someone watches it, before a link if it
# is stale, or always.
ReadWhen = Literal["watched", "stale", "always"]

# A short pause lets a burst of changes to one room collapse into one refresh. Threads keep
# the shortest (replies feel instant); feeds and member lists take bursts (200 events in
# 10 s, a crowd joining at once), so a longer pause keeps their fan-out cheap.
COALESCE_SECONDS = 0.02
FEED_COALESCE_SECONDS = 0.05
MEMBERS_COALESCE_SECONDS = 0.1
# Bells wait a little longer than threads: a reply rings every follower's, and reading them
# while the thread's update is still being written to its readers' sockets delays it.
BELL_COALESCE_SECONDS = 0.05
# Rooms outlive processes when Redis holds them: one older than this is re-read on link, so
# writes made outside the app (a seed, a restore) show up without waiting for a change.
ROOM_MAX_AGE_SECONDS = 600
# The longest a tab waits for the lock of a room it is joining while it holds others; then
# it is told to try again, and nothing changed.
ROOM_LOCK_WAIT_SECONDS = 2.0


def feed_window(room: rx.State) -> list[EventView]:
    """An activity room's whole live window, newest first."""
    return [*_plain(room.head), *_plain(room.events)]


def _plain(value: Any) -> Any:
    """A var's own value, not Reflex's change-tracking proxy around it."""
    return value.__wrapped__ if isinstance(value, MutableProxy) else value


def assign(room: rx.State, /, **values: object) -> None:
    """Set only what changed: an unchanged var would still be re-sent to every viewer."""
    for name, value in values.items():
        if getattr(room, name) != value:
            setattr(room, name, value)


class CommunityRoom(rx.SharedState):
    """What every viewer of a community page shares: its member count and list."""

    community_id: int = 0
    member_count: int = 0
    members: list[communities.MemberView] = []

    _loaded_at: float = 0.0

    def _ident(self) -> int:
        return self.community_id

    def _refresh(self, session: Session, community_id: int, touched: set[int | str]) -> None:
        assign(
            self,
            community_id=community_id,
            member_count=communities.member_count(session, community_id),
            members=communities.member_views(session, community_id, "active"),
        )


class ThreadListRoom(rx.SharedState):
    """A community's latest threads, shared by everyone with its Discussions tab open."""

    community_id: int = 0
    latest: list[ThreadRow] = []

    _loaded_at: float = 0.0

    def _ident(self) -> int:
        return self.community_id

    def _refresh(self, session: Session, community_id: int, touched: set[int | str]) -> None:
        assign(
            self,
            community_id=community_id,
            latest=discussions.latest_rows(session, community_id),
        )


class ThreadRoom(rx.SharedState):
    """One thread as all its readers share it: the header, the newest posts, and posts
    changed lately that readers may have loaded from older pages (`patched`)."""

    thread_id: int = 0
    title: str = ""
    post_count: int = 0
    reply_count: int = 0
    accepted_post_id: int = 0
    accepted_excerpt: str = ""  # shown under the question; the answer itself stays in place
    locked: bool = False
    pinned: bool = False
    hidden: bool = False  # by moderators: its other readers are told, then dropped
    recent_from: int = 1
    recent: list[PostView] = []
    patched: dict[str, PostView] = {}

    _loaded_at: float = 0.0

    def _ident(self) -> int:
        return self.thread_id

    def _refresh(self, session: Session, thread_id: int, touched: set[int | str]) -> None:
        thread = session.get(Thread, thread_id)
        if thread is None:
            return
        recent = discussions.post_views(
            session, None, thread, limit=settings.ROOM_RECENT_POSTS, newest=True
        )
        recent_from = recent[0].number if recent else thread.post_count + 1
        patched = dict(self.patched) if self.thread_id == thread_id else {}
        shown = {p.id for p in recent}
        accepted = thread.accepted_post_id or 0
        # Re-read the touched posts, the accepted answer, and patches that mark the wrong
        # post accepted (an answer accepted elsewhere or unmarked is announced without one).
        older = {pid for pid in touched if isinstance(pid, int)} - shown
        older |= {v.id for v in patched.values() if v.accepted != (v.id == accepted)}
        if accepted and (str(accepted) not in patched or accepted in touched):
            older.add(accepted)
        if older:
            ids = sorted(older)
            for view in discussions.post_views(session, None, thread, limit=0, ids=ids):
                patched[str(view.id)] = view
        # Keep the newest patches only: the dict is re-sent whole on every change.
        if len(patched) > settings.ROOM_RECENT_POSTS * 2:
            keep = sorted(patched, key=int)[-settings.ROOM_RECENT_POSTS * 2 :]
            patched = {k: patched[k] for k in keep}
        assign(
            self,
            thread_id=thread_id,
            title=thread.title,
            post_count=thread.post_count,
            reply_count=thread.reply_count,
            accepted_post_id=accepted,
            accepted_excerpt=markdown.excerpt_of_html(
                patched[str(accepted)].body_html, settings.ACCEPTED_EXCERPT_CHARS
            )
            if str(accepted) in patched
            else "",
            locked=thread.locked,
            pinned=thread.pinned,
            hidden=thread.hidden,
            recent_from=recent_from,
            recent=recent,
            patched=patched,
        )


def empty_resource() -> ResourceView:
    """A resource room before its first read."""
    return ResourceView(
        id=0,
        community_id=0,
        community_slug="",
        community_name="",
        kind="",
        kind_label="",
        title="",
        summary="",
        body="",
        body_html="",
        tags=[],
        url="",
        revision=0,
        author_id=0,
        author_name="",
        owner_id=0,
        owner_name="",
        author_reuse=0,
        endorse_count=0,
        reuse_count=0,
        outdated=False,
        needs_review=False,
        reviewed_on="",
        updated_on="",
    )


class LibraryRoom(rx.SharedState):
    """A community's library as everyone with it open shares it: the most reused resources
    and the community's figures."""

    community_id: int = 0
    top: list[ResourceRow] = []
    resource_count: int = 0
    reuse_total: int = 0

    _loaded_at: float = 0.0

    def _ident(self) -> int:
        return self.community_id

    def _refresh(self, session: Session, community_id: int, touched: set[int | str]) -> None:
        count, reused = library.community_figures(session, community_id)
        assign(
            self,
            community_id=community_id,
            top=library.latest_rows(session, community_id),
            resource_count=count,
            reuse_total=reused,
        )


class ResourceRoom(rx.SharedState):
    """One resource as its readers share it, and who is editing it right now: `editing`
    maps a member's id to their name; `_editing_until` expires entries a closed tab left."""

    resource_id: int = 0
    view: ResourceView = empty_resource()
    editing: dict[str, str] = {}

    _editing_until: dict[str, float] = {}
    _loaded_at: float = 0.0

    def _ident(self) -> int:
        return self.resource_id

    def _refresh(self, session: Session, resource_id: int, touched: set[int | str]) -> None:
        view = library.resource_view(session, resource_id)
        if view is None:
            return
        now = time.time()
        live = {k: v for k, v in self.editing.items() if self._editing_until.get(k, 0) > now}
        assign(self, resource_id=resource_id, view=view, editing=live)

    def _mark_editing(self, user_id: int, name: str, on: bool) -> None:
        """Say (or stop saying) that this member edits the resource; stale marks expire."""
        now = time.time()
        until = {k: t for k, t in self._editing_until.items() if t > now}
        key = str(user_id)
        if on:
            until[key] = now + settings.EDITING_PRESENCE_SECONDS
        else:
            until.pop(key, None)
        self._editing_until = until
        names = {**self.editing, key: name} if on else dict(self.editing)
        assign(self, editing={k: v for k, v in names.items() if k in until})


class UserRoom(rx.SharedState):
    """One member's bell and home feed, shared by all their open tabs; `followed` (threads
    they follow with unread replies) is read with the bell (a reply notifies followers) and
    when their home page opens, not on every page."""

    user_id: int = 0
    unread: int = 0
    notifications: list[NotificationView] = []
    home_latest: list[ThreadRow] = []
    followed: list[ThreadRow] = []

    _loaded_at: float = 0.0

    def _ident(self) -> int:
        return self.user_id

    def _parts(self, user_id: int, touched: set[int | str]) -> set[str]:
        """The parts a change named ("bell", "home", "followed"); none: read it all."""
        return {t for t in touched if isinstance(t, str)} if self.user_id == user_id else set()

    def _refresh(self, session: Session, user_id: int, touched: set[int | str]) -> None:
        # A change names the part it touched ("bell", "home"); re-read only that part.
        parts = self._parts(user_id, touched)
        values: dict[str, object] = {"user_id": user_id}
        if not parts or "bell" in parts:
            values["unread"], values["notifications"] = discussions.unread_and_latest(
                session, user_id
            )
        if not parts or "home" in parts:
            user = session.get(User, user_id)
            values["home_latest"] = discussions.home_latest(session, user) if user else []
        if parts & {"bell", "followed"}:
            values["followed"] = discussions.followed_unread_many(session, [user_id])[user_id]
        assign(self, **values)


# The parts of members' rooms that `publish_members` re-reads for many rooms at once.
BATCHED_PARTS = frozenset({"bell", "followed"})


def _refresh_members(session: Session, rooms: dict[int, tuple[UserRoom, set[int | str]]]) -> None:
    """`UserRoom._refresh` of many rooms, their bells and followed threads read for all of
    them together (a room holding another member, or asked for more, reads alone)."""
    bells, followed = [], []
    for user_id, (room, touched) in rooms.items():
        parts = room._parts(user_id, touched)
        if parts and parts <= BATCHED_PARTS:
            followed.append(user_id)
            if "bell" in parts:
                bells.append(user_id)
        else:
            room._refresh(session, user_id, touched)
    rung = discussions.unread_and_latest_many(session, bells)
    lists = discussions.followed_unread_many(session, followed)
    for user_id in followed:
        values: dict[str, object] = {"followed": lists[user_id]}
        if user_id in rung:
            values["unread"], values["notifications"] = rung[user_id]
        assign(rooms[user_id][0], **values)


class ActivityRoom(rx.SharedState):
    """A live activity feed (the whole site for admins, a steward's communities for them):
    the newest events and the numbers beside them. The window is `head` + `events`, newest
    first: new events go to the small head, so a publish sends a few events, not 200."""

    scope_id: int = -1
    head: list[EventView] = []
    events: list[EventView] = []
    events_last_hour: int = 0
    active_now: int = 0
    open_flags: int = 0

    _loaded_at: float = 0.0

    def _ident(self) -> int:
        return self.scope_id

    def _refresh(self, session: Session, scope_user_id: int, touched: set[int | str]) -> None:
        scope = feed.scope_for_room(session, scope_user_id)
        numbers = feed.summary(session, scope)
        # Events are append-only: a room already holding this scope reads only newer ones.
        same = self.scope_id == scope_user_id and self._loaded_at
        head = list(_plain(self.head)) if same else []
        rest = list(_plain(self.events)) if same else []
        newest = (head or rest)[0].id if head or rest else 0
        head = feed.latest_for_room(session, scope, newest) + head
        if len(head) > settings.ACTIVITY_HEAD_SIZE or not newest:
            head, rest = [], (head + rest)[: settings.ACTIVITY_ROOM_SIZE]
        assign(
            self,
            scope_id=scope_user_id,
            head=head,
            events=rest,
            events_last_hour=numbers.events_last_hour,
            active_now=numbers.active_now,
            open_flags=numbers.open_flags,
        )


class BoardRoom(rx.SharedState):
    """One mentee board as the pair shares it: the state, the three columns, the log."""

    mentorship_id: int = 0
    state: str = ""
    state_label: str = ""
    todo: list[CardView] = []
    doing: list[CardView] = []
    done: list[CardView] = []
    cards_total: int = 0
    notes: list[SessionNoteView] = []
    transitions_mentor: list[str] = []
    transitions_mentee: list[str] = []
    reflection_mentor: str = ""
    reflection_mentee: str = ""
    stage: StageView | None = None  # the mentee's stage, re-read when it may have moved
    _loaded_at: float = 0.0

    def _ident(self) -> int:
        return self.mentorship_id

    def _refresh(self, session: Session, mentorship_id: int, touched: set[int | str]) -> None:
        view = mentorship.board_snapshot(session, mentorship_id)
        if view is None:
            return
        assign(
            self,
            mentorship_id=mentorship_id,
            state=view.state,
            state_label=view.state_label,
            todo=view.todo,
            doing=view.doing,
            done=view.done,
            cards_total=view.cards_total,
            notes=view.notes,
            transitions_mentor=mentorship.allowed_transitions(view.state, "mentor"),
            transitions_mentee=mentorship.allowed_transitions(view.state, "mentee"),
            reflection_mentor=view.reflection_mentor,
            reflection_mentee=view.reflection_mentee,
        )
        if "stage" in touched or _stale(self, mentorship_id):
            assign(self, stage=stages.stage_for(session, view.mentee_id, view.community_id))


class ImpactRoom(rx.SharedState):
    """One impact dashboard (a view over a period) as every admin, steward or mentor with it
    open shares it: each measure's figures, chart, table and links, as services/impact
    computes them. Re-computed whole, at most once per IMPACT_COALESCE_SECONDS, after
    activity in its scope was announced, and only while someone has it open (see
    `_queue_impact`)."""

    ident: int = -1
    period: str = ""
    sections: list[impact.Section] = []
    computed_at: str = ""

    _loaded_at: float = 0.0

    def _ident(self) -> int:
        return self.ident

    def _refresh(self, session: Session, ident: int, touched: set[int | str]) -> None:
        now = utcnow()
        board = impact.dashboard_for_room(session, ident, now)
        assign(
            self,
            ident=ident,
            period=board.period,
            sections=board.sections,
            computed_at=now.strftime("%H:%M:%S UTC"),
        )


_ROOMS: dict[RoomKind, type[rx.State]] = {
    RoomKind.IMPACT: ImpactRoom,
    RoomKind.BOARD: BoardRoom,
    RoomKind.LIBRARY: LibraryRoom,
    RoomKind.RESOURCE: ResourceRoom,
    RoomKind.ACTIVITY: ActivityRoom,
    RoomKind.COMMUNITY: CommunityRoom,
    RoomKind.THREADS: ThreadListRoom,
    RoomKind.THREAD: ThreadRoom,
    RoomKind.USER: UserRoom,
}


def _access_feed(session: Session, actor: User | None, scope_id: int) -> None:
    if feed.access_feed_room(session, actor) != scope_id:
        raise Forbidden("This activity feed is not yours.")


# The access check behind each room kind: the same `access_*` helper its handler calls
# before linking. A tab keeps a room only while this passes for its session.
ROOM_ACCESS: dict[RoomKind, Callable[[Session, User | None, int], object]] = {
    RoomKind.IMPACT: lambda session, actor, ident: impact.access_room(
        session, actor, ident, utcnow()
    ),
    RoomKind.BOARD: mentorship.access_board,
    RoomKind.LIBRARY: access_community_content,
    RoomKind.RESOURCE: library.access_resource,
    RoomKind.ACTIVITY: _access_feed,
    RoomKind.COMMUNITY: access_community_content,
    RoomKind.THREADS: access_community_content,
    RoomKind.THREAD: discussions.access_thread,
    RoomKind.USER: lambda _session, actor, user_id: access_self(actor, user_id),
}


def may_keep(session: Session, actor: User | None, room: RoomKey | None) -> bool:
    """Whether this actor may hold this room (an unknown room: no)."""
    if room is None:
        return False
    try:
        ROOM_ACCESS[room.kind](session, actor, room.ident)
    except DomainError:
        return False
    return True


async def link_room(state: rx.State, room: RoomKey, *, refresh: bool = False) -> rx.State:
    """Link a browser to a room its handler just allowed it to see; fill an empty room
    (or re-read it when asked: rooms that are not announced on every change).

    Only handlers call this, after the service checked access: linking is the permission.
    A room is brought up to date through its own token before the link, so its current
    viewers get any change as one shared delta and linking costs them nothing. The tab is
    also registered under its member, where access changes find it.
    """
    await _register_tab(state)
    mine = await state.get_state(_ROOMS[room.kind])
    if mine._linked_to == str(room):
        if refresh or _stale(mine, room.ident):
            _read(mine, room.ident, set())
        return mine
    # This event holds the tab's other rooms (the thread it leaves among them), so the new
    # room's lock comes out of order: a tab going the other way may hold it and wait for
    # one of ours. Wait a while only, then leave everything as it was.
    links = state._get_root_state()._reflex_internal_links
    name, before = mine.get_full_name(), dict(links or {})
    tab = state.rx_router_session.client_token
    # Of two tabs waiting on each other, one gives up first (by its token), so the other goes on.
    wait = ROOM_LOCK_WAIT_SECONDS * (1 + zlib.crc32(tab.encode()) % 1000 / 1000)
    try:
        with reflex_patches.lock_wait(wait):
            await publish(room, when="always" if refresh else "stale")
            return await mine._link_to(str(room))
    except reflex_patches.LockBusy:
        if links is not None and links.get(name) != before.get(name):
            if name in before:
                links[name] = before[name]
            else:
                links.pop(name, None)
        if mine._linked_to:  # `_link_to` took the tab off the room it leaves
            mine._linked_from.add(tab)
        logger.info("room %s busy for %.1f s: the tab was asked to retry", room, wait)
        raise Busy(BUSY_MESSAGE) from None


async def _register_tab(state: rx.State) -> None:
    """Register the tab under its member, where access changes find it: a dict lookup when
    it registered lately. Not a link to the member's room: Reflex would lock and load every
    linked room on each event of the tab (a third of a thread open's cost)."""
    user_id = (await state.get_state(AuthState)).user_id
    if user_id:
        holds_none = not state._get_root_state()._reflex_internal_links
        token = state.rx_router_session.client_token
        await TABS.add(_redis(), user_id, token, force=holds_none)


def _redis() -> Redis | None:
    """The Redis client of the state manager when several workers share one."""
    manager, _ = target()
    return manager.redis if isinstance(manager, StateManagerRedis) else None


async def reread_linked(state: rx.State, room: RoomKey, parts: set[int | str]) -> None:
    """Re-read parts of a room this tab already holds (its handler holds the room's lock,
    so `publish` would wait on itself); a tab not linked to it reads nothing."""
    mine = await state.get_state(_ROOMS[room.kind])
    if mine._linked_to == str(room):
        _read(mine, room.ident, parts)


def unlink_room(state: rx.State, room_cls: type) -> None:
    """A handler refused this tab a room of this kind: drop the one it held (a previous
    thread, community or board), so a refused page keeps nothing of the last one. Runs
    once the handler is done, as the link is part of the state the handler holds."""
    name = room_cls.get_full_name()
    links = state._get_root_state()._reflex_internal_links or {}
    if name in links:
        token = state.rx_router_session.client_token
        _spawn(_drop_links(token, "", only=name))


def _stale(room: rx.State, ident: int) -> bool:
    return room._ident() != ident or time.time() - room._loaded_at > ROOM_MAX_AGE_SECONDS


def room_class(room: RoomKey | None) -> type[rx.State] | None:
    """The SharedState class serving a room (None for no room)."""
    return None if room is None else _ROOMS[room.kind]


def _app_target() -> tuple[Any, Any]:
    app = RegistrationContext.get().app
    return app.state_manager, app.event_namespace


# Where rooms are stored and who sends their deltas; tests point it at their own server.
target: Callable[[], tuple[Any, Any]] = _app_target

# Each member's tabs holding rooms, where access changes find them.
TABS = TabRegistry()


async def publish(
    room: RoomKey, touched: set[int | str] | None = None, *, when: ReadWhen = "watched"
) -> None:
    """Re-read one room from the database and push it to every linked client.

    `when`: "watched" (a change: a room nobody watches is not read, the first browser to
    link reads it), "stale" (a browser is about to link) or "always".
    One delta goes to every viewer: Reflex would otherwise load, lock and diff each viewer's
    whole state tree, and no view computes from a room, so the room's delta is all they need.
    """
    cls = _ROOMS[room.kind]
    manager, namespace = target()
    async with manager.modify_state(BaseStateToken(ident=str(room), cls=cls)) as root:
        state = await root.get_state(cls)
        if not _refresh_room(state, room.ident, touched or set(), when):
            return
        delta = await state._get_resolved_delta()
        state._clean()
        viewers = set(state._linked_from)
    if viewers and delta.get(state.get_full_name()) and namespace is not None:
        await _emit(namespace, StateUpdate(delta=delta), viewers)
    if viewers and _narrowed(state):
        for tab in viewers:  # after the handler that may hold a tab's lock; moderators stay
            _spawn(_drop_links(tab, ""))


async def publish_members(rooms: dict[RoomKey, set[int | str]]) -> None:
    """`publish` for many members' rooms at once: the rooms are locked together (in id
    order), their bells and followed threads read in three queries for all of them, then
    each room's delta goes to its own tabs. Rooms nobody watches are not read."""
    manager, namespace = target()
    updates: list[tuple[dict[str, Any], set[str]]] = []
    async with contextlib.AsyncExitStack() as stack:
        watched: dict[int, tuple[UserRoom, set[int | str]]] = {}
        for room in sorted(rooms, key=lambda r: r.ident):
            token = BaseStateToken(ident=str(room), cls=UserRoom)
            root = await stack.enter_async_context(manager.modify_state(token))
            state = await root.get_state(UserRoom)
            if not state._linked_from:
                state._loaded_at = 0.0  # marked stale: the first browser to link re-reads it
                continue
            watched[room.ident] = (state, rooms[room])
        if not watched:
            return
        with rx.session() as session:
            _refresh_members(session, watched)
        now = time.time()
        for state, _ in watched.values():
            state._loaded_at = now
            delta = await state._get_resolved_delta()
            state._clean()
            if delta.get(state.get_full_name()):
                updates.append((delta, set(state._linked_from)))
    if namespace is not None:
        for delta, viewers in updates:
            await _emit(namespace, StateUpdate(delta=delta), viewers)


def _narrowed(room: rx.State) -> bool:
    """Whether fewer people may see the room than may have linked it: a thread hidden by
    moderators. Its viewers got the change that says so, then lose the room unless
    `ROOM_ACCESS` still lets them hold it, so nothing more of it reaches them."""
    return isinstance(room, ThreadRoom) and room.hidden


async def _emit(namespace: Any, update: StateUpdate, tokens: set[str]) -> None:
    """Send one update to many tabs, encoded once for all sockets of this process."""
    manager = getattr(namespace, "_token_manager", None)
    sids, elsewhere = [], []
    for token in tokens:
        record = manager.token_to_socket.get(token) if manager is not None else None
        if record is not None and record.instance_id == manager.instance_id:
            sids.append(record.sid)
        else:
            elsewhere.append(token)
    if sids:
        await namespace.emit(str(constants.SocketEvent.EVENT), update, to=sids)
    for token in elsewhere:  # another worker's sockets (Redis): Reflex relays them
        if manager is None or await manager.is_token_connected(token):
            await namespace.emit_update(update=update, token=token)


def _refresh_room(state: rx.State, ident: int, touched: set[int | str], when: ReadWhen) -> bool:
    """Re-read a room; False when nothing was read (nobody watches it, or it is fresh)."""
    if when == "stale" and not _stale(state, ident):
        return False
    if when == "watched" and not state._linked_from:
        state._loaded_at = 0.0  # marked stale: the first browser to link re-reads it
        return False
    _read(state, ident, touched)
    return True


def _read(room: rx.State, ident: int, touched: set[int | str]) -> None:
    with rx.session() as session:
        room._refresh(session, ident, touched)
    room._loaded_at = time.time()


async def _drop_links(tab: str, reason: str, *, only: str = "") -> bool:
    """Drop a tab's room links: the one named `only` (a refused page: the tab's own empty
    copy replaces it, so nothing of the last room shows as the new one's), or every one its
    session may no longer hold (re-checked against `ROOM_ACCESS`: the page stays as it was,
    frozen, with what was typed, and says why). Returns whether the tab still holds a room
    (closed or expired tabs hold none)."""
    manager, namespace = target()
    async with manager.modify_state(BaseStateToken(ident=tab, cls=AuthState)) as root:
        links = dict(root._reflex_internal_links or {})
        if not links:
            return False
        auth = await root.get_state(AuthState)
        if only:
            gone = {name: room for name, room in links.items() if name == only}
        else:
            actor = auth._actor()  # signs the tab out when its session ended
            with rx.session() as session:
                gone = {n: r for n, r in links.items() if not may_keep(session, actor, parse(r))}
        if gone:
            root._reflex_internal_links = {n: r for n, r in links.items() if n not in gone}
            for room in gone.values() if only else ():
                cls = room_class(parse(room))
                if cls is not None:
                    (await root.get_state(cls)).reset()
            if reason:
                auth.access_notice = reason
        delta = await root._get_resolved_delta()
        root._clean()
    if delta and namespace is not None:
        await _emit(namespace, StateUpdate(delta=delta), {tab})
    for room in gone.values():
        if key := parse(room):
            await _forget_viewers(key, {tab})
    return len(gone) < len(links)


async def _forget_viewers(room: RoomKey, tabs: set[str]) -> None:
    """Take tabs off a room's viewers, so its publishes reach them no more."""
    cls = _ROOMS[room.kind]
    manager, _ = target()
    async with manager.modify_state(BaseStateToken(ident=str(room), cls=cls)) as root:
        state = await root.get_state(cls)
        if tabs & state._linked_from:
            state._linked_from = state._linked_from - tabs
            state._clean()  # the viewer list is not a change to fan out


async def end_access(user_id: int, reason: str) -> None:
    """What a person may see changed: re-check every tab of theirs (registered in `TABS`)
    and drop the rooms each lost. Tabs holding nothing are forgotten."""
    redis = _redis()
    checked_at = time.time()
    idle: set[str] = set()
    for tab in await TABS.tabs(redis, user_id):
        try:
            if not await _drop_links(tab, reason):
                idle.add(tab)
        except Exception:  # one broken tab must not keep the others linked
            logger.exception("dropping the rooms of tab %s failed", tab)
    if idle:
        await TABS.forget(redis, user_id, idle, checked_at)


_TASKS: set[asyncio.Task] = set()


def _spawn(work: Coroutine[Any, Any, object]) -> None:
    """Run link bookkeeping after the current handler, outside its locks."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        work.close()
        return  # no event loop (CLI, seed): no tab is open to reach
    task = loop.create_task(work)
    _TASKS.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task) -> None:
    _TASKS.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("dropping room links failed", exc_info=task.exception())


class _Batch:
    """Rooms waiting to be published, flushed together after a pause: a burst of changes
    to one room costs one refresh per pause, not one per change."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.pending: dict[RoomKey, set[int | str]] = {}
        self.task: asyncio.Task | None = None

    def add(self, room: RoomKey, *items: object) -> None:
        touched = self.pending.setdefault(room, set())
        touched.update(i for i in items if isinstance(i, int | str))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.pending.clear()
            return  # no event loop (CLI, seed): nobody is connected to hear it
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(self.delay)
        while self.pending:
            rooms, self.pending = self.pending, {}
            # Members' bells together (a reply rings every follower's), after the other rooms.
            members = {r: t for r, t in rooms.items() if r.kind is RoomKind.USER and _batched(t)}
            for room, touched in rooms.items():
                if room in members:
                    continue
                try:
                    await publish(room, touched)
                except Exception:
                    logger.exception("publishing room %s failed", room)
            if members:
                try:
                    await publish_members(members)
                except Exception:
                    logger.exception("publishing %d members' rooms failed", len(members))


def _batched(touched: set[int | str]) -> bool:
    """Whether a change to a member's room touched only parts read for many rooms at once."""
    parts = {t for t in touched if isinstance(t, str)}
    return bool(parts) and parts <= BATCHED_PARTS


_BATCHES = {
    RoomKind.IMPACT: _Batch(settings.IMPACT_COALESCE_SECONDS),
    RoomKind.ACTIVITY: _Batch(FEED_COALESCE_SECONDS),
    RoomKind.COMMUNITY: _Batch(MEMBERS_COALESCE_SECONDS),
    RoomKind.USER: _Batch(BELL_COALESCE_SECONDS),
}

_DEFAULT_BATCH = _Batch(COALESCE_SECONDS)


async def drain() -> None:
    """Wait until every queued room has been published (tests and benchmarks)."""
    loop = asyncio.get_running_loop()
    while mine := [t for t in _TASKS if t.get_loop() is loop and not t.done()]:
        await asyncio.wait(mine)
    for batch in (_DEFAULT_BATCH, *_BATCHES.values()):
        while batch.task is not None and not batch.task.done():
            await asyncio.shield(batch.task)


# Signals: what a person sees on a page that is not a room (their request to join, their
# mentorships) changed through someone else's action. A change carrying {"signal": topic,
# "id": n} reaches the tabs of the members whose rooms it names as events: each tab calls
# the handlers registered for the topic with the id, and those re-read through the tab's
# own session and access checks (a signal carries no content, only what to re-read).
_SIGNALS: dict[str, list[Callable[[int], EventSpec]]] = {}


def on_signal(topic: str, handler: Callable[[int], EventSpec]) -> None:
    """Run `handler(id)` in every open tab of the people a `topic` signal names."""
    _SIGNALS.setdefault(topic, []).append(handler)


async def signal(user_ids: set[int], topic: str, ident: int) -> None:
    """Send a topic's handlers to every tab linked to these members' own rooms."""
    handlers = _SIGNALS.get(topic, [])
    manager, namespace = target()
    if not handlers or namespace is None:
        return
    tabs: set[str] = set()
    for user_id in user_ids:
        token = BaseStateToken(ident=str(discussions.user_room(user_id)), cls=UserRoom)
        root = await manager.get_state(token)
        tabs |= set((await root.get_state(UserRoom))._linked_from)
    if tabs:
        events = Event.from_event_type([handler(ident) for handler in handlers])
        await _emit(namespace, StateUpdate(events=events), tabs)


# Impact dashboards opened in this process, with when a tab last linked to each. Services
# do not know which views and periods are open, so announced activity is matched here.
_IMPACT_OPEN: dict[RoomKey, float] = {}
IMPACT_FORGET_SECONDS = 24 * 3600


async def link_impact(state: rx.State, room: RoomKey) -> rx.State:
    """Link a tab to a dashboard its handler allowed, and remember the dashboard is open."""
    now = time.time()
    for key in [k for k, t in _IMPACT_OPEN.items() if now - t > IMPACT_FORGET_SECONDS]:
        del _IMPACT_OPEN[key]
    _IMPACT_OPEN[room] = now
    return await link_room(state, room)


def _queue_impact(change: Change) -> None:
    """Batched, not incremental: an event touches most measures (a reply changes activity,
    conversation, responsiveness, silos, growth and retention at once), and keeping eight
    measures' medians, distinct counts and cohorts exact incrementally would mean a second
    copy of every rule. So announced activity only marks the open dashboards whose scope it
    concerns (every community, its community, a mentor's pairs); each is re-computed once
    per IMPACT_COALESCE_SECONDS however many events arrived, and a dashboard nobody has open
    is not computed at all (`publish` skips rooms without viewers)."""
    cid = change.data.get("community_id")
    kind = str(change.data.get("kind", ""))
    if kind.startswith("user."):
        return  # signing in, profiles, passwords: no measure counts them
    mentoring = kind.startswith(("board.", "mentorship."))
    for room in list(_IMPACT_OPEN):
        view, _, _, _ = impact.decode_ident(room.ident)
        if view == impact.ALL or (view == f"c{cid}") or (view == impact.MENTEES and mentoring):
            _BATCHES[RoomKind.IMPACT].add(room)


def on_change(change: Change) -> None:
    """Listener for services.events: queue the rooms that serve a browser, with the post
    or the part of the room (`part`) the change touched; a signal goes to the members'
    tabs instead of re-reading their rooms."""
    if change.kind == ACCESS_CHANGED:
        _spawn(end_access(change.data["user_id"], change.data["reason"]))
        return
    if change.kind == "activity" and _IMPACT_OPEN:
        _queue_impact(change)
    items = (change.data.get("post_id"), change.data.get("part"))
    topic = change.data.get("signal")
    people = {r.ident for r in change.rooms if r.kind is RoomKind.USER} if topic else set()
    if people:
        _spawn(signal(people, str(topic), int(change.data.get("id") or 0)))
    for room in change.rooms:
        if room.kind is not RoomKind.USER or not people:
            _BATCHES.get(room.kind, _DEFAULT_BATCH).add(room, *items)


def start() -> None:
    """Subscribe to service changes; called once when the app module loads."""
    subscribe(on_change)
