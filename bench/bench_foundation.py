"""Foundation benchmark of cop_app: floor, directory, live fan-out, memory per client.

Run from the repo root (``make bench`` runs it through ``bench/run_all.py``)::

    .venv/bin/python bench/bench_foundation.py [--clients 100] [--viewers 50]

One run does everything, so every figure is measured under the same
conditions on the same machine:

1. Prepares a throw-away data dir (``COP_DATA_DIR``): ``reflex db migrate``,
   the demo seed, a bench community (open) and one member account with one
   session per simulated client (users inserted directly with one shared
   argon2 hash; sessions as ``AuthSession`` rows holding sha256(token), like
   ``accounts._new_session``; client 0 signs in through ``accounts.check_sign_in``).
   Stops with a clear message when the models are ahead of the migrations
   (someone's change is half done): measure a commit with ``--ref HEAD``.
2. Bare yardstick: starts ``bench/bare_app`` (see ``bare_baseline.py``), warms
   it up and measures backend RSS growth per hydrated client for the same
   client count, plus its no-op floor.
3. Starts cop_app's backend (``reflex run --env prod --backend-only``, one
   worker, disk state manager in the temp dir) from the repo root (or from
   the ``--ref`` export), connects ``--clients`` signed-in tabs on
   ``/communities`` (client storage holds the ``cop_session`` LocalStorage
   value), and measures:

   a. floor: closed loop of ``AuthState.ping`` (no-op, no reply) followed by a
      barrier, Reflex's own ``OnLoadInternalState.set_is_hydrated(True)``,
      whose one-bool delta marks completion; the bare app's no-op is measured
      the same way;
   b. directory: closed loop of ``DirectoryState.load`` (the on_load of
      /communities), target p95 <= 3x the floor's p95. Floor and directory
      run as interleaved slices, so both see the same background load;
   c. fan-out: ``--viewers`` clients open the bench community page
      (``CommunityState.load_page`` with the slug route param) and one more
      client joins and leaves it ``--actions`` times; each action is timed
      until every viewer's ``CommunityRoom.member_count`` shows the new count.
      Target p95 of "last viewer has it" <= 250 ms. Measured alone (the other
      clients stay idle meanwhile);
   d. memory per signed-in client vs the bare app's, target <= 2x.

The machine is shared: before each timed phase the run waits (``--quiet``,
``--quiet-timeout``) for other processes to calm down, and it reports the CPU
they used during every phase next to the backend's CPU per event, which
depends far less on them than latency does.

Prints a markdown report (targets with PASS/FAIL, figures, command, date,
load average) and writes ``bench/results/foundation.md`` and
``foundation.json``. Exit status: 0 all targets met, 1 a target missed, 2 the
run failed (the temp dir with the backend logs is then kept).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# The bench scripts import each other as top-level modules (python bench/x.py
# puts bench/ first on sys.path); make that hold under `python -m bench...` too.
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import loadtool as lt  # noqa: E402
import psutil  # noqa: E402
from bare_baseline import BARE_APP_DIR, INCREMENT, NOOP  # noqa: E402

RESULTS_DIR = BENCH_DIR / "results"
RESULT_NAME = "foundation"

# --- Names of cop_app's states and events (computed without importing the app)

AUTH = "cop_app.states.auth.AuthState"
DIRECTORY = "cop_app.states.communities.DirectoryState"
COMMUNITY = "cop_app.states.communities.CommunityState"
ROOM = lt.shared_state("cop_app.live.CommunityRoom")
SESSION_KEY = lt.storage_key(AUTH, "session_token")
PING = lt.event_name(AUTH, "ping")
DIRECTORY_LOAD = lt.event_name(DIRECTORY, "load")
LOAD_PAGE = lt.event_name(COMMUNITY, "load_page")
JOIN = lt.event_name(COMMUNITY, "join")
LEAVE = lt.event_name(COMMUNITY, "leave")

#: The barrier after a no-op: a built-in event of every Reflex app that sets
#: the root's ``is_hydrated`` (already true) and so always answers with a
#: one-bool delta, from a leaf substate that loads nothing else.
BARRIER = lt.Ev(
    lt.event_name("reflex.state.OnLoadInternalState", "set_is_hydrated"),
    {"value": True},
    until=lt.delta_has(lt.ROOT_STATE, "is_hydrated"),
)

BENCH_PASSWORD = "bench-lantern-harbour-77"
BENCH_COMMUNITY = "Bench Load Circle"

# --- Targets ---------------------------------------------------------------------

DIRECTORY_VS_FLOOR_MAX = 3.0
FANOUT_P95_MAX_MS = 250.0
MEMORY_RATIO_MAX = 2.0
#: Other processes' CPU (% of one core) above which the report flags a shared machine.
BUSY_OTHERS_PCT = 30

# Variables that would change what is measured if inherited: Redis means several
# workers and another state manager; REFLEX_DB_URL would bypass the temp data dir.
UNSET_ENV = ("REFLEX_REDIS_URL", "REFLEX_DB_URL", "REFLEX_STATE_MANAGER_MODE")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options; the defaults are the figures the targets are set for."""
    parser = argparse.ArgumentParser(
        prog="bench_foundation.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--clients", type=int, default=100, help="signed-in tabs (default 100)")
    parser.add_argument(
        "--viewers", type=int, default=50, help="tabs on the community page (default 50)"
    )
    parser.add_argument(
        "--actions", type=int, default=100, help="joins + leaves by the actor (default 100)"
    )
    parser.add_argument(
        "--duration", type=float, default=15.0, help="measured seconds per closed loop"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="slices each closed loop is cut into, interleaved with the other loop's",
    )
    parser.add_argument("--warmup-clients", type=int, default=5)
    parser.add_argument("--port", type=int, default=8141, help="cop_app backend port")
    parser.add_argument("--bare-port", type=int, default=8142, help="bare app backend port")
    parser.add_argument("--concurrency", type=int, default=25, help="handshakes at once")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per event")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between fan-out actions")
    parser.add_argument(
        "--no-hashes",
        action="store_true",
        help="hydrate without the compiled initialStateHashes (both apps)",
    )
    parser.add_argument(
        "--quiet",
        type=float,
        default=50.0,
        help="before each timed phase, wait until other processes use at most this %% of "
        "a core (0: do not wait)",
    )
    parser.add_argument(
        "--quiet-timeout",
        type=float,
        default=120.0,
        help="longest wait for --quiet per phase, in seconds; then measure anyway",
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=2,
        help="runs of a phase whose backend gets stopped from outside (another session)",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--no-save", action="store_true", help="print only; leave bench/results alone"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    parser.add_argument(
        "--ref",
        help="measure this git commit (exported and compiled in the temp dir) instead of "
        "the working tree in the repo root, e.g. while uncommitted work is half done",
    )
    # Internal: the data preparation step, run in a child process that imports cop_app.
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--app-dir", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare is None:
        if args.clients < 2:
            parser.error("--clients must be at least 2")
        if not 1 <= args.viewers <= args.clients - 1:
            parser.error("--viewers must be between 1 and --clients - 1 (one client acts)")
        if args.actions < 2:
            parser.error("--actions must be at least 2")
    return args


