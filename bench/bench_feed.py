"""Admin activity feed: every event reaches every admin; cost independent of history.

    .venv/bin/python bench/bench_feed.py [--clients 100] [--admins 5]

Prepares the common bench data (common.prepare) plus 3 more admins (5 with amara.okafor and
daniel.reyes, each with a session), --communities open communities for the
members, and activity history topped up to --history events. Then, on one
backend:

1. feed open: the admins loop FeedState.load (+ barrier) alone; publish cost:
   one member joins/leaves alone, timed to every admin's ActivityRoom delta,
   with the backend CPU per action and the bytes each admin receives;
2. load: --clients members, each on their community page, act at once: every
   --wave-every s all of them send a join/leave in the same instant (a wave of
   --clients events; activity events have no rate limit), for --duration s, while
   the admins watch /admin/activity. Every event must reach every admin: latency
   from the action's send to the first admin delta carrying it (matched by actor
   name and sequence: each member's events arrive in order). --wave-every 0 is a
   closed loop instead (each member acts again as soon as its action returns):
   the saturation throughput, whose latency is queueing, not the feed;
3. adds --big-history events (bulk insert by a child process while the backend
   runs) and measures step 1 again: feed open and publish cost should not grow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import common as cm
import loadtool as lt

FEED = "cop_app.states.moderation.FeedState"
ACTIVITY_ROOM = lt.shared_state("cop_app.live.ActivityRoom")
FEED_LOAD = lt.event_name(FEED, "load")
EVENTS_KEY = lt.var_key("events")
HEAD_KEY = lt.var_key("head")  # the newest events; EVENTS_KEY holds the rest of the window
FEED_P95_MAX_MS = 500.0
GROWTH_MAX = 1.5  # 200k-history figure vs 1k-history figure
# A join/leave is done when its own reply carries the member's new card (no barrier event:
# a member's click is one event, and a barrier per action would double the load).
ACTED = lt.delta_has(cm.COMMUNITY, "card")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = cm.base_parser("bench_feed.py", __doc__, 8161)
    parser.add_argument("--admins", type=int, default=5)
    parser.add_argument("--communities", type=int, default=10)
    parser.add_argument("--history", type=int, default=1_000)
    parser.add_argument("--big-history", type=int, default=200_000)
    parser.add_argument("--publishes", type=int, default=20, help="single actions per cost probe")
    parser.add_argument(
        "--wave-every",
        type=float,
        default=2.0,
        help="seconds between waves in which every member acts at once (0: closed loop)",
    )
    parser.add_argument("--add-events", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.duration = min(args.duration, 30.0)
    return args


# --- extra preparation (child process) --------------------------------------------


def _add_events(session, target: int) -> int:
    from sqlalchemy import func, insert
    from sqlmodel import select

    from cop_app.models import ActivityEvent, Community, User
    from cop_app.models.base import utcnow

    have = session.exec(select(func.count()).select_from(ActivityEvent)).one()
    missing = max(0, target - have)
    admin = session.exec(select(User.id).where(User.role == "admin")).first()
    communities = session.exec(select(Community.id)).all()
    now = utcnow()
    rows = [
        {
            "kind": "post.created",
            "actor_id": admin,
            "community_id": communities[i % len(communities)],
            "target_type": "post",
            "target_id": None,
            "summary": f"Historic event {i}",
            # 60 days back, oldest first, so ids follow time as they would.
            "created_at": now - timedelta(days=60) + timedelta(seconds=i * 25),
        }
        for i in range(missing)
    ]
    for k in range(0, len(rows), 20_000):
        session.execute(insert(ActivityEvent), rows[k : k + 20_000])
    session.commit()
    return have + missing


def extra(args: argparse.Namespace) -> None:
    import secrets

    from sqlmodel import Session, select

    engine = cm.open_app_db(args.app_dir)
    from cop_app.models import AuthSession, User
    from cop_app.models.base import utcnow
    from cop_app.services import accounts, communities, passwords, settings

    started = time.perf_counter()
    out: dict[str, Any] = {}
    with Session(engine) as session:
        if args.add_events:
            out["events"] = _add_events(session, args.add_events)
            out["seconds"] = round(time.perf_counter() - started, 1)
            Path(args.extra).write_text(json.dumps(out))
            return
        admins = session.exec(select(User).where(User.role == "admin").order_by(User.id)).all()
        seeded = ("amara.okafor", "daniel.reyes")
        wanted = [u for u in admins if u.handle in seeded or u.email.split("@")[0] in seeded]
        pw = passwords.hash_password(cm.BENCH_PASSWORD)
        for i in range(max(0, args.admins - len(wanted))):
            user = User(
                email=f"bench-admin-{i}@bench.example.org",
                display_name=f"Bench Admin {i}",
                handle=f"bench.admin.{i}",
                password_hash=pw,
                role="admin",
            )
            session.add(user)
            wanted.append(user)
        session.flush()
        now = utcnow()
        tokens = []
        for user in wanted[: args.admins]:
            token = secrets.token_urlsafe(32)
            session.add(
                AuthSession(
                    token_hash=accounts.token_hash(token),
                    user_id=user.id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + settings.SESSION_LIFETIME,
                )
            )
            tokens.append(token)
        slugs = []
        for i in range(args.communities):
            community = communities.check_create_community(
                session,
                wanted[0],
                communities.clean_input(
                    f"Bench Feed Circle {i:02d}",
                    "cop",
                    "A community the feed benchmark's members join and leave.",
                    "Created by bench/bench_feed.py.",
                    "bench feed",
                    "open",
                ),
            )
            slugs.append(community.slug)
        session.commit()
        out = {
            "admin_tokens": tokens,
            "admin_names": [u.display_name for u in wanted[: args.admins]],
            "slugs": slugs,
            "events": _add_events(session, args.history),
            "seconds": round(time.perf_counter() - started, 1),
        }
    Path(args.extra).write_text(json.dumps(out))


# --- measurement ---------------------------------------------------------------------


def _window(delta: dict) -> list[dict]:
    """The feed room's events in a client's state or a delta: the head, then the rest."""
    room = delta.get(ACTIVITY_ROOM, {})
    return (room.get(HEAD_KEY) or []) + (room.get(EVENTS_KEY) or [])


class Watch:
    """One admin tab's arrivals: (actor name, n-th event of that actor) -> receive time."""

    def __init__(self, client: lt.Client) -> None:
        self.seen: set[int] = set()
        self.count: dict[str, int] = {}
        self.arrived: dict[tuple[str, int], float] = {}
        self.bytes: list[int] = []
        self.client = client
        self.absorb(_window(client.state), None)
        client.on_update = self.on_update

    def absorb(self, events: list[dict], at: float | None) -> None:
        for ev in sorted(events, key=lambda e: e.get("id", 0)):
            eid = ev.get("id", 0)
            if eid in self.seen:
                continue
            self.seen.add(eid)
            if at is None:
                continue
            name = ev.get("actor_name", "")
            n = self.count.get(name, 0)
            self.count[name] = n + 1
            self.arrived[(name, n)] = at

    def on_update(self, _client: lt.Client, update: lt.Update) -> None:
        room = update.delta.get(ACTIVITY_ROOM, {})
        if HEAD_KEY in room or EVENTS_KEY in room:
            self.bytes.append(cm.delta_bytes(update))
            self.absorb(_window(update.delta), update.received_at)


