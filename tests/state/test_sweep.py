"""Every public event handler of every app state, called by five kinds of caller with hostile
arguments: no unauthorised change, nothing private in any delta, and the tab keeps working.

Handlers are found automatically, so a new handler is swept without anyone adding it here.
The callers: a visitor; a member of an open community; a member of another approval-only
community; a suspended member and a signed-out steward of the page's approval-only community,
whose tabs still hold their old session ids. A report table is printed at the end (`-s`).
"""

import asyncio
import inspect
import math
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import reflex as rx
from reflex.state import BaseState, StateUpdate
from sqlalchemy import text
from sqlmodel import select

from cop_app import live
from cop_app.models import (
    AuthSession,
    BoardCard,
    Community,
    Mentorship,
    Post,
    Resource,
    Thread,
    User,
)
from cop_app.seed import email_of
from cop_app.services import accounts, discussions, moderation
from cop_app.states.auth import AuthState
from cop_app.states.communities import CommunityState
from cop_app.states.discussions import NewThreadState, ThreadListState, ThreadState
from tests.state.harness import (
    Browser,
    Server,
    app_handlers,
    delta_text,
    session_token_for,
    snapshot,
    start_server,
    user_id_of,
    var,
)

# Handlers that take no argument and change only the caller's own rows (their session, their
# notifications, their membership of the open page's community): the database check is waived, the rest is not.
# They run last for each caller, sign_out the very last, so the others see the caller's session.
SELF_SERVICE = {
    ("BellState", "mark_all_read"): 1,  # the caller's own notifications
    ("CommunityState", "join"): 1,
    ("CommunityState", "leave"): 2,
    ("AuthState", "sign_out"): 3,
}
# Handlers with arguments that may write the caller's own rows: the tables they may touch (in
# the user table, only the caller's row).
OWN_ROWS = {
    # (search_doc: the search index rewrites the caller's own person entry with the row)
    ("SettingsState", "save_profile"): {"user", "activityevent", "search_doc"},
    # a wrong current password is a failed attempt on one's own account: it is throttled
    ("SettingsState", "change_password"): {"loginattempt", "activityevent"},
    # opening a line of one's own bell marks one's own notifications read
    ("BellState", "open_notification"): {"notification"},
}
PAGE = "surgical-technique-exchange"  # approval-only; no sweeping caller may read it
ELSEWHERE = "science-teaching-circle"  # an open community none of the callers belongs to
MARKER = "QZX7-approval-only-marker"  # in a thread of PAGE: no caller may ever receive it
HUGE_LENGTH = 200_000


# Self-service handlers last, in SELF_SERVICE order; the others by state and handler name.
HANDLERS = sorted(app_handlers(), key=lambda h: SELF_SERVICE.get((h[0].__name__, h[1]), 0))


def form_keys(cls: type[BaseState], name: str) -> list[str]:
    """The form fields a handler reads (`form_value(form, "key")`), read from its source."""
    source = inspect.getsource(cls.event_handlers[name].fn)
    return sorted(set(re.findall(r"form_value\(\s*\w+,\s*\"(\w+)\"", source))) or ["value"]


# --- payloads ---------------------------------------------------------------------------------

BOOLEANS = {"approve", "on", "follow", "accept"}
PLAUSIBLE = {  # a valid-looking value per argument name, used around the hostile one
    "role": "steward",
    "kind": "helpful",
    "verb": "complete",
    "what": "pin",
    "action": "hide",
    "target_type": "thread",
    "column": "done",
    "position": 0,
}


def param_class(name: str) -> str:
    """What a parameter holds, judged by its name: chooses the payloads worth sending it."""
    if name == "form_data":
        return "form"
    if name.endswith("_id") or name == "position":
        return "id"
    return "bool" if name in BOOLEANS else "text"


def nested(depth: int = 200) -> Any:
    """A dict/list structure `depth` levels deep."""
    value: Any = 1
    for _ in range(depth):
        value = {"a": [value]}
    return value


@dataclass(frozen=True)
class Targets:
    """Ids of things a caller may not touch: in PAGE (others') and in ELSEWHERE."""

    ids: dict[str, int]
    elsewhere: dict[str, int]


