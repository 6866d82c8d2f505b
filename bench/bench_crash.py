"""kill -9 of the backend mid-burst: no acknowledged reply lost, none duplicated, every tab back.

Issue 12, point 10. Ten signed-in tabs view one thread and post 300 replies in total. Each
reply is first typed as a draft: the tab keeps it in its browser storage (the tab applies the
draft store's deltas to its localStorage as the frontend does), with the draft's idempotency
key. A tab waits out the posting interval (5 s per member), presses Post and counts the reply
as acknowledged when the handler's final delta arrives without an error.

After ``--kill-after`` acknowledgements every process of the backend gets SIGKILL. The
database is read while it is down (what was committed), then a new backend starts on the same
data and state directory. Every tab reconnects with the same tab token and its storage (the
hydrate a browser sends), checks the draft its storage held came back into the reply box,
answers a ping, and presses Post again for the reply it had not seen acknowledged (same key).
At the end the thread is read from the database: every acknowledged reply must be there once.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (cop_app/db.py): a commit is in the WAL,
in the operating system's hands, before it returns, so killing the process loses nothing
acknowledged; only an OS crash or power cut could lose the last commits (``FULL`` closes that
too, at an fsync per commit). This benchmark kills the process, not the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sqlite3
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import common as cm
import loadtool as lt
import psutil

THREAD = "cop_app.states.discussions.ThreadState"
DRAFTS = "cop_app.states.drafts.DraftStore"
THREAD_NAME = lt.state_full_name(THREAD)
DRAFTS_NAME = lt.state_full_name(DRAFTS)
STORE_KEY = lt.storage_key(DRAFTS, "store")
STORE_VAR = lt.var_key("store")
SET_DRAFT = lt.event_name(THREAD, "set_draft")
SUBMIT = lt.event_name(THREAD, "submit_reply")
POSTING = lt.var_key("posting")
ERRORS = lt.var_key("errors")
DRAFT = lt.var_key("draft")
# cop_app.services.settings.POST_MIN_INTERVAL, plus a margin for clock reads.
POST_INTERVAL_S = 5.2
# How long after a Post is sent the backend dies: about when its handler writes the reply.
KILL_INTO_POST_S = 0.01
TOO_FAST = re.compile(r"again in (\d+) seconds")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = cm.base_parser("bench_crash.py", __doc__, 8171)
    parser.add_argument("--tabs", type=int, default=10, help="signed-in tabs (one member each)")
    parser.add_argument("--replies", type=int, default=300, help="replies in total")
    parser.add_argument("--kill-after", type=int, default=100, help="acknowledgements first")
    return parser.parse_args(argv)


# --- extra preparation (child process, imports cop_app) ----------------------------


def extra(args: argparse.Namespace) -> None:
    """Old accounts (no new-member limits), members of the bench community, one thread."""
    from sqlalchemy import insert, update
    from sqlmodel import Session, select

    engine = cm.open_app_db(args.app_dir)
    from cop_app.models import Community, Membership, User
    from cop_app.models.base import utcnow
    from cop_app.services import discussions

    now = utcnow()
    with Session(engine) as session:
        cid = session.exec(select(Community.id).where(Community.name == cm.BENCH_COMMUNITY)).one()
        users = session.exec(
            select(User.id).where(User.email.like("bench-%@bench.example.org")).order_by(User.id)
        ).all()
        session.execute(
            update(User).where(User.id.in_(users)).values(created_at=now - timedelta(days=60))
        )
        session.execute(
            insert(Membership),
            [
                {"community_id": cid, "user_id": u, "role": "member", "status": "active"}
                for u in users
            ],
        )
        session.commit()
        author = session.get(User, users[0])
        data = discussions.clean_thread_input(
            "discussion", "What survives a crash?", "Reply here: the backend will be killed.", ""
        )
        thread = discussions.check_create_thread(session, author, cid, data)
        args.extra.write_text(json.dumps({"thread_id": thread.id}))


# --- the tabs ------------------------------------------------------------------------


@dataclass
class Tab:
    """One browser tab of one member: its token, its localStorage and what it saw."""

    index: int
    session_token: str
    page: str
    params: dict[str, str]
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    storage: dict[str, str] = field(default_factory=dict)
    client: lt.Client | None = None
    acked: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    recovered_at: float | None = None
    draft_kept: bool | None = None
    stored_draft_at_crash: str = ""
    last_post: float = 0.0

    def new_client(self) -> lt.Client:
        """A connection of this tab, writing the draft store's deltas to its storage."""
        self.storage.setdefault(cm.SESSION_KEY, self.session_token)
        return lt.Client(
            token=self.token,
            page_path=self.page,
            route_params=self.params,
            client_storage=self.storage,
            on_update=self._store_writer,
        )

    def _store_writer(self, client: lt.Client, update: lt.Update) -> None:
        # The frontend skips storage writes of the hydrate snapshot (not hydrated yet).
        if update.delta.get(lt.ROOT_STATE, {}).get(lt.IS_HYDRATED) is False:
            return
        value = update.delta.get(DRAFTS_NAME, {}).get(STORE_VAR)
        if isinstance(value, str):
            self.storage[STORE_KEY] = value
            client.client_storage[STORE_KEY] = value

    def stored_draft(self, thread_id: int) -> str:
        """The reply draft this tab's storage holds for the thread ("" if none)."""
        try:
            drafts = json.loads(self.storage.get(STORE_KEY, "{}"))
        except ValueError:
            return ""
        for slot, entry in drafts.items():
            if slot.endswith(f":reply:{thread_id}"):
                return entry.get("f", {}).get("body", "")
        return ""


