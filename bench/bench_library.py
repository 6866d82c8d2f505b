"""The practice library at scale: query plans, list/resource opens vs floor, endorsement
fan-out, and a 10 MB attachment.

    .venv/bin/python bench/bench_library.py [--clients 100] [--endorsements 40]

Prepares (bench_foundation's data + a bulk insert with SQLAlchemy core) 5,000 resources
and 25,000 revisions in the bench community, one resource holding 200 of them; then
(a) EXPLAIN QUERY PLAN of the SQL that browse (5 sorts), latest_rows (the library room),
needs_review, open_resource and history really execute (captured with an engine
listener), (b) a 10 MB PDF attached through check_attach and read back through
resource_view (service level: storage write + row + the view readers get), (c) closed
loops at --clients tabs: floor (AuthState.ping + barrier) vs LibraryState.load on
/c/slug/library and ResourceState.load on the 200-revision resource, interleaved,
(d) endorsement fan-out: 50 tabs view the big resource, members take turns endorsing,
timed until every viewer's ResourceRoom shows the new count, (e) --uploads 10 MB PDFs
posted by the author's tab to /_upload as the browser does (multipart part ``files``,
reflex-client-token / reflex-event-handler headers, ndjson reply), each timed until a
second tab on the resource sees the file in its ResourceRoom.
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
import httpx
import loadtool as lt

LIBRARY_STATE = "cop_app.states.library.LibraryState"
RESOURCE_STATE = "cop_app.states.library.ResourceState"
RESOURCE_ROOM = lt.shared_state("cop_app.live.ResourceRoom")
LIST_LOAD = lt.event_name(LIBRARY_STATE, "load")
RESOURCE_LOAD = lt.event_name(RESOURCE_STATE, "load")
ENDORSE = lt.event_name(RESOURCE_STATE, "endorse")
UPLOAD = lt.event_name(RESOURCE_STATE, "upload")

RATIO_MAX = 3.0
FANOUT_P95_MAX_MS = 250.0
UPLOAD_MAX_S = 3.0
FANOUT_VIEWERS = 50


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = cm.base_parser("bench_library.py", __doc__, 8161)
    parser.add_argument("--resources", type=int, default=5_000)
    parser.add_argument("--revisions", type=int, default=25_000)
    parser.add_argument("--big-revisions", type=int, default=200)
    parser.add_argument("--endorsements", type=int, default=40, help="endorsements timed")
    parser.add_argument(
        "--uploads", type=int, default=3, help="10 MB HTTP uploads timed (a resource holds 5)"
    )
    return parser.parse_args(argv)


# --- extra preparation (child process, imports cop_app) ----------------------------


def extra(args: argparse.Namespace) -> None:
    from sqlalchemy import event, insert, text
    from sqlmodel import Session, select

    engine = cm.open_app_db(args.app_dir)
    from cop_app.models import Community, Resource, ResourceRevision, User
    from cop_app.models.base import utcnow
    from cop_app.services import library, markdown

    started = time.perf_counter()
    now = utcnow()
    with Session(engine) as session:
        community = session.exec(
            select(Community).where(Community.name == cm.BENCH_COMMUNITY)
        ).one()
        cid = community.id
        users = session.exec(
            select(User.id).where(User.email.like("bench-%@bench.example.org")).order_by(User.id)
        ).all()
        cm.join_bench_community(session, cid, users, now)
        body = "A guide with **some** text, a [link](https://example.org) and a list:\n\n- a\n- b"
        html = markdown.render(body)
        first = (session.exec(select(Resource.id).order_by(Resource.id.desc())).first() or 0) + 1
        per = [1] * args.resources
        extra_revs = max(0, args.revisions - args.resources - args.big_revisions + 1)
        for i in range(extra_revs):
            per[i % (args.resources - 1)] += 1
        per[-1] = args.big_revisions  # the big resource is the last one
        resources, revisions = [], []
        base = now - timedelta(days=400)
        for i, count in enumerate(per):
            rid = first + i
            created = base + timedelta(minutes=i * 100)
            author = users[i % len(users)]
            big = i == len(per) - 1
            resources.append(
                {
                    "id": rid,
                    "community_id": cid,
                    "author_id": author,
                    "owner_id": author,
                    "kind": library.KINDS[i % len(library.KINDS)],
                    "title": "The big guide" if big else f"Bench resource {i:05d}",
                    "summary": "A resource written for the benchmark.",
                    "body": body,
                    "body_html": html,
                    "tags": "bench",
                    "url": "",
                    "revision": count,
                    "endorse_count": i % 17,
                    "reuse_count": i % 11,
                    "outdated": i % 50 == 0,
                    "reviewed_at": created,
                    "created_at": created,
                    "updated_at": created + timedelta(days=1),
                }
            )
            for n in range(count):
                revisions.append(
                    {
                        "resource_id": rid,
                        "number": n + 1,
                        "editor_id": users[(i + n) % len(users)],
                        "title": f"Bench resource {i:05d}",
                        "summary": "A resource written for the benchmark.",
                        "body": f"{body}\n\nrevision {n + 1}",
                        "tags": "bench",
                        "url": "",
                        "note": f"Edit {n + 1}",
                        "created_at": created + timedelta(minutes=n),
                    }
                )
        session.execute(insert(Resource), resources)
        for k in range(0, len(revisions), 20_000):
            session.execute(insert(ResourceRevision), revisions[k : k + 20_000])
        session.commit()
        big_id = first + len(per) - 1
        insert_s = time.perf_counter() - started
        session.execute(text("ANALYZE"))
        session.commit()

        captured: list[tuple[str, str, Any]] = []
        label = ["?"]

        def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((label[0], statement, parameters))

        user = session.get(User, users[1])
        event.listen(engine, "before_cursor_execute", capture)
        try:
            for sort in library.SORTS:
                label[0] = f"browse {sort}"
                library.browse(session, user, cid, sort=sort)
            label[0] = "browse every community"
            library.browse(session, user)
            label[0] = "latest_rows (LibraryRoom)"
            library.latest_rows(session, cid)
            label[0] = "needs_review"
            library.needs_review(session, user)
            label[0] = "open_resource (200 revisions)"
            library.open_resource(session, user, big_id)
            label[0] = "history (200 revisions)"
            library.history(session, user, big_id)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        plans = []
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for what, sql, params in captured:
                upper = sql.upper()
                if " RESOURCE" not in upper:
                    continue
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                steps = [r[3] for r in cursor.fetchall()]
                bad = [
                    s
                    for s in steps
                    if s.startswith(("SCAN resource", "SCAN resourcerevision")) and "INDEX" not in s
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

        # (b) a 10 MB attachment through the service, then the view readers get.
        author = session.get(User, resources[-1]["author_id"])  # may edit the big resource
        pdf = ten_mb_pdf()
        t0 = time.perf_counter()
        library.check_attach(session, author, big_id, "big.pdf", pdf)
        view = library.resource_view(session, big_id)
        upload_s = time.perf_counter() - t0
        shown = any(a.filename == "big.pdf" for a in view.attachments) if view else False
    Path(args.extra).write_text(
        json.dumps(
            {
                "big_resource_id": big_id,
                "big_author_index": users.index(resources[-1]["author_id"]),
                "resources": len(resources),
                "revisions": len(revisions),
                "insert_s": round(insert_s, 1),
                "plans": plans,
                "upload_s": round(upload_s, 3),
                "upload_shown": shown,
            }
        )
    )


def ten_mb_pdf() -> bytes:
    """A PDF just under the 10 MB attachment limit: valid magic bytes, padding, trailer."""
    return b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 - 64) + b"\n%%EOF\n"


# --- measurement ---------------------------------------------------------------------


def endorse_count(n: int) -> lt.Predicate:
    return lt.var_matches(
        RESOURCE_ROOM, "view", lambda v: isinstance(v, dict) and v.get("endorse_count") == n
    )


async def measure(
    backend: lt.Backend, prepared: cm.Prepared, extra_data: dict, figures: dict, args
) -> dict[str, Any]:
    context = cm.frontend_context(args)
    tokens, slug, big = prepared.tokens, prepared.slug, extra_data["big_resource_id"]
    n = args.clients
    make = cm.make_tokens_client(tokens, context, "/communities")
    warm, _ = await lt.connect_clients(backend.base_url, args.warmup_clients, lambda i: make(n + i))
    clients, hydrate = await lt.connect_clients(
        backend.base_url, n, make, concurrency=args.concurrency
    )
    print(f"  hydrate {n}: {hydrate}")
    list_page, resource_page = f"/c/{slug}/library", f"/r/{big}"
    list_ev = lt.Ev(LIST_LOAD, barrier=cm.BARRIER)
    resource_ev = lt.Ev(RESOURCE_LOAD, barrier=cm.BARRIER)
    for c in warm:
        cm.set_page([c], list_page, {"slug": slug})
        await c.send_ev(list_ev, timeout=args.timeout)
        cm.set_page([c], resource_page, {"id": str(big)})
        await c.send_ev(resource_ev, timeout=args.timeout)
    quiet = await cm.wait_for_quiet(backend, args, "loops")
    results: dict[str, Any] = {}
    pooled: dict[str, list[float]] = {"floor": [], "list": [], "resource": []}
    meters = {k: cm.Meter() for k in pooled}
    secs = dict.fromkeys(pooled, 0.0)
    errs = dict.fromkeys(pooled, 0)
    plan = {
        "floor": ("/communities", {}, lt.Ev(cm.PING, barrier=cm.BARRIER)),
        "list": (list_page, {"slug": slug}, list_ev),
        "resource": (resource_page, {"id": str(big)}, resource_ev),
    }
    for page, params, ev in plan.values():
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
    await asyncio.sleep(3.0)
    try:
        fanout = await endorse_fan_out(backend, clients, resource_ev, resource_page, big, args)
    except lt.ClientError as err:
        print(f"  endorsement fan-out FAILED: {err}")
        fanout = {"failed": str(err)}
    try:
        upload = await http_uploads(backend, prepared, extra_data, resource_ev, args)
    except (lt.ClientError, httpx.HTTPError) as err:
        print(f"  HTTP upload FAILED: {err}")
        upload = {"failed": str(err)}
    await lt.close_clients(clients + warm)
    return {"hydrate": cm.stats_dict(hydrate), **results, "fanout": fanout, "upload": upload}


def attachment_listed(filename: str) -> lt.Predicate:
    """The tab's ResourceRoom lists an attachment of that name."""
    return lt.var_matches(
        RESOURCE_ROOM,
        "view",
        lambda v: (
            isinstance(v, dict)
            and any(a.get("filename") == filename for a in v.get("attachments") or [])
        ),
    )