# (kind, variant): a value per parameter class ("form*": for every field of a form); parameters
# whose class a variant leaves out get a plausible value, so the hostile one gets further in.
Variant = dict[str, Any]
HOSTILE: list[tuple[str, Variant]] = [
    ("wrong types", {"id": None, "text": None, "bool": None, "form": None}),
    ("wrong types", {"id": [1, 2], "text": [1, 2], "bool": [1], "form": ["a", "b"]}),
    ("wrong types", {"id": "7", "text": {"a": 1}, "bool": "false", "form": "a=b"}),
    (
        "huge strings",
        {"id": "9" * HUGE_LENGTH, "text": "x" * HUGE_LENGTH, "form*": "x" * HUGE_LENGTH},
    ),
    (
        "injection text",
        {
            "id": "1 OR 1=1",
            "text": "<script>alert(1)</script>' OR '1'='1",
            "form*": "<img src=x onerror=alert(1)>'; DROP TABLE user; --",
        },
    ),
    ("lone surrogates", {"text": "\ud800", "form*": "a\udfffb"}),
    ("deep nesting", {"id": nested(), "text": nested(), "bool": nested(), "form": nested()}),
    ("negative/zero/huge ints", {"id": -1, "bool": -1, "form*": -1}),
    ("negative/zero/huge ints", {"id": 0, "text": 0, "bool": 0, "form*": 0}),
    ("negative/zero/huge ints", {"id": 2**64, "text": 10**40, "form*": 2**64}),
    ("nan/inf floats", {"id": math.nan, "bool": math.nan, "form*": math.nan}),
    ("nan/inf floats", {"id": math.inf, "text": -math.inf, "form*": math.inf}),
]
KINDS = [
    *dict.fromkeys(kind for kind, _ in HOSTILE),
    "another person's ids",
    "other communities' ids",
]


def plausible(param: str, ids: dict[str, int]) -> Any:
    """A valid-looking argument; ids name things of other people or other communities."""
    if param_class(param) == "id":
        return ids.get(param, ids["user_id"]) if param != "position" else 0
    if param_class(param) == "bool":
        return True
    if param_class(param) == "form":
        return {}
    return PLAUSIBLE.get(param, "x")


def payloads(
    cls: type[BaseState], name: str, params: list[str], targets: Targets
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, arguments) for one handler: each hostile variant that fits one of its parameters
    (the others get plausible values), then valid-looking calls on other people's things."""
    if not params:
        yield "no arguments", {}
        return
    classes = {p: param_class(p) for p in params}
    for kind, variant in HOSTILE:
        payload: dict[str, Any] = {}
        for param, klass in classes.items():
            if klass == "form" and "form*" in variant:
                payload[param] = dict.fromkeys(form_keys(cls, name), variant["form*"])
            elif klass in variant:
                payload[param] = variant[klass]
            else:
                payload[param] = plausible(param, targets.ids)
        if any(k in variant or (k == "form" and "form*" in variant) for k in classes.values()):
            yield kind, payload
    if "id" in classes.values():
        yield "another person's ids", {p: plausible(p, targets.ids) for p in params}
        yield "other communities' ids", {p: plausible(p, targets.elsewhere) for p in params}


# --- the world the callers meet ---------------------------------------------------------------


def seed_marker_thread() -> tuple[int, int]:
    """A thread of PAGE whose title, body and reply carry MARKER: (thread id, reply id)."""
    with rx.session() as session:
        steward = session.exec(select(User).where(User.email == email_of("helen.carter"))).one()
        member = session.exec(select(User).where(User.email == email_of("liam.byrne"))).one()
        cid = community_id(session, PAGE)
        data = discussions.clean_thread_input(
            "discussion", f"{MARKER} title", f"{MARKER} body text", ""
        )
        thread = discussions.check_create_thread(session, steward, cid, data)
        reply = discussions.check_post_reply(session, member, thread.id, f"{MARKER} reply")
        return thread.id, reply.id


def community_id(session: Any, slug: str) -> int:
    """The id of a demo community."""
    return session.exec(select(Community.id).where(Community.slug == slug)).one()