@dataclass
class Run:
    """Shared by the tabs and the killer."""

    base_url: str
    thread_id: int
    kill_after: int
    timeout: float
    acks: int = 0
    acked: set[str] = field(default_factory=set)
    posting: int = 0
    kill_now: asyncio.Event = field(default_factory=asyncio.Event)
    backend_up: asyncio.Event = field(default_factory=asyncio.Event)
    killed_at: float | None = None


def _store_holds(text: str) -> lt.Predicate:
    def predicate(update: lt.Update) -> bool:
        return text in str(update.delta.get(DRAFTS_NAME, {}).get(STORE_VAR, ""))

    return predicate


def _posted(update: lt.Update) -> bool:
    return update.delta.get(THREAD_NAME, {}).get(POSTING) is False


async def _connect(tab: Tab, run: Run) -> None:
    """Open the tab (again): connect, hydrate with its storage, answer a ping."""
    for attempt in range(60):
        await run.backend_up.wait()
        client = tab.new_client()
        try:
            await client.connect(run.base_url, timeout=run.timeout)
            await client.hydrate(timeout=run.timeout)
            await client.send(cm.PING, barrier=cm.BARRIER, timeout=run.timeout)
        except (lt.ClientError, OSError) as err:
            await client.close()
            if attempt == 59:
                raise
            tab.errors.append(f"reconnect: {err}"[:200])
            await asyncio.sleep(0.5)
            continue
        tab.client = client
        return


async def _recover(tab: Tab, run: Run) -> str:
    """After the crash: reconnect, and report the draft that came back into the reply box."""
    if tab.client is not None:
        await tab.client.close()
    tab.stored_draft_at_crash = tab.stored_draft(run.thread_id)
    await _connect(tab, run)
    assert tab.client is not None
    restored = tab.client.state.get(THREAD_NAME, {}).get(DRAFT, "")
    tab.draft_kept = restored == tab.stored_draft_at_crash
    tab.recovered_at = time.perf_counter()
    return restored


async def _post(tab: Tab, run: Run, text: str) -> None:
    """Press Post until the reply is acknowledged (waiting out the posting interval)."""
    while True:
        wait = tab.last_post + POST_INTERVAL_S - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        assert tab.client is not None
        run.posting += 1
        try:
            await tab.client.send(SUBMIT, until=_posted, timeout=run.timeout)
        finally:
            run.posting -= 1
        errors = tab.client.state.get(THREAD_NAME, {}).get(ERRORS) or {}
        if not errors:
            tab.last_post = time.perf_counter()
            return
        message = str(next(iter(errors.values())))
        tab.errors.append(message[:200])
        match = TOO_FAST.search(message)
        await asyncio.sleep(int(match.group(1)) if match else 1.0)


async def run_tab(tab: Tab, run: Run, count: int) -> None:
    """Type and post ``count`` replies; survive the crash with the draft in storage."""
    await _connect(tab, run)
    pending: str | None = None
    typed = False
    done = 0
    while done < count:
        try:
            if pending is None:
                pending = f"crash-bench tab {tab.index:02d} reply {done:03d}: kept until posted."
                typed = False
            if not typed:
                assert tab.client is not None
                await tab.client.send(
                    SET_DRAFT, {"value": pending}, until=_store_holds(pending), timeout=run.timeout
                )
                typed = True
            await _post(tab, run, pending)
        except lt.ClientError:
            if run.killed_at is None:
                raise
            restored = await _recover(tab, run)
            typed = pending is not None and restored == pending
            if typed and pending is not None:
                tab.resent.append(pending)
            continue
        tab.acked.append(pending)
        run.acked.add(pending)
        pending = None
        done += 1
        run.acks += 1
        if run.acks >= run.kill_after:
            run.kill_now.set()


