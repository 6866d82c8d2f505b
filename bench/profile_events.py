"""Backend CPU per event of one closed loop, optionally under py-spy: where an event's time goes.

    .venv/bin/python bench/profile_events.py --data /tmp/prof-data [--page communities]
        [--loop ping|directory|thread] [--clients 100] [--duration 10] [--spy out.txt]

The first run prepares ``--data`` like the benchmarks do (migrate, demo seed, the bench
community, one member and session per client); later runs reuse it. Each run starts
cop_app's backend on that data (a fresh state directory), hydrates ``--clients`` signed-in
tabs on the page, warms up, then runs the loop for ``--duration`` seconds and prints the
backend's CPU ms per event. With ``--spy`` py-spy records the busiest worker meanwhile
(raw folded stacks, ``--gil``). Not a target check: bench_foundation.py is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import common as cm  # noqa: E402
import loadtool as lt  # noqa: E402

DIRECTORY = "cop_app.states.communities.DirectoryState"
LOOPS = {
    "ping": lt.Ev(cm.PING, barrier=cm.BARRIER),
    "directory": lt.Ev(lt.event_name(DIRECTORY, "load"), until=lt.delta_has(DIRECTORY, "cards")),
    "barrier": cm.BARRIER,
    "threads": lt.Ev(
        lt.event_name("cop_app.states.discussions.ThreadListState", "load"), barrier=cm.BARRIER
    ),
    "thread": lt.Ev(
        lt.event_name("cop_app.states.discussions.ThreadState", "load_page"), barrier=cm.BARRIER
    ),
}


def prepared(data: Path, users: int) -> dict:
    """The prepared data dir's facts, preparing it first when it is new."""
    facts = data / "prepared.json"
    if not facts.exists():
        data.mkdir(parents=True, exist_ok=True)
        cm.prepare(data, users, cm.ROOT, Path(__file__).resolve())
    return json.loads(facts.read_text())


async def measure(backend: lt.Backend, facts: dict, args: argparse.Namespace) -> None:
    """Hydrate the tabs, warm up, then the measured (and maybe profiled) loop."""
    context = lt.read_frontend_context(cm.ROOT / ".web")
    params = {"slug": facts["slug"]} if args.page == "community" else {}
    path = f"/c/{facts['slug']}" if args.page == "community" else f"/{args.page}"
    if args.page.startswith("c/"):  # c/<slug> or c/<slug>/t/<id>: a demo community's pages
        parts = args.page.split("/")
        params = {"slug": parts[1], **({"id": parts[3]} if len(parts) > 3 else {})}

    def make(i: int) -> lt.Client:
        return lt.Client(
            page_path=path,
            route_params=params,
            client_storage={cm.SESSION_KEY: facts["tokens"][i]},
            **(context.client_kwargs() if context else {}),
        )

    cpu0 = backend.cpu_seconds()
    clients, hydrate = await lt.connect_clients(backend.base_url, args.clients, make)
    cpu = backend.cpu_seconds() - cpu0
    print(f"hydrate: {hydrate}; backend CPU {cpu * 1000 / args.clients:.2f} ms per hydrate")
    if args.loop == "hydrate":
        await hydrate_loop(backend, clients, make, args)
        return
    ev = LOOPS[args.loop]
    await lt.run_closed_loop(clients, lambda c, i: ev, duration=3.0)
    spy = start_spy(worker_pid(backend), args.spy)
    await asyncio.sleep(1.0 if spy else 0.0)
    cpu0, t0 = backend.cpu_seconds(), time.perf_counter()
    stats = await lt.run_closed_loop(clients, lambda c, i: ev, duration=args.duration)
    cpu = backend.cpu_seconds() - cpu0
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    print(f"{args.loop} on /{args.page}: {stats}")
    print(f"backend CPU {cpu * 1000 / max(stats.count, 1):.3f} ms/event over {stats.count} events")
    print(f"wall {time.perf_counter() - t0:.1f} s")
    await lt.close_clients(clients)


def start_spy(pid: int, out: str) -> subprocess.Popen[bytes] | None:
    """py-spy on the worker, raw folded stacks; None when not asked for."""
    if not out:
        return None
    spy = str(Path(sys.executable).with_name("py-spy"))
    command = [spy, "record", "-p", str(pid), "--gil", "-r", "200", "-f", "raw", "-o", out]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def worker_pid(backend: lt.Backend) -> int:
    """The Granian worker serving the sockets: the busiest child (the root's CPU is startup)."""
    children = backend.processes()[1:] or backend.processes()
    return max(children, key=lambda p: p.cpu_times().user).pid


async def hydrate_loop(
    backend: lt.Backend, clients: list[lt.Client], make: Any, args: argparse.Namespace
) -> None:
    """New tabs (fresh tokens, signed in) open the page in waves of --clients, for --duration."""
    await lt.close_clients(clients)
    spy = start_spy(worker_pid(backend), args.spy)
    await asyncio.sleep(1.0 if spy else 0.0)
    cpu0, t0, count = backend.cpu_seconds(), time.perf_counter(), 0
    while time.perf_counter() - t0 < args.duration:
        wave, stats = await lt.connect_clients(backend.base_url, args.clients, make)
        count += len(wave)
        print(f"  wave: {stats}")
        await lt.close_clients(wave)
    cpu = backend.cpu_seconds() - cpu0
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
    print(f"hydrate loop: {count} hydrates, backend CPU {cpu * 1000 / count:.2f} ms per hydrate")


def main() -> None:
    """Prepare if needed, start the backend, measure, stop it."""
    parser = cm.base_parser("profile_events.py", __doc__, 8341)
    parser.add_argument("--data", type=Path, default=Path("/tmp/cop-profile-events"))
    parser.add_argument("--page", default="communities")
    parser.add_argument("--loop", default="ping", choices=[*sorted(LOOPS), "hydrate"])
    parser.add_argument("--spy", default="")
    parser.set_defaults(duration=10.0, clients=100)
    args = parser.parse_args()
    if args.prepare is not None:
        cm.prepare_database(args.prepare, args.users, cm.ROOT)
        return
    facts = prepared(args.data, args.clients + 5)
    states = args.data / "cop-states"
    shutil.rmtree(states, ignore_errors=True)
    env = {**cm.BACKEND_ENV, "COP_DATA_DIR": str(args.data), "REFLEX_STATES_WORKDIR": str(states)}
    backend = lt.start_backend(
        cm.ROOT, env, args.port, log_path=args.data / "backend.log", unset_env=cm.UNSET_ENV
    )
    try:
        asyncio.run(measure(backend, facts, args))
    finally:
        lt.stop_backend(backend)


if __name__ == "__main__":
    main()