def first_of(session: Any, stmt: Any) -> int:
    """The id the statement finds first (ordered by id)."""
    return session.exec(stmt).first()


def targets_for(marker_thread: int, marker_post: int) -> Targets:
    """Things of other people in PAGE, and things in ELSEWHERE."""
    with rx.session() as session:
        elsewhere_cid = community_id(session, ELSEWHERE)
        page_cid = community_id(session, PAGE)
        mentorship = first_of(session, select(Mentorship.id).order_by(Mentorship.id))
        card = first_of(session, select(BoardCard.id).order_by(BoardCard.id))
        other_thread = first_of(
            session,
            select(Thread.id).where(Thread.community_id == elsewhere_cid).order_by(Thread.id),
        )
        other_post = first_of(
            session, select(Post.id).where(Post.thread_id == other_thread).order_by(Post.id)
        )
        resources = {
            cid: first_of(
                session,
                select(Resource.id).where(Resource.community_id == cid).order_by(Resource.id),
            )
            for cid in (page_cid, elsewhere_cid)
        }
    common = {"mentorship_id": mentorship, "card_id": card, "mentor_id": user_id_of("amara.okafor")}
    return Targets(
        ids={
            **common,
            "user_id": user_id_of("emily.chen"),  # waiting for approval to join PAGE
            "thread_id": marker_thread,
            "target_id": marker_thread,
            "post_id": marker_post,
            "community_id": page_cid,
            "resource_id": resources[page_cid],
        },
        elsewhere={
            **common,
            "user_id": user_id_of("kwame.asante"),
            "thread_id": other_thread,
            "target_id": other_thread,
            "post_id": other_post,
            "community_id": elsewhere_cid,
            "resource_id": resources[elsewhere_cid],
        },
    )


@dataclass
class Caller:
    """Who sweeps: the session id their tab holds ("" for a visitor), their email and id."""

    role: str
    token: str = ""
    email: str = ""
    user_id: int = 0


ACCESS_ENDS = ("suspended", "signed-out tab")


def make_caller(role: str) -> Caller:
    """Sign the role's person in (their access ends later, in `end_access`)."""
    person = {
        "visitor": "",
        "member": "hannah.kowalski",  # Engineering Craft Guild (open)
        "member of another community": "samuel.osei",  # Cross-Agency Outbreak Network
        "suspended": "priya.natarajan",  # a member of PAGE, suspended after signing in
        "signed-out tab": "joseph.mensah",  # a steward of PAGE, signed out in another tab
    }[role]
    if not person:
        return Caller(role)
    return Caller(role, session_token_for(person), email_of(person), user_id_of(person))


def end_access(caller: Caller) -> None:
    """Suspend the caller as an admin does, or sign their session out in another tab."""
    with rx.session() as session:
        if caller.role == "suspended":
            admin = session.exec(select(User).where(User.email == email_of("amara.okafor"))).one()
            moderation.check_suspend(session, admin, caller.user_id, "Sweep: access ends mid-page")
        if caller.role == "signed-out tab":
            accounts.check_sign_out(session, caller.token)


# --- checks -----------------------------------------------------------------------------------


class DatabaseWatch:
    """Tells whether the rows changed since the last look; SQLite's data_version says cheaply
    when nobody wrote, so the full comparison runs only after a write."""

    def __init__(self) -> None:
        engine = rx.model.get_engine()
        self._probe = (
            sqlite3.connect(engine.url.database or "", isolation_level=None)
            if engine.dialect.name == "sqlite"
            else None
        )
        self._version = self._data_version()
        self._rows = snapshot()

    def _data_version(self) -> int:
        return self._probe.execute("PRAGMA data_version").fetchone()[0] if self._probe else -1

    def changed(self) -> dict[str, set[tuple]]:
        """The rows that differ from the previous look (which this look replaces), by table."""
        version = self._data_version()
        if self._probe and version == self._version:
            return {}
        self._version = version
        rows = snapshot()
        diff = {
            name: set(rows[name]) ^ set(self._rows[name])
            for name in rows
            if rows[name] != self._rows[name]
        }
        self._rows = rows
        return diff

    def close(self) -> None:
        """Release the probe connection."""
        if self._probe:
            self._probe.close()


