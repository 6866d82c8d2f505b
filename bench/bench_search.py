"""Search at scale: typical queries single-client, 50 concurrent searchers vs the floor, and
what index upkeep adds to posting a reply; on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_search.py [--clients 50] [--posts 100000]

Prepares (bench_foundation's data + bulk inserts with SQLAlchemy core) 2,000 members,
10,000 threads holding 100,000 posts, 5,000 resources, text drawn from a Zipf-distributed
vocabulary, then rebuilds the index (manage.py reindex's code) and, in the preparation
child, at service level (search.search, no HTTP): (a) --queries of each typical kind (one
word, two words, a phrase, a prefix while typing) one after the other, (b) posting a reply
(do_post_reply + commit) with index upkeep on and off, alternated in blocks, (c) the same on
PostgreSQL (COP_BENCH_PG_URL, default a `cop_bench_search` database on 127.0.0.1), with 50
searcher threads there too. Then on cop_app's backend (SQLite), closed loops at --clients
tabs: floor (AuthState.ping + barrier) vs SearchBoxState.type_query (the top bar) + barrier.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import common as cm
import loadtool as lt

SEARCH_STATE = "cop_app.states.search.SearchBoxState"
TYPE_QUERY = lt.event_name(SEARCH_STATE, "type_query")

P95_MAX_MS = 50.0
RATIO_MAX = 3.0
UPKEEP_MAX_PCT = 20.0
KINDS = ("one word", "two words", "phrase", "prefix")
PG_DEFAULT = "postgresql+psycopg2://postgres@127.0.0.1:5432/cop_bench_search"

SYLLABLES = [
    "ka",
    "to",
    "ri",
    "mo",
    "na",
    "pe",
    "lu",
    "sa",
    "vi",
    "de",
    "bo",
    "ra",
    "mi",
    "ne",
    "zo",
    "fa",
    "gu",
    "li",
    "ta",
    "ko",
    "re",
    "su",
    "ha",
    "ni",
    "ve",
    "da",
    "po",
    "ma",
    "ti",
    "lo",
    "be",
    "sa",
    "ru",
    "yo",
    "ge",
    "ki",
    "wa",
    "no",
]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = cm.base_parser("bench_search.py", __doc__, 8171)
    parser.add_argument("--clients", type=int, default=50, help="concurrent searchers")
    parser.add_argument("--threads", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--resources", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--queries", type=int, default=200, help="per kind, single client")
    parser.add_argument("--replies", type=int, default=200, help="replies timed per mode")
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL figures")
    return parser.parse_args(argv)


def vocabulary(size: int = 5000) -> list[str]:
    """Made-up words, the same on every run (seeded)."""
    rnd = random.Random(15)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        w = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


class Text:
    """Zipf-ish text: a few words are everywhere, most are rare."""

    def __init__(self, words: list[str], seed: int) -> None:
        self.words = words
        self.rnd = random.Random(seed)
        self.weights = [1 / (i + 1) for i in range(len(words))]

    def sentence(self, n: int) -> str:
        return " ".join(self.rnd.choices(self.words, weights=self.weights, k=n))


def typical_queries(
    words: list[str], per_kind: int, seed: int = 7
) -> dict[str, list[tuple[str, bool]]]:
    """(query, typing) per kind: words of middling frequency, as people search."""
    rnd = random.Random(seed)
    middle = words[20:1500]
    out: dict[str, list[tuple[str, bool]]] = {k: [] for k in KINDS}
    for _ in range(per_kind):
        a, b = rnd.sample(middle, 2)
        out["one word"].append((a, False))
        out["two words"].append((f"{a} {b}", False))
        out["phrase"].append((f'"{words[rnd.randint(0, 200)]} {a}"', False))
        out["prefix"].append((f"{b} {a[: rnd.randint(3, 5)]}", True))
    return out


# --- preparation and service-level figures (child process, imports cop_app) -------------


def fill(engine: Any, args: argparse.Namespace, community_id: int | None = None) -> dict:
    """Bulk-insert members, threads, posts and resources; rebuild the index. Returns ids."""
    from datetime import timedelta

    from sqlalchemy import insert
    from sqlalchemy import text as sql_text
    from sqlmodel import Session, select

    from cop_app.models import Community, Membership, Post, Resource, Thread, User
    from cop_app.models.base import utcnow
    from cop_app.services.search import rebuild

    words = vocabulary()
    text = Text(words, 1)
    now = utcnow()
    started = time.perf_counter()
    with Session(engine) as session:
        if community_id is None:
            cid = session.exec(
                select(Community.id).where(Community.name == cm.BENCH_COMMUNITY)
            ).one()
        else:
            cid = community_id
        first_user = (session.exec(select(User.id).order_by(User.id.desc())).first() or 0) + 1
        hashed = "x" * 60
        session.execute(
            insert(User),
            [
                {
                    "id": first_user + i,
                    "email": f"search-{i}@bench.example.org",
                    "display_name": f"{text.sentence(1).title()} {text.sentence(1).title()}",
                    "handle": f"search-{i}",
                    "password_hash": hashed,
                    "role": "member",
                    "bio": text.sentence(12),
                    "organisation": text.sentence(2),
                    "expertise": " ".join(text.rnd.sample(words[:300], 3)),
                    "is_active": True,
                    "suspension_reason": "",
                    "created_at": now - timedelta(days=300),
                }
                for i in range(args.members)
            ],
        )
        users = list(range(first_user, first_user + args.members))
        session.execute(
            insert(Membership),
            [
                {
                    "community_id": cid,
                    "user_id": u,
                    "role": "member",
                    "status": "active",
                    "created_at": now - timedelta(days=299),
                }
                for u in users
            ],
        )
        first_thread = (session.exec(select(Thread.id).order_by(Thread.id.desc())).first() or 0) + 1
        first_post = (session.exec(select(Post.id).order_by(Post.id.desc())).first() or 0) + 1
        per = args.posts // args.threads
        threads, posts = [], []
        pid = first_post
        for i in range(args.threads):
            tid = first_thread + i
            created = now - timedelta(minutes=(args.threads - i) * 30)
            accepted = None
            for n in range(1, per + 1):
                body = text.sentence(text.rnd.randint(20, 60))
                posts.append(
                    {
                        "id": pid,
                        "thread_id": tid,
                        "number": n,
                        "author_id": users[(i + n) % len(users)],
                        "parent_id": None,
                        "body": body,
                        "body_html": f"<p>{body}</p>",
                        "helpful": n % 3,
                        "insightful": 0,
                        "thanks": 0,
                        "created_at": created + timedelta(minutes=n),
                        "hidden": False,
                    }
                )
                if n == 2 and i % 2 == 0:
                    accepted = pid
                pid += 1
            threads.append(
                {
                    "id": tid,
                    "community_id": cid,
                    "author_id": users[i % len(users)],
                    "kind": "question" if i % 2 == 0 else "discussion",
                    "title": text.sentence(text.rnd.randint(4, 9)).capitalize(),
                    "tags": " ".join(text.rnd.sample(words[:300], 2)),
                    "post_count": per,
                    "reply_count": per - 1,
                    "reaction_count": 3,
                    "accepted_post_id": accepted,
                    "pinned": False,
                    "locked": False,
                    "hidden": False,
                    "created_at": created,
                    "last_activity_at": created + timedelta(minutes=per),
                }
            )
        for chunk in range(0, len(threads), 2000):
            session.execute(insert(Thread), threads[chunk : chunk + 2000])
        for chunk in range(0, len(posts), 5000):
            session.execute(insert(Post), posts[chunk : chunk + 5000])
        first_res = (
            session.exec(select(Resource.id).order_by(Resource.id.desc())).first() or 0
        ) + 1
        resources = []
        for i in range(args.resources):
            body = text.sentence(text.rnd.randint(80, 200))
            resources.append(
                {
                    "id": first_res + i,
                    "community_id": cid,
                    "author_id": users[i % len(users)],
                    "owner_id": users[i % len(users)],
                    "kind": "guide",
                    "title": text.sentence(5).capitalize(),
                    "summary": text.sentence(15),
                    "body": body,
                    "body_html": f"<p>{body}</p>",
                    "tags": " ".join(text.rnd.sample(words[:300], 2)),
                    "url": "",
                    "revision": 1,
                    "endorse_count": i % 7,
                    "reuse_count": i % 11,
                    "outdated": False,
                    "reviewed_at": now,
                    "created_at": now - timedelta(days=i % 300),
                    "updated_at": now - timedelta(days=i % 300),
                }
            )
        for chunk in range(0, len(resources), 2000):
            session.execute(insert(Resource), resources[chunk : chunk + 2000])
        if session.get_bind().dialect.name == "postgresql":
            for table in ("user", "thread", "post", "resource"):
                session.exec(  # type: ignore[call-overload]
                    sql_text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f'(SELECT max(id) FROM "{table}"))'
                    )
                )
        session.commit()
        inserted = time.perf_counter() - started
        started = time.perf_counter()
        counts = rebuild(session)
        session.commit()
        rebuilt = time.perf_counter() - started
    return {
        "community_id": cid,
        "users": users,
        "thread_id": first_thread,
        "insert_s": round(inserted, 1),
        "rebuild_s": round(rebuilt, 1),
        "counts": counts,
    }


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def single_client(engine: Any, user_id: int, args: argparse.Namespace) -> dict:
    from sqlmodel import Session

    from cop_app.models import User
    from cop_app.services import search

    out: dict[str, Any] = {}
    queries = typical_queries(vocabulary(), args.queries)
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.expunge(user)
    for kind, qs in queries.items():
        lat, found = [], []
        for q, typing in qs[:10]:  # warm the caches
            with Session(engine) as session:
                search.search(session, user, q, typing=typing)
        for q, typing in qs:
            with Session(engine) as session:
                t0 = time.perf_counter()
                r = search.search(session, user, q, typing=typing)
                lat.append(time.perf_counter() - t0)
                found.append(r.total)
        out[kind] = {
            "p50_ms": round(_pct(lat, 0.5), 1),
            "p95_ms": round(_pct(lat, 0.95), 1),
            "p99_ms": round(_pct(lat, 0.99), 1),
            "n": len(lat),
            "median_results": statistics.median(found),
        }
        print(f"  {kind}: {out[kind]}")
    return out


def concurrent(engine: Any, user_id: int, clients: int, seconds: float) -> dict:
    """`clients` threads, each its own connection, searching in a closed loop."""
    import threading

    from sqlmodel import Session

    from cop_app.models import User
    from cop_app.services import search

    queries = [q for qs in typical_queries(vocabulary(), 100, seed=9).values() for q in qs]
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.expunge(user)
    lat: list[float] = []
    stop = time.perf_counter() + seconds

    def loop(i: int) -> None:
        k = i
        while time.perf_counter() < stop:
            q, typing = queries[k % len(queries)]
            k += clients
            with Session(engine) as session:
                t0 = time.perf_counter()
                search.search(session, user, q, typing=typing)
                lat.append(time.perf_counter() - t0)

    started = time.perf_counter()
    workers = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "queries_per_s": round(len(lat) / wall, 1),
        "p50_ms": round(_pct(lat, 0.5), 1),
        "p95_ms": round(_pct(lat, 0.95), 1),
        "n": len(lat),
    }


def upkeep(engine: Any, thread_id: int, users: list[int], replies: int) -> dict:
    """Post replies with the index listener installed and removed, alternated in blocks of
    10, and compare the medians."""
    from sqlmodel import Session

    from cop_app.models import Thread, User
    from cop_app.services import discussions
    from cop_app.services.search import index

    text = Text(vocabulary(), 3)
    times: dict[bool, list[float]] = {True: [], False: []}
    n = 0
    for block in range(2 * replies // 10):
        on = block % 2 == 0
        (index.install if on else index.uninstall)()
        for _ in range(10):
            body = text.sentence(40)
            with Session(engine) as session:
                thread = session.get(Thread, thread_id)
                author = session.get(User, users[n % len(users)])
                n += 1
                t0 = time.perf_counter()
                discussions.do_post_reply(session, thread, author, body)
                session.commit()
                times[on].append(time.perf_counter() - t0)
    index.install()
    on, off = statistics.median(times[True]), statistics.median(times[False])
    return {
        "replies_per_mode": len(times[True]),
        "with_ms": round(on * 1000, 2),
        "without_ms": round(off * 1000, 2),
        "added_pct": round((on - off) / off * 100, 1),
    }


def extra(args: argparse.Namespace) -> None:
    import json

    engine = cm.open_app_db(args.app_dir)
    from cop_app.services import wiring

    wiring.wire()
    out: dict[str, Any] = {}
    print("  SQLite: bulk insert and index rebuild")
    data = fill(engine, args)
    out["sqlite"] = {k: v for k, v in data.items() if k != "users"}
    out["sqlite"]["single"] = single_client(engine, data["users"][0], args)
    out["sqlite"]["upkeep"] = upkeep(engine, data["thread_id"], data["users"], args.replies)
    print(f"  SQLite upkeep: {out['sqlite']['upkeep']}")
    out["sqlite"]["concurrent_service"] = concurrent(engine, data["users"][0], args.clients, 8.0)
    print(f"  SQLite {args.clients} searcher threads: {out['sqlite']['concurrent_service']}")
    if not args.no_pg:
        try:
            out["postgresql"] = on_postgres(args)
        except Exception as err:  # the figures say why instead of failing the whole run
            out["postgresql"] = {"failed": f"{type(err).__name__}: {err}"[:300]}
    args.extra.write_text(json.dumps(out, default=str))


def on_postgres(args: argparse.Namespace) -> dict:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlmodel import Session, SQLModel, create_engine

    from cop_app.models import Community, User

    url = make_url(os.environ.get("COP_BENCH_PG_URL", PG_DEFAULT))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    engine = create_engine(url, pool_size=60, max_overflow=10)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        steward = User(
            email="pg-steward@bench.example.org",
            display_name="Steward",
            handle="pg-steward",
            password_hash="x" * 60,
        )
        session.add(steward)
        session.flush()
        community = Community(
            slug="bench-pg", name=cm.BENCH_COMMUNITY, domain="Bench.", created_by=steward.id
        )
        session.add(community)
        session.commit()
        cid = community.id
    print("  PostgreSQL: bulk insert and index rebuild")
    data = fill(engine, args, cid)
    out: dict[str, Any] = {k: v for k, v in data.items() if k != "users"}
    out["single"] = single_client(engine, data["users"][0], args)
    out["upkeep"] = upkeep(engine, data["thread_id"], data["users"], args.replies)
    print(f"  PostgreSQL upkeep: {out['upkeep']}")
    out["concurrent_service"] = concurrent(engine, data["users"][0], args.clients, 8.0)
    print(f"  PostgreSQL {args.clients} searcher threads: {out['concurrent_service']}")
    engine.dispose()
    return out


# --- on cop_app's backend ------------------------------------------------------------


async def measure(
    backend: lt.Backend, prepared: cm.Prepared, extra_data: dict, figures: dict, args
) -> dict[str, Any]:
    context = cm.frontend_context(args)
    n = args.clients
    make = cm.make_tokens_client(prepared.tokens, context, "/communities")
    warm, _ = await lt.connect_clients(backend.base_url, args.warmup_clients, lambda i: make(n + i))
    clients, hydrate = await lt.connect_clients(
        backend.base_url, n, make, concurrency=args.concurrency
    )
    print(f"  hydrate {n}: {hydrate}")
    queries = [q for qs in typical_queries(vocabulary(), 50, seed=11).values() for q, _ in qs]

    def search_ev(_c: Any, i: int) -> lt.Ev:
        return lt.Ev(TYPE_QUERY, {"value": queries[i % len(queries)]}, barrier=cm.BARRIER)

    ping = lt.Ev(cm.PING, barrier=cm.BARRIER)
    for c in warm:
        await c.send_ev(search_ev(c, 0), timeout=args.timeout)
    quiet = await cm.wait_for_quiet(backend, args, "loops")
    plan = {"floor": lambda _c, _i: ping, "search": search_ev}
    pooled: dict[str, list[float]] = {k: [] for k in plan}
    meters = {k: cm.Meter() for k in plan}
    secs = dict.fromkeys(plan, 0.0)
    errs = dict.fromkeys(plan, 0)
    for make_ev in plan.values():
        await lt.run_closed_loop(clients, make_ev, duration=1.0, timeout=args.timeout)
    slice_s = args.duration / max(1, args.rounds)
    for _ in range(max(1, args.rounds)):
        for name, make_ev in plan.items():
            with cm.metered(backend, meters[name]):
                stats = await lt.run_closed_loop(
                    clients,
                    make_ev,
                    duration=slice_s,
                    timeout=args.timeout,
                    latencies_out=pooled[name],
                )
            secs[name] += stats.duration_s
            errs[name] += stats.errors
    results: dict[str, Any] = {}
    for name in plan:
        stats = lt.Stats.from_latencies(pooled[name], secs[name], errs[name])
        meters[name].events = stats.count
        print(f"  {name}: {stats}\n    {meters[name]}")
        results[name] = {**cm.stats_dict(stats), **meters[name].as_dict(), **quiet}
    await lt.close_clients(clients + warm)
    return {"hydrate": cm.stats_dict(hydrate), **results}


def render(figures: dict[str, Any]) -> tuple[list[dict], list[str]]:
    ex = figures.get("extra", {})
    cop = figures.get("cop", {})
    checks: list[dict] = []
    body: list[str] = []
    for engine in ("sqlite", "postgresql"):
        e = ex.get(engine, {})
        if "failed" in e:
            body.append(f"{engine}: FAILED to measure: {e['failed']}")
            continue
        if not e:
            continue
        name = "SQLite" if engine == "sqlite" else "PostgreSQL"
        worst = max(e["single"][k]["p95_ms"] for k in KINDS)
        checks.append(
            {
                "target": f"{name}: typical queries p95 <= {P95_MAX_MS:.0f} ms, single client "
                "(worst kind)",
                "figure": f"{worst:.1f} ms",
                "limit": f"<= {P95_MAX_MS:.0f} ms",
                "pass": worst <= P95_MAX_MS,
            }
        )
        up = e["upkeep"]
        checks.append(
            {
                "target": f"{name}: index upkeep adds <= {UPKEEP_MAX_PCT:.0f}% to posting a "
                "reply (median, measured on/off)",
                "figure": f"{up['added_pct']:+.1f}% ({up['without_ms']} -> {up['with_ms']} ms)",
                "limit": f"<= {UPKEEP_MAX_PCT:.0f}%",
                "pass": up["added_pct"] <= UPKEEP_MAX_PCT,
            }
        )
        body += [
            f"## {name} (service level: search.search, no HTTP)",
            "",
            f"Data: {e['counts']} docs; bulk insert {e['insert_s']} s, index rebuild "
            f"{e['rebuild_s']} s.",
            "",
            cm.row("Query kind", "p50 / p95 / p99 ms", "n", "median results"),
            cm.row("---", "---:", "---:", "---:"),
            *(
                cm.row(
                    k,
                    f"{e['single'][k]['p50_ms']} / {e['single'][k]['p95_ms']} / "
                    f"{e['single'][k]['p99_ms']}",
                    e["single"][k]["n"],
                    e["single"][k]["median_results"],
                )
                for k in KINDS
            ),
            "",
            f"{e['concurrent_service']['clients']} searcher threads (own connections): "
            f"{e['concurrent_service']['queries_per_s']} queries/s, p50 "
            f"{e['concurrent_service']['p50_ms']} ms, p95 {e['concurrent_service']['p95_ms']} ms "
            f"({e['concurrent_service']['n']} queries).",
            "",
        ]
    if cop.get("search") and cop.get("floor"):
        s, f = cop["search"], cop["floor"]
        ratio = s["p95_ms"] / max(f["p95_ms"], 1e-9)
        checks.append(
            {
                "target": f"top-bar search at {figures['run']['clients']} concurrent "
                f"searchers, p95 <= {RATIO_MAX:.0f}x floor p95 (SQLite backend)",
                "figure": f"{s['p95_ms']:.1f} ms = {ratio:.2f}x",
                "limit": f"<= {RATIO_MAX * f['p95_ms']:.1f} ms",
                "pass": ratio <= RATIO_MAX,
            }
        )
        body += [
            "## On cop_app's backend (SQLite)",
            "",
            cm.row("Measure", "Events/s", "p50 / p95 / p99 ms", "n (err)", "backend CPU ms/event"),
            cm.row("---", "---:", "---:", "---:", "---:"),
            *(
                cm.row(
                    label,
                    f"{x['events_per_s']:.0f}" if "events_per_s" in x else "",
                    cm.lat(x),
                    f"{x['count']} ({x.get('errors', 0)})",
                    f"{x.get('backend_cpu_ms_per_event', 0):.2f}",
                )
                for label, x in (
                    ("floor: ping + barrier", f),
                    ("SearchBoxState.type_query + barrier", s),
                )
            ),
        ]
    return checks, body


SCENARIO = cm.Scenario(
    name="search",
    title="Search benchmark",
    script=Path(__file__).resolve(),
    parse=parse_args,
    render=render,
    measure=measure,
    extra=extra,
    extra_args=lambda args: [
        "--threads",
        str(args.threads),
        "--posts",
        str(args.posts),
        "--resources",
        str(args.resources),
        "--members",
        str(args.members),
        "--queries",
        str(args.queries),
        "--replies",
        str(args.replies),
        "--clients",
        str(args.clients),
        *(["--no-pg"] if args.no_pg else []),
    ],
)


if __name__ == "__main__":
    sys.exit(cm.main(SCENARIO))