def reply_lists(ndjson: str, filename: str) -> bool:
    """Whether the upload's own ndjson reply (one {"delta": ...} per line) lists the file."""
    room = lt.state_full_name(RESOURCE_ROOM)
    for line in ndjson.splitlines():
        if not line.strip():
            continue
        delta = json.loads(line).get("delta") or {}
        view = delta.get(room, {}).get(lt.var_key("view"))
        if isinstance(view, dict) and any(
            a.get("filename") == filename for a in view.get("attachments") or []
        ):
            return True
    return False


async def http_uploads(backend, prepared, extra_data, resource_ev, args) -> dict:
    """The author's tab on the big resource posts 10 MB PDFs to /_upload like the browser;
    each is timed until a second signed-in tab on the resource lists the file."""
    context = cm.frontend_context(args)
    big, author = extra_data["big_resource_id"], extra_data["big_author_index"]
    other = (author + 1) % len(prepared.tokens)
    page, params = f"/r/{big}", {"id": str(big)}
    make = cm.make_tokens_client(prepared.tokens, context, page, params)
    tabs, _ = await lt.connect_clients(backend.base_url, 2, lambda i: make((author, other)[i]))
    uploader, viewer = tabs
    try:
        for tab in tabs:
            await tab.send_ev(resource_ev, timeout=args.timeout)
        pdf = ten_mb_pdf()
        quiet = await cm.wait_for_quiet(backend, args, "uploads")
        shown, posted, own = [], [], []
        meter = cm.Meter(events=args.uploads)
        async with httpx.AsyncClient(timeout=60.0, trust_env=False) as http:
            for i in range(args.uploads):
                name = f"bench-upload-{i + 1}.pdf"
                seen = viewer.expect(attachment_listed(name))
                started = time.perf_counter()
                with cm.metered(backend, meter):
                    reply = await http.post(
                        f"{backend.base_url}/_upload",
                        headers={
                            "reflex-client-token": uploader.token,
                            "reflex-event-handler": UPLOAD,
                        },
                        files={"files": (name, pdf, "application/pdf")},
                    )
                    done = time.perf_counter()
                    if reply.status_code != 200:
                        seen.cancel()
                        msg = f"/_upload answered {reply.status_code} {reply.text[:300]}"
                        raise lt.ClientError(msg)
                    own.append(reply_lists(reply.text, name))
                    try:
                        update = await asyncio.wait_for(seen, UPLOAD_MAX_S * 10)
                    except TimeoutError:
                        msg = f"{name} never listed on the second tab; /_upload: {reply.text[:300]}"
                        raise lt.ClientError(msg) from None
                posted.append(done - started)
                shown.append(update.received_at - started)
                await asyncio.sleep(args.pause)
    finally:
        await lt.close_clients(tabs)
    shown_stats = lt.Stats.from_latencies(shown, sum(shown))
    print(
        f"  10 MB HTTP upload -> second tab lists it: {shown_stats}\n"
        f"    POST answered after {', '.join(f'{x:.2f}' for x in posted)} s\n    {meter}"
    )
    return {
        "shown_s": [round(x, 3) for x in shown],
        "posted_s": [round(x, 3) for x in posted],
        "max_s": round(max(shown), 3),
        "uploader_reply_lists_file": own,
        **meter.as_dict(),
        **quiet,
    }