async def killer(run: Run, restart: Any, kill: Any, facts: dict[str, Any]) -> None:
    """SIGKILL the backend after enough acknowledgements, while a Post is in flight (its
    reply may be committed and its acknowledgement lost), then start a new one."""
    await run.kill_now.wait()
    deadline = time.perf_counter() + 10
    while run.posting == 0 and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
    await asyncio.sleep(KILL_INTO_POST_S)
    run.backend_up.clear()
    run.killed_at = time.perf_counter()
    acked = set(run.acked)
    facts["acks_at_kill"] = len(acked)
    facts["posting_at_kill"] = run.posting
    committed = await asyncio.to_thread(kill)
    facts["in_db_at_kill"] = len(committed)
    facts["committed_unacked_at_kill"] = len(set(committed) - acked)
    started = time.perf_counter()
    await asyncio.to_thread(restart)
    facts["backend_restart_s"] = round(time.perf_counter() - started, 2)
    run.backend_up.set()


async def scenario(
    tabs: list[Tab], run: Run, per_tab: list[int], restart: Any, kill: Any
) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    run.backend_up.set()
    kill_task = asyncio.create_task(killer(run, restart, kill, facts))
    started = time.perf_counter()
    await asyncio.gather(*(run_tab(t, run, n) for t, n in zip(tabs, per_tab, strict=True)))
    facts["burst_s"] = round(time.perf_counter() - started, 1)
    if not kill_task.done():
        kill_task.cancel()
        facts["killed"] = False
    else:
        facts["killed"] = True
    # Every tab still answers, with nothing left in its reply box.
    for tab in tabs:
        assert tab.client is not None
        await tab.client.send(cm.PING, barrier=cm.BARRIER, timeout=run.timeout)
    await lt.close_clients([t.client for t in tabs if t.client is not None])
    return facts


# --- the run ---------------------------------------------------------------------------


