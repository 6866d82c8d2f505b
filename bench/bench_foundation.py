"""Foundation benchmark of cop_app: floor, directory, live fan-out, memory per client.

Run from the repo root (``make bench`` runs it through ``bench/run_all.py``)::

    .venv/bin/python bench/bench_foundation.py [--clients 100] [--viewers 50]

One run does everything, so every figure is measured under the same
conditions on the same machine:

1. Prepares a throw-away data dir as every scenario does (``common.prepare``:
   migrate, demo seed, a bench community, one member and session per client).
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
``foundation.json`` through ``common.main``, like every scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import common as cm
import loadtool as lt
from bare_baseline import BARE_APP_DIR, INCREMENT, NOOP
from common import (
    BARRIER,
    BUSY_OTHERS_PCT,
    COMMUNITY,
    JOIN,
    LEAVE,
    LOAD_PAGE,
    PING,
    SESSION_KEY,
    Meter,
    Prepared,
    interleaved_loops,
    memory_dict,
    metered,
    signed_in,
    stats_dict,
    wait_for_quiet,
)

# --- Names of cop_app's states and events (computed without importing the app)

DIRECTORY = "cop_app.states.communities.DirectoryState"
ROOM = lt.shared_state("cop_app.live.CommunityRoom")
DIRECTORY_LOAD = lt.event_name(DIRECTORY, "load")

# --- Targets ---------------------------------------------------------------------

DIRECTORY_VS_FLOOR_MAX = 3.0
FANOUT_P95_MAX_MS = 250.0
MEMORY_RATIO_MAX = 2.0


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Command-line options; the defaults are the figures the targets are set for."""
    parser = cm.base_parser("bench_foundation.py", __doc__, 8141)
    parser.add_argument(
        "--viewers", type=int, default=50, help="tabs on the community page (default 50)"
    )
    parser.add_argument(
        "--actions", type=int, default=100, help="joins + leaves by the actor (default 100)"
    )
    parser.add_argument("--bare-port", type=int, default=8142, help="bare app backend port")
    parser.set_defaults(duration=15.0, warmup_clients=5, quiet_timeout=120.0)
    args = parser.parse_args(argv)
    if not cm.child_step(args):
        if args.clients < 2:
            parser.error("--clients must be at least 2")
        if not 1 <= args.viewers <= args.clients - 1:
            parser.error("--viewers must be between 1 and --clients - 1 (one client acts)")
        if args.actions < 2:
            parser.error("--actions must be at least 2")
    return args


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


def about(figures: dict[str, Any]) -> list[str]:
    """The set-up lines at the top of the report: backend, clients, quiet starts, load."""
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
    if busiest >= BUSY_OTHERS_PCT:
        lines.append(
            f"- **Shared machine**: other processes used up to {busiest}% of a core during "
            "the measurements (column `others`), so latencies are inflated; backend CPU "
            "per event hardly depends on it"
        )
    return lines


def render(figures: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The targets, and the report's figures and notes."""
    cop, bare, run = figures["cop"], figures["bare"], figures["run"]
    fan = cop["fan_out"]
    n = run["clients"]
    lines = [
        "## Figures",
        "",
        cm.row(
            "Measure",
            "Events/s",
            "p50 / p95 / p99 ms",
            "n (err)",
            "backend CPU ms/event",
            "CPU % backend / loadgen / others",
            "load avg",
        ),
        cm.row("---", "---:", "---:", "---:", "---:", "---:", "---:"),
    ]

    def cpu(s: dict[str, Any]) -> list[str]:
        return [
            f"{s['backend_cpu_ms_per_event']:.2f}",
            f"{s['backend_cpu_pct']} / {s['loadgen_cpu_pct']} / {s['others_cpu_pct']}",
            f"{s['loadavg_1m_before']:.2f}",
        ]

    def loop_row(label: str, s: dict[str, Any]) -> str:
        return cm.row(
            label, f"{s['events_per_s']:.0f}", cm.lat(s), f"{s['count']} ({s['errors']})", *cpu(s)
        )

    def plain_row(label: str, s: dict[str, Any]) -> str:
        return cm.row(label, "", cm.lat(s), f"{s['count']} ({s['errors']})", "", "", "")

    lines += [
        loop_row(f"a. floor: AuthState.ping + barrier, {n} clients", cop["floor"]),
        loop_row(f"b. directory: DirectoryState.load, {n} clients", cop["directory"]),
        cm.row(
            f"c. fan-out: last of {fan['viewers']} viewers has the new count "
            f"({fan['actions']} joins/leaves, alone)",
            "",
            cm.lat(fan["last_viewer"]),
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
        cm.row("d. Memory (backend RSS, settled)", "before MiB", "after MiB", "KiB per client"),
        cm.row("---", "---:", "---:", "---:"),
        cm.row(
            f"cop_app, {n} signed-in clients on /communities",
            cop["memory"]["rss_before_mib"],
            cop["memory"]["rss_after_mib"],
            cop["memory"]["kib_per_client"],
        ),
        cm.row(
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
    ]
    return evaluate(figures), lines


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


def phases(ctx: cm.Context) -> None:
    """The bare app's yardstick first, then cop_app, each on its own backend."""
    args, run = ctx.args, ctx.run
    run.update(viewers=args.viewers, actions=args.actions, coalesce_ms=_coalesce_ms(args.app_dir))
    print(f"\n== bare app yardstick (port {args.bare_port})")
    phase = time.perf_counter()
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
    run["bare_phase_s"] = round(time.perf_counter() - phase, 1)
    print(f"  bare phase took {run['bare_phase_s']} s")
    phase = time.perf_counter()
    ctx.figures["cop"] = ctx.on_cop_backend(
        lambda backend, prepared, _extra, _figures, args: measure_cop(backend, prepared, args)
    )
    run["cop_phase_s"] = round(time.perf_counter() - phase, 1)


SCENARIO = cm.Scenario(
    name="foundation",
    title="Foundation benchmark",
    script=Path(__file__).resolve(),
    parse=parse_args,
    render=render,
    phases=phases,
    about=about,
)


if __name__ == "__main__":
    sys.exit(cm.main(SCENARIO))
