"""The benchmarks' one main loop, and what the scenarios share.

Every ``bench_*.py`` describes a `Scenario` and calls `main`, which runs:

1. prepare a throw-away data dir (``COP_DATA_DIR``): ``reflex db migrate``, the demo seed,
   a bench community (open) and one member account with one session per simulated client
   (users inserted directly with one shared argon2 hash; sessions as ``AuthSession`` rows
   holding sha256(token), like ``accounts._new_session``; client 0 signs in through
   ``accounts.check_sign_in``), then the scenario's own ``extra`` step; both in child processes
   (the same script with ``--prepare`` / ``--extra``), since they import cop_app;
2. measure: by default start cop_app's backend (``reflex run --env prod --backend-only``,
   one worker, disk state manager in the temp dir) and run the scenario's ``measure`` on it;
   a scenario with its own backends (a yardstick app, a kill and restart) gives ``phases``;
3. report: the targets with PASS/FAIL and the scenario's figures, with the command, date,
   commit and load average, printed and written to ``bench/results/<name>.md`` and ``.json``.

Exit status: 0 all targets met, 1 a target missed, 2 the run failed (the temp dir with the
backend logs is then kept).
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

RESULTS_DIR = BENCH_DIR / "results"

# --- Names of cop_app's states and events (computed without importing the app)

AUTH = "cop_app.states.auth.AuthState"
COMMUNITY = "cop_app.states.communities.CommunityState"
SESSION_KEY = lt.storage_key(AUTH, "session_token")
PING = lt.event_name(AUTH, "ping")
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

#: Other processes' CPU (% of one core) above which a report flags a shared machine.
BUSY_OTHERS_PCT = 30

# Granian at info logs worker (re)spawns: a worker that died shows in the log.
BACKEND_ENV = {"REFLEX_TELEMETRY_ENABLED": "false", "GRANIAN_LOG_LEVEL": "info"}

# Variables that would change what is measured if inherited: Redis means several
# workers and another state manager; REFLEX_DB_URL would bypass the temp data dir.
UNSET_ENV = ("REFLEX_REDIS_URL", "REFLEX_DB_URL", "REFLEX_STATE_MANAGER_MODE")


def base_parser(prog: str, doc: str, port: int) -> argparse.ArgumentParser:
    """Options every scenario shares (the same names everywhere, so run_all can pass them).

    A scenario may add an option again to make it its own (``conflict_handler="resolve"``),
    as bench_foundation does with ``--viewers``."""
    parser = argparse.ArgumentParser(
        prog=prog, description=doc.splitlines()[0], conflict_handler="resolve"
    )
    parser.add_argument("--clients", type=int, default=100, help="signed-in tabs (default 100)")
    parser.add_argument(
        "--duration", type=float, default=12.0, help="measured seconds per closed loop"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="slices each closed loop is cut into, interleaved with the other loops' slices",
    )
    parser.add_argument("--warmup-clients", type=int, default=3)
    parser.add_argument("--port", type=int, default=port, help="cop_app backend port")
    parser.add_argument("--concurrency", type=int, default=25, help="handshakes at once")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per event")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between actions")
    parser.add_argument(
        "--no-hashes",
        action="store_true",
        help="hydrate without the compiled initialStateHashes",
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
        default=30.0,
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
    # Accepted and ignored, so `run_all -- --viewers 50 ...` does not break a scenario.
    parser.add_argument("--viewers", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--actions", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--bare-port", type=int, default=None, help=argparse.SUPPRESS)
    # Internal: the preparation steps, run in child processes that import cop_app.
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--extra", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--app-dir", type=Path, default=ROOT, help=argparse.SUPPRESS)
    return parser


def child_step(args: argparse.Namespace) -> bool:
    """Whether this process is a preparation child (``--prepare`` or ``--extra``)."""
    return args.prepare is not None or args.extra is not None


def child_env(data_dir: Path) -> dict[str, str]:
    """Environment of a child that imports cop_app against the temp database."""
    return {
        **{k: v for k, v in os.environ.items() if k not in UNSET_ENV},
        "COP_DATA_DIR": str(data_dir),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_STATES_WORKDIR": str(data_dir / "states-migrate"),
    }


def run_checked(
    argv: Sequence[str], app_dir: Path, env: dict[str, str], what: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run a child in the app dir; a failure raises with the child's output."""
    done = subprocess.run(
        list(argv),
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        msg = f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        raise RuntimeError(msg)
    return done


def run_child(
    script: Path,
    data_dir: Path,
    app_dir: Path,
    step: Sequence[str],
    what: str,
    timeout: float,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with one preparation step's options as a child that imports cop_app
    against the temp database (or the one ``env`` names)."""
    argv = [sys.executable, str(script), *step, "--app-dir", str(app_dir)]
    return run_checked(argv, app_dir, env or child_env(data_dir), what, timeout)


def migrate(app_dir: Path, env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    """``reflex db migrate`` on the database ``env`` names."""
    reflex_bin = Path(sys.executable).with_name("reflex")
    return run_checked([str(reflex_bin), "db", "migrate"], app_dir, env, what, 300)


def join_bench_community(session: Any, community_id: int, users: Sequence[int], now: Any) -> None:
    """Age the bench members past the new-member limits and make them all active members of
    the bench community (a child's --extra step, which imports cop_app)."""
    from sqlmodel import insert, update

    from cop_app.models import Membership, User

    session.execute(
        update(User).where(User.id.in_(users)).values(created_at=now - dt.timedelta(days=60))
    )
    joined = now - dt.timedelta(days=59)
    session.execute(
        insert(Membership),
        [
            {
                "community_id": community_id,
                "user_id": u,
                "role": "member",
                "status": "active",
                "created_at": joined,
            }
            for u in users
        ],
    )


def run_extra(script: Path, data_dir: Path, app_dir: Path, extra_args: Sequence[str] = ()) -> dict:
    """Run ``script --extra out.json`` as a child with COP_DATA_DIR; return its JSON."""
    out = data_dir / f"extra-{script.stem}.json"
    done = run_child(
        script, data_dir, app_dir, ["--extra", str(out), *extra_args], "extra preparation", 1200
    )
    if done.stdout.strip():
        print(done.stdout.rstrip())
    return json.loads(out.read_text())


def open_app_db(app_dir: Path):
    """In the --extra child: the app's engine, session class and model modules."""
    sys.path.insert(0, str(app_dir))
    from reflex_base.config import get_config
    from sqlmodel import create_engine

    import cop_app.db
    import cop_app.models  # noqa: F401

    return create_engine(get_config().db_url)


# --- Data preparation (child processes with COP_DATA_DIR set) -------------------


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
                "Created by bench/common.py.",
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


def prepare(data_dir: Path, users: int, app_dir: Path, script: Path) -> Prepared:
    """Migrate and seed a fresh data dir, in child processes (they import cop_app);
    the seeding child is ``script --prepare``."""
    started = time.perf_counter()
    done = migrate(app_dir, child_env(data_dir), "reflex db migrate")
    migrate_s = time.perf_counter() - started
    if not (data_dir / "cop.db").exists():
        msg = f"reflex db migrate made no database:\n{done.stdout}{done.stderr}"
        raise RuntimeError(msg)
    output = (done.stdout + done.stderr).strip()
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
    step = ["--prepare", str(out), "--users", str(users)]
    run_child(script, data_dir, app_dir, step, "preparing the data", 600)
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


# --- Clients and measuring helpers ----------------------------------------------


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


def signed_in(client: lt.Client) -> bool:
    """The backend resolved the tab's session to a user."""
    return bool(client.state.get(lt.state_full_name(AUTH), {}).get(lt.var_key("user_id")))


def make_tokens_client(
    tokens: Sequence[str], context: lt.FrontendContext | None, page: str, params: dict | None = None
) -> Callable[[int], lt.Client]:
    """A factory of signed-in tabs on ``page``."""

    def make(i: int) -> lt.Client:
        return lt.Client(
            page_path=page,
            route_params=dict(params or {}),
            client_storage={SESSION_KEY: tokens[i]},
            **(context.client_kwargs() if context else {}),
        )

    return make


def set_page(clients: Sequence[lt.Client], page: str, params: dict | None = None) -> None:
    """Move tabs to another page (router data of later events)."""
    for client in clients:
        client.page_path, client.route_params = page, dict(params or {})


def frontend_context(args: argparse.Namespace) -> lt.FrontendContext | None:
    """The compiled initialStateHashes, unless --no-hashes."""
    return None if args.no_hashes else lt.read_frontend_context(args.app_dir / ".web")


def delta_bytes(update: lt.Update) -> int:
    """Size of one update's delta as JSON (what the frame carries, roughly)."""
    return len(json.dumps(update.delta, default=str))


# --- Report helpers -----------------------------------------------------------------


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def lat(s: dict[str, Any]) -> str:
    """p50 / p95 / p99 of a stats dict."""
    return f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} / {s['p99_ms']:.1f}"


def row(*cells: object) -> str:
    """A markdown table row."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


# --- The code measured and its backend --------------------------------------------


def source_digest(app_dir: Path) -> str:
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


def git_describe() -> str:
    """The commit measured, and whether cop_app has uncommitted changes."""
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


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, for the report."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


# --- The main loop ----------------------------------------------------------------


def _cop_backend_line(figures: dict[str, Any]) -> list[str]:
    return [
        "- Backend: `reflex run --env prod --backend-only`, 1 Granian worker, disk state "
        "manager, SQLite in a temp dir"
    ]


def _clients_and_warmup(args: argparse.Namespace) -> int:
    return args.clients + args.warmup_clients


def _no_args(args: argparse.Namespace) -> list[str]:
    return []


Measure = Callable[
    [lt.Backend, Prepared, dict[str, Any], dict[str, Any], argparse.Namespace],
    Coroutine[Any, Any, dict[str, Any]],
]
Render = Callable[[dict[str, Any]], tuple[list[dict[str, Any]], list[str]]]


@dataclasses.dataclass
class Context:
    """One run of a scenario, as its measuring phases see it."""

    args: argparse.Namespace
    tmp: Path
    prepared: Prepared
    extra: dict[str, Any]
    figures: dict[str, Any]

    @property
    def run(self) -> dict[str, Any]:
        """The run's facts (command, commit, load...), written at the top of the report."""
        return self.figures["run"]

    def cop_env(self) -> dict[str, str]:
        """The environment of a cop_app backend on the prepared data dir."""
        return {
            **BACKEND_ENV,
            "COP_DATA_DIR": str(self.tmp),
            "REFLEX_STATES_WORKDIR": str(self.tmp / "cop-states"),
        }

    def on_cop_backend(self, measure: Measure) -> dict[str, Any]:
        """Start cop_app's backend, run ``measure`` on it, always stop it."""
        print(f"\n== cop_app backend (port {self.args.port})")
        return run_on_backend(
            "cop_app",
            self.args.app_dir,
            self.cop_env(),
            self.args.port,
            self.tmp / "cop-backend",
            lambda backend: measure(backend, self.prepared, self.extra, self.figures, self.args),
            self.args,
            self.run,
        )


@dataclasses.dataclass(frozen=True)
class Scenario:
    """What one benchmark plugs into the main loop."""

    name: str  # bench/results/<name>.md and .json
    title: str  # the report's heading
    script: Path  # the scenario's file: the preparation children run it again
    parse: Callable[[Sequence[str]], argparse.Namespace]
    render: Render  # figures -> (targets, the report's body lines)
    #: On cop_app's backend; its figures land in figures["cop"]. Or, instead:
    measure: Measure | None = None
    #: The measuring phases, for a scenario that runs its own backends.
    phases: Callable[[Context], None] | None = None
    #: In the ``--extra`` child, after the common preparation: write JSON to ``args.extra``.
    extra: Callable[[argparse.Namespace], None] | None = None
    extra_args: Callable[[argparse.Namespace], list[str]] = _no_args
    users: Callable[[argparse.Namespace], int] = _clients_and_warmup
    #: Lines under the run's facts at the top of the report (the backend, the set-up).
    about: Callable[[dict[str, Any]], list[str]] = _cop_backend_line


def _measure_on_cop(scenario: Scenario) -> Callable[[Context], None]:
    measure = scenario.measure
    if measure is None:
        msg = f"scenario {scenario.name} gives neither measure nor phases"
        raise TypeError(msg)

    def phases(ctx: Context) -> None:
        ctx.figures["cop"] = ctx.on_cop_backend(measure)

    return phases


def run_scenario(scenario: Scenario, args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Prepare, measure, print and save the report; always stops backends and cleans up."""
    started = time.perf_counter()
    command = shlex.join([".venv/bin/python", f"bench/{scenario.script.name}", *argv])
    run: dict[str, Any] = {
        "command": command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "reflex": importlib.metadata.version("reflex"),
        "loadavg_start": loadavg(),
        "clients": args.clients,
        "warmup_clients": args.warmup_clients,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "quiet_pct": args.quiet,
        "quiet_timeout_s": args.quiet_timeout,
        "concurrency": args.concurrency,
        "wave_every": getattr(args, "wave_every", None),
    }
    print(f"{command}\n{run['date']} UTC, {run['cpus']} CPUs, load average {run['loadavg_start']}")
    tmp = Path(tempfile.mkdtemp(prefix=f"cop-bench-{scenario.name}-"))
    figures: dict[str, Any] = {"run": run}
    completed = False
    try:
        if args.ref:
            args.app_dir = tmp / "app"
            run["git"] = f"{export_ref(args.ref, args.app_dir)} (--ref {args.ref}, exported)"
            print(f"measuring {run['git']} in {args.app_dir}")
        else:
            args.app_dir = ROOT
            run["git"] = git_describe()
        run["source_digest"] = source_digest(args.app_dir)
        print(f"\n== preparing the data dir {tmp}")
        phase = time.perf_counter()
        prepared = prepare(tmp, scenario.users(args), args.app_dir, scenario.script)
        print(
            f"  migrate {prepared.migrate_s:.1f} s, seed + {len(prepared.tokens)} members "
            f"and sessions {prepared.seed_s:.1f} s; bench community /c/{prepared.slug} "
            f"(id {prepared.community_id}, {prepared.member_count} member)"
        )
        extra: dict[str, Any] = {}
        if scenario.extra is not None:
            extra = run_extra(scenario.script, tmp, args.app_dir, scenario.extra_args(args))
        run["prepare_s"] = round(time.perf_counter() - phase, 1)
        print(f"  prepared in {run['prepare_s']} s")
        phases = scenario.phases or _measure_on_cop(scenario)
        phases(Context(args, tmp, prepared, extra, figures))
        if extra:
            figures["extra"] = {k: v for k, v in extra.items() if k != "tokens"}
        completed = True
    finally:
        if args.keep or not completed:
            print(f"temp data dir kept (data, backend logs): {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    run["loadavg_end"] = loadavg()
    run["wall_s"] = round(time.perf_counter() - started, 1)
    checks, body = scenario.render(figures)
    figures["targets"] = checks
    lines = [
        f"# {scenario.title}",
        "",
        f"- Command: `{run['command']}`",
        f"- Date: {run['date']} UTC; the run took {run['wall_s']:.0f} s",
        f"- Machine: {run['cpus']} CPUs, Python {run['python']}, Reflex {run['reflex']}",
        f"- Code: git {run['git']}, source digest {run['source_digest']}",
        f"- Load average (1/5/15 min): {run['loadavg_start']} at the start, "
        f"{run['loadavg_end']} at the end",
        *scenario.about(figures),
        *(
            f"- **Backend stopped from outside** mid-phase, phase run again: {r}"
            for r in run.get("restarts", [])
        ),
        "",
        "## Targets",
        "",
        row("Target", "Figure", "Limit", "Result"),
        row("---", "---", "---", "---"),
        *(row(c["target"], c["figure"], c["limit"], f"**{verdict(c['pass'])}**") for c in checks),
        "",
        *body,
        "",
    ]
    report = "\n".join(lines)
    print("\n" + report)
    if not args.no_save:
        args.results_dir.mkdir(parents=True, exist_ok=True)
        (args.results_dir / f"{scenario.name}.md").write_text(report)
        (args.results_dir / f"{scenario.name}.json").write_text(
            json.dumps(figures, indent=2, default=str) + "\n"
        )
        print(f"written: {args.results_dir / scenario.name}.md and .json")
    return 0 if all(c["pass"] for c in checks) else 1


def main(scenario: Scenario) -> int:
    """Entry point of every scenario: a preparation child, or the whole run (exit 0/1/2)."""
    argv = list(sys.argv[1:])
    args = scenario.parse(argv)
    if args.prepare is not None:
        prepare_database(args.prepare, args.users, args.app_dir)
        return 0
    if args.extra is not None:
        if scenario.extra is not None:
            scenario.extra(args)
        return 0
    try:
        return run_scenario(scenario, args, argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print("benchmark FAILED to run (see above)", file=sys.stderr)
        return 2