async def endorse_fan_out(backend, clients, resource_ev, resource_page, big, args) -> dict:
    """50 tabs view the big resource; members take turns endorsing; time the fan-out."""
    viewers = clients[:FANOUT_VIEWERS]
    cm.set_page(viewers, resource_page, {"id": str(big)})
    for c in viewers:
        await c.send_ev(resource_ev, timeout=60)
    view = viewers[0].state[RESOURCE_ROOM][lt.var_key("view")]
    count = view["endorse_count"]
    quiet_fan = await cm.wait_for_quiet(backend, args, "endorsement fan-out")
    last, per_viewer, missed = [], [], 0
    meter = cm.Meter(events=args.endorsements)
    started = time.perf_counter()
    for i in range(min(args.endorsements, len(viewers))):
        sender = viewers[i]
        count += 1
        with cm.metered(backend, meter):
            latencies, _sent = await lt.fan_out_arrivals(
                sender,
                lt.Ev(ENDORSE, {"resource_id": big, "on": True}),
                viewers,
                endorse_count(count),
                timeout=args.timeout,
            )
        got = [x for x in latencies if x is not None]
        per_viewer += got
        if len(got) == len(latencies):
            last.append(max(got))
        else:
            missed += 1
            if missed >= 3:
                break
        await asyncio.sleep(args.pause)
    duration = time.perf_counter() - started
    last_stats = lt.Stats.from_latencies(last, duration, missed)
    viewer_stats = lt.Stats.from_latencies(per_viewer, duration)
    print(f"  endorsement, last of {len(viewers)} viewers: {last_stats}\n    {meter}")
    return {
        "last_viewer": cm.stats_dict(last_stats),
        "per_viewer": cm.stats_dict(viewer_stats),
        "viewers": len(viewers),
        **meter.as_dict(),
        **quiet_fan,
    }