def _names(prepared: cm.Prepared, n: int) -> list[str]:
    return [f"Bench Member {i:04d}" for i in range(n)]


async def feed_open_loop(backend, admins, args, label) -> dict[str, Any]:
    meter = cm.Meter()
    ev = lt.Ev(FEED_LOAD, barrier=cm.BARRIER)
    await lt.run_closed_loop(admins, lambda _c, _i: ev, duration=1.0, timeout=args.timeout)
    with cm.metered(backend, meter):
        stats = await lt.run_closed_loop(
            admins, lambda _c, _i: ev, duration=min(args.duration, 8.0), timeout=args.timeout
        )
    meter.events = stats.count
    print(f"  {label} feed open (FeedState.load, {len(admins)} admins alone): {stats}\n    {meter}")
    return {**cm.stats_dict(stats), **meter.as_dict()}


async def publish_probe(backend, members, names, states, watches, args, label) -> dict[str, Any]:
    """Single join/leave actions, alone: time to the last admin, CPU and bytes per action."""
    last: list[float] = []
    meter = cm.Meter(events=args.publishes)
    sizes_before = [len(w.bytes) for w in watches]
    for k in range(args.publishes):
        i = k % len(members)
        member, name = members[i], names[i]
        seq = states[i]
        ev = cm.JOIN if seq % 2 == 0 else cm.LEAVE
        with cm.metered(backend, meter):
            sent = time.perf_counter()
            await member.send_ev(lt.Ev(ev, barrier=cm.BARRIER), timeout=args.timeout)
            states[i] += 1
            deadline = time.perf_counter() + args.timeout
            while time.perf_counter() < deadline and not all(
                (name, seq) in w.arrived for w in watches
            ):
                await asyncio.sleep(0.005)
        got = [w.arrived.get((name, seq)) for w in watches]
        if all(g is not None for g in got):
            last.append(max(got) - sent)
        await asyncio.sleep(0.3)
    stats = lt.Stats.from_latencies(last, meter.wall, args.publishes - len(last))
    new_sizes = [s for w, b in zip(watches, sizes_before, strict=True) for s in w.bytes[b:]]
    mean_bytes = sum(new_sizes) / len(new_sizes) if new_sizes else 0
    print(
        f"  {label} publish probe (one action alone -> last admin): {stats}\n    {meter}; "
        f"{mean_bytes / 1024:.1f} KiB per admin delta"
    )
    return {**cm.stats_dict(stats), **meter.as_dict(), "delta_kib": round(mean_bytes / 1024, 1)}