def private_strings(caller: Caller, others_tokens: list[str]) -> list[str]:
    """Secrets no sweeping caller may receive: hashes, others' emails and session ids, the
    stored session digests, and the marker of the approval-only community's thread."""
    with rx.session() as session:
        users = session.exec(select(User)).all()
        secrets = [u.password_hash for u in users]
        secrets += [u.email for u in users if u.email != caller.email]
        secrets += list(session.exec(select(AuthSession.token_hash)).all())
    return [*secrets, *others_tokens, MARKER]


def allowed_change(state: str, handler: str, diff: dict[str, set[tuple]], user_id: int) -> bool:
    """A self-service handler, or one that touched only the caller's own rows it may write."""
    if (state, handler) in SELF_SERVICE:
        return True
    tables = OWN_ROWS.get((state, handler), set())
    own_user_row = all(row[0] == repr(user_id) for row in diff.get("user", ()))
    return set(diff) <= tables and own_user_row


def leak_places(updates: list[StateUpdate], secret: str) -> list[str]:
    """The state vars (or front-end events) of these updates that carry the secret."""
    places = {
        f"{state.rsplit('.', 1)[-1]}.{name.removesuffix('_rx_state_')}"
        for update in updates
        for state, values in update.delta.items()
        for name, value in values.items()
        if secret in repr(value)
    }
    places |= {"an event" for update in updates if secret in repr(update.events)}
    return sorted(places)


# --- the sweep --------------------------------------------------------------------------------


@dataclass
class Tally:
    """One caller's sweep: counts for the report and the problems found."""

    handlers: int = 0
    signed_in_as: int = 0
    kinds: set[str] = field(default_factory=set)
    calls: int = 0
    changes: int = 0
    leaks: int = 0
    broken: int = 0
    errors: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [calls, failures]
    problems: list[str] = field(default_factory=list)


async def open_tab(server: Server, query: dict[str, str]) -> Browser:
    """A tab on the marked thread of PAGE that has sent its first event."""
    tab = Browser(server, path=f"/c/{PAGE}/t/{query['id']}", query=query)
    await tab.call(AuthState, "ping")
    return tab


async def live_updates_stop(tab: Browser, caller: Caller, thread_id: int, tally: Tally) -> None:
    """The tab reads PAGE while it may, then its access ends: the next reply in the marked
    thread must not reach it through the rooms it had joined."""
    await tab.hold_session_token(caller.token)
    seen = []
    for state, handler in ((CommunityState, "load_page"), (ThreadListState, "load")):
        seen += await tab.call(state, handler)
    seen += await tab.call(ThreadState, "load_page")
    if MARKER not in delta_text(seen):
        tally.problems.append(f"{caller.role}: the tab never read PAGE while it could")
    end_access(caller)
    before = len(tab.server.recorder.updates)
    with rx.session() as session:
        member = session.exec(select(User).where(User.email == email_of("sofia.lindqvist"))).one()
        discussions.check_post_reply(session, member, thread_id, f"{MARKER} after access ended")
    await live.drain()
    sent = [u for t, u in tab.server.recorder.updates[before:] if t == tab.token]
    kind = "live update after access ended"
    tally.calls += 1
    tally.kinds.add(kind)
    tally.by_kind[kind] = [1, int(MARKER in delta_text(sent))]
    if MARKER in delta_text(sent):
        tally.leaks += 1
        where = ", ".join(leak_places(sent, MARKER))
        tally.problems.append(f"{caller.role}: a reply after access ended reached {where}")


async def hold_token(tab: Browser, token: str) -> None:
    """The tab's storage holds the caller's session id, as a browser keeps it between events."""
    if token:
        await tab.hold_session_token(token)


async def still_works(tab: Browser, probe: str) -> tuple[bool, list[StateUpdate]]:
    """The same token still answers a ping, and a change of one of its vars comes back to it
    as a delta (a no-op ping sends none); returns (ok, the updates it was sent)."""
    errors_before = len(tab.server.errors)
    try:
        pong = await tab.call(AuthState, "ping")
        echo = await tab.call(NewThreadState, "set_tags", value=probe)
    except Exception:  # a timeout or a crash: the tab is broken either way
        return False, ""
    ok = var(echo, NewThreadState, "tags") == probe and len(tab.server.errors) == errors_before
    return ok and not tab.server.recorder.unsendable_for(tab.token), pong + echo