def render(figures: dict[str, Any]) -> tuple[list[dict], list[str]]:
    cop, ex = figures["cop"], figures["extra"]
    floor = cop["floor"]["p95_ms"]
    failed = cop["fanout"].get("failed")
    fan = cop["fanout"].get("last_viewer", {"p95_ms": float("nan"), "errors": 1})
    full = [p for p in ex["plans"] if p["full_scan"]]
    upload = cop.get("upload", {"failed": "not run"})
    up_failed = upload.get("failed")
    checks = [
        {
            "target": "every library query uses an index (no SCAN resource)",
            "figure": f"{len(ex['plans']) - len(full)}/{len(ex['plans'])} queries indexed",
            "limit": "0 full scans",
            "pass": not full,
        },
        {
            "target": "library list open p95 <= 3x floor p95",
            "figure": f"{cop['list']['p95_ms']:.1f} ms = {cop['list']['p95_ms'] / floor:.2f}x",
            "limit": f"<= {RATIO_MAX * floor:.1f} ms",
            "pass": cop["list"]["p95_ms"] <= RATIO_MAX * floor and cop["list"]["errors"] == 0,
        },
        {
            "target": "resource open (200 revisions) p95 <= 3x floor p95",
            "figure": f"{cop['resource']['p95_ms']:.1f} ms = "
            f"{cop['resource']['p95_ms'] / floor:.2f}x",
            "limit": f"<= {RATIO_MAX * floor:.1f} ms",
            "pass": cop["resource"]["p95_ms"] <= RATIO_MAX * floor
            and cop["resource"]["errors"] == 0,
        },
        {
            "target": f"endorsement reaches {FANOUT_VIEWERS} viewers, p95 <= 250 ms",
            "figure": f"phase failed: {failed[:120]}" if failed else f"{fan['p95_ms']:.1f} ms",
            "limit": "<= 250 ms",
            "pass": not failed and fan["p95_ms"] <= FANOUT_P95_MAX_MS and fan["errors"] == 0,
        },
        {
            "target": "10 MB upload over /_upload, listed on a second tab within 3 s (worst)",
            "figure": f"phase failed: {up_failed[:160]}"
            if up_failed
            else f"{upload['max_s']:.2f} s (of {len(upload['shown_s'])})",
            "limit": "<= 3 s",
            "pass": not up_failed and upload["max_s"] <= UPLOAD_MAX_S,
        },
    ]
    n = figures["run"]["clients"]
    body = [
        f"Data: {ex['resources']} resources, {ex['revisions']} revisions in one community "
        f"(bulk insert {ex['insert_s']} s); big resource id {ex['big_resource_id']}.",
        "",
        "## Figures",
        "",
        cm.row("Measure", "Events/s", "p50 / p95 / p99 ms", "n (err)", "backend CPU ms/event"),
        cm.row("---", "---:", "---:", "---:", "---:"),
    ]
    for key, label in (
        ("floor", f"floor: ping + barrier, {n} clients"),
        ("list", f"LibraryState.load (/c/slug/library) + barrier, {n} clients"),
        ("resource", f"ResourceState.load (200 revisions) + barrier, {n}"),
    ):
        s = cop[key]
        body.append(
            cm.row(
                label,
                f"{s['events_per_s']:.0f}",
                cm.lat(s),
                f"{s['count']} ({s['errors']})",
                f"{s['backend_cpu_ms_per_event']:.2f}",
            )
        )
    if not failed:
        body.append(
            cm.row(
                f"endorsement -> last of {FANOUT_VIEWERS} viewers",
                "",
                cm.lat(fan),
                f"{fan['count']} ({fan['errors']})",
                f"{cop['fanout']['backend_cpu_ms_per_event']:.2f}",
            )
        )
    body += [
        "",
        "10 MB PDF, service level (check_attach + resource_view, no HTTP): "
        f"{ex['upload_s']:.2f} s, shown: {ex['upload_shown']}.",
    ]
    if not up_failed:
        body.append(
            "10 MB PDF over HTTP (author's tab POSTs /_upload; clock stops when a second tab's "
            "ResourceRoom lists it): "
            + ", ".join(f"{x:.2f}" for x in upload["shown_s"])
            + " s; the POST's ndjson reply ended after "
            + ", ".join(f"{x:.2f}" for x in upload["posted_s"])
            + f" s; backend CPU {upload['backend_cpu_ms_per_event']:.0f} ms per upload; the "
            "uploading tab's own reply listed it: "
            + ", ".join("yes" if x else "no" for x in upload.get("uploader_reply_lists_file", []))
            + "."
        )
    body += ["", "## Query plans (EXPLAIN QUERY PLAN of the SQL the services ran)", ""]
    for p in ex["plans"]:
        flag = " **FULL SCAN**" if p["full_scan"] else ""
        body.append(f"- {p['what']}{flag}: " + "; ".join(f"`{s}`" for s in p["plan"]))
    return checks, body


SCENARIO = cm.Scenario(
    name="library",
    title="Practice library benchmark",
    script=Path(__file__).resolve(),
    parse=parse_args,
    render=render,
    measure=measure,
    extra=extra,
    extra_args=lambda args: [
        "--resources",
        str(args.resources),
        "--revisions",
        str(args.revisions),
        "--big-revisions",
        str(args.big_revisions),
    ],
)


if __name__ == "__main__":
    sys.exit(cm.main(SCENARIO))