async def measure(backend, prepared: cm.Prepared, ex: dict, figures: dict, args) -> dict:
    context = cm.frontend_context(args)
    n = args.clients
    names = _names(prepared, n)
    make_member = cm.make_tokens_client(prepared.tokens, context, "/communities")
    make_admin = cm.make_tokens_client(ex["admin_tokens"], context, "/admin/activity")
    admins, _ = await lt.connect_clients(backend.base_url, len(ex["admin_tokens"]), make_admin)
    members, hydrate = await lt.connect_clients(
        backend.base_url, n, make_member, concurrency=args.concurrency
    )
    print(f"  hydrate {n} members: {hydrate}")
    await asyncio.gather(*(a.send_ev(lt.Ev(FEED_LOAD, barrier=cm.BARRIER)) for a in admins))
    shown = [len(_window(a.state)) for a in admins]
    if not all(shown):
        msg = f"admins see no feed after FeedState.load: {shown}"
        raise lt.ClientError(msg)
    slugs = ex["slugs"]
    gate = asyncio.Semaphore(args.concurrency)

    async def open_community(i: int, client: lt.Client) -> None:
        slug = slugs[i % len(slugs)]
        cm.set_page([client], f"/c/{slug}", {"slug": slug})
        async with gate:
            await client.send_ev(lt.Ev(cm.LOAD_PAGE, barrier=cm.BARRIER), timeout=30)

    await asyncio.gather(*(open_community(i, c) for i, c in enumerate(members)))
    watches = [Watch(a) for a in admins]
    states = [0] * n  # actions done per member (even: next is a join)
    result: dict[str, Any] = {"admins": len(admins), "admin_names": ex["admin_names"]}

    quiet = await cm.wait_for_quiet(backend, args, "small history")
    result["small_open"] = await feed_open_loop(backend, admins, args, f"{ex['events']} events:")
    result["small_publish"] = await publish_probe(
        backend, members, names, states, watches, args, f"{ex['events']} events:"
    )
    result["quiet_small"] = quiet

    # Load: every member joins/leaves at once, wave after wave; admins watch.
    quiet = await cm.wait_for_quiet(backend, args, "members acting at once")
    sent: dict[tuple[str, int], float] = {}
    acts: list[float] = []
    errors = 0
    meter = cm.Meter()
    deadline = time.perf_counter() + args.duration

    async def act(i: int) -> bool:
        nonlocal errors
        seq = states[i]
        ev = cm.JOIN if seq % 2 == 0 else cm.LEAVE
        sent[(names[i], seq)] = time.perf_counter()
        try:
            acts.append(await members[i].send_ev(lt.Ev(ev, until=ACTED), args.timeout))
        except lt.ClientError:
            errors += 1
            return False
        states[i] += 1
        return True

    async def closed_loop(i: int) -> None:
        while time.perf_counter() < deadline and await act(i):
            pass

    async def waves() -> None:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            await asyncio.gather(*(act(i) for i in range(n)))
            await asyncio.sleep(max(0.0, start + args.wave_every - time.perf_counter()))

    with cm.metered(backend, meter):
        if args.wave_every > 0:
            await waves()
        else:
            await asyncio.gather(*(closed_loop(i) for i in range(n)))
        settle = time.perf_counter() + 5.0
        while time.perf_counter() < settle and not all(
            all(k in w.arrived for k in sent) for w in watches
        ):
            await asyncio.sleep(0.05)
    meter.events = len(sent)
    per_admin, last, missing = [], [], 0
    for key, t0 in sent.items():
        got = [w.arrived.get(key) for w in watches]
        per_admin += [g - t0 for g in got if g is not None]
        if all(g is not None for g in got):
            last.append(max(got) - t0)
        else:
            missing += 1
    act_stats = lt.Stats.from_latencies(acts, args.duration, errors)
    last_stats = lt.Stats.from_latencies(last, args.duration, missing)
    admin_stats = lt.Stats.from_latencies(per_admin, args.duration)
    all_bytes = [b for w in watches for b in w.bytes]
    how = f"waves every {args.wave_every} s" if args.wave_every > 0 else "a closed loop"
    print(f"  members' actions ({n} at once, {how}): {act_stats}")
    print(f"  event -> last admin: {last_stats}\n  event -> each admin: {admin_stats}\n    {meter}")
    result["load"] = {
        "actions": cm.stats_dict(act_stats),
        "last_admin": cm.stats_dict(last_stats),
        "per_admin": cm.stats_dict(admin_stats),
        "events": len(sent),
        "missing": missing,
        "admin_deltas": len(all_bytes),
        "admin_delta_kib_mean": round(sum(all_bytes) / max(1, len(all_bytes)) / 1024, 1),
        **meter.as_dict(),
        **quiet,
    }

    # Big history: bulk insert while the backend runs, then the same probes.
    print(f"  adding events up to {args.big_history} ...")
    added = await asyncio.to_thread(
        cm.run_extra,
        Path(__file__).resolve(),
        prepared.data_dir,
        args.app_dir,
        ["--add-events", str(args.big_history)],
    )
    print(f"  {added['events']} events now ({added['seconds']} s)")
    quiet = await cm.wait_for_quiet(backend, args, "big history")
    result["big_events"] = added["events"]
    result["small_events"] = ex["events"]
    result["big_open"] = await feed_open_loop(backend, admins, args, f"{added['events']} events:")
    result["big_publish"] = await publish_probe(
        backend, members, names, states, watches, args, f"{added['events']} events:"
    )
    result["quiet_big"] = quiet
    await lt.close_clients(members + admins)
    return result