async def sweep(
    caller: Caller, targets: Targets, query: dict[str, str], others: list[str]
) -> Tally:
    """Every handler x every payload kind, one tab reused until it breaks (for a suspended or
    signed-out caller, the tab that read the page before their access ended)."""
    tally = Tally(handlers=len(HANDLERS))
    server = await start_server()
    tab = await open_tab(server, query)
    if caller.role in ACCESS_ENDS:
        await live_updates_stop(tab, caller, int(query["id"]), tally)
    watch = DatabaseWatch()
    secrets = private_strings(caller, others)
    await hold_token(tab, caller.token)
    await tab.call(AuthState, "check_session")
    tally.signed_in_as = (await tab.state(AuthState)).user_id  # type: ignore[attr-defined]
    for cls, name, params in HANDLERS:
        for kind, payload in payloads(cls, name, params, targets):
            await hold_token(tab, caller.token)
            label = f"{caller.role}: {cls.__name__}.{name}({kind})"
            failures_before = len(tally.problems)
            errors_before = len(server.errors)
            crash: Exception | None = None
            sent: list[StateUpdate] = []
            try:
                sent = await tab.call(cls, name, **payload)
            except Exception as exc:  # counted and reported with the handler errors
                crash = exc
            if crash or len(server.errors) > errors_before:
                tally.errors += 1
                error = server.errors[-1] if len(server.errors) > errors_before else crash
                tally.problems.append(f"{label} raised {error!r}"[:300])
            diff = watch.changed()
            if diff and not allowed_change(cls.__name__, name, diff, caller.user_id):
                tally.changes += 1
                tally.problems.append(f"{label} changed the database ({', '.join(sorted(diff))})")
            alive, pong = await still_works(tab, f"probe {tally.calls}")
            received = delta_text(sent + pong)
            leaked = next((s for s in secrets if s in received), None)
            if leaked:
                tally.leaks += 1
                where = ", ".join(leak_places(sent + pong, leaked))
                tally.problems.append(f"{label} sent {leaked[:24]}… in {where}")
            if not alive:
                tally.broken += 1
                tally.problems.append(f"{label} broke the tab")
                tab = await open_tab(server, query)
            tally.calls += 1
            tally.kinds.add(kind)
            counts = tally.by_kind.setdefault(kind, [0, 0])
            counts[0] += 1
            counts[1] += len(tally.problems) > failures_before
    watch.close()
    await server.processor.stop()
    return tally