def _posts(db: Path, thread_id: int) -> list[tuple[int, str, str | None]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(
            "SELECT id, body, client_key FROM post WHERE thread_id = ? AND number > 1",
            (thread_id,),
        ).fetchall()


def phases(ctx: cm.Context) -> None:
    """The burst on one backend, killed and started again on the same data; then the count."""
    args, prepared, tmp = ctx.args, ctx.prepared, ctx.tmp
    thread_id = ctx.extra["thread_id"]
    logs = iter(range(1, 10))
    backend: lt.Backend | None = None

    def start() -> None:
        nonlocal backend
        backend = lt.start_backend(
            args.app_dir,
            ctx.cop_env(),
            args.port,
            log_path=tmp / f"backend-{next(logs)}.log",
            unset_env=cm.UNSET_ENV,
        )

    def kill() -> list[str]:
        assert backend is not None
        processes = backend.processes()
        for process in processes:
            os.kill(process.pid, signal.SIGKILL)
        backend.proc.wait(timeout=10)
        psutil.wait_procs(processes, timeout=10)
        return [body for _, body, _ in _posts(tmp / "cop.db", thread_id)]

    print(f"\n== backend on :{args.port}, {args.tabs} tabs, {args.replies} replies")
    page = f"/c/{prepared.slug}/t/{thread_id}"
    params = {"slug": prepared.slug, "id": str(thread_id)}
    tabs = [Tab(i, prepared.tokens[i], page, params) for i in range(args.tabs)]
    per_tab = [args.replies // args.tabs + (i < args.replies % args.tabs) for i in range(args.tabs)]
    run = Run(f"http://127.0.0.1:{args.port}", thread_id, args.kill_after, args.timeout)
    try:
        start()
        facts = asyncio.run(scenario(tabs, run, per_tab, start, kill))
    finally:
        if backend is not None:
            lt.stop_backend(backend)
    assert run.killed_at is not None
    recovered = [t for t in tabs if t.recovered_at is not None]
    facts["recover_s"] = round(max((t.recovered_at or 0) for t in recovered) - run.killed_at, 2)
    print("\n== reading the thread from the database")
    rows = _posts(tmp / "cop.db", thread_id)
    bodies = Counter(body for _, body, _ in rows)
    acked = [text for t in tabs for text in t.acked]
    ctx.figures.update(
        {
            "replies": args.replies,
            "acknowledged": len(acked),
            "in_db": len(rows),
            "acked_missing": sum(1 for text in acked if text not in bodies),
            "duplicates": sum(n - 1 for n in bodies.values()),
            "without_key": sum(1 for _, _, key in rows if key is None),
            "resent": sum(len(t.resent) for t in tabs),
            "tabs": len(tabs),
            "tabs_recovered": sum(1 for t in recovered if t.draft_kept),
            "drafts_in_storage_at_crash": sum(1 for t in tabs if t.stored_draft_at_crash),
            "errors_seen": Counter(e.split(":")[0][:60] for t in tabs for e in t.errors),
            **facts,
        }
    )


def about(figures: dict[str, Any]) -> list[str]:
    """The backend and how it dies."""
    return [
        "- Backend: `reflex run --env prod --backend-only`, 1 Granian worker, disk state "
        "manager, SQLite (WAL, synchronous=NORMAL) in a temp dir; killed with SIGKILL "
        "(every process of its tree) and started again on the same data"
    ]


def render(f: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The targets (nothing lost, nothing twice, every tab back) and the figures."""
    replies = f["replies"]
    checks = [
        {
            "target": target,
            "figure": figure,
            "limit": limit,
            "pass": ok,
        }
        for target, figure, limit, ok in (
            ("acknowledged replies lost", f["acked_missing"], "0", f["acked_missing"] == 0),
            ("duplicate replies after the retries", f["duplicates"], "0", f["duplicates"] == 0),
            (
                "tabs recovered (ping answered, stored draft back in the reply box)",
                f"{f['tabs_recovered']}/{f['tabs']}",
                "all",
                f["tabs_recovered"] == f["tabs"],
            ),
            (
                "every reply acknowledged and in the database once",
                f"{f['acknowledged']} / {f['in_db']}",
                replies,
                f["acknowledged"] == replies == f["in_db"],
            ),
        )
    ]
    body = [
        "## Figures",
        "",
        cm.row("Figure", "Value"),
        cm.row("---", "---"),
        cm.row("tabs / replies posted in total", f"{f['tabs']} / {replies}"),
        cm.row("acknowledged when the backend was killed", f.get("acks_at_kill", "-")),
        cm.row("Posts in flight at the kill", f.get("posting_at_kill", "-")),
        cm.row("replies in the database while it was down", f.get("in_db_at_kill", "-")),
        cm.row(
            "of which committed but not acknowledged (acknowledgement lost)",
            f.get("committed_unacked_at_kill", "-"),
        ),
        cm.row("replies acknowledged in the end", f["acknowledged"]),
        cm.row("replies in the database in the end", f["in_db"]),
        cm.row("acknowledged but missing", f["acked_missing"]),
        cm.row("duplicates (same text twice)", f["duplicates"]),
        cm.row("replies without an idempotency key", f["without_key"]),
        cm.row("replies posted again from the restored draft (same key)", f["resent"]),
        cm.row(
            "tabs holding a reply draft in storage at the crash", f["drafts_in_storage_at_crash"]
        ),
        cm.row("tabs recovered with their draft", f"{f['tabs_recovered']}/{f['tabs']}"),
        cm.row("backend restart (SIGKILL to /ping answering)", f"{f.get('backend_restart_s')} s"),
        cm.row("recovery (SIGKILL to the last tab hydrated and pinged)", f"{f['recover_s']} s"),
        cm.row("burst, first draft to last acknowledgement", f"{f['burst_s']} s"),
        cm.row(
            "refusals the tabs saw and retried",
            ", ".join(f"{k} ({n} times)" for k, n in f["errors_seen"].items()) or "none",
        ),
        "",
        "Acknowledged means durable here: SQLite in WAL mode with `synchronous=NORMAL` has the "
        "commit in the WAL (the OS's page cache) before it returns, which a killed process "
        "cannot lose; only an OS crash or power cut could drop the last commits, which "
        "`synchronous=FULL` would prevent at the cost of an fsync per commit.",
        "",
    ]
    return checks, body


SCENARIO = cm.Scenario(
    name="crash",
    title="Crash: kill -9 of the backend during a burst of replies",
    script=Path(__file__).resolve(),
    parse=parse_args,
    render=render,
    phases=phases,
    extra=extra,
    users=lambda args: args.tabs,
    about=about,
)


if __name__ == "__main__":
    sys.exit(cm.main(SCENARIO))
