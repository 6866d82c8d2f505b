"""Measure what one client costs a bare Reflex app: the yardstick for cop_app.

Starts bench/bare_app's backend, warms it up, connects and hydrates N
clients, and prints the backend's RSS growth per client plus the latency of
the cheapest events. cop_app's "memory per signed-in client <= 2x a bare
Reflex client" budget is checked against the KiB/client printed here.

Run from the repo root:

    .venv/bin/python bench/bare_baseline.py --clients 100

The warm-up clients stay connected and are not counted: the first clients
pay one-time costs (lazy imports, caches, the event processor's first
tasks) that are no part of what each additional client costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

import psutil
from loadtool import (
    ROOT_STATE,
    Backend,
    Client,
    ClientError,
    Ev,
    close_clients,
    connect_clients,
    event_name,
    measure_memory_per_client,
    read_frontend_context,
    run_closed_loop,
    settled_rss,
    start_backend,
    state_full_name,
    stop_backend,
    var_key,
)

BARE_APP_DIR = Path(__file__).resolve().parent / "bare_app"
BARE_STATE = "bare_app.bare_app.State"
INCREMENT = event_name(BARE_STATE, "increment")
NOOP = event_name(BARE_STATE, "noop")


def parse_args() -> argparse.Namespace:
    """Command-line options; defaults are the figures asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--warmup-clients", type=int, default=5)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per loop")
    parser.add_argument("--port", type=int, default=8131)
    parser.add_argument("--mode", choices=["prod", "dev"], default="prod")
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument(
        "--no-hashes",
        action="store_true",
        help="hydrate without initialStateHashes even if the frontend is compiled",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args()


def own_cpu_seconds() -> float:
    """CPU seconds of this (load generator) process, to see if it saturates."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


async def timed_loop(
    backend: Backend, clients: list[Client], ev: Ev, duration: float
) -> dict[str, float | int]:
    """Run one closed loop and report it with both sides' CPU use."""
    backend_cpu, own_cpu = backend.cpu_seconds(), own_cpu_seconds()
    stats = await run_closed_loop(
        clients, lambda _c, _i: ev, duration=duration, warmup=1.0, timeout=15.0
    )
    backend_cpu = backend.cpu_seconds() - backend_cpu
    own_cpu = own_cpu_seconds() - own_cpu
    wall = stats.duration_s + 1.0  # CPU deltas span the warmup second too
    print(f"  {stats}")
    print(
        f"  CPU: backend {backend_cpu / wall * 100:.0f}% of a core, "
        f"load generator {own_cpu / wall * 100:.0f}% of a core"
    )
    return {
        "count": stats.count,
        "errors": stats.errors,
        "events_per_s": round(stats.events_per_s, 1),
        "p50_ms": round(stats.p50, 2),
        "p95_ms": round(stats.p95, 2),
        "p99_ms": round(stats.p99, 2),
        "backend_cpu_pct": round(backend_cpu / wall * 100),
        "loadgen_cpu_pct": round(own_cpu / wall * 100),
    }


async def measure(backend: Backend, args: argparse.Namespace) -> dict[str, object]:
    """Warm up, measure memory per client, then the two latency loops."""
    context = None if args.no_hashes else read_frontend_context(BARE_APP_DIR / ".web")

    def make_client(_i: int) -> Client:
        if context is None:
            return Client(page_path="/")
        return Client(page_path="/", **context.client_kwargs())

    print(
        "hydrate payload: "
        + ("compiled initialStateHashes" if context else "no hashes (full state, as a reconnect)")
    )
    warm, _ = await connect_clients(backend.base_url, args.warmup_clients, make_client)
    bare_name = state_full_name(BARE_STATE)
    if bare_name not in warm[0].state:
        msg = f"{bare_name} not in client state {sorted(warm[0].state)}: name rule broken?"
        raise ClientError(msg)
    if warm[0].state_mismatch is not None:
        print(f"WARNING: backend reports a state schema mismatch: {warm[0].state_mismatch}")
    for client in warm:
        for _ in range(20):
            await client.send(INCREMENT)
    print(f"warm-up: {len(warm)} clients x 20 increments, counter={warm[0].state[bare_name]}")

    clients, memory, hydrate_stats = await measure_memory_per_client(
        backend, args.clients, make_client, concurrency=args.concurrency
    )
    print(f"hydrate {args.clients} clients: {hydrate_stats}")
    print(f"memory: {memory}")
    assert all(c.state[ROOT_STATE][var_key("is_hydrated")] for c in clients)

    print(f"closed loop, {args.clients} clients, increment (one-int delta):")
    increment = await timed_loop(backend, clients, Ev(INCREMENT), args.duration)
    print(f"closed loop, {args.clients} clients, noop + increment barrier:")
    noop = await timed_loop(backend, clients, Ev(NOOP, barrier=Ev(INCREMENT)), args.duration)
    rss_after_events = await settled_rss(backend)
    print(f"RSS after the loops: {rss_after_events / 2**20:.1f} MiB")

    await close_clients(clients + warm)
    return {
        "clients": args.clients,
        "mode": args.mode,
        "compression": clients[0].compression,
        "hashes_sent": context is not None,
        "rss_before_mib": round(memory.rss_before / 2**20, 1),
        "rss_after_mib": round(memory.rss_after / 2**20, 1),
        "kib_per_client": round(memory.per_client / 1024, 1),
        "hydrate_p50_ms": round(hydrate_stats.p50, 2),
        "hydrate_p95_ms": round(hydrate_stats.p95, 2),
        "hydrate_p99_ms": round(hydrate_stats.p99, 2),
        "increment": increment,
        "noop_with_barrier": noop,
        "rss_after_events_mib": round(rss_after_events / 2**20, 1),
    }


def main() -> None:
    """Start the bare backend, measure, always stop it, print the figures."""
    args = parse_args()
    started = time.perf_counter()
    backend = start_backend(
        BARE_APP_DIR,
        {"REFLEX_TELEMETRY_ENABLED": "false"},
        args.port,
        mode=args.mode,
    )
    try:
        print(
            f"backend up in {time.perf_counter() - started:.1f}s, pid {backend.pid}, "
            f"{len(backend.processes())} processes, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f} (other work skews latency)"
        )
        figures = asyncio.run(measure(backend, args))
    finally:
        stop_backend(backend)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
