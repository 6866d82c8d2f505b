"""Mixed workload at a person's pace on three setups, the cross-worker fan-out, and a soak.

    .venv/bin/python bench/bench_mixed.py [--clients 300] [--duration 60] [--setups a,b,c]
    .venv/bin/python bench/bench_mixed.py --soak 10 [--soak-setup c]

Issue 13 part 3, "Scale out, measured". Every simulated member is one tab that acts, waits
for the page to answer, thinks, and acts again. The think time is exponential with mean
``--think`` (5 s): a memoryless pause makes each member a Poisson source while it waits,
the usual model of interactive users, and 5 s sits between a click through a thread list
(1-2 s) and reading a reply (10+ s). The mix per action: open a thread 55 %, reply 15 %,
react 10 %, open the directory 10 %, move a mentorship card 5 %, the admins' live activity
feed 5 %. One tab in 20 is an admin's (persona): admins open the feed, the others do the
rest in proportion, so the whole mix is the one above. Threads are picked by a Zipf law over
``--threads`` threads (a few hot threads hold many viewers, as on a real forum); replies and
reactions go to the thread the tab last opened; each member moves cards on its own board
(the ``--extra`` step pairs the members as mentor and mentee, 12 cards per board). A member
replies at most once per POST_MIN_INTERVAL (5 s): a reply due sooner waits, as a person
would, rather than be refused (in the closed loop the tab goes on meanwhile and posts when
allowed).

Setups, each on a fresh database and state store:

* (a) one Granian worker, SQLite, disk state manager (the embedded default);
* (b) one worker, PostgreSQL (``cop_mixed_b`` on 127.0.0.1:5432) + Redis (db 8);
* (c) two workers, PostgreSQL (``cop_mixed_c``) + Redis (db 9), one port (``GRANIAN_WORKERS``).

Per setup: the mix with think times for ``--duration`` s (actions/s, p50/p95/p99 per
action, CPU of the backend and of this load generator), then the same mix as a closed loop
(no think time; a tab starts at most 10 actions/s, under cop_app's flood guard) for
``--saturation`` s: the setup's capacity, the throughput compared between setups. Bare
Reflex's floor (bench/bare_app, one ``increment`` per action) runs the same two loops.
In (c), the crossing: ``--crossing-viewers`` tabs view one thread, and which worker holds
each socket is read from Redis (Reflex's ``token_manager_socket_record_<token>`` names the
worker instance, cop_app's heartbeat ``cop_worker_alive_<instance>`` its pid); members on
both workers post in turn, and each reply is timed until every viewer on the OTHER worker
shows it. Granian's workers accept on one shared socket, so the kernel picks the worker;
when one side gets too few tabs, more tabs connect and the surplus closes.
In (a), the capacity: the client count steps up (``--capacity-steps``) until the mix's
p95 passes 300 ms: the members one worker serves on this machine.

``--soak MINUTES`` runs only a soak on ``--soak-setup``: the mix at ``--clients`` with 10 % of
the tabs reloaded (closed, opened with a new token) per minute and Reflex's token expiry
cut to ``--soak-expiry`` s, so expired tab states must be purged during the run; per minute:
backend RSS, state files (disk) or Redis keys and distinct tab states, stored rooms, database
connections (pg_stat_activity), and the event-loop lag seen by idle tabs pinging every second.

The machine is shared: figures are only comparable when taken on a quiet machine; the
report gives the CPU of the backend, of this generator and of every other process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import json
import math
import pickle
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import common as cm
import loadtool as lt
from bare_baseline import BARE_APP_DIR, INCREMENT

THREAD = "cop_app.states.discussions.ThreadState"
BOARD = "cop_app.states.mentorship.BoardState"
FEED = "cop_app.states.moderation.FeedState"
DIRECTORY = "cop_app.states.communities.DirectoryState"
THREAD_ROOM = lt.shared_state("cop_app.live.ThreadRoom")
BOARD_ROOM = lt.shared_state("cop_app.live.BoardRoom")
ROOM_STATES = {
    "thread": THREAD_ROOM,
    "board": BOARD_ROOM,
    "activity": lt.shared_state("cop_app.live.ActivityRoom"),
    "community": lt.shared_state("cop_app.live.CommunityRoom"),
    "threads": lt.shared_state("cop_app.live.ThreadListRoom"),
    "user": lt.shared_state("cop_app.live.UserRoom"),
}
THREAD_S = lt.state_full_name(THREAD)
THREAD_LOAD = lt.event_name(THREAD, "load_page")
SET_DRAFT = lt.event_name(THREAD, "set_draft")
SUBMIT = lt.event_name(THREAD, "submit_reply")
REACT = lt.event_name(THREAD, "toggle_reaction")
BOARD_LOAD = lt.event_name(BOARD, "load")
MOVE = lt.event_name(BOARD, "move")
FEED_LOAD = lt.event_name(FEED, "load")
DIRECTORY_LOAD = lt.event_name(DIRECTORY, "load")
REACTIONS = ("helpful", "insightful", "thanks")
COLUMNS = ("todo", "doing", "done")

#: The whole mix (percent of actions); admins do "feed", the other members the rest.
MIX = {"thread": 55, "reply": 15, "react": 10, "directory": 10, "board": 5, "feed": 5}
MEMBER_MIX = {k: v for k, v in MIX.items() if k != "feed"}
NO_REPLY = {k: v for k, v in MEMBER_MIX.items() if k != "reply"}
ADMIN_EVERY = 20  # tab i is an admin's when i % 20 == 0: 5 % of the tabs, 5 % of the actions
CARDS_PER_BOARD = 12
POST_GAP_S = 5.5  # POST_MIN_INTERVAL (5 s) and a margin
# A closed-loop tab starts at most 10 actions/s (up to 3 events each): cop_app's event guard
# drops what one tab sends beyond 30 events/s (TAB_EVENTS_PER_SECOND), as a flood.
CLOSED_LOOP_GAP_S = 0.1
SCALE_MIN = 1.5  # (c) saturation throughput vs (b)
CROSS_P95_MAX_MS = 250.0
CAPACITY_P95_MAX_MS = 300.0
PG_HOST = "postgresql+psycopg2://postgres@127.0.0.1:5432"
REDIS_BASE = "redis://127.0.0.1:6379"
SETUPS = {
    "a": {"label": "(a) 1 worker, SQLite, disk", "workers": 1, "pg": None, "redis": None},
    "b": {"label": "(b) 1 worker, PG + Redis", "workers": 1, "pg": "cop_mixed_b", "redis": 8},
    "c": {"label": "(c) 2 workers, PG + Redis", "workers": 2, "pg": "cop_mixed_c", "redis": 9},
}


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The common options plus the mix, setups, crossing, capacity and soak options."""
    parser = cm.base_parser("bench_mixed.py", __doc__, 8451)
    parser.add_argument("--clients", type=int, default=300, help="members' tabs (default 300)")
    parser.add_argument(
        "--duration", type=float, default=60.0, help="measured seconds of the mix per setup"
    )
    parser.add_argument("--think", type=float, default=5.0, help="mean think time, seconds")
    parser.add_argument("--setups", default="a,b,c", help="which of a,b,c to run (default all)")
    parser.add_argument(
        "--saturation", type=float, default=15.0, help="seconds of the closed-loop mix (0: skip)"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip bare Reflex's floor")
    parser.add_argument("--bare-port", type=int, default=8452, help="bare app backend port")
    parser.add_argument("--threads", type=int, default=200, help="threads in the bench community")
    parser.add_argument("--thread-replies", type=int, default=30, help="replies per thread")
    parser.add_argument("--crossing-viewers", type=int, default=100)
    parser.add_argument("--crossing-replies", type=int, default=30)
    parser.add_argument(
        "--capacity-steps",
        default="100,200,300,400,600",
        help="client counts stepped on --capacity-setup until p95 > 300 ms ('' to skip)",
    )
    parser.add_argument("--capacity-setup", default="a", choices=sorted(SETUPS))
    parser.add_argument("--step-duration", type=float, default=20.0, help="seconds per step")
    parser.add_argument("--soak", type=float, default=0.0, metavar="MINUTES", help="soak only")
    parser.add_argument("--soak-setup", default="c", choices=sorted(SETUPS))
    parser.add_argument("--soak-expiry", type=int, default=120, help="token expiry in the soak, s")
    parser.add_argument("--churn", type=float, default=0.1, help="tabs reloaded per minute (soak)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    args.setup_list = [s for s in args.setups.replace(" ", "").split(",") if s]
    unknown = [s for s in args.setup_list if s not in SETUPS]
    if unknown:
        parser.error(f"unknown setups {unknown}: choose among a, b, c")
    args.steps = sorted({int(s) for s in args.capacity_steps.split(",") if s.strip()})
    return args


def users_needed(args: argparse.Namespace) -> int:
    """Members (accounts with a session) the largest phase signs in."""
    steps = args.capacity_setup in args.setup_list and not args.soak
    capacity = max(args.steps, default=0) if steps else 0
    return max(args.clients, capacity, args.crossing_viewers + 10) + args.warmup_clients + 5


def is_admin(i: int) -> bool:
    """Tab i is an admin's (the feed watchers)."""
    return i % ADMIN_EVERY == 0


# --- extra preparation (child process; SQLite or PostgreSQL by REFLEX_DB_URL) --------


def extra(args: argparse.Namespace) -> None:
    """Members aged and active in the bench community, admins, boards in pairs, threads."""
    from sqlalchemy import insert, text, update
    from sqlmodel import Session, select

    engine = cm.open_app_db(args.app_dir)
    from cop_app.models import BoardCard, Community, Mentorship, Post, Thread, User
    from cop_app.models.base import utcnow
    from cop_app.services import markdown

    started = time.perf_counter()
    rng = random.Random(args.seed)
    now = utcnow()
    with Session(engine) as session:
        cid = session.exec(select(Community.id).where(Community.name == cm.BENCH_COMMUNITY)).one()
        users = session.exec(
            select(User.id).where(User.email.like("bench-%@bench.example.org")).order_by(User.id)
        ).all()
        cm.join_bench_community(session, cid, users, now)
        admins = [u for i, u in enumerate(users) if is_admin(i)]
        session.execute(update(User).where(User.id.in_(admins)).values(role="admin"))
        # Boards: the non-admin members in pairs, mentor and mentee.
        members = [i for i in range(len(users)) if not is_admin(i)]
        boards: dict[str, dict[str, Any]] = {}
        for k in range(0, len(members) - 1, 2):
            mentor_i, mentee_i = members[k], members[k + 1]
            session.execute(update(User).where(User.id == users[mentor_i]).values(role="mentor"))
            m = Mentorship(
                mentor_id=users[mentor_i],
                mentee_id=users[mentee_i],
                community_id=cid,
                goals="Benchmark the mixed workload.",
                state="active",
                created_at=now - timedelta(days=10),
                started_at=now - timedelta(days=9),
                last_activity_at=now - timedelta(days=1),
            )
            session.add(m)
            session.flush()
            cards = []
            for n in range(CARDS_PER_BOARD):
                card = BoardCard(
                    mentorship_id=m.id,
                    title=f"Card {n:02d}",
                    description="A short description, as a real card has.",
                    column=COLUMNS[n % 3],
                    position=n // 3,
                    created_by=users[mentor_i],
                    created_at=now - timedelta(days=8),
                    updated_at=now - timedelta(days=8),
                )
                session.add(card)
                cards.append(card)
            session.flush()
            ids = [c.id for c in cards]
            # Each side moves its own cards, so two moves never race for one card.
            boards[str(mentor_i)] = {"mentorship_id": m.id, "cards": ids[0::2]}
            boards[str(mentee_i)] = {"mentorship_id": m.id, "cards": ids[1::2]}
        # Threads (no explicit ids: PostgreSQL's sequences must stay right), then posts.
        body = "A reply with **some** text, a [link](https://example.org) and a list:\n\n- a\n- b"
        html = markdown.render(body)
        threads = []
        base = now - timedelta(days=30)
        for i in range(args.threads + 1):
            created = base + timedelta(minutes=10 * i)
            replies = args.thread_replies if i < args.threads else 10
            threads.append(
                Thread(
                    community_id=cid,
                    author_id=users[i % len(users)],
                    kind="question" if i % 3 == 0 else "discussion",
                    title=f"Mixed bench thread {i:04d}" if i < args.threads else "Crossing",
                    tags="bench",
                    post_count=replies + 1,
                    reply_count=replies,
                    reaction_count=rng.randrange(10),
                    created_at=created,
                    last_activity_at=created + timedelta(seconds=30 * replies),
                    first_reply_at=created + timedelta(seconds=30) if replies else None,
                )
            )
        session.add_all(threads)
        session.flush()
        posts = []
        for i, thread in enumerate(threads):
            for n in range(thread.post_count):
                posts.append(
                    {
                        "thread_id": thread.id,
                        "number": n + 1,
                        "author_id": users[(i + n) % len(users)],
                        "body": body,
                        "body_html": html,
                        "created_at": thread.created_at + timedelta(seconds=30 * n),
                    }
                )
        for k in range(0, len(posts), 20_000):
            session.execute(insert(Post), posts[k : k + 20_000])
        session.commit()
        thread_ids = [t.id for t in threads]
        if engine.dialect.name == "sqlite":
            session.execute(text("ANALYZE"))
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    Path(args.extra).write_text(
        json.dumps(
            {
                "community_id": cid,
                "threads": thread_ids[:-1],
                "crossing_thread": thread_ids[-1],
                "boards": boards,
                "admins": len(admins),
                "posts": len(posts),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )


# --- PostgreSQL + Redis preparation (the parent) ------------------------------------


def pg_url(database: str) -> str:
    """SQLAlchemy URL of one of this bench's databases."""
    return f"{PG_HOST}/{database}"


def recreate_database(database: str) -> None:
    """Drop and create this bench's own database (never another one)."""
    import psycopg2

    if not database.startswith("cop_mixed_"):
        msg = f"refusing to recreate {database!r}: not one of this bench's databases"
        raise ValueError(msg)
    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (database,),
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{database}"')
        cur.execute(f'CREATE DATABASE "{database}" OWNER postgres')
    conn.close()


def pg_connections(database: str) -> int:
    """Connections open to one database (pg_stat_activity)."""
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,))
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def redis_client(db: int) -> Any:
    """A client of one of this bench's Redis databases (8 or 9)."""
    import redis

    if db not in (8, 9):
        msg = f"Redis db {db}: this bench uses only 8 and 9"
        raise ValueError(msg)
    return redis.Redis.from_url(f"{REDIS_BASE}/{db}")


def prepare_pg(ctx: cm.Context, setup: str) -> tuple[cm.Prepared, dict[str, Any]]:
    """A fresh PostgreSQL database: migrate, the common seed, then this bench's extra step."""
    spec = SETUPS[setup]
    database = spec["pg"]
    url = pg_url(database)
    print(f"  PostgreSQL database {database}: recreate, migrate, seed")
    started = time.perf_counter()
    recreate_database(database)
    data_dir = ctx.tmp / f"pg-{setup}"
    data_dir.mkdir(exist_ok=True)
    env = {**cm.child_env(data_dir), "REFLEX_DB_URL": url}
    app_dir = ctx.args.app_dir
    cm.migrate(app_dir, env, f"reflex db migrate on {database}")
    migrate_s = time.perf_counter() - started
    script = Path(__file__).resolve()

    def child(step: list[str], what: str) -> None:
        cm.run_child(script, data_dir, app_dir, step, f"{what} on {database}", 1200, env)

    out = data_dir / "prepared.json"
    child(["--prepare", str(out), "--users", str(users_needed(ctx.args))], "preparing the data")
    data = json.loads(out.read_text())
    extra_out = data_dir / "extra.json"
    child(["--extra", str(extra_out), *extra_args(ctx.args)], "extra preparation")
    prepared = cm.Prepared(
        data_dir=data_dir,
        tokens=data["tokens"],
        slug=data["slug"],
        community_id=data["community_id"],
        member_count=data["member_count"],
        migrate_s=migrate_s,
        seed_s=time.perf_counter() - started - migrate_s,
    )
    print(f"  prepared {database} in {time.perf_counter() - started:.1f} s")
    return prepared, json.loads(extra_out.read_text())


def extra_args(args: argparse.Namespace) -> list[str]:
    """Options the --extra child needs."""
    return [
        "--threads",
        str(args.threads),
        "--thread-replies",
        str(args.thread_replies),
        "--seed",
        str(args.seed),
    ]


def setup_env(ctx: cm.Context, setup: str, data_dir: Path) -> dict[str, str]:
    """The backend environment of one setup (its database, state manager, workers)."""
    spec = SETUPS[setup]
    env = {
        **cm.BACKEND_ENV,
        "COP_DATA_DIR": str(data_dir),
        "REFLEX_STATES_WORKDIR": str(ctx.tmp / f"states-{setup}"),
        "GRANIAN_WORKERS": str(spec["workers"]),
    }
    if spec["pg"]:
        env["REFLEX_DB_URL"] = pg_url(spec["pg"])
    if spec["redis"] is not None:
        env["REFLEX_REDIS_URL"] = f"{REDIS_BASE}/{spec['redis']}"
    return env


# --- Which worker holds a socket (Redis) ----------------------------------------------


class _Record:
    """Stand-in for Reflex's SocketRecord when unpickling (no Reflex import here)."""

    def __setstate__(self, state: Any) -> None:
        """Take a dataclass's state, with or without slots."""
        if isinstance(state, tuple):
            state = {k: v for part in state if isinstance(part, dict) for k, v in part.items()}
        self.__dict__.update(state)


class _RecordUnpickler(pickle.Unpickler):
    """Maps Reflex's classes to `_Record`; refuses anything else but builtins."""

    def find_class(self, module: str, name: str) -> Any:
        """Only what a SocketRecord pickle holds."""
        if module.startswith("reflex"):
            return _Record
        if module in ("builtins", "copyreg"):
            return super().find_class(module, name)
        msg = f"unexpected class {module}.{name} in a socket record"
        raise pickle.UnpicklingError(msg)


def socket_workers(db: int, tokens: Sequence[str]) -> dict[str, int | None]:
    """Token -> pid of the worker holding its socket (None: unknown)."""
    import io

    r = redis_client(db)
    try:
        raw = r.mget([f"token_manager_socket_record_{t}" for t in tokens]) if tokens else []
        instances: dict[str, str | None] = {}
        for token, value in zip(tokens, raw, strict=True):
            instances[token] = None
            if value:
                with contextlib.suppress(Exception):
                    instances[token] = _RecordUnpickler(io.BytesIO(value)).load().instance_id
        ids = sorted({i for i in instances.values() if i})
        beats = r.mget([f"cop_worker_alive_{i}" for i in ids]) if ids else []
        pids: dict[str, int | None] = {}
        for instance, beat in zip(ids, beats, strict=True):
            pid = beat.decode().rpartition(":")[2] if beat else ""
            pids[instance] = int(pid) if pid.isdigit() else None
        return {t: pids.get(i) if i else None for t, i in instances.items()}
    finally:
        r.close()


# --- The simulated members ------------------------------------------------------------


@dataclasses.dataclass
class Slot:
    """One member's tab and what it is doing."""

    index: int
    client: lt.Client
    admin: bool
    board: dict[str, Any] | None
    rng: random.Random
    thread: int = 0
    last_reply: float = -1e9
    reply_owed: bool = False
    replies: int = 0
    reload: bool = False
    dead: bool = False


@dataclasses.dataclass
class World:
    """What every tab needs to act: pages, threads and their popularity."""

    slug: str
    threads: list[int]
    weights: list[float]
    boards: dict[str, dict[str, Any]]
    tokens: list[str]
    context: lt.FrontendContext | None
    timeout: float
    base_url: str

    def thread_page(self, thread: int) -> tuple[str, dict[str, str]]:
        """Path and route params of a thread."""
        return f"/c/{self.slug}/t/{thread}", {"slug": self.slug, "id": str(thread)}

    def new_client(self, i: int) -> lt.Client:
        """A signed-in tab of member i (a new token each time: a new tab)."""
        return cm.make_tokens_client(self.tokens, self.context, "/communities")(i)


def make_world(
    backend: lt.Backend, prepared: cm.Prepared, ex: dict[str, Any], args: argparse.Namespace
) -> World:
    """The pages and threads of one prepared database, served by one backend."""
    threads = ex["threads"]
    return World(
        slug=prepared.slug,
        threads=threads,
        weights=[1.0 / (rank + 1) for rank in range(len(threads))],  # Zipf, s = 1
        boards=ex["boards"],
        tokens=prepared.tokens,
        context=cm.frontend_context(args),
        timeout=args.timeout,
        base_url=backend.base_url,
    )


def reply_done(update: lt.Update) -> bool:
    """submit_reply's last delta: posting back to false (its first one sets it true)."""
    return update.delta.get(THREAD_S, {}).get(lt.var_key("posting")) is False


def react_done(update: lt.Update) -> bool:
    """toggle_reaction's reply: the member's reactions, or a toast when refused."""
    return lt.var_key("my_reactions") in update.delta.get(THREAD_S, {}) or bool(update.events)


def card_in(column: str, card: int) -> lt.Predicate:
    """The tab's board shows the card in that column."""
    return lt.var_matches(
        BOARD_ROOM, column, lambda cards: any(c.get("id") == card for c in cards or [])
    )


def card_column(client: lt.Client, card: int) -> str | None:
    """Where the tab's board shows a card."""
    room = client.state.get(BOARD_ROOM, {})
    for column in COLUMNS:
        if any(c.get("id") == card for c in room.get(lt.var_key(column)) or []):
            return column
    return None


async def open_thread(world: World, slot: Slot) -> float:
    """Open a thread picked by popularity."""
    slot.thread = slot.rng.choices(world.threads, world.weights)[0]
    cm.set_page([slot.client], *world.thread_page(slot.thread))
    return await slot.client.send_ev(lt.Ev(THREAD_LOAD, barrier=cm.BARRIER), world.timeout)


async def first_page(world: World, slot: Slot) -> None:
    """What the tab holds before the mix: its board (members), a thread or the feed."""
    if slot.admin:
        cm.set_page([slot.client], "/admin/activity")
        await slot.client.send_ev(lt.Ev(FEED_LOAD, barrier=cm.BARRIER), world.timeout * 3)
        return
    if slot.board:
        mid = slot.board["mentorship_id"]
        cm.set_page([slot.client], f"/mentorship/boards/{mid}", {"id": str(mid)})
        await slot.client.send_ev(lt.Ev(BOARD_LOAD, barrier=cm.BARRIER), world.timeout * 3)
    slot.thread = slot.rng.choices(world.threads, world.weights)[0]
    cm.set_page([slot.client], *world.thread_page(slot.thread))
    await slot.client.send_ev(lt.Ev(THREAD_LOAD, barrier=cm.BARRIER), world.timeout * 3)


async def act(world: World, slot: Slot, action: str) -> tuple[str, float, bool]:
    """Do one action; returns (the action done, its latency, whether it was refused)."""
    client = slot.client
    if action == "board" and not slot.board:
        action = "thread"
    if action == "feed":
        cm.set_page([client], "/admin/activity")
        return action, await client.send_ev(lt.Ev(FEED_LOAD, barrier=cm.BARRIER)), False
    if action == "directory":
        cm.set_page([client], "/communities")
        ev = lt.Ev(DIRECTORY_LOAD, barrier=cm.BARRIER)
        return action, await client.send_ev(ev, world.timeout), False
    if action == "thread":
        return action, await open_thread(world, slot), False
    if action == "board":
        assert slot.board is not None
        mid = slot.board["mentorship_id"]
        cm.set_page([client], f"/mentorship/boards/{mid}", {"id": str(mid)})
        card = slot.rng.choice(slot.board["cards"])
        now_in = card_column(client, card)
        column = slot.rng.choice([c for c in COLUMNS if c != now_in])
        ev = lt.Ev(MOVE, {"card_id": card, "column": column, "position": 0}, card_in(column, card))
        return action, await client.send_ev(ev, world.timeout), False
    cm.set_page([client], *world.thread_page(slot.thread))
    if action == "react":
        loaded = client.state.get(THREAD_S, {}).get(lt.var_key("loaded")) or []
        if not loaded:
            return "thread", await open_thread(world, slot), False
        post = slot.rng.choice(loaded)["id"]
        ev = lt.Ev(REACT, {"post_id": post, "kind": slot.rng.choice(REACTIONS)}, react_done)
        before = client.state.get(THREAD_S, {}).get(lt.var_key("my_reactions"))
        latency = await client.send_ev(ev, world.timeout)
        after = client.state.get(THREAD_S, {}).get(lt.var_key("my_reactions"))
        return action, latency, after == before  # unchanged: refused (a toast)
    # reply: type it (set_draft, the debounced input), then Post
    wait = slot.last_reply + POST_GAP_S - time.perf_counter()
    if wait > 0:
        await asyncio.sleep(wait)  # a person would not post twice within 5 s either
    slot.replies += 1
    text = f"Mixed bench reply {slot.index}.{slot.replies}: a short answer."
    await client.send_ev(lt.Ev(SET_DRAFT, {"value": text}, barrier=cm.BARRIER), world.timeout)
    latency = await client.send_ev(lt.Ev(SUBMIT, until=reply_done), world.timeout)
    slot.last_reply = time.perf_counter()
    errors = client.state.get(THREAD_S, {}).get(lt.var_key("errors"))
    return action, latency, bool(errors)


@dataclasses.dataclass
class Record:
    """What the tabs did over one measured window."""

    latencies: dict[str, list[float]] = dataclasses.field(
        default_factory=lambda: {k: [] for k in MIX}
    )
    errors: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(MIX, 0))
    refused: dict[str, int] = dataclasses.field(default_factory=lambda: dict.fromkeys(MIX, 0))
    #: Tabs with an action unanswered within --timeout (stuck behind a lock, or dead).
    stuck: set[int] = dataclasses.field(default_factory=set)

    def add(self, action: str, latency: float, refused: bool) -> None:
        """One action done."""
        self.latencies[action].append(latency)
        self.refused[action] += refused

    def total(self) -> int:
        """Actions done."""
        return sum(len(v) for v in self.latencies.values())

    def all_latencies(self) -> list[float]:
        """Every action's latency."""
        return [x for v in self.latencies.values() for x in v]


async def run_mix(
    world: World,
    slots: list[Slot],
    *,
    think: float,
    duration: float,
    warmup: float,
    backend: lt.Backend,
    on_tick: Callable[[Record, float], Any] | None = None,
    tick: float = 0.0,
) -> tuple[Record, cm.Meter, float]:
    """Every tab thinks, acts, waits for the answer, again; measure after ``warmup``.

    ``think`` 0 is the closed loop (capacity). With ``on_tick``, a fresh Record is started
    every ``tick`` seconds and the old one handed over (the soak's minutes)."""
    record = Record()
    measuring = False
    stop = asyncio.Event()

    def pick(slot: Slot) -> str:
        if slot.admin:
            return "feed"
        due = time.perf_counter() >= slot.last_reply + POST_GAP_S
        if think == 0 and slot.reply_owed and due:
            slot.reply_owed = False
            return "reply"
        chosen = slot.rng.choices(list(MEMBER_MIX), list(MEMBER_MIX.values()))[0]
        if think == 0 and chosen == "reply" and not due:
            # Closed loop: a reply the 5 s post interval would hold waits for its turn while
            # the tab goes on (a person with a reply half typed reads on).
            slot.reply_owed = True
            return slot.rng.choices(list(NO_REPLY), list(NO_REPLY.values()))[0]
        return chosen

    async def member(slot: Slot) -> None:
        nonlocal record
        if think > 0:  # start spread over one think time, not all at once
            await asyncio.sleep(slot.rng.uniform(0, think))
        began = 0.0
        while not stop.is_set() and not slot.dead:
            if think > 0:
                await asyncio.sleep(slot.rng.expovariate(1.0 / think))
            else:  # closed loop: stay under cop_app's flood guard (30 events/s per tab)
                await asyncio.sleep(max(0.0, began + CLOSED_LOOP_GAP_S - time.perf_counter()))
            began = time.perf_counter()
            if stop.is_set():
                return
            if slot.reload:
                await reload_tab(world, slot)
                continue
            counted, mine, chosen = measuring, record, pick(slot)
            try:
                action, latency, refused = await act(world, slot, chosen)
            except lt.ClientError as err:
                if counted and mine is record:
                    mine.errors[chosen] += 1
                    mine.stuck.add(slot.index)
                if not slot.client.connected:
                    print(f"  tab {slot.index} lost its socket: {err}")
                    slot.dead = True
                continue
            if counted and mine is record and not stop.is_set():
                mine.add(action, latency, refused)

    tasks = [asyncio.create_task(member(s)) for s in slots]
    meter = cm.Meter()
    try:
        await asyncio.sleep(warmup)
        measuring = True
        started = time.perf_counter()
        with cm.metered(backend, meter):
            if on_tick is None:
                await asyncio.sleep(duration)
            else:
                while time.perf_counter() - started < duration - 0.5:
                    await asyncio.sleep(min(tick, duration - (time.perf_counter() - started)))
                    done, record = record, Record()
                    await on_tick(done, time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        stop.set()
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=world.timeout + 5)
        for task in tasks:
            task.cancel()
    meter.events = record.total()
    return record, meter, elapsed


async def reload_tab(world: World, slot: Slot) -> None:
    """Close the tab and open a new one for the same member (a reload: a new token)."""
    slot.reload = False
    await slot.client.close()
    slot.client = world.new_client(slot.index)
    try:
        await slot.client.connect(world.base_url, timeout=30)
        await slot.client.hydrate(timeout=30)
        await first_page(world, slot)
    except (lt.ClientError, OSError) as err:
        print(f"  tab {slot.index} could not reopen: {err}")
        slot.dead = True


async def open_tabs(
    backend: lt.Backend, world: World, indices: Sequence[int], args: argparse.Namespace
) -> tuple[list[Slot], lt.Stats]:
    """Connect and hydrate tabs of these members, then open their first pages."""
    clients, hydrate = await lt.connect_clients(
        backend.base_url,
        len(indices),
        lambda k: world.new_client(indices[k]),
        concurrency=args.concurrency,
    )
    slots = [
        Slot(
            index=i,
            client=c,
            admin=is_admin(i),
            board=None if is_admin(i) else world.boards.get(str(i)),
            rng=random.Random(args.seed * 100_003 + i),
        )
        for i, c in zip(indices, clients, strict=True)
    ]
    gate = asyncio.Semaphore(args.concurrency)

    async def first(slot: Slot) -> None:
        async with gate:
            await first_page(world, slot)

    await asyncio.gather(*(first(s) for s in slots))
    return slots, hydrate


def mix_figures(record: Record, meter: cm.Meter, elapsed: float) -> dict[str, Any]:
    """Per action and overall figures of one measured window."""
    out: dict[str, Any] = {"actions": {}}
    for action in MIX:
        stats = lt.Stats.from_latencies(record.latencies[action], elapsed, record.errors[action])
        out["actions"][action] = {**cm.stats_dict(stats), "refused": record.refused[action]}
    total = lt.Stats.from_latencies(record.all_latencies(), elapsed, sum(record.errors.values()))
    out["all"] = {**cm.stats_dict(total), **meter.as_dict(), "stuck_tabs": len(record.stuck)}
    return out


def print_mix(label: str, figures: dict[str, Any]) -> None:
    """The figures of one window, for the log."""
    a = figures["all"]
    print(
        f"  {label}: {a['events_per_s']:.1f} actions/s, p50/p95/p99 {cm.lat(a)} ms, "
        f"n={a['count']} err={a['errors']} (tabs timed out: {a['stuck_tabs']}); CPU % backend {a['backend_cpu_pct']} / "
        f"loadgen {a['loadgen_cpu_pct']} / others {a['others_cpu_pct']}"
    )
    for action, s in figures["actions"].items():
        if s["count"] or s["errors"]:
            print(
                f"    {action:9} {s['events_per_s']:6.1f}/s  {cm.lat(s)} ms  n={s['count']} "
                f"err={s['errors']} refused={s['refused']}"
            )


# --- One setup ----------------------------------------------------------------------


async def measure_setup(
    backend: lt.Backend,
    setup: str,
    prepared: cm.Prepared,
    ex: dict[str, Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The mix with think times, the closed-loop mix, and (c) the crossing, (a) capacity."""
    spec = SETUPS[setup]
    world = make_world(backend, prepared, ex, args)
    n = args.clients
    result: dict[str, Any] = {"label": spec["label"], "workers": spec["workers"]}
    rss_before = await lt.settled_rss(backend)
    warm, _ = await open_tabs(backend, world, range(n, n + args.warmup_clients), args)
    slots, hydrate = await open_tabs(backend, world, range(n), args)
    rss_after = await lt.settled_rss(backend)
    result["hydrate"] = cm.stats_dict(hydrate)
    result["rss_mib"] = round(rss_after / 2**20, 1)
    result["kib_per_tab"] = round((rss_after - rss_before) / (n + len(warm)) / 1024, 1)
    print(f"  {n} tabs open: hydrate {hydrate}; RSS {result['rss_mib']} MiB")
    if spec["redis"] is not None:
        where = socket_workers(spec["redis"], [s.client.token for s in slots])
        result["tabs_per_worker"] = _count_by_worker(where)
        print(f"  tabs per worker pid: {result['tabs_per_worker']}")
    result["quiet"] = await cm.wait_for_quiet(backend, args, "mix")
    record, meter, elapsed = await run_mix(
        world, slots, think=args.think, duration=args.duration, warmup=5.0, backend=backend
    )
    result["mix"] = mix_figures(record, meter, elapsed)
    print_mix(f"mix, {n} tabs, think {args.think:g} s", result["mix"])
    if spec["pg"]:
        result["pg_connections"] = pg_connections(spec["pg"])
    if args.saturation > 0:
        await asyncio.sleep(3.0)
        record, meter, elapsed = await run_mix(
            world, slots, think=0.0, duration=args.saturation, warmup=2.0, backend=backend
        )
        result["saturation"] = mix_figures(record, meter, elapsed)
        print_mix(f"closed-loop mix (capacity), {n} tabs", result["saturation"])
    if setup == "c":
        await asyncio.sleep(3.0)
        try:
            result["crossing"] = await crossing(backend, world, ex, spec["redis"], args)
        except lt.ClientError as err:
            print(f"  crossing FAILED: {err}")
            result["crossing"] = {"failed": str(err)[:300]}
    if setup == args.capacity_setup and args.steps:
        await asyncio.sleep(3.0)
        result["capacity"] = await capacity(backend, world, slots, args)
    await lt.close_clients([s.client for s in slots + warm])
    return result


def _count_by_worker(where: dict[str, int | None]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pid in where.values():
        counts[str(pid)] = counts.get(str(pid), 0) + 1
    return counts


async def capacity(
    backend: lt.Backend, world: World, slots: list[Slot], args: argparse.Namespace
) -> dict[str, Any]:
    """Step the tab count up until the mix's p95 passes 300 ms."""
    steps: list[dict[str, Any]] = []
    have = list(slots)
    best = 0
    for target in args.steps:
        if target > len(have):
            more, _ = await open_tabs(backend, world, range(len(have), target), args)
            have += more
        active = have[:target]
        record, meter, elapsed = await run_mix(
            world,
            active,
            think=args.think,
            duration=args.step_duration,
            warmup=4.0,
            backend=backend,
        )
        figures = mix_figures(record, meter, elapsed)["all"]
        ok = figures["p95_ms"] <= CAPACITY_P95_MAX_MS and figures["errors"] == 0
        steps.append({"clients": target, **figures, "pass": ok})
        print(
            f"  capacity step {target} tabs: {figures['events_per_s']:.1f} actions/s, "
            f"p95 {figures['p95_ms']:.0f} ms, CPU backend {figures['backend_cpu_pct']} % "
            f"loadgen {figures['loadgen_cpu_pct']} % others {figures['others_cpu_pct']} %"
            f" -> {'ok' if ok else 'over'}"
        )
        if not ok:
            break
        best = target
        await asyncio.sleep(2.0)
    extra = [s.client for s in have[len(slots) :]]
    await lt.close_clients(extra)
    return {"steps": steps, "best": best}


async def crossing(
    backend: lt.Backend, world: World, ex: dict[str, Any], db: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Viewers of one thread on both workers; replies through each; time the other side."""
    want = args.crossing_viewers
    thread = ex["crossing_thread"]
    members = [i for i in range(len(world.tokens)) if not is_admin(i)]
    page, params = world.thread_page(thread)
    by_pid: dict[int, list[lt.Client]] = {}
    attempts = 0
    half = want // 2
    # Keep connecting until two workers hold half the viewers each (at most 3x the tabs).
    while attempts < 3 * want:
        if len(by_pid) >= 2 and all(len(v) >= half for v in by_pid.values()):
            break
        batch = min(25, 3 * want - attempts)
        tabs = [world.new_client(members[(attempts + j) % len(members)]) for j in range(batch)]
        attempts += batch

        async def one(c: lt.Client) -> None:
            c.page_path, c.route_params = page, dict(params)
            await c.connect(backend.base_url, timeout=30)
            await c.hydrate(timeout=30)

        await asyncio.gather(*(one(c) for c in tabs))
        where = socket_workers(db, [c.token for c in tabs])
        for c in tabs:
            pid = where.get(c.token)
            side = by_pid.setdefault(pid or 0, [])
            if len(side) < half:
                side.append(c)
            else:
                await c.close()
    sides = {pid: v for pid, v in by_pid.items() if v}
    counts = {str(pid): len(v) for pid, v in sides.items()}
    print(f"  crossing: viewers per worker pid {counts} after {attempts} tabs tried")
    viewers = [c for v in sides.values() for c in v]
    if len(sides) < 2:
        await lt.close_clients(viewers)
        return {"failed": f"every socket landed on one worker ({counts})", "viewers": counts}
    gate = asyncio.Semaphore(args.concurrency)

    async def load(c: lt.Client) -> None:
        async with gate:
            await c.send_ev(lt.Ev(THREAD_LOAD, barrier=cm.BARRIER), 60)

    await asyncio.gather(*(load(c) for c in viewers))
    side_of = {id(c): pid for pid, v in sides.items() for c in v}
    count = max(c.state.get(THREAD_ROOM, {}).get(lt.var_key("post_count"), 0) for c in viewers)
    quiet = await cm.wait_for_quiet(backend, args, "crossing")
    other_last: list[float] = []
    same_last: list[float] = []
    other_each: list[float] = []
    same_each: list[float] = []
    missed = 0
    pids = list(sides)
    meter = cm.Meter(events=args.crossing_replies)
    with cm.metered(backend, meter):
        for r in range(args.crossing_replies):
            side = sides[pids[r % 2]]
            poster = side[(r // 2) % len(side)]
            ev = lt.Ev(SET_DRAFT, {"value": f"Crossing reply {r}."}, barrier=cm.BARRIER)
            await poster.send_ev(ev, args.timeout)
            count += 1
            latencies, _sent = await lt.fan_out_arrivals(
                poster,
                lt.Ev(SUBMIT),
                viewers,
                lt.var_equals(THREAD_ROOM, "post_count", count),
                timeout=args.timeout,
            )
            mine = side_of[id(poster)]
            same = [x for c, x in zip(viewers, latencies, strict=True) if side_of[id(c)] == mine]
            other = [x for c, x in zip(viewers, latencies, strict=True) if side_of[id(c)] != mine]
            if None in same or None in other:
                missed += 1
                count = max(
                    c.state.get(THREAD_ROOM, {}).get(lt.var_key("post_count"), 0) for c in viewers
                )
                if missed >= 3:
                    break
            got_same = [x for x in same if x is not None]
            got_other = [x for x in other if x is not None]
            same_each += got_same
            other_each += got_other
            if got_same and len(got_same) == len(same):
                same_last.append(max(got_same))
            if got_other and len(got_other) == len(other):
                other_last.append(max(got_other))
            await asyncio.sleep(max(args.pause, 0.3))
    wall = meter.wall
    result = {
        "viewers": counts,
        "tried": attempts,
        "replies": args.crossing_replies,
        "missed": missed,
        "other_last": cm.stats_dict(lt.Stats.from_latencies(other_last, wall, missed)),
        "other_each": cm.stats_dict(lt.Stats.from_latencies(other_each, wall)),
        "same_last": cm.stats_dict(lt.Stats.from_latencies(same_last, wall)),
        "same_each": cm.stats_dict(lt.Stats.from_latencies(same_each, wall)),
        **meter.as_dict(),
        **quiet,
    }
    print(
        f"  crossing: reply -> last viewer on the other worker p50/p95/p99 "
        f"{cm.lat(result['other_last'])} ms; same worker {cm.lat(result['same_last'])} ms; "
        f"missed {missed}"
    )
    await lt.close_clients(viewers)
    return result


# --- Bare Reflex's floor ---------------------------------------------------------------


@dataclasses.dataclass
class BareLoop:
    """Tabs of the bare app sending ``increment`` with think times; latencies when measuring."""

    think: float
    timeout: float
    rng: random.Random
    stop: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    measuring: bool = False
    latencies: list[float] = dataclasses.field(default_factory=list)
    errors: int = 0

    async def tab(self, client: lt.Client) -> None:
        """One tab: think, increment, wait for the delta, again."""
        if self.think > 0:
            await asyncio.sleep(self.rng.uniform(0, self.think))
        began = 0.0
        while not self.stop.is_set():
            if self.think > 0:
                await asyncio.sleep(self.rng.expovariate(1.0 / self.think))
            else:  # the same pacing as cop_app's tabs
                await asyncio.sleep(max(0.0, began + CLOSED_LOOP_GAP_S - time.perf_counter()))
            began = time.perf_counter()
            if self.stop.is_set():
                return
            try:
                latency = await client.send(INCREMENT, timeout=self.timeout)
            except lt.ClientError:
                self.errors += 1
                return
            if self.measuring:
                self.latencies.append(latency)


async def bare_loop(
    backend: lt.Backend,
    clients: list[lt.Client],
    think: float,
    duration: float,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One window of the bare tabs (think 0: the closed loop)."""
    loop = BareLoop(think, args.timeout, random.Random(args.seed))
    tasks = [asyncio.create_task(loop.tab(c)) for c in clients]
    await asyncio.sleep(5.0 if think > 0 else 2.0)
    loop.measuring = True
    meter = cm.Meter()
    started = time.perf_counter()
    with cm.metered(backend, meter):
        await asyncio.sleep(duration)
    loop.measuring = False
    elapsed = time.perf_counter() - started
    loop.stop.set()
    await asyncio.wait(tasks, timeout=args.timeout + 5)
    stats = lt.Stats.from_latencies(loop.latencies, elapsed, loop.errors)
    meter.events = stats.count
    return {**cm.stats_dict(stats), **meter.as_dict()}


async def measure_bare(backend: lt.Backend, args: argparse.Namespace) -> dict[str, Any]:
    """The same tabs and think times on bare Reflex, each action one ``increment``."""
    context = None if args.no_hashes else lt.read_frontend_context(BARE_APP_DIR / ".web")

    def make(_i: int) -> lt.Client:
        return lt.Client(page_path="/", **(context.client_kwargs() if context else {}))

    clients, hydrate = await lt.connect_clients(
        backend.base_url, args.clients, make, concurrency=args.concurrency
    )
    print(f"  bare: {args.clients} tabs, hydrate {hydrate}")
    quiet = await cm.wait_for_quiet(backend, args, "bare")
    out: dict[str, Any] = {"hydrate": cm.stats_dict(hydrate), "quiet": quiet}
    for name, think, duration in (
        ("mix", args.think, args.duration),
        ("saturation", 0.0, args.saturation),
    ):
        if duration > 0:
            out[name] = await bare_loop(backend, clients, think, duration, args)
            print(f"  bare {name}: {out[name]}")
    await lt.close_clients(clients)
    return out


# --- Soak ---------------------------------------------------------------------------------


def room_file_names(ex: dict[str, Any], community_id: int) -> dict[str, str]:
    """md5 file name (disk state manager) -> room token, for every room this bench opens."""
    tokens = [f"thread-{t}" for t in [*ex["threads"], ex["crossing_thread"]]]
    tokens += sorted({f"board-{b['mentorship_id']}" for b in ex["boards"].values()})
    tokens += ["activity-0", f"community-{community_id}", f"threads-{community_id}"]
    names = {}
    for token in tokens:
        kind = token.rpartition("-")[0]
        key = f"{token}_{ROOM_STATES[kind]}"
        names[hashlib.md5(key.encode()).hexdigest() + ".pkl"] = token
    return names


def store_counts(setup: str, states_dir: Path, room_files: dict[str, str]) -> dict[str, Any]:
    """State entries, distinct tab states and stored rooms by kind, from disk or Redis."""
    spec = SETUPS[setup]
    if spec["redis"] is None:
        files = list(states_dir.rglob("*.pkl")) if states_dir.exists() else []
        kinds: dict[str, int] = {}
        for f in files:
            if f.name in room_files:
                kind = room_files[f.name].rpartition("-")[0]
                kinds[kind] = kinds.get(kind, 0) + 1
        rooms = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        return {"entries": len(files), "tabs": "", "rooms": rooms or "0"}
    r = redis_client(spec["redis"])
    try:
        tabs: set[str] = set()
        rooms: dict[str, set[str]] = {}
        entries = 0
        for key in r.scan_iter(count=2000):
            name = key.decode(errors="replace")
            entries += 1
            ident, sep, _rest = name.partition("_")
            if not sep or name.startswith(("token_manager", "cop")):
                continue
            kind = ident.rpartition("-")[0]
            if kind in ROOM_STATES:
                rooms.setdefault(kind, set()).add(ident)
            elif len(ident) == 36:
                tabs.add(ident)
        kinds = ", ".join(f"{k} {len(v)}" for k, v in sorted(rooms.items()))
        return {"entries": entries, "tabs": len(tabs), "rooms": f"{kinds or 0}"}
    finally:
        r.close()


async def soak(
    backend: lt.Backend,
    setup: str,
    prepared: cm.Prepared,
    ex: dict[str, Any],
    args: argparse.Namespace,
    states_dir: Path,
) -> dict[str, Any]:
    """The mix for --soak minutes, tabs reloading; per minute: memory, stores, lag."""
    spec = SETUPS[setup]
    world = make_world(backend, prepared, ex, args)
    n = args.clients
    slots, hydrate = await open_tabs(backend, world, range(n), args)
    idle, _ = await lt.connect_clients(
        backend.base_url, 4, lambda k: world.new_client(n + k), concurrency=4
    )
    print(f"  soak: {n} tabs open ({hydrate}); 4 idle tabs ping every second")
    room_files = room_file_names(ex, prepared.community_id)
    lags: list[float] = []
    stop = asyncio.Event()

    async def pinger(c: lt.Client) -> None:
        while not stop.is_set():
            with contextlib.suppress(lt.ClientError):
                lags.append(await c.send_ev(lt.Ev(cm.PING, barrier=cm.BARRIER), args.timeout))
            await asyncio.sleep(1.0)

    reloads = 0

    async def churn() -> None:
        nonlocal reloads
        rng = random.Random(args.seed)
        every = 60.0 / max(1e-6, args.churn * n)
        while not stop.is_set():
            await asyncio.sleep(every)
            alive = [s for s in slots if not s.dead and not s.reload]
            if alive:
                rng.choice(alive).reload = True
                reloads += 1

    minutes: list[dict[str, Any]] = []
    last = [backend.cpu_seconds(), time.perf_counter()]

    async def minute(record: Record, at: float) -> None:
        cpu, now = backend.cpu_seconds(), time.perf_counter()
        window = max(1e-3, now - last[1])
        cpu_pct = (cpu - last[0]) / window * 100
        last[:] = [cpu, now]
        lag = lt.Stats.from_latencies(list(lags), window)
        lags.clear()
        errors = sum(record.errors.values())
        total = lt.Stats.from_latencies(record.all_latencies(), window, errors)
        counts = await asyncio.to_thread(store_counts, setup, states_dir, room_files)
        row = {
            "minute": len(minutes) + 1,
            "rss_mib": round(backend.rss() / 2**20, 1),
            "backend_cpu_pct": round(cpu_pct),
            **{f"store_{k}": v for k, v in counts.items()},
            "pg_connections": pg_connections(spec["pg"]) if spec["pg"] else "",
            "lag_p50_ms": round(lag.p50, 1),
            "lag_p95_ms": round(lag.p95, 1),
            "lag_max_ms": round(lag.max, 1),
            "actions_per_s": round(total.events_per_s, 1),
            "p95_ms": round(total.p95, 1),
            "errors": total.errors,
            "failed": ", ".join(f"{k} {v}" for k, v in record.errors.items() if v),
            "seconds": round(window),
            "reloads": reloads,
            "live_tabs": sum(1 for s in slots if not s.dead),
            "viewed_rooms": len(
                {s.thread for s in slots if s.thread}
                | {s.board["mentorship_id"] * -1 for s in slots if s.board}
            ),
        }
        minutes.append(row)
        print(f"  minute {row['minute']}: {row}")

    helpers = [asyncio.create_task(pinger(c)) for c in idle] + [asyncio.create_task(churn())]
    try:
        _record, meter, elapsed = await run_mix(
            world,
            slots,
            think=args.think,
            duration=args.soak * 60.0,
            warmup=5.0,
            backend=backend,
            on_tick=minute,
            tick=60.0,
        )
    finally:
        stop.set()
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
    await lt.close_clients([s.client for s in slots] + idle)
    return {
        "label": spec["label"],
        "minutes": minutes,
        "reloads": reloads,
        "expiry_s": args.soak_expiry,
        "cpu": meter.as_dict(),
        "elapsed_s": round(elapsed, 1),
    }


# --- Phases ------------------------------------------------------------------------------


def data_for(ctx: cm.Context, setup: str) -> tuple[cm.Prepared, dict[str, Any]]:
    """The prepared database of a setup: the common SQLite dir, or a fresh PostgreSQL one."""
    if SETUPS[setup]["pg"] is None:
        return ctx.prepared, ctx.extra
    return prepare_pg(ctx, setup)


def flush_redis(setup: str) -> None:
    """Empty the setup's own Redis database (8 or 9): a fresh state store."""
    db = SETUPS[setup]["redis"]
    if db is not None:
        r = redis_client(db)
        try:
            r.flushdb()
        finally:
            r.close()


def phases(ctx: cm.Context) -> None:
    """Bare floor, then each setup on its own backend; or only the soak."""
    args, run = ctx.args, ctx.run
    run.update(
        think_s=args.think, setups=args.setup_list, saturation_s=args.saturation, churn=args.churn
    )
    if args.soak > 0:
        setup = args.soak_setup
        prepared, ex = data_for(ctx, setup)
        flush_redis(setup)
        env = {
            **setup_env(ctx, setup, prepared.data_dir),
            "REFLEX_REDIS_TOKEN_EXPIRATION": str(args.soak_expiry),
        }
        states_dir = ctx.tmp / f"states-{setup}"
        print(f"\n== soak, {SETUPS[setup]['label']}, {args.soak:g} min")
        ctx.figures["soak"] = cm.run_on_backend(
            f"soak {setup}",
            args.app_dir,
            env,
            args.port,
            ctx.tmp / f"soak-{setup}",
            lambda backend: soak(backend, setup, prepared, ex, args, states_dir),
            args,
            run,
        )
        ctx.figures["extra_" + setup] = {k: v for k, v in ex.items() if k not in ("boards",)}
        return
    if not args.no_bare:
        print(f"\n== bare Reflex floor (port {args.bare_port})")
        ctx.figures["bare"] = cm.run_on_backend(
            "bare app",
            BARE_APP_DIR,
            {**cm.BACKEND_ENV, "REFLEX_STATES_WORKDIR": str(ctx.tmp / "bare-states")},
            args.bare_port,
            ctx.tmp / "bare-backend",
            lambda backend: measure_bare(backend, args),
            args,
            run,
        )
    ctx.figures["setups"] = {}
    for setup in args.setup_list:
        print(f"\n== setup {SETUPS[setup]['label']}")
        started = time.perf_counter()
        prepared, ex = data_for(ctx, setup)
        flush_redis(setup)
        env = setup_env(ctx, setup, prepared.data_dir)
        figures = cm.run_on_backend(
            f"setup {setup}",
            args.app_dir,
            env,
            args.port,
            ctx.tmp / f"backend-{setup}",
            lambda backend, s=setup, p=prepared, e=ex: measure_setup(backend, s, p, e, args),
            args,
            run,
        )
        figures["phase_s"] = round(time.perf_counter() - started, 1)
        ctx.figures["setups"][setup] = figures
        flush_redis(setup)
    ctx.figures["data"] = {k: v for k, v in ctx.extra.items() if k != "boards"}


# --- Report ----------------------------------------------------------------------------------


def _cpu(s: dict[str, Any]) -> str:
    return f"{s['backend_cpu_pct']} / {s['loadgen_cpu_pct']} / {s['others_cpu_pct']}"


def about(figures: dict[str, Any]) -> list[str]:
    """The set-up lines under the run's facts."""
    run = figures["run"]
    lines = [
        f"- Mix per action: {', '.join(f'{k} {v} %' for k, v in MIX.items())}; one tab in "
        f"{ADMIN_EVERY} is an admin's (feed only); think time exponential, mean "
        f"{run.get('think_s')} s (each tab acts, waits for the answer, thinks)",
        "- Backends: `reflex run --env prod --backend-only`, workers by GRANIAN_WORKERS; "
        "(a) SQLite + disk states in a temp dir; (b)/(c) PostgreSQL 127.0.0.1:5432 "
        "(cop_mixed_b / cop_mixed_c, recreated) + Redis 127.0.0.1:6379 (db 8 / 9, flushed)",
        "- CPU columns: % of one core (the machine has "
        f"{run['cpus']}) of the backend / this load generator / every other process",
        "- **Take the final figures on a quiet machine**: latency grows with the others' CPU",
    ]
    return lines


def render(figures: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Targets and body: the soak's, or the setups side by side."""
    if "soak" in figures:
        return render_soak(figures)
    setups: dict[str, Any] = figures.get("setups", {})
    bare = figures.get("bare")
    checks: list[dict[str, Any]] = []
    if "b" in setups and "c" in setups and "saturation" in setups["b"]:
        b = setups["b"]["saturation"]["all"]["events_per_s"]
        c = setups["c"]["saturation"]["all"]["events_per_s"]
        ratio = c / b if b else float("nan")
        checks.append(
            {
                "target": "(c) two workers' capacity >= 1.5x (b)'s (closed-loop mix, actions/s)",
                "figure": f"{c:.1f} vs {b:.1f} = {ratio:.2f}x",
                "limit": f">= {SCALE_MIN}x",
                "pass": ratio >= SCALE_MIN,
            }
        )
    cross = setups.get("c", {}).get("crossing")
    if cross is not None:
        failed = cross.get("failed")
        p95 = float("nan") if failed else cross["other_last"]["p95_ms"]
        viewers = (
            sum(cross.get("viewers", {}).values()) if isinstance(cross.get("viewers"), dict) else 0
        )
        checks.append(
            {
                "target": f"(c) a reply reaches every viewer on the other worker "
                f"({viewers} viewers on both), p95 <= 250 ms",
                "figure": f"failed: {failed[:100]}"
                if failed
                else f"{p95:.1f} ms" + (f" ({cross['missed']} missed)" if cross["missed"] else ""),
                "limit": "<= 250 ms",
                "pass": not failed and p95 <= CROSS_P95_MAX_MS and cross["missed"] == 0,
            }
        )
    run = figures["run"]
    n = run["clients"]
    body = ["## The mix with think times", ""]
    cols = [("bare", "bare Reflex (increment)")] if bare else []
    cols += [(s, SETUPS[s]["label"]) for s in setups]
    body.append(cm.row("", *(label for _k, label in cols)))
    body.append(cm.row("---", *("---:" for _ in cols)))

    def col(key: str, phase: str) -> dict[str, Any] | None:
        if key == "bare":
            return bare.get(phase) if bare else None
        return setups[key].get(phase, {}).get("all")

    for phase, title in (
        ("mix", f"{n} tabs, think {run.get('think_s')} s"),
        ("saturation", f"closed loop, {n} tabs (capacity)"),
    ):
        cells = [col(k, phase) for k, _ in cols]
        if not any(cells):
            continue
        body.append(
            cm.row(
                f"**{title}**: actions/s", *(f"{c['events_per_s']:.1f}" if c else "" for c in cells)
            )
        )
        body.append(cm.row("p50 / p95 / p99 ms", *(cm.lat(c) if c else "" for c in cells)))
        body.append(
            cm.row("n (errors)", *(f"{c['count']} ({c['errors']})" if c else "" for c in cells))
        )
        body.append(
            cm.row(
                "tabs with an action unanswered in --timeout",
                *(str(c.get("stuck_tabs", "")) if c else "" for c in cells),
            )
        )
        body.append(
            cm.row("CPU % backend / loadgen / others", *(_cpu(c) if c else "" for c in cells))
        )
        body.append(
            cm.row(
                "backend CPU ms per action",
                *(f"{c['backend_cpu_ms_per_event']:.1f}" if c else "" for c in cells),
            )
        )
    mem = [setups[k].get("kib_per_tab") if k != "bare" else "" for k, _ in cols]
    body.append(cm.row("backend RSS KiB per open tab", *mem))
    pg = [setups[k].get("pg_connections", "") if k != "bare" else "" for k, _ in cols]
    body.append(cm.row("PostgreSQL connections (after the mix)", *pg))
    body += ["", "## Per action (p50 / p95 / p99 ms, actions/s; refused in brackets)", ""]
    for phase in ("mix", "saturation"):
        present = [s for s in setups if phase in setups[s]]
        if not present:
            continue
        body.append(cm.row(f"{phase}", *(SETUPS[s]["label"] for s in present)))
        body.append(cm.row("---", *("---:" for _ in present)))
        for action in MIX:
            cells = []
            for s in present:
                a = setups[s][phase]["actions"][action]
                ref = f" [{a['refused']}]" if a["refused"] else ""
                err = f" err {a['errors']}" if a["errors"] else ""
                cells.append(f"{cm.lat(a)}, {a['events_per_s']:.1f}/s{ref}{err}")
            body.append(cm.row(action, *cells))
        body.append("")
    if cross is not None and not cross.get("failed"):
        body += [
            "## Crossing workers (setup c)",
            "",
            f"Viewers per worker pid: {cross['viewers']} ({cross['tried']} tabs connected to "
            "get both sides; the kernel spreads Granian's accepts, the worker of each tab is "
            "read from Redis). Replies alternate between posters on each worker.",
            "",
            cm.row("reply reaches", "p50 / p95 / p99 ms", "n"),
            cm.row("---", "---:", "---:"),
            cm.row(
                "every viewer on the other worker",
                cm.lat(cross["other_last"]),
                cross["other_last"]["count"],
            ),
            cm.row(
                "every viewer on the poster's worker",
                cm.lat(cross["same_last"]),
                cross["same_last"]["count"],
            ),
            cm.row(
                "each viewer, other worker",
                cm.lat(cross["other_each"]),
                cross["other_each"]["count"],
            ),
            cm.row(
                "each viewer, same worker", cm.lat(cross["same_each"]), cross["same_each"]["count"]
            ),
            "",
        ]
    stuck = {
        s: f[phase]["all"].get("stuck_tabs", 0)
        for s, f in setups.items()
        for phase in ("mix", "saturation")
        if phase in f and f[phase]["all"].get("stuck_tabs")
    }
    if stuck:
        body += [
            "**Tabs left without an answer** (an action unanswered within --timeout) in "
            f"setups {', '.join(sorted(stuck))}: with the disk state manager such a tab stays "
            "stuck (its locks never expire; the backend idles while its events wait), with "
            "Redis the lock expiry (10 s) frees it and the log shows `LockExpiredError` on a "
            "ThreadRoom lock and locks 'held too long' in ThreadState.load_page. Suspected: "
            "lock-order inversion when two tabs switch between the same two threads in "
            "opposite directions (Reflex holds a tab's linked room while `live.link_room` "
            "publishes to, and so locks, the next one). Figures of a phase with stuck tabs "
            "measure that, not capacity.",
            "",
        ]
    body += capacity_lines(setups, run)
    return checks, body


def capacity_lines(setups: dict[str, Any], run: dict[str, Any]) -> list[str]:
    """The stepped client counts and what 10,000 members would need."""
    found = next((s for s in setups.values() if "capacity" in s), None)
    if found is None:
        return []
    cap = found["capacity"]
    lines = [
        f"## Members one worker serves ({found['label']}, p95 <= 300 ms)",
        "",
        cm.row(
            "tabs",
            "actions/s",
            "p50 / p95 / p99 ms",
            "errors",
            "CPU % backend / loadgen / others",
            "p95 <= 300 ms",
        ),
        cm.row("---:", "---:", "---:", "---:", "---:", "---"),
    ]
    for s in cap["steps"]:
        lines.append(
            cm.row(
                s["clients"],
                f"{s['events_per_s']:.1f}",
                cm.lat(s),
                s["errors"],
                _cpu(s),
                "yes" if s["pass"] else "no",
            )
        )
    best = cap["best"]
    passing = [s for s in cap["steps"] if s["pass"]]
    lines.append("")
    if not best or not passing:
        lines.append("No step met p95 <= 300 ms on this machine.")
        return lines
    top = passing[-1]
    per_action_ms = top["backend_cpu_ms_per_event"]
    # A dedicated 2-core worker box: the worker's one process uses at most ~1 core for
    # Python, so its ceiling is ~1000 ms of CPU per second, kept at 70 % for the p95.
    rate_per_member = top["events_per_s"] / top["clients"]
    ceiling = 700.0 / per_action_ms / rate_per_member if per_action_ms > 0 else float("nan")
    workers = math.ceil(10_000 / max(best, 1))
    scale = ""
    if "b" in setups and "c" in setups and "saturation" in setups["c"]:
        b = setups["b"]["saturation"]["all"]["events_per_s"]
        c = setups["c"]["saturation"]["all"]["events_per_s"]
        if b:
            scale = f" (on this box, a second worker gave {c / b:.2f}x the capacity of one)"
    kib = found.get("kib_per_tab") or 0
    lines += [
        f"Measured: **{best} members** at p95 <= 300 ms on one worker, with this load generator "
        f"on the same 2 cores ({top['loadgen_cpu_pct']} % of a core) and others at "
        f"{top['others_cpu_pct']} %. Each member makes {rate_per_member:.2f} actions/s; the "
        f"backend spent {per_action_ms:.1f} ms CPU per action, so a worker with a core of its "
        f"own kept at 70 % busy would serve about {ceiling:.0f} members.",
        "",
        f"10,000 concurrent members: about {workers} such workers at the measured figure "
        f"({math.ceil(10_000 / max(ceiling, 1))} at the CPU-bound estimate), one process per "
        f"core{scale}, on PostgreSQL + Redis with sticky-free routing (state is in Redis), "
        f"{10_000 * kib / 2**20:.1f} GiB of tab state in the workers' RAM "
        f"({kib} KiB per tab), PostgreSQL connections "
        "= workers x the pool (pool_size + overflow), so a PgBouncer in front of PostgreSQL "
        "once that passes max_connections (100 here).",
    ]
    return lines


def render_soak(figures: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The soak's minute table and whether expired tab states went away."""
    soak_f = figures["soak"]
    rows = soak_f["minutes"]
    expiry_min = soak_f["expiry_s"] / 60.0
    counts = [r["store_tabs"] if r["store_tabs"] != "" else r["store_entries"] for r in rows]
    # Reloads leave a tab state behind each; after the expiry they must go again.
    settled = [c for r, c in zip(rows, counts, strict=True) if r["minute"] > expiry_min + 1]
    grown = max(counts) if counts else 0
    # Two minutes after the expiry at least, or the verdict means nothing (it then fails).
    enough = len(settled) >= 2
    flat = enough and max(settled) - min(settled) <= 0.15 * max(settled)
    cleaned = flat or (enough and settled[-1] < grown)
    rss = [r["rss_mib"] for r in rows]
    half = rss[len(rss) // 2 :] if rss else []
    rss_growth = (half[-1] - half[0]) / half[0] if len(half) > 1 and half[0] else 0.0
    errors = sum(r["errors"] for r in rows)
    checks = [
        {
            "target": "expired tab states are purged (state count stops growing after the expiry)",
            "figure": f"{counts[0] if counts else 0} -> peak {grown} -> {counts[-1] if counts else 0}"
            f" after {soak_f['reloads']} reloads",
            "limit": f"flat after minute {expiry_min + 1:.0f}",
            "pass": cleaned,
        },
        {
            "target": "backend RSS flat over the second half (< 10 % growth)",
            "figure": f"{half[0] if half else 0} -> {half[-1] if half else 0} MiB "
            f"({rss_growth * 100:+.1f} %)",
            "limit": "< +10 %",
            "pass": rss_growth < 0.10,
        },
        {
            "target": "no failed action",
            "figure": str(errors),
            "limit": "0",
            "pass": errors == 0,
        },
    ]
    body = [
        f"## Soak: {soak_f['label']}, {len(rows)} minutes",
        "",
        f"Tabs reload at {figures['run'].get('churn', '')} of the tabs per minute (close, new "
        f"token); Reflex's token expiry cut to {soak_f['expiry_s']} s, so each closed tab's "
        "state must be purged during the run. Event-loop lag: AuthState.ping + barrier from 4 "
        "idle tabs, once a second. Stored rooms: room states in the store (Redis keys or the "
        "disk files of the bench's known rooms).",
        "",
        cm.row(
            "min (s)",
            "RSS MiB",
            "backend CPU %",
            "store entries",
            "tab states",
            "rooms",
            "PG conns",
            "lag p50/p95/max ms",
            "actions/s",
            "p95 ms",
            "err",
            "reloads",
        ),
        cm.row(*(["---:"] * 12)),
    ]
    for r in rows:
        body.append(
            cm.row(
                f"{r['minute']} ({r['seconds']})",
                r["rss_mib"],
                r["backend_cpu_pct"],
                r["store_entries"],
                r["store_tabs"],
                r["store_rooms"],
                r["pg_connections"],
                f"{r['lag_p50_ms']} / {r['lag_p95_ms']} / {r['lag_max_ms']}",
                r["actions_per_s"],
                r["p95_ms"],
                f"{r['errors']} {r['failed']}".strip(),
                r["reloads"],
            )
        )
    body += [
        "",
        f"Expired tab states {'are' if cleaned else 'are NOT'} cleaned up: the count "
        f"{'levels off' if cleaned else 'keeps growing'} once closed tabs pass the "
        f"{soak_f['expiry_s']} s expiry. CPU over the soak: {_cpu(soak_f['cpu'])} "
        "(backend / load generator / others, % of one core).",
    ]
    return checks, body


def scenario(argv: Sequence[str]) -> cm.Scenario:
    """The mixed benchmark, or its soak (its own report: results/mixed_soak.md)."""
    soaking = any(a == "--soak" or a.startswith("--soak=") for a in argv) and not any(
        a in ("--prepare", "--extra") for a in argv
    )
    return cm.Scenario(
        name="mixed_soak" if soaking else "mixed",
        title="Mixed workload soak" if soaking else "Mixed workload: three setups",
        script=Path(__file__).resolve(),
        parse=parse_args,
        render=render,
        phases=phases,
        extra=extra,
        extra_args=extra_args,
        users=users_needed,
        about=about,
    )


SCENARIO = scenario(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(cm.main(SCENARIO))
