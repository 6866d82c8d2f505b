"""Discussions at scale: query plans, list/thread opens vs floor, reply fan-out.

    .venv/bin/python bench/bench_discussions.py [--clients 100] [--replies 60]

Prepares (the common bench data + a bulk insert with SQLAlchemy core) 10,000
threads and 100,000 replies in the bench community, plus one thread with 1,000
replies; then (a) EXPLAIN QUERY PLAN of the SQL that list_threads (4 sorts),
latest_rows and read_posts/post_views really execute (captured with an engine
listener), (b) closed loops at --clients tabs: floor (AuthState.ping +
barrier) vs ThreadListState.load and ThreadState.load_page on the big thread,
interleaved, plus the bytes one thread open sends, (c) reply fan-out: every
tab views the big thread, members take turns posting (set_draft +
submit_reply, each at most once per POST_MIN_INTERVAL), timed until every
viewer's ThreadRoom.post_count shows the new count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import common as cm
import loadtool as lt

PY_SPY = Path(sys.executable).with_name("py-spy")

THREAD_LIST = "cop_app.states.discussions.ThreadListState"
THREAD = "cop_app.states.discussions.ThreadState"
THREAD_ROOM = lt.shared_state("cop_app.live.ThreadRoom")
LIST_LOAD = lt.event_name(THREAD_LIST, "load")
THREAD_LOAD = lt.event_name(THREAD, "load_page")
SET_DRAFT = lt.event_name(THREAD, "set_draft")
SUBMIT = lt.event_name(THREAD, "submit_reply")

RATIO_MAX = 3.0
FANOUT_P95_MAX_MS = 250.0
OPEN_BYTES_MAX = 200_000


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = cm.base_parser("bench_discussions.py", __doc__, 8151)
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--bulk-replies", type=int, default=100_000)
    parser.add_argument("--big-replies", type=int, default=1_000)
    parser.add_argument("--replies", type=int, default=60, help="replies in the fan-out phase")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="record the backend with py-spy (raw collapsed stacks) during the reply phase "
        "only; needs `.venv/bin/pip install py-spy` (not a project dependency)",
    )
    return parser.parse_args(argv)


# --- extra preparation (child process, imports cop_app) ----------------------------


def extra(args: argparse.Namespace) -> None:
    from sqlalchemy import event, insert, text
    from sqlmodel import Session, select

    engine = cm.open_app_db(args.app_dir)
    from cop_app.models import Community, Post, Thread, User
    from cop_app.models.base import utcnow
    from cop_app.services import discussions, markdown

    started = time.perf_counter()
    rng = random.Random(7)
    now = utcnow()
    with Session(engine) as session:
        community = session.exec(
            select(Community).where(Community.name == cm.BENCH_COMMUNITY)
        ).one()
        cid = community.id
        users = session.exec(
            select(User.id).where(User.email.like("bench-%@bench.example.org")).order_by(User.id)
        ).all()
        # Old accounts (no new-member limits), all active members of the bench community.
        cm.join_bench_community(session, cid, users, now)
        body = "A reply with **some** text, a [link](https://example.org) and a list:\n\n- a\n- b"
        html = markdown.render(body)
        first_id = (session.exec(select(Thread.id).order_by(Thread.id.desc())).first() or 0) + 1
        threads, posts = [], []
        counts = [0] * args.threads
        for _ in range(args.bulk_replies):
            counts[rng.randrange(args.threads)] += 1
        counts.append(args.big_replies)  # the big thread is the last one
        base = now - timedelta(days=90)
        for i, replies in enumerate(counts):
            tid = first_id + i
            created = base + timedelta(seconds=i * 600)
            author = users[i % len(users)]
            last = created
            posts.append(
                {
                    "thread_id": tid,
                    "number": 1,
                    "author_id": author,
                    "body": body,
                    "body_html": html,
                    "created_at": created,
                }
            )
            for n in range(replies):
                last = created + timedelta(seconds=30 * (n + 1))
                posts.append(
                    {
                        "thread_id": tid,
                        "number": n + 2,
                        "author_id": users[(i + n + 1) % len(users)],
                        "body": body,
                        "body_html": html,
                        "created_at": last,
                    }
                )
            big = i == len(counts) - 1
            threads.append(
                {
                    "id": tid,
                    "community_id": cid,
                    "author_id": author,
                    "kind": "question" if i % 3 == 0 else "discussion",
                    "title": "The big thread everyone reads" if big else f"Bench thread {i:05d}",
                    "tags": "bench",
                    "post_count": replies + 1,
                    "reply_count": replies,
                    "reaction_count": rng.randrange(20),
                    "accepted_post_id": None,
                    "pinned": False,
                    "locked": False,
                    "hidden": False,
                    "created_at": created,
                    "last_activity_at": now - timedelta(days=2) if big else last,
                    "first_reply_at": created + timedelta(seconds=30) if replies else None,
                }
            )
        session.execute(insert(Thread), threads)
        for k in range(0, len(posts), 20_000):
            session.execute(insert(Post), posts[k : k + 20_000])
        session.commit()
        big_id = first_id + len(counts) - 1
        insert_s = time.perf_counter() - started
        session.execute(text("ANALYZE"))
        session.commit()

        # (a) the SQL the services run, captured, then EXPLAIN QUERY PLAN of each.
        captured: list[tuple[str, str, Any]] = []
        label = ["?"]

        def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((label[0], statement, parameters))

        user = session.get(User, users[1])
        event.listen(engine, "before_cursor_execute", capture)
        try:
            for sort in discussions.SORTS:
                label[0] = f"list_threads {sort}"
                discussions.list_threads(session, user, cid, sort)
            label[0] = "latest_rows (ThreadListRoom)"
            discussions.latest_rows(session, cid)
            label[0] = "read_posts page 1 (big thread)"
            discussions.read_posts(session, user, big_id)
            label[0] = "read_posts after 500 (big thread)"
            discussions.read_posts(session, user, big_id, 500)
            big = session.get(Thread, big_id)
            label[0] = "post_views newest (ThreadRoom)"
            discussions.post_views(session, None, big, limit=20, newest=True)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        plans = []
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for what, sql, params in captured:
                tables = sql.upper()
                if " THREAD" not in tables and " POST" not in tables:
                    continue
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                steps = [r[3] for r in cursor.fetchall()]
                bad = [
                    s
                    for s in steps
                    if s.startswith(("SCAN thread", "SCAN post")) and "INDEX" not in s
                ]
                plans.append(
                    {
                        "what": what,
                        "sql": " ".join(sql.split())[:400],
                        "plan": steps,
                        "full_scan": bad,
                    }
                )
        finally:
            raw.close()
    Path(args.extra).write_text(
        json.dumps(
            {
                "big_thread_id": big_id,
                "threads": len(threads),
                "posts": len(posts),
                "insert_s": round(insert_s, 1),
                "plans": plans,
            }
        )
    )


# --- measurement ---------------------------------------------------------------------


def room_count(count: int) -> lt.Predicate:
    return lt.var_equals(THREAD_ROOM, "post_count", count)


async def measure(
    backend: lt.Backend, prepared: cm.Prepared, extra_data: dict, figures: dict, args
) -> dict[str, Any]:
    context = cm.frontend_context(args)
    tokens, slug, big = prepared.tokens, prepared.slug, extra_data["big_thread_id"]
    n = args.clients
    make = cm.make_tokens_client(tokens, context, "/communities")
    warm, _ = await lt.connect_clients(backend.base_url, args.warmup_clients, lambda i: make(n + i))
    clients, hydrate = await lt.connect_clients(
        backend.base_url, n, make, concurrency=args.concurrency
    )
    print(f"  hydrate {n}: {hydrate}")
    list_page, thread_page = f"/c/{slug}", f"/c/{slug}/t/{big}"
    list_ev = lt.Ev(LIST_LOAD, barrier=cm.BARRIER)
    thread_ev = lt.Ev(THREAD_LOAD, barrier=cm.BARRIER)
    # Warm-up on every path, and the bytes one open of the big thread sends (first open
    # of a fresh tab: its own page + the room's state on linking).
    for c in warm:
        cm.set_page([c], list_page, {"slug": slug})
        await c.send_ev(list_ev, timeout=args.timeout)
        cm.set_page([c], thread_page, {"slug": slug, "id": str(big)})
    sizes: list[int] = []
    warm[0].on_update = lambda _c, u: sizes.append(cm.delta_bytes(u))
    await warm[0].send_ev(thread_ev, timeout=args.timeout)
    warm[0].on_update = None
    first_open = sum(sizes)
    sizes.clear()
    warm[0].on_update = lambda _c, u: sizes.append(cm.delta_bytes(u))
    await warm[0].send_ev(thread_ev, timeout=args.timeout)
    warm[0].on_update = None
    reopen = sum(sizes)
    thread_state = warm[0].state.get(lt.state_full_name(THREAD), {})
    room_state = warm[0].state.get(THREAD_ROOM, {})
    loaded = len(thread_state.get(lt.var_key("loaded")) or [])
    recent = len(room_state.get(lt.var_key("recent")) or [])
    print(
        f"  thread open: {first_open} B first, {reopen} B again; {loaded} loaded + {recent} recent"
    )
    for c in warm[1:]:
        await c.send_ev(thread_ev, timeout=args.timeout)
    # Side effect to watch: one viewer's unrelated event (a ping) re-sends the room to
    # every other viewer of it (Reflex 0.10.1 SharedState propagation).
    others: list[int] = []
    for c in warm[1:]:
        c.on_update = lambda _c, u: others.append(cm.delta_bytes(u))
    await warm[0].send_ev(lt.Ev(cm.PING, barrier=cm.BARRIER), timeout=args.timeout)
    await asyncio.sleep(1.0)
    for c in warm[1:]:
        c.on_update = None
    ping_echo = {"viewers": len(warm) - 1, "updates": len(others), "bytes": sum(others)}
    print(f"  one viewer pings -> the {ping_echo['viewers']} other viewers receive {ping_echo}")

    quiet = await cm.wait_for_quiet(backend, args, "loops")

    results: dict[str, Any] = {}
    pooled: dict[str, list[float]] = {"floor": [], "list": [], "thread": []}
    meters = {k: cm.Meter() for k in pooled}
    secs = dict.fromkeys(pooled, 0.0)
    errs = dict.fromkeys(pooled, 0)
    plan = {
        "floor": ("/communities", {}, lt.Ev(cm.PING, barrier=cm.BARRIER)),
        "list": (list_page, {"slug": slug}, list_ev),
        "thread": (thread_page, {"slug": slug, "id": str(big)}, thread_ev),
    }
    for page, params, ev in plan.values():  # unmeasured 1 s each
        cm.set_page(clients, page, params)
        await lt.run_closed_loop(
            clients, lambda _c, _i, ev=ev: ev, duration=1.0, timeout=args.timeout
        )
    slice_s = args.duration / max(1, args.rounds)
    for _ in range(max(1, args.rounds)):
        for name, (page, params, ev) in plan.items():
            cm.set_page(clients, page, params)
            with cm.metered(backend, meters[name]):
                stats = await lt.run_closed_loop(
                    clients,
                    lambda _c, _i, ev=ev: ev,
                    duration=slice_s,
                    timeout=args.timeout,
                    latencies_out=pooled[name],
                )
            secs[name] += stats.duration_s
            errs[name] += stats.errors
    for name in pooled:
        stats = lt.Stats.from_latencies(pooled[name], secs[name], errs[name])
        meters[name].events = stats.count
        print(f"  {name}: {stats}\n    {meters[name]}")
        results[name] = {**cm.stats_dict(stats), **meters[name].as_dict(), **quiet}

    # (c) reply fan-out: all tabs view the big thread. Let a backlog from the loops drain.
    await asyncio.sleep(5.0)
    try:
        fanout = await reply_fan_out(backend, clients, thread_ev, thread_page, slug, big, args)
    except lt.ClientError as err:
        print(f"  reply fan-out FAILED: {err}")
        fanout = {"failed": str(err)}
    await lt.close_clients(clients + warm)
    return {
        "hydrate": cm.stats_dict(hydrate),
        **results,
        "open_bytes_first": first_open,
        "ping_echo": ping_echo,
        "open_bytes_again": reopen,
        "loaded_posts": loaded,
        "room_recent_posts": recent,
        "fanout": fanout,
    }


async def reply_fan_out(backend, clients, thread_ev, thread_page, slug, big, args) -> dict:
    """Every tab views the big thread; members take turns replying; time the fan-out."""
    n = len(clients)
    gate = asyncio.Semaphore(10)

    async def reopen(c: lt.Client) -> None:
        async with gate:
            await c.send_ev(thread_ev, timeout=60)

    cm.set_page(clients, thread_page, {"slug": slug, "id": str(big)})
    await asyncio.gather(*(reopen(c) for c in clients))
    count = clients[0].state[THREAD_ROOM][lt.var_key("post_count")]
    await asyncio.gather(*(c.wait_for(room_count(count), args.timeout) for c in clients))
    quiet_fan = await cm.wait_for_quiet(backend, args, "reply fan-out")
    last, per_viewer, refused = [], [], []
    missed = 0
    meter = cm.Meter(events=args.replies)
    spy = await start_profile(backend, args.profile)
    # All-in: the metered windows end when the last viewer has the reply; work after that
    # (followers' bells, state writes) would land in no window without this one.
    whole = cm.Meter(events=args.replies)
    with cm.metered(backend, whole):
        started = time.perf_counter()
        for i in range(args.replies):
            poster = clients[i % n]
            await poster.send_ev(
                lt.Ev(
                    SET_DRAFT, {"value": f"Bench reply {i}: a short answer."}, barrier=cm.BARRIER
                ),
                timeout=args.timeout,
            )
            count += 1
            with cm.metered(backend, meter):
                latencies, _sent = await lt.fan_out_arrivals(
                    poster, lt.Ev(SUBMIT), clients, room_count(count), timeout=args.timeout
                )
            got = [x for x in latencies if x is not None]
            per_viewer += got
            if len(got) == len(latencies):
                last.append(max(got))
            else:
                missed += 1
                errors = poster.state.get(lt.state_full_name(THREAD), {}).get(lt.var_key("errors"))
                refused.append(str(errors))
                count = max(
                    c.state.get(THREAD_ROOM, {}).get(lt.var_key("post_count"), 0) for c in clients
                )
                if missed >= 3:
                    break
            await asyncio.sleep(args.pause)
        duration = time.perf_counter() - started
        await asyncio.sleep(1.0)  # the last reply's trailing work
    await stop_profile(spy, args.profile)
    last_stats = lt.Stats.from_latencies(last, duration, missed)
    viewer_stats = lt.Stats.from_latencies(per_viewer, duration)
    print(f"  reply fan-out, last of {n} viewers: {last_stats}\n    {meter}")
    print(f"    all-in (set_draft, reply, bells, 1 s after): {whole}")
    if refused:
        print(f"  replies that did not arrive everywhere; poster errors: {refused[:3]}")
    return {
        "last_viewer": cm.stats_dict(last_stats),
        "per_viewer": cm.stats_dict(viewer_stats),
        "replies": args.replies,
        "refused": refused,
        "all_in_cpu_ms_per_reply": round(whole.backend_ms_per_event, 2),
        **meter.as_dict(),
        **quiet_fan,
    }


async def start_profile(backend: lt.Backend, out: Path | None) -> asyncio.subprocess.Process | None:
    """py-spy on the backend's tree (the reply phase only), when --profile asks for it."""
    if out is None:
        return None
    if not PY_SPY.exists():
        msg = f"--profile needs py-spy in the venv ({PY_SPY}): .venv/bin/pip install py-spy"
        raise SystemExit(msg)
    spy = await asyncio.create_subprocess_exec(
        str(PY_SPY),
        "record",
        "--pid",
        str(backend.proc.pid),
        "--subprocesses",
        "--nonblocking",
        "--format",
        "raw",
        "--output",
        str(out),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(1.0)  # py-spy attaches before the first reply
    return spy


async def stop_profile(spy: asyncio.subprocess.Process | None, out: Path | None) -> None:
    """Stop py-spy (SIGINT writes its file) and say where the stacks are."""
    if spy is None:
        return
    spy.send_signal(signal.SIGINT)
    await spy.wait()
    print(f"  py-spy stacks of the reply phase: {out}")


def render(figures: dict[str, Any]) -> tuple[list[dict], list[str]]:
    cop, ex = figures["cop"], figures["extra"]
    floor = cop["floor"]["p95_ms"]
    failed = cop["fanout"].get("failed")
    if failed:
        nan = {
            "p50_ms": float("nan"),
            "p95_ms": float("nan"),
            "p99_ms": float("nan"),
            "count": 0,
            "errors": 1,
        }
        cop["fanout"] = {
            "last_viewer": nan,
            "per_viewer": nan,
            "replies": 0,
            "backend_cpu_ms_per_event": float("nan"),
            "backend_cpu_pct": "",
            "loadgen_cpu_pct": "",
            "others_cpu_pct": "",
            "failed": failed,
        }
    fan = cop["fanout"]["last_viewer"]
    full = [p for p in ex["plans"] if p["full_scan"]]
    checks = [
        {
            "target": "every list/page query uses an index (no SCAN thread/post)",
            "figure": f"{len(ex['plans']) - len(full)}/{len(ex['plans'])} queries indexed",
            "limit": "0 full scans",
            "pass": not full,
        },
        {
            "target": "thread list open p95 <= 3x floor p95",
            "figure": f"{cop['list']['p95_ms']:.1f} ms = {cop['list']['p95_ms'] / floor:.2f}x",
            "limit": f"<= {RATIO_MAX * floor:.1f} ms",
            "pass": cop["list"]["p95_ms"] <= RATIO_MAX * floor and cop["list"]["errors"] == 0,
        },
        {
            "target": "thread open (1,000 replies) p95 <= 3x floor p95",
            "figure": f"{cop['thread']['p95_ms']:.1f} ms = {cop['thread']['p95_ms'] / floor:.2f}x",
            "limit": f"<= {RATIO_MAX * floor:.1f} ms",
            "pass": cop["thread"]["p95_ms"] <= RATIO_MAX * floor and cop["thread"]["errors"] == 0,
        },
        {
            "target": "one thread open sends <= POSTS_PAGE_SIZE + ROOM_RECENT_POSTS posts, < 200 KB",
            "figure": f"{cop['loaded_posts']} + {cop['room_recent_posts']} posts, "
            f"{cop['open_bytes_first'] / 1024:.1f} KiB (again: {cop['open_bytes_again'] / 1024:.1f})",
            "limit": "<= 30 + 20 posts, < 200 KB",
            "pass": cop["loaded_posts"] <= 30
            and cop["room_recent_posts"] <= 20
            and cop["open_bytes_first"] < OPEN_BYTES_MAX,
        },
        {
            "target": f"reply reaches all {figures['run']['clients']} viewers, p95 <= 250 ms",
            "figure": (f"phase failed: {failed[:120]}" if failed else f"{fan['p95_ms']:.1f} ms")
            + (f" ({fan['errors']} incomplete)" if fan["errors"] else ""),
            "limit": "<= 250 ms",
            "pass": fan["p95_ms"] <= FANOUT_P95_MAX_MS and fan["errors"] == 0,
        },
    ]
    n = figures["run"]["clients"]
    body = [
        f"Data: {ex['threads']} threads, {ex['posts']} posts in one community "
        f"(bulk insert {ex['insert_s']} s); big thread id {ex['big_thread_id']}.",
        "",
        "## Figures",
        "",
        cm.row(
            "Measure",
            "Events/s",
            "p50 / p95 / p99 ms",
            "n (err)",
            "backend CPU ms/event",
            "CPU % backend / loadgen / others",
        ),
        cm.row("---", "---:", "---:", "---:", "---:", "---:"),
    ]
    for key, label in (
        ("floor", f"floor: ping + barrier, {n} clients"),
        ("list", f"ThreadListState.load (/c/slug) + barrier, {n} clients"),
        ("thread", f"ThreadState.load_page (1,000-reply thread) + barrier, {n}"),
    ):
        s = cop[key]
        body.append(
            cm.row(
                label,
                f"{s['events_per_s']:.0f}",
                cm.lat(s),
                f"{s['count']} ({s['errors']})",
                f"{s['backend_cpu_ms_per_event']:.2f}",
                f"{s['backend_cpu_pct']} / {s['loadgen_cpu_pct']} / {s['others_cpu_pct']}",
            )
        )
    f = cop["fanout"]
    body += [
        cm.row(
            f"reply -> last of {n} viewers ({f['replies']} replies, alone)",
            "",
            cm.lat(f["last_viewer"]),
            f"{f['last_viewer']['count']} ({f['last_viewer']['errors']})",
            f"{f['backend_cpu_ms_per_event']:.2f}",
            f"{f['backend_cpu_pct']} / {f['loadgen_cpu_pct']} / {f['others_cpu_pct']}",
        ),
        cm.row(
            "reply -> each viewer", "", cm.lat(f["per_viewer"]), f["per_viewer"]["count"], "", ""
        ),
        "",
        f"Reply fan-out, all-in backend CPU (set_draft, reply, followers' bells and what "
        f"runs after the last viewer has it): {f.get('all_in_cpu_ms_per_reply', float('nan')):.2f}"
        " ms per reply.",
        "",
        f"Side effect: one viewer of the thread sends AuthState.ping; the "
        f"{cop['ping_echo']['viewers']} other viewers receive {cop['ping_echo']['updates']} "
        f"updates, {cop['ping_echo']['bytes']} bytes (a no-op re-sends the ThreadRoom).",
        "",
        "## Query plans (EXPLAIN QUERY PLAN of the SQL the services ran)",
        "",
    ]
    for p in ex["plans"]:
        flag = " **FULL SCAN**" if p["full_scan"] else ""
        body.append(f"- {p['what']}{flag}: " + "; ".join(f"`{s}`" for s in p["plan"]))
    return checks, body


SCENARIO = cm.Scenario(
    name="discussions",
    title="Discussions benchmark",
    script=Path(__file__).resolve(),
    parse=parse_args,
    render=render,
    measure=measure,
    extra=extra,
    extra_args=lambda args: [
        "--threads",
        str(args.threads),
        "--bulk-replies",
        str(args.bulk_replies),
        "--big-replies",
        str(args.big_replies),
    ],
)


if __name__ == "__main__":
    sys.exit(cm.main(SCENARIO))