def report_table(tallies: dict[str, Tally]) -> str:
    """Handlers x roles x payload kinds = calls, then what went wrong, per role and per kind."""
    if not tallies:
        return ""
    kinds = sorted({k for t in tallies.values() for k in t.kinds})
    calls = sum(t.calls for t in tallies.values())
    lines = [
        "",
        f"Hostile-handler sweep: {len(HANDLERS)} handlers x {len(tallies)} roles x "
        f"{len(kinds)} payload kinds = {calls} calls",
        "",
        "| role | calls | unauthorised changes | private fields in deltas | broken tabs "
        "| handler errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for role, t in tallies.items():
        lines.append(f"| {role} | {t.calls} | {t.changes} | {t.leaks} | {t.broken} | {t.errors} |")
    total = [
        sum(getattr(t, a) for t in tallies.values())
        for a in ("changes", "leaks", "broken", "errors")
    ]
    lines.append(f"| **all** | {calls} | {' | '.join(map(str, total))} |")
    lines += ["", "| payload kind | calls | calls with a problem |", "|---|---:|---:|"]
    for kind in kinds:
        n = [sum(t.by_kind.get(kind, [0, 0])[i] for t in tallies.values()) for i in (0, 1)]
        lines.append(f"| {kind} | {n[0]} | {n[1]} |")
    return "\n".join(lines)


ROLES = ["visitor", "member", "member of another community", "suspended", "signed-out tab"]


@pytest.fixture(scope="module")
def sweep_report(request: pytest.FixtureRequest) -> Iterator[dict[str, Tally]]:
    """Collects each role's tally; prints the report table after the last role."""
    tallies: dict[str, Tally] = {}
    yield tallies
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(report_table({r: tallies[r] for r in ROLES if r in tallies}))


def test_the_sweep_finds_the_handlers() -> None:
    names = {(cls.__name__, name) for cls, name, _ in HANDLERS}
    assert ("AuthState", "sign_in") in names
    assert ("CommunityState", "join") in names
    assert ("AdminUsersState", "change_role") in names
    assert len(names) >= 20
    assert HANDLERS[-1][1] == "sign_out"


def test_payloads_cover_every_kind_and_fit_the_parameters() -> None:
    targets = Targets(ids={"user_id": 5, "post_id": 6}, elsewhere={"user_id": 7, "post_id": 8})
    handler = next(h for h in HANDLERS if h[1] == "toggle_reaction")
    sent = list(payloads(*handler, targets))
    assert {kind for kind, _ in sent} == set(KINDS)
    assert ("another person's ids", {"post_id": 6, "kind": "helpful"}) in sent
    assert ("lone surrogates", {"post_id": 6, "kind": "\ud800"}) in sent
    signup = next(h for h in HANDLERS if h[1] == "sign_up")
    forms = [p["form_data"] for _, p in payloads(*signup, targets)]
    assert dict.fromkeys(["display_name", "email", "password"], "a\udfffb") in forms


@pytest.mark.parametrize("role", ROLES)
def test_hostile_calls_change_nothing_leak_nothing_break_nothing(
    app_db: None, role: str, sweep_report: dict[str, Tally]
) -> None:
    marker_thread, marker_post = seed_marker_thread()
    targets = targets_for(marker_thread, marker_post)
    caller = make_caller(role)
    others = [session_token_for("amara.okafor"), session_token_for("liam.byrne")]
    query = {"slug": PAGE, "id": str(marker_thread)}
    tally = asyncio.run(sweep(caller, targets, query, others))
    sweep_report[role] = tally
    assert tally.calls > 500
    valid_session = role in ("member", "member of another community")
    assert tally.signed_in_as == (caller.user_id if valid_session else 0)
    assert not tally.problems, "\n".join(tally.problems)


def test_the_marker_reaches_a_member_of_the_page(app_db: None) -> None:
    """The leak check is not vacuous: a member of PAGE does receive the marked thread."""
    marker_thread, _ = seed_marker_thread()
    token = session_token_for("grace.adeyemi")

    async def scenario() -> str:
        server = await start_server()
        tab = await open_tab(server, {"slug": PAGE, "id": "0"})
        await tab.sign_in_with_token(token)
        listed = await tab.call(ThreadListState, "load")
        tab.query["id"] = str(marker_thread)
        opened = await tab.call(ThreadState, "load_page")
        await server.processor.stop()
        return delta_text(listed + opened)

    sent = asyncio.run(scenario())
    assert sent.count(MARKER) >= 3  # the title in the list, then the thread's title and body


def test_the_watch_sees_every_write_and_nothing_else(app_db: None) -> None:
    watch = DatabaseWatch()
    assert watch.changed() == {}
    with rx.session() as session:
        session.exec(text("UPDATE \"user\" SET bio = 'changed' WHERE id = 1"))  # type: ignore[call-overload]
        session.commit()
    assert set(watch.changed()) == {"user"}
    assert watch.changed() == {}
    watch.close()


def test_an_update_the_socket_cannot_send_counts_as_a_broken_tab() -> None:
    async def scenario() -> tuple[list[Exception], list[Exception]]:
        server = await start_server()
        update = StateUpdate(delta={"state": {"draft": "a\ud800b"}})
        await server.recorder.emit_update(update, "tab-1")
        await server.recorder.emit_update(StateUpdate(delta={"state": {"draft": "ok"}}), "tab-2")
        await server.processor.stop()
        return server.recorder.unsendable_for("tab-1"), server.recorder.unsendable_for("tab-2")

    broken, fine = asyncio.run(scenario())
    assert [type(e) for e in broken] == [UnicodeEncodeError]
    assert fine == []