# --- Data preparation (child process with COP_DATA_DIR set) ---------------------


def prepare_database(out: Path, users: int, app_dir: Path) -> None:
    """Seed the demo, the bench community, ``users`` members and their sessions.

    Runs in a child process whose COP_DATA_DIR is the temp dir, so importing
    rxconfig (through Reflex's config) points the engine at the temp database.
    Writes ``{"tokens": [...], "slug": ..., "community_id": ..., ...}`` to ``out``.
    """
    sys.path.insert(0, str(app_dir))
    import secrets

    from reflex_base.config import get_config
    from sqlmodel import Session, create_engine, select

    import cop_app.db  # SQLite pragmas (WAL, foreign keys)
    import cop_app.models  # noqa: F401 - every table
    from cop_app.models import AuthSession, User
    from cop_app.models.base import utcnow
    from cop_app.seed import seed
    from cop_app.services import accounts, communities, passwords, settings

    started = time.perf_counter()
    engine = create_engine(get_config().db_url)
    with Session(engine) as session:
        if not seed(session):
            msg = "the fresh database already had people in it"
            raise RuntimeError(msg)
        admin = session.exec(select(User).where(User.role == "admin").order_by(User.id)).first()
        community = communities.check_create_community(
            session,
            admin,
            communities.clean_input(
                BENCH_COMMUNITY,
                "cop",
                "A community the load benchmark opens, joins and leaves.",
                "Created by bench/bench_foundation.py.",
                "bench load",
                "open",
            ),
        )
        slug, community_id = community.slug, community.id
        shared_hash = passwords.hash_password(BENCH_PASSWORD)
        emails = [f"bench-{i:04d}@bench.example.org" for i in range(users)]
        rows = [
            User(email=email, display_name=f"Bench Member {i:04d}", password_hash=shared_hash)
            for i, email in enumerate(emails)
        ]
        session.add_all(rows)
        session.flush()
        now = utcnow()
        tokens = []
        for row in rows:
            token = secrets.token_urlsafe(32)
            session.add(
                AuthSession(
                    token_hash=accounts.token_hash(token),
                    user_id=row.id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + settings.SESSION_LIFETIME,
                )
            )
            tokens.append(token)
        session.commit()
        # One session through the real sign-in path (one argon2 verify): client 0.
        tokens[0] = accounts.check_sign_in(session, emails[0], BENCH_PASSWORD, "bench").token
        member_count = communities.member_count(session, community_id)
    out.write_text(
        json.dumps(
            {
                "tokens": tokens,
                "slug": slug,
                "community_id": community_id,
                "member_count": member_count,
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    )


@dataclasses.dataclass
class Prepared:
    """What the benchmark needs from the prepared database."""

    data_dir: Path
    tokens: list[str]
    slug: str
    community_id: int
    member_count: int
    migrate_s: float
    seed_s: float


def prepare(data_dir: Path, users: int, app_dir: Path) -> Prepared:
    """Migrate and seed a fresh data dir, in child processes (they import cop_app)."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in UNSET_ENV},
        "COP_DATA_DIR": str(data_dir),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_STATES_WORKDIR": str(data_dir / "states-migrate"),
    }
    reflex_bin = Path(sys.executable).with_name("reflex")
    started = time.perf_counter()
    migrate = subprocess.run(
        [str(reflex_bin), "db", "migrate"],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    migrate_s = time.perf_counter() - started
    if migrate.returncode != 0 or not (data_dir / "cop.db").exists():
        msg = f"reflex db migrate failed ({migrate.returncode}):\n{migrate.stdout}{migrate.stderr}"
        raise RuntimeError(msg)
    output = (migrate.stdout + migrate.stderr).strip()
    if "schema changes" in output:
        msg = (
            f"the models in {app_dir} are ahead of its migrations (reflex db migrate: "
            f"{output!r}); someone is mid-change: wait for the migration, or measure a "
            "commit with --ref HEAD"
        )
        raise RuntimeError(msg)
    if "warning" in output.lower() or "error" in output.lower():
        print(f"reflex db migrate says:\n{output}")
    out = data_dir / "prepared.json"
    started = time.perf_counter()
    seeded = subprocess.run(
        [
            *(sys.executable, str(Path(__file__).resolve()), "--prepare", str(out)),
            *("--users", str(users), "--app-dir", str(app_dir)),
        ],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if seeded.returncode != 0:
        msg = f"preparing the data failed ({seeded.returncode}):\n{seeded.stdout}{seeded.stderr}"
        raise RuntimeError(msg)
    data = json.loads(out.read_text())
    return Prepared(
        data_dir=data_dir,
        tokens=data["tokens"],
        slug=data["slug"],
        community_id=data["community_id"],
        member_count=data["member_count"],
        migrate_s=migrate_s,
        seed_s=time.perf_counter() - started,
    )


# --- Measuring helpers -----------------------------------------------------------


def _own_cpu() -> float:
    times = psutil.Process().cpu_times()
    return times.user + times.system


def _machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


@dataclasses.dataclass
class Meter:
    """CPU seconds of the backend, of this load generator and of everything else.

    Accumulates over one or more ``with metered(backend, meter)`` blocks, so
    interleaved slices of one loop add up. Other processes' CPU shows how much
    the machine was shared: latency inflates with it, CPU per event hardly does.
    """

    wall: float = 0.0
    backend_s: float = 0.0
    loadgen_s: float = 0.0
    others_s: float = 0.0
    load_before: float | None = None
    load_after: float = 0.0
    events: int = 0

    def pct(self, seconds: float) -> float:
        """Seconds of CPU as a percentage of one core over the metered time."""
        return seconds / self.wall * 100 if self.wall > 0 else float("nan")

    @property
    def backend_ms_per_event(self) -> float:
        """Backend CPU per completed event (or action), in ms."""
        return self.backend_s * 1000 / self.events if self.events else float("nan")

    def as_dict(self) -> dict[str, float]:
        """Rounded figures for the JSON report."""
        return {
            "backend_cpu_pct": round(self.pct(self.backend_s)),
            "loadgen_cpu_pct": round(self.pct(self.loadgen_s)),
            "others_cpu_pct": round(self.pct(self.others_s)),
            "backend_cpu_ms_per_event": round(self.backend_ms_per_event, 2),
            "loadavg_1m_before": round(self.load_before or 0.0, 2),
            "loadavg_1m_after": round(self.load_after, 2),
        }

    def __str__(self) -> str:
        """One line for the log."""
        return (
            f"CPU (% of one core): backend {self.pct(self.backend_s):.0f} "
            f"({self.backend_ms_per_event:.2f} ms per event), load generator "
            f"{self.pct(self.loadgen_s):.0f}, other processes {self.pct(self.others_s):.0f}; "
            f"load average {self.load_before or 0.0:.2f} -> {self.load_after:.2f}"
        )


@contextlib.contextmanager
def metered(backend: lt.Backend, meter: Meter | None = None) -> Iterator[Meter]:
    """Add the CPU use and load average over the ``with`` block to ``meter``."""
    meter = meter if meter is not None else Meter()
    if meter.load_before is None:
        meter.load_before = os.getloadavg()[0]
    start = time.perf_counter()
    backend_cpu, own_cpu, busy = backend.cpu_seconds(), _own_cpu(), _machine_busy()
    yield meter
    backend_cpu = backend.cpu_seconds() - backend_cpu
    own_cpu = _own_cpu() - own_cpu
    busy = _machine_busy() - busy
    meter.wall += time.perf_counter() - start
    meter.backend_s += backend_cpu
    meter.loadgen_s += own_cpu
    meter.others_s += max(0.0, busy - backend_cpu - own_cpu)
    meter.load_after = os.getloadavg()[0]


def stats_dict(stats: lt.Stats) -> dict[str, Any]:
    """A Stats as rounded JSON figures."""
    return {
        "count": stats.count,
        "errors": stats.errors,
        "events_per_s": round(stats.events_per_s, 1),
        "p50_ms": round(stats.p50, 2),
        "p95_ms": round(stats.p95, 2),
        "p99_ms": round(stats.p99, 2),
        "mean_ms": round(stats.mean, 2),
        "max_ms": round(stats.max, 2),
        "duration_s": round(stats.duration_s, 2),
    }


def memory_dict(memory: lt.MemoryPerClient) -> dict[str, Any]:
    """A memory figure as rounded JSON."""
    return {
        "clients": memory.clients,
        "rss_before_mib": round(memory.rss_before / 2**20, 1),
        "rss_after_mib": round(memory.rss_after / 2**20, 1),
        "kib_per_client": round(memory.per_client / 1024, 1),
    }


async def wait_for_quiet(backend: lt.Backend, args: argparse.Namespace, phase: str) -> dict:
    """Before a timed phase, wait until other processes leave the machine mostly idle.

    Samples, 2 s at a time, the CPU used by processes other than the backend
    and this load generator; starts once it is at most ``--quiet`` % of one
    core, or after ``--quiet-timeout`` seconds whatever it is (then the report
    flags it). The 1-min load average is no use here: it still counts this
    benchmark's own previous phase.
    """
    if args.quiet <= 0:
        return {}
    started = time.monotonic()
    while True:
        sample = Meter()
        with metered(backend, sample):
            await asyncio.sleep(2.0)
        others = sample.pct(sample.others_s)
        waited = time.monotonic() - started
        if others <= args.quiet or waited >= args.quiet_timeout:
            break
        await asyncio.sleep(3.0)
    quiet = others <= args.quiet
    print(
        f"  {phase}: other processes at {others:.0f}% of a core"
        + (f" after waiting {waited:.0f} s" if waited > 3 else "")
        + ("" if quiet else f" (still above {args.quiet:g}%: measuring anyway)")
    )
    return {"waited_s": round(waited, 1), "others_pct_at_start": round(others), "quiet": quiet}


async def interleaved_loops(
    backend: lt.Backend,
    clients: list[lt.Client],
    loops: dict[str, lt.Ev],
    args: argparse.Namespace,
) -> dict[str, tuple[lt.Stats, Meter]]:
    """Closed loops of several events, interleaved in slices, pooled per event.

    Each event gets ``args.duration`` seconds in total, run as ``args.rounds``
    slices that alternate with the other events' slices, after a 1 s
    unmeasured warm-up of each. Interleaving puts every loop under the same
    background load, so a ratio between two of them (directory vs floor) does
    not depend on when other work on the machine started or stopped.
    """
    rounds = max(1, args.rounds)
    slice_s = args.duration / rounds
    for ev in loops.values():
        await lt.run_closed_loop(
            clients, lambda _c, _i, ev=ev: ev, duration=1.0, timeout=args.timeout
        )
    pooled: dict[str, list[float]] = {name: [] for name in loops}
    meters = {name: Meter() for name in loops}
    seconds = dict.fromkeys(loops, 0.0)
    errors = dict.fromkeys(loops, 0)
    for _ in range(rounds):
        for name, ev in loops.items():
            with metered(backend, meters[name]):
                stats = await lt.run_closed_loop(
                    clients,
                    lambda _c, _i, ev=ev: ev,
                    duration=slice_s,
                    timeout=args.timeout,
                    latencies_out=pooled[name],
                )
            seconds[name] += stats.duration_s
            errors[name] += stats.errors
    results = {}
    for name in loops:
        stats = lt.Stats.from_latencies(pooled[name], seconds[name], errors[name])
        meters[name].events = stats.count
        print(f"  {name}: {stats}")
        print(f"    {meters[name]}")
        results[name] = (stats, meters[name])
    return results


# --- Phase 1: the bare yardstick -------------------------------------------------


async def measure_bare(backend: lt.Backend, args: argparse.Namespace) -> dict[str, Any]:
    """Memory per hydrated client and the no-op floor of the bare app."""
    context = None if args.no_hashes else lt.read_frontend_context(BARE_APP_DIR / ".web")

    def make_client(_i: int) -> lt.Client:
        return lt.Client(page_path="/", **(context.client_kwargs() if context else {}))

    warm, _ = await lt.connect_clients(backend.base_url, args.warmup_clients, make_client)
    for client in warm:
        for _ in range(20):
            await client.send(INCREMENT, timeout=args.timeout)
    clients, memory, hydrate = await lt.measure_memory_per_client(
        backend, args.clients, make_client, concurrency=args.concurrency
    )
    print(f"  hydrate {args.clients} clients: {hydrate}")
    print(f"  memory: {memory}")
    quiet = await wait_for_quiet(backend, args, "floor")
    print(f"  closed loop of noop + barrier, {args.clients} clients")
    loops = await interleaved_loops(backend, clients, {"floor": lt.Ev(NOOP, barrier=BARRIER)}, args)
    floor, meter = loops["floor"]
    await lt.close_clients(clients + warm)
    return {
        "hashes_sent": context is not None,
        "hydrate": stats_dict(hydrate),
        "memory": memory_dict(memory),
        "floor": {**stats_dict(floor), **meter.as_dict(), **quiet},
    }


# --- Phase 2: cop_app --------------------------------------------------------------


def room_shows(community_id: int, count: int | None = None) -> lt.Predicate:
    """The tab shows the bench community's room (with ``count`` members, if given)."""
    id_key, count_key = lt.var_key("community_id"), lt.var_key("member_count")

    def predicate(update: lt.Update) -> bool:
        room = update.state.get(ROOM, {})
        if room.get(id_key) != community_id:
            return False
        return count is None or room.get(count_key) == count

    return predicate


def dead_clients(clients: Sequence[lt.Client]) -> str:
    """How many sockets died, and the first error, for failure messages."""
    dead = [c for c in clients if c._error is not None or not c.connected]
    if not dead:
        return "no socket is closed"
    return f"{len(dead)}/{len(clients)} sockets closed, first: {dead[0]._error!r}"


def card_status(status: str) -> lt.Predicate:
    """The tab's own community card says its membership status is ``status``."""
    name, key = lt.state_full_name(COMMUNITY), lt.var_key("card")

    def predicate(update: lt.Update) -> bool:
        card = update.delta.get(name, {}).get(key)
        return isinstance(card, dict) and card.get("my_status", "") == status

    return predicate


def signed_in(client: lt.Client) -> bool:
    """The backend resolved the tab's session to a user."""
    return bool(client.state.get(lt.state_full_name(AUTH), {}).get(lt.var_key("user_id")))


async def measure_fan_out(
    backend: lt.Backend, clients: list[lt.Client], prepared: Prepared, args: argparse.Namespace
) -> dict[str, Any]:
    """Viewers open the bench community; the actor joins and leaves; time the fan-out."""
    actor, viewers = clients[0], clients[1 : args.viewers + 1]
    cid, slug = prepared.community_id, prepared.slug
    for client in (actor, *viewers):
        client.page_path, client.route_params = f"/c/{slug}", {"slug": slug}
    started = time.perf_counter()
    gate = asyncio.Semaphore(args.concurrency)

    async def open_page(client: lt.Client) -> float:
        async with gate:
            return await client.send(
                LOAD_PAGE, until=room_shows(cid), timeout=max(args.timeout, 30.0)
            )

    results = await asyncio.gather(
        *(open_page(c) for c in (actor, *viewers)), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        msg = (
            f"{len(failures)}/{len(results)} tabs could not open /c/{slug}: "
            f"{failures[0]!r}; {dead_clients(clients)}"
        )
        raise lt.ClientError(msg)
    opened = [r for r in results if isinstance(r, float)]
    open_stats = lt.Stats.from_latencies(opened, time.perf_counter() - started)
    # Start from what the page shows: the count, and whether the actor is a member.
    base = actor.state[ROOM][lt.var_key("member_count")]
    card = actor.state.get(lt.state_full_name(COMMUNITY), {}).get(lt.var_key("card")) or {}
    member = card.get("my_status") == "active"
    await asyncio.gather(*(v.wait_for(room_shows(cid, base), args.timeout) for v in viewers))
    print(f"  {len(opened)} tabs opened /c/{slug} (member_count={base}): {open_stats}")
    quiet = await wait_for_quiet(backend, args, "fan-out")
    # The actor alternates join/leave, starting with whichever its status allows.
    low = base - 1 if member else base

    last_viewer: list[float] = []
    per_viewer: list[float] = []
    actor_reply: list[float] = []
    missed = actor_missed = failed_in_a_row = 0
    meter = Meter(events=args.actions)
    started = time.perf_counter()
    for i in range(args.actions):
        joining = (i % 2 == 0) != member
        expected = low + 1 if joining else low
        mine = actor.expect(card_status("active" if joining else ""), fresh=True)
        with metered(backend, meter):
            latencies, sent_at = await lt.fan_out_arrivals(
                actor,
                lt.Ev(JOIN if joining else LEAVE),
                viewers,
                room_shows(cid, expected),
                timeout=args.timeout,
            )
            try:
                reply = await asyncio.wait_for(mine, args.timeout)
                actor_reply.append(reply.received_at - sent_at)
            except TimeoutError:
                actor._drop_waiter(mine)
                actor_missed += 1
        arrived = [latency for latency in latencies if latency is not None]
        per_viewer.extend(arrived)
        missed += len(latencies) - len(arrived)
        if len(arrived) == len(latencies):
            last_viewer.append(max(arrived))
            failed_in_a_row = 0
        else:
            failed_in_a_row += 1
            if failed_in_a_row >= 3:
                msg = (
                    f"fan-out: 3 actions in a row did not reach every viewer "
                    f"(action {i}, {len(arrived)}/{len(latencies)} viewers); "
                    f"{dead_clients(clients)}"
                )
                raise lt.ClientError(msg)
        await asyncio.sleep(args.pause)
    duration = time.perf_counter() - started
    last_stats = lt.Stats.from_latencies(last_viewer, duration, args.actions - len(last_viewer))
    viewer_stats = lt.Stats.from_latencies(per_viewer, duration, missed)
    actor_stats = lt.Stats.from_latencies(actor_reply, duration, actor_missed)
    print(f"  last viewer: {last_stats}")
    print(f"  per viewer:  {viewer_stats}")
    print(f"  actor's own reply: {actor_stats}")
    print(f"  {meter} (event = one join or leave)")
    return {
        "viewers": len(viewers),
        "actions": args.actions,
        "open_page": stats_dict(open_stats),
        "last_viewer": stats_dict(last_stats),
        "per_viewer": stats_dict(viewer_stats),
        "actor_reply": stats_dict(actor_stats),
        "alone": True,
        **meter.as_dict(),
        **quiet,
    }


async def measure_cop(
    backend: lt.Backend, prepared: Prepared, args: argparse.Namespace
) -> dict[str, Any]:
    """Memory per signed-in client, floor, directory and fan-out of cop_app."""
    context = None if args.no_hashes else lt.read_frontend_context(args.app_dir / ".web")
    tokens = prepared.tokens

    def make_client(i: int) -> lt.Client:
        return lt.Client(
            page_path="/communities",
            client_storage={SESSION_KEY: tokens[i]},
            **(context.client_kwargs() if context else {}),
        )

    def make_warm(i: int) -> lt.Client:
        return make_client(args.clients + i)

    warm, _ = await lt.connect_clients(backend.base_url, args.warmup_clients, make_warm)
    if not all(signed_in(c) for c in warm):
        msg = "warm-up clients are not signed in: session tokens not accepted"
        raise lt.ClientError(msg)
    if warm[0].state_mismatch is not None:
        print(f"  WARNING: state schema mismatch reported: {warm[0].state_mismatch}")
    for client in warm:
        for _ in range(10):
            await client.send_ev(lt.Ev(PING, barrier=BARRIER), timeout=args.timeout)
            await client.send(
                DIRECTORY_LOAD, until=lt.delta_has(DIRECTORY, "cards"), timeout=args.timeout
            )

    clients, memory, hydrate = await lt.measure_memory_per_client(
        backend, args.clients, make_client, concurrency=args.concurrency
    )
    print(f"  hydrate {args.clients} clients: {hydrate}")
    print(f"  memory: {memory}")
    not_signed_in = sum(not signed_in(c) for c in clients)
    if not_signed_in:
        msg = f"{not_signed_in}/{len(clients)} clients are not signed in after hydrating"
        raise lt.ClientError(msg)
    cards = clients[0].state.get(lt.state_full_name(DIRECTORY), {}).get(lt.var_key("cards"))
    if not cards:
        msg = "the directory on_load left no cards: hydrate did not run the on_load"
        raise lt.ClientError(msg)

    loops_quiet = await wait_for_quiet(backend, args, "floor and directory loops")
    print(
        f"  closed loops of AuthState.ping + barrier (floor) and DirectoryState.load, "
        f"{args.clients} clients, {args.rounds} interleaved slices each"
    )
    loops = await interleaved_loops(
        backend,
        clients,
        {
            "floor": lt.Ev(PING, barrier=BARRIER),
            "directory": lt.Ev(DIRECTORY_LOAD, until=lt.delta_has(DIRECTORY, "cards")),
        },
        args,
    )
    (floor, floor_meter), (directory, dir_meter) = loops["floor"], loops["directory"]
    print(
        f"  fan-out: {args.viewers} viewers, {args.actions} joins/leaves, "
        "measured alone (the other clients stay idle)"
    )
    fan_out = await measure_fan_out(backend, clients, prepared, args)
    rss_end = await lt.settled_rss(backend)
    await lt.close_clients(clients + warm)
    return {
        "hashes_sent": context is not None,
        "state_mismatch": warm[0].state_mismatch,
        "directory_cards": len(cards),
        "hydrate": stats_dict(hydrate),
        "memory": memory_dict(memory),
        "floor": {**stats_dict(floor), **floor_meter.as_dict(), **loops_quiet},
        "directory": {**stats_dict(directory), **dir_meter.as_dict(), **loops_quiet},
        "fan_out": fan_out,
        "rss_end_mib": round(rss_end / 2**20, 1),
    }


# --- Report ----------------------------------------------------------------------


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def evaluate(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets, each with its figure, limit and result."""
    cop, bare = figures["cop"], figures["bare"]
    floor_p95 = cop["floor"]["p95_ms"]
    dir_p95 = cop["directory"]["p95_ms"]
    fan_p95 = cop["fan_out"]["last_viewer"]["p95_ms"]
    fan_errors = cop["fan_out"]["last_viewer"]["errors"]
    cop_kib, bare_kib = cop["memory"]["kib_per_client"], bare["memory"]["kib_per_client"]
    ratio = cop_kib / bare_kib if bare_kib > 0 else float("inf")
    return [
        {
            "target": "directory p95 <= 3x floor p95",
            "figure": f"{dir_p95:.1f} ms = {dir_p95 / floor_p95:.2f}x floor ({floor_p95:.1f} ms)",
            "limit": f"<= {DIRECTORY_VS_FLOOR_MAX * floor_p95:.1f} ms",
            "ratio": round(dir_p95 / floor_p95, 2),
            "pass": dir_p95 <= DIRECTORY_VS_FLOOR_MAX * floor_p95,
        },
        {
            "target": "fan-out p95, last viewer <= 250 ms",
            "figure": f"{fan_p95:.1f} ms"
            + (f" ({fan_errors} actions incomplete)" if fan_errors else ""),
            "limit": f"<= {FANOUT_P95_MAX_MS:.0f} ms",
            "pass": fan_p95 <= FANOUT_P95_MAX_MS and fan_errors == 0,
        },
        {
            "target": "memory per signed-in client <= 2x bare",
            "figure": f"{cop_kib:.1f} KiB vs bare {bare_kib:.1f} KiB = {ratio:.2f}x",
            "limit": f"<= {MEMORY_RATIO_MAX * bare_kib:.1f} KiB",
            "ratio": round(ratio, 2),
            "pass": ratio <= MEMORY_RATIO_MAX,
        },
    ]


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _lat(s: dict[str, Any]) -> str:
    return f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} / {s['p99_ms']:.1f}"


def render(figures: dict[str, Any], checks: list[dict[str, Any]]) -> str:
    """The markdown report: context, targets, figures and notes."""
    cop, bare, run = figures["cop"], figures["bare"], figures["run"]
    fan = cop["fan_out"]
    n = run["clients"]
    busiest = max(
        cop["floor"]["others_cpu_pct"],
        cop["directory"]["others_cpu_pct"],
        fan["others_cpu_pct"],
        bare["floor"]["others_cpu_pct"],
    )
    lines = [
        "# Foundation benchmark",
        "",
        f"- Command: `{run['command']}`",
        f"- Date: {run['date']} UTC; the run took {run['wall_s']:.0f} s",
        f"- Machine: {run['cpus']} CPUs, Python {run['python']}, Reflex {run['reflex']}",
        f"- Code: git {run['git']}, source digest {run['source_digest']}",
        f"- Load average (1/5/15 min): {run['loadavg_start']} at the start, "
        f"{run['loadavg_end']} at the end",
        "- Backend: `reflex run --env prod --backend-only`, 1 Granian worker, disk state "
        "manager, SQLite in a temp dir; first hydrate with the compiled initialStateHashes: "
        f"{'yes' if cop['hashes_sent'] else 'no'}",
        f"- {n} signed-in clients on /communities (+{run['warmup_clients']} warm-up clients, "
        f"not counted). Closed loops: every client keeps one event in flight; floor and "
        f"directory get {run['duration_s']:g} s each, run as {run['rounds']} interleaved "
        "slices so both see the same background load",
    ]
    waits = [
        (label, d)
        for label, d in (
            ("bare floor", bare["floor"]),
            ("floor + directory", cop["floor"]),
            ("fan-out", fan),
        )
        if "quiet" in d
    ]
    if waits:
        lines.append(
            f"- Quiet start (each timed phase waits up to {run['quiet_timeout_s']:g} s for "
            f"other processes to use <= {run['quiet_pct']:g}% of a core): "
            + "; ".join(
                f"{label} {'yes' if d['quiet'] else 'NO'} ({d['others_pct_at_start']}%, "
                f"waited {d['waited_s']:.0f} s)"
                for label, d in waits
            )
        )
    for restart in run.get("restarts", []):
        lines.append(f"- **Backend stopped from outside** mid-phase, phase run again: {restart}")
    if busiest >= BUSY_OTHERS_PCT:
        lines.append(
            f"- **Shared machine**: other processes used up to {busiest}% of a core during "
            "the measurements (column `others`), so latencies are inflated; backend CPU "
            "per event hardly depends on it"
        )
    lines += [
        "",
        "## Targets",
        "",
        _row("Target", "Figure", "Limit", "Result"),
        _row("---", "---", "---", "---"),
        *(_row(c["target"], c["figure"], c["limit"], f"**{verdict(c['pass'])}**") for c in checks),
        "",
        "## Figures",
        "",
        _row(
            "Measure",
            "Events/s",
            "p50 / p95 / p99 ms",
            "n (err)",
            "backend CPU ms/event",
            "CPU % backend / loadgen / others",
            "load avg",
        ),
        _row("---", "---:", "---:", "---:", "---:", "---:", "---:"),
    ]

    def cpu(s: dict[str, Any]) -> list[str]:
        return [
            f"{s['backend_cpu_ms_per_event']:.2f}",
            f"{s['backend_cpu_pct']} / {s['loadgen_cpu_pct']} / {s['others_cpu_pct']}",
            f"{s['loadavg_1m_before']:.2f}",
        ]

    def loop_row(label: str, s: dict[str, Any]) -> str:
        return _row(
            label, f"{s['events_per_s']:.0f}", _lat(s), f"{s['count']} ({s['errors']})", *cpu(s)
        )

    def plain_row(label: str, s: dict[str, Any]) -> str:
        return _row(label, "", _lat(s), f"{s['count']} ({s['errors']})", "", "", "")

    lines += [
        loop_row(f"a. floor: AuthState.ping + barrier, {n} clients", cop["floor"]),
        loop_row(f"b. directory: DirectoryState.load, {n} clients", cop["directory"]),
        _row(
            f"c. fan-out: last of {fan['viewers']} viewers has the new count "
            f"({fan['actions']} joins/leaves, alone)",
            "",
            _lat(fan["last_viewer"]),
            f"{fan['last_viewer']['count']} ({fan['last_viewer']['errors']})",
            *cpu(fan),
        ),
        plain_row("c. fan-out: each viewer", fan["per_viewer"]),
        plain_row("c. fan-out: the actor's own join/leave reply", fan["actor_reply"]),
        plain_row(f"c. {fan['viewers'] + 1} tabs open the community page", fan["open_page"]),
        plain_row(
            f"hydrate /communities ({n} clients, {run['concurrency']} at once)", cop["hydrate"]
        ),
        loop_row(f"bare app floor: noop + barrier, {n} clients", bare["floor"]),
        plain_row(f"bare app hydrate ({n} clients)", bare["hydrate"]),
        "",
        _row("d. Memory (backend RSS, settled)", "before MiB", "after MiB", "KiB per client"),
        _row("---", "---:", "---:", "---:"),
        _row(
            f"cop_app, {n} signed-in clients on /communities",
            cop["memory"]["rss_before_mib"],
            cop["memory"]["rss_after_mib"],
            cop["memory"]["kib_per_client"],
        ),
        _row(
            f"bare app, {n} clients on /",
            bare["memory"]["rss_before_mib"],
            bare["memory"]["rss_after_mib"],
            bare["memory"]["kib_per_client"],
        ),
        "",
        "Notes: the floors send a no-op (no reply) followed by Reflex's "
        "`OnLoadInternalState.set_is_hydrated(true)` as a barrier, whose one-bool delta marks "
        "completion (the same barrier in both apps). The fan-out is measured alone (the other "
        "clients stay idle); its latency runs from the actor sending join/leave to the "
        "viewer's frame carrying the new `CommunityRoom.member_count`, so it includes the "
        f"actor's handler, the {run['coalesce_ms']} ms coalescing pause in `cop_app/live.py` "
        "and the publish; its CPU per event is per join or leave. `others` is CPU used by "
        "processes other than the backend and this load generator, in % of one core.",
        "",
    ]
    return "\n".join(lines)


def _source_digest(app_dir: Path) -> str:
    """A short digest of the app's source (cop_app, rxconfig.py, alembic).

    Tells runs of different uncommitted states of the working tree apart.
    """
    digest = hashlib.sha256()
    files = [app_dir / "rxconfig.py"]
    for folder in ("cop_app", "alembic"):
        files += (app_dir / folder).rglob("*.py")
    for path in sorted(files):
        if path.is_file():
            digest.update(str(path.relative_to(app_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _git_describe() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "cop_app",
                "rxconfig.py",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" + uncommitted changes in cop_app" if dirty else "")


def _coalesce_ms(app_dir: Path) -> str:
    """The member-list room's pause in cop_app/live.py, read as text (no import); older
    commits had one COALESCE_SECONDS for every room."""
    text = (app_dir / "cop_app" / "live.py").read_text()
    names = ("MEMBERS_COALESCE_SECONDS", "COALESCE_SECONDS")
    lines = sorted(text.splitlines(), key=lambda line: not line.startswith(names[0]))
    for line in lines:
        if line.startswith(names):
            with contextlib.suppress(ValueError):
                return f"{float(line.split('=', 1)[1].split('#')[0]) * 1000:g}"
    return "?"


def export_ref(ref: str, dest: Path) -> str:
    """Export a commit's tracked files to ``dest`` and compile its frontend context.

    The compile (``reflex compile``, no network, a few seconds) only writes
    ``dest/.web``; it gives the ``stateSchema`` and ``initialStateHashes`` a
    browser on that commit would send. Returns the short commit id.
    """
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "--verify", f"{ref}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    dest.mkdir(parents=True)
    archive = dest.parent / "app.tar"
    subprocess.run(
        ["git", "archive", "--format=tar", "-o", str(archive), commit],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    archive.unlink()
    env = {
        **{k: v for k, v in os.environ.items() if k not in UNSET_ENV},
        "COP_DATA_DIR": str(dest.parent / "compile-data"),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_STATES_WORKDIR": str(dest.parent / "compile-states"),
    }
    # Reflex initialises .web with bun; use the repo's (scripts/env.sh does the same),
    # or it tries to download one.
    bun_bin = ROOT / ".tools" / "bun" / "node_modules" / ".bin"
    if (bun_bin / "bun").exists():
        env["REFLEX_BUN_PATH"] = str((bun_bin / "bun").resolve())
        env["PATH"] = f"{bun_bin}{os.pathsep}{env.get('PATH', '')}"
    compiled = subprocess.run(
        [str(Path(sys.executable).with_name("reflex")), "compile"],
        cwd=dest,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if compiled.returncode != 0 or lt.read_frontend_context(dest / ".web") is None:
        msg = f"reflex compile of {commit} failed:\n{compiled.stdout}{compiled.stderr}"
        raise RuntimeError(msg)
    return commit


def stopped_from_outside(backend: lt.Backend, pids: list[int]) -> str | None:
    """Why the backend is no longer the one this run started, or None if it is.

    On a shared machine another session may stop every process that looks like
    a Reflex server (seen here: whenever the dev server on :3000 restarted).
    """
    if backend.proc.poll() is not None:
        return f"the reflex process exited with {backend.proc.returncode}"
    now = sorted(p.pid for p in backend.processes())
    if now != pids:
        return f"its processes changed from {pids} to {now}"
    if "Shutting down granian" in backend.log_tail(400):
        return "Granian logged a shutdown this run did not ask for"
    return None


def run_on_backend(
    label: str,
    app_dir: Path,
    env: dict[str, str],
    port: int,
    log_stem: Path,
    measure: Callable[[lt.Backend], Coroutine[Any, Any, dict[str, Any]]],
    args: argparse.Namespace,
    run: dict[str, Any],
) -> dict[str, Any]:
    """Start a backend, run one measuring coroutine on it, always stop it.

    When the backend was stopped from outside mid-phase, the phase is run
    again on a new backend (``--attempts``), and the report says so.
    """
    for attempt in range(1, max(1, args.attempts) + 1):
        started = time.perf_counter()
        backend = lt.start_backend(
            app_dir,
            env,
            port,
            log_path=log_stem.with_name(f"{log_stem.name}-{attempt}.log"),
            unset_env=UNSET_ENV,
        )
        pids = sorted(p.pid for p in backend.processes())
        print(f"  backend up in {time.perf_counter() - started:.1f} s, processes {pids}")
        try:
            figures = asyncio.run(measure(backend))
            # Loops count a dead socket as an error and go on: check it was not that.
            if (cause := stopped_from_outside(backend, pids)) is not None:
                msg = f"the {label} backend was stopped from outside: {cause}"
                raise lt.ClientError(msg)
            return figures
        except Exception:
            cause = stopped_from_outside(backend, pids)
            if cause is not None:
                run.setdefault("restarts", []).append(f"{label}: {cause}")
                if attempt < args.attempts:
                    print(f"  the {label} backend was stopped from outside ({cause}): phase again")
                    continue
            traceback.print_exc()
            tail = [
                line
                for line in backend.log_tail(400).splitlines()
                if "disconnected client" not in line and not line.startswith("'")
            ]
            print(f"backend processes at start {pids}; stopped from outside: {cause}")
            print("--- backend log tail (without disconnected-client warnings) ---")
            print("\n".join(tail[-60:]))
            raise
        finally:
            lt.stop_backend(backend)
    msg = "unreachable"
    raise AssertionError(msg)


def _loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def run_benchmark(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """All phases; always stops the backends and removes the temp dir."""
    started = time.perf_counter()
    command = shlex.join([".venv/bin/python", "bench/bench_foundation.py", *argv])
    run: dict[str, Any] = {
        "command": command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "reflex": importlib.metadata.version("reflex"),
        "loadavg_start": _loadavg(),
        "clients": args.clients,
        "viewers": args.viewers,
        "actions": args.actions,
        "warmup_clients": args.warmup_clients,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "quiet_pct": args.quiet,
        "quiet_timeout_s": args.quiet_timeout,
        "concurrency": args.concurrency,
    }
    print(f"{command}\n{run['date']} UTC, {run['cpus']} CPUs, load average {run['loadavg_start']}")
    tmp = Path(tempfile.mkdtemp(prefix="cop-bench-"))
    # Granian at info logs worker (re)spawns: a worker that died shows in the log.
    backend_env = {"REFLEX_TELEMETRY_ENABLED": "false", "GRANIAN_LOG_LEVEL": "info"}
    figures: dict[str, Any] = {"run": run}
    completed = False
    try:
        if args.ref:
            args.app_dir = tmp / "app"
            run["git"] = f"{export_ref(args.ref, args.app_dir)} (--ref {args.ref}, exported)"
            print(f"measuring {run['git']} in {args.app_dir}")
        else:
            args.app_dir = ROOT
            run["git"] = _git_describe()
        run["coalesce_ms"] = _coalesce_ms(args.app_dir)
        run["source_digest"] = _source_digest(args.app_dir)
        print(f"\n[1/3] preparing the data dir {tmp}")
        phase = time.perf_counter()
        prepared = prepare(tmp, args.clients + args.warmup_clients, args.app_dir)
        run["prepare_s"] = round(time.perf_counter() - phase, 1)
        print(
            f"  migrate {prepared.migrate_s:.1f} s, seed + {len(prepared.tokens)} members "
            f"and sessions {prepared.seed_s:.1f} s; bench community /c/{prepared.slug} "
            f"(id {prepared.community_id}, {prepared.member_count} member)"
        )

        print(f"\n[2/3] bare app yardstick (port {args.bare_port})")
        phase = time.perf_counter()
        figures["bare"] = run_on_backend(
            "bare app",
            BARE_APP_DIR,
            {**backend_env, "REFLEX_STATES_WORKDIR": str(tmp / "bare-states")},
            args.bare_port,
            tmp / "bare-backend",
            lambda backend: measure_bare(backend, args),
            args,
            run,
        )
        run["bare_phase_s"] = round(time.perf_counter() - phase, 1)
        print(f"  bare phase took {run['bare_phase_s']} s")

        print(f"\n[3/3] cop_app (port {args.port})")
        phase = time.perf_counter()
        figures["cop"] = run_on_backend(
            "cop_app",
            args.app_dir,
            {
                **backend_env,
                "COP_DATA_DIR": str(tmp),
                "REFLEX_STATES_WORKDIR": str(tmp / "cop-states"),
            },
            args.port,
            tmp / "cop-backend",
            lambda backend: measure_cop(backend, prepared, args),
            args,
            run,
        )
        run["cop_phase_s"] = round(time.perf_counter() - phase, 1)
        completed = True
    finally:
        if args.keep or not completed:
            print(f"temp data dir kept (data, backend logs): {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    run["loadavg_end"] = _loadavg()
    run["wall_s"] = round(time.perf_counter() - started, 1)
    checks = evaluate(figures)
    figures["targets"] = checks
    report = render(figures, checks)
    print("\n" + report)
    if not args.no_save:
        args.results_dir.mkdir(parents=True, exist_ok=True)
        (args.results_dir / f"{RESULT_NAME}.md").write_text(report)
        (args.results_dir / f"{RESULT_NAME}.json").write_text(
            json.dumps(figures, indent=2, default=str) + "\n"
        )
        print(f"written: {args.results_dir / RESULT_NAME}.md and .json")
    return 0 if all(c["pass"] for c in checks) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; see the module docstring for the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.prepare is not None:
        prepare_database(args.prepare, args.users, args.app_dir)
        return 0
    try:
        return run_benchmark(args, argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print("benchmark FAILED to run (see above)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