def render(figures: dict[str, Any]) -> tuple[list[dict], list[str]]:
    cop = figures["cop"]
    load = cop["load"]
    so, bo = cop["small_open"]["p95_ms"], cop["big_open"]["p95_ms"]
    soc = cop["small_open"]["backend_cpu_ms_per_event"]
    boc = cop["big_open"]["backend_cpu_ms_per_event"]
    sp, bp = cop["small_publish"], cop["big_publish"]
    sc, bc = sp["backend_cpu_ms_per_event"], bp["backend_cpu_ms_per_event"]
    checks = [
        {
            "target": f"every event reaches all {cop['admins']} admins, p95 <= 500 ms",
            "figure": f"{load['last_admin']['p95_ms']:.1f} ms over {load['events']} events, "
            f"{load['missing']} missing",
            "limit": "<= 500 ms, 0 missing",
            "pass": load["last_admin"]["p95_ms"] <= FEED_P95_MAX_MS and load["missing"] == 0,
        },
        {
            "target": "feed open p95 does not grow with history",
            "figure": f"{so:.1f} ms ({cop['small_events']}) -> {bo:.1f} ms ({cop['big_events']}); "
            f"backend CPU {soc:.1f} -> {boc:.1f} ms per open",
            "limit": f"<= {GROWTH_MAX}x (or +20 ms)",
            "pass": bo <= max(GROWTH_MAX * so, so + 20),
        },
        {
            "target": "publish cost does not grow with history (backend CPU per action)",
            "figure": f"{sc:.1f} ms -> {bc:.1f} ms CPU; last admin p95 "
            f"{sp['p95_ms']:.0f} -> {bp['p95_ms']:.0f} ms",
            "limit": f"<= {GROWTH_MAX}x (or +5 ms)",
            "pass": bc <= max(GROWTH_MAX * sc, sc + 5),
        },
    ]

    def r(label: str, s: dict, extra: str = "") -> str:
        return cm.row(
            label,
            cm.lat(s),
            f"{s['count']} ({s['errors']})",
            f"{s.get('backend_cpu_ms_per_event', float('nan')):.2f}",
            f"{s.get('backend_cpu_pct', '')} / {s.get('loadgen_cpu_pct', '')} / "
            f"{s.get('others_cpu_pct', '')}",
            extra,
        )

    n = figures["run"]["clients"]
    body = [
        "## Figures",
        "",
        cm.row(
            "Measure",
            "p50 / p95 / p99 ms",
            "n (err)",
            "backend CPU ms/event",
            "CPU % backend / loadgen / others",
            "note",
        ),
        cm.row("---", "---:", "---:", "---:", "---:", "---"),
        r(f"feed open, {cop['small_events']} events (5 admins loop)", cop["small_open"]),
        r(f"feed open, {cop['big_events']} events", cop["big_open"]),
        r(
            f"one action -> last admin, {cop['small_events']} events (alone)",
            sp,
            f"{sp['delta_kib']} KiB/admin delta",
        ),
        r(
            f"one action -> last admin, {cop['big_events']} events (alone)",
            bp,
            f"{bp['delta_kib']} KiB/admin delta",
        ),
        r(
            f"{n} members join/leave at once, a wave every "
            f"{figures['run'].get('wave_every', 0)} s: action reply",
            {**load["actions"], **load},
        ),
        r("... event -> last admin", {**load["last_admin"], **load}),
        r(
            "... event -> each admin",
            {**load["per_admin"], **load},
            f"{load['admin_deltas']} admin deltas, {load['admin_delta_kib_mean']} KiB mean",
        ),
        "",
        "Notes: activity rooms are published through a 0.05 s coalescing batch "
        "(`_BATCHES` in cop_app/live.py): events arriving while a publish runs join the next "
        "one. A publish reads only the events newer than the room's newest and sends them in "
        "the room's head list (up to `ACTIVITY_HEAD_SIZE` = 50; a full head rolls into the "
        "200-event window, `ACTIVITY_ROOM_SIZE`, which is then sent whole), encoded once for "
        "all admins. The "
        "first rows' CPU per event is per FeedState.load; the probe's is per action "
        "(join/leave + publish to the admins and the community room).",
    ]
    return checks, body


SCENARIO = cm.Scenario(
    name="feed",
    title="Activity feed benchmark",
    script=Path(__file__).resolve(),
    parse=parse_args,
    render=render,
    measure=measure,
    extra=extra,
    extra_args=lambda args: [
        "--admins",
        str(args.admins),
        "--communities",
        str(args.communities),
        "--history",
        str(args.history),
    ],
)


if __name__ == "__main__":
    sys.exit(cm.main(SCENARIO))
