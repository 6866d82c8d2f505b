"""Mentorship board with 200 cards: open latency, and a card move reaching the other side.

    .venv/bin/python bench/bench_boards.py [--clients 100] [--moves 60]

Prepares the common bench data (common.prepare) plus an active mentorship between two bench
members (client 0 = mentor, client 1 = mentee) in the bench community, with
BOARD_CARDS_MAX (200) cards spread over the three columns (direct insert).
The other --clients - 2 tabs stay on /communities and ping (AuthState.ping +
barrier) in a closed loop for the whole measurement, as background load.

1. open: mentor and mentee loop BoardState.load (+ barrier) on
   /mentorship/boards/<id>; p95 reported next to the background floor's;
2. move: mentor and mentee take turns moving a card (BoardState.move(card_id,
   column, 0)) between todo and doing; each move is timed from its send until
   the other side's BoardRoom shows the card at the top of the new column.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import common as cm
import loadtool as lt

BOARD = "cop_app.states.mentorship.BoardState"
BOARD_ROOM = lt.shared_state("cop_app.live.BoardRoom")
BOARD_LOAD = lt.event_name(BOARD, "load")
MOVE = lt.event_name(BOARD, "move")
MOVE_P95_MAX_MS = 250.0
OPEN_VS_FLOOR_MAX = 3.0


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = cm.base_parser("bench_boards.py", __doc__, 8171)
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--moves", type=int, default=60)
    return parser.parse_args(argv)


def extra(args: argparse.Namespace) -> None:
    from sqlalchemy import insert
    from sqlmodel import Session, select

    engine = cm.open_app_db(args.app_dir)
    from cop_app.models import BoardCard, Community, Membership, Mentorship, User
    from cop_app.models.base import utcnow

    now = utcnow()
    with Session(engine) as session:
        cid = session.exec(select(Community.id).where(Community.name == cm.BENCH_COMMUNITY)).one()
        mentor, mentee = session.exec(
            select(User).where(User.email.like("bench-%@bench.example.org")).order_by(User.id)
        ).all()[:2]
        mentor.role = "mentor"
        mentor.created_at = mentee.created_at = now - timedelta(days=60)
        for u in (mentor, mentee):
            session.add(Membership(community_id=cid, user_id=u.id, status="active"))
        m = Mentorship(
            mentor_id=mentor.id,
            mentee_id=mentee.id,
            community_id=cid,
            goals="Benchmark the board with two hundred cards.",
            state="active",
            created_at=now - timedelta(days=10),
            started_at=now - timedelta(days=9),
            last_activity_at=now - timedelta(days=1),
        )
        session.add_all([mentor, mentee, m])
        session.flush()
        columns = ("todo", "doing", "done")
        per = [0, 0, 0]
        rows = []
        for i in range(args.cards):
            col = i % 3
            rows.append(
                {
                    "mentorship_id": m.id,
                    "title": f"Bench card {i:03d}",
                    "description": "A card with a short description, as a real one would have.",
                    "column": columns[col],
                    "position": per[col],
                    "created_by": mentor.id,
                    "created_at": now - timedelta(days=8),
                    "updated_at": now - timedelta(days=8),
                }
            )
            per[col] += 1
        session.execute(insert(BoardCard), rows)
        session.commit()
        card = session.exec(
            select(BoardCard.id)
            .where(BoardCard.mentorship_id == m.id, BoardCard.column == "todo")
            .order_by(BoardCard.position)
        ).first()
        Path(args.extra).write_text(
            json.dumps({"mentorship_id": m.id, "card_id": card, "cards": len(rows)})
        )


def card_on_top(column: str, card_id: int) -> lt.Predicate:
    return lt.var_matches(
        BOARD_ROOM, column, lambda cards: bool(cards) and cards[0].get("id") == card_id
    )


async def measure(backend, prepared: cm.Prepared, ex: dict, figures: dict, args) -> dict:
    context = cm.frontend_context(args)
    n = args.clients
    mid, card = ex["mentorship_id"], ex["card_id"]
    make = cm.make_tokens_client(prepared.tokens, context, "/communities")
    clients, hydrate = await lt.connect_clients(
        backend.base_url, n, make, concurrency=args.concurrency
    )
    print(f"  hydrate {n}: {hydrate}")
    pair, others = clients[:2], clients[2:]
    page, params = f"/mentorship/boards/{mid}", {"id": str(mid)}
    cm.set_page(pair, page, params)
    open_ev = lt.Ev(BOARD_LOAD, barrier=cm.BARRIER)
    sizes: list[int] = []
    pair[0].on_update = lambda _c, u: sizes.append(cm.delta_bytes(u))
    await pair[0].send_ev(open_ev, timeout=30)
    pair[0].on_update = None
    first_open = sum(sizes)
    await pair[1].send_ev(open_ev, timeout=30)
    room = pair[1].state.get(BOARD_ROOM, {})
    shown = sum(len(room.get(lt.var_key(c)) or []) for c in ("todo", "doing", "done"))
    if shown != ex["cards"]:
        msg = f"the mentee's board shows {shown} cards, expected {ex['cards']}: {room.keys()}"
        raise lt.ClientError(msg)
    print(f"  board open: {shown} cards, {first_open / 1024:.1f} KiB first delta(s)")

    # Background: the others ping for the whole measurement.
    stop = asyncio.Event()
    floor: list[float] = []
    ping = lt.Ev(cm.PING, barrier=cm.BARRIER)

    async def background(client: lt.Client) -> None:
        while not stop.is_set():
            try:
                floor.append(await client.send_ev(ping, timeout=args.timeout))
            except lt.ClientError:
                return

    quiet = await cm.wait_for_quiet(backend, args, "board")
    bg = [asyncio.create_task(background(c)) for c in others]
    await asyncio.sleep(1.0)
    floor.clear()
    open_meter = cm.Meter()
    with cm.metered(backend, open_meter):
        opened = await lt.run_closed_loop(
            pair, lambda _c, _i: open_ev, duration=args.duration, timeout=args.timeout
        )
    open_meter.events = opened.count
    floor_open = lt.Stats.from_latencies(list(floor), open_meter.wall)
    print(f"  board open (pair loops): {opened}\n  background floor meanwhile: {floor_open}")
    print(f"    {open_meter}")

    floor.clear()
    moves: list[float] = []
    own: list[float] = []
    move_sizes: list[int] = []
    missed = 0
    meter = cm.Meter(events=args.moves)
    for side in pair:
        side.on_update = lambda _c, u: (
            move_sizes.append(cm.delta_bytes(u)) if BOARD_ROOM in u.delta else None
        )
    with cm.metered(backend, meter):
        for k in range(args.moves):
            mover, other = pair[k % 2], pair[(k + 1) % 2]
            column = "doing" if k % 2 == 0 else "todo"
            mine = mover.expect(card_on_top(column, card), fresh=True)
            latencies, sent = await lt.fan_out_arrivals(
                mover,
                lt.Ev(MOVE, {"card_id": card, "column": column, "position": 0}),
                [other],
                card_on_top(column, card),
                timeout=args.timeout,
            )
            try:
                reply = await asyncio.wait_for(mine, args.timeout)
                own.append(reply.received_at - sent)
            except TimeoutError:
                mover._drop_waiter(mine)
            if latencies[0] is None:
                missed += 1
                if missed >= 3:
                    break
            else:
                moves.append(latencies[0])
            await asyncio.sleep(args.pause)
    stop.set()
    await asyncio.gather(*bg, return_exceptions=True)
    for side in pair:
        side.on_update = None
    floor_move = lt.Stats.from_latencies(list(floor), meter.wall)
    move_stats = lt.Stats.from_latencies(moves, meter.wall, missed)
    own_stats = lt.Stats.from_latencies(own, meter.wall)
    print(f"  move -> other side: {move_stats}\n  move -> own board: {own_stats}")
    print(f"  background floor meanwhile: {floor_move}\n    {meter}")
    await lt.close_clients(clients)
    return {
        "hydrate": cm.stats_dict(hydrate),
        "cards": shown,
        "open_kib_first": round(first_open / 1024, 1),
        "open": {**cm.stats_dict(opened), **open_meter.as_dict(), **quiet},
        "floor_during_open": cm.stats_dict(floor_open),
        "move_other": {**cm.stats_dict(move_stats), **meter.as_dict()},
        "move_own": cm.stats_dict(own_stats),
        "floor_during_moves": cm.stats_dict(floor_move),
        "move_delta_kib_mean": round(sum(move_sizes) / max(1, len(move_sizes)) / 1024, 1),
    }


def render(figures: dict[str, Any]) -> tuple[list[dict], list[str]]:
    cop = figures["cop"]
    op, mv, fl = cop["open"], cop["move_other"], cop["floor_during_open"]
    checks = [
        {
            "target": f"board with {cop['cards']} cards opens, p95 <= 3x background floor p95",
            "figure": f"{op['p95_ms']:.1f} ms (floor {fl['p95_ms']:.1f} ms)",
            "limit": f"<= {OPEN_VS_FLOOR_MAX * fl['p95_ms']:.1f} ms",
            "pass": op["p95_ms"] <= OPEN_VS_FLOOR_MAX * fl["p95_ms"] and op["errors"] == 0,
        },
        {
            "target": "card move reaches the other side, p95 <= 250 ms",
            "figure": f"{mv['p95_ms']:.1f} ms"
            + (f" ({mv['errors']} missed)" if mv["errors"] else ""),
            "limit": "<= 250 ms",
            "pass": mv["p95_ms"] <= MOVE_P95_MAX_MS and mv["errors"] == 0,
        },
    ]
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
        ),
        cm.row("---", "---:", "---:", "---:", "---:"),
        cm.row(
            "BoardState.load + barrier (mentor + mentee loop)",
            cm.lat(op),
            f"{op['count']} ({op['errors']})",
            f"{op['backend_cpu_ms_per_event']:.2f}",
            f"{op['backend_cpu_pct']} / {op['loadgen_cpu_pct']} / {op['others_cpu_pct']}",
        ),
        cm.row(
            f"... background: {n - 2} tabs ping + barrier meanwhile",
            cm.lat(fl),
            fl["count"],
            "",
            "",
        ),
        cm.row(
            "BoardState.move -> other side's board",
            cm.lat(mv),
            f"{mv['count']} ({mv['errors']})",
            f"{mv['backend_cpu_ms_per_event']:.2f}",
            f"{mv['backend_cpu_pct']} / {mv['loadgen_cpu_pct']} / {mv['others_cpu_pct']}",
        ),
        cm.row(
            "BoardState.move -> mover's own board",
            cm.lat(cop["move_own"]),
            cop["move_own"]["count"],
            "",
            "",
        ),
        cm.row(
            f"... background: {n - 2} tabs ping + barrier meanwhile",
            cm.lat(cop["floor_during_moves"]),
            cop["floor_during_moves"]["count"],
            "",
            "",
        ),
        "",
        f"Board open sends {cop['open_kib_first']} KiB on a tab's first open; each move sends "
        f"{cop['move_delta_kib_mean']} KiB per BoardRoom delta (the changed columns are "
        "re-sent whole). Backend CPU per event includes the background pings running at the "
        "same time (it is the backend's CPU over the phase divided by the pair's events).",
    ]
    return checks, body


SCENARIO = cm.Scenario(
    name="boards",
    title="Mentorship board benchmark",
    script=Path(__file__).resolve(),
    parse=parse_args,
    render=render,
    measure=measure,
    extra=extra,
    extra_args=lambda args: ["--cards", str(args.cards)],
)


if __name__ == "__main__":
    sys.exit(cm.main(SCENARIO))
