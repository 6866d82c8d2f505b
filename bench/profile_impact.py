"""Impact dashboard, per section: CPU ms of each section builder (current and previous
period together) and of the whole dashboard, on one prepared database, in-process.

    # once: a database like bench_impact's (migrate, demo seed, members, posts, events)
    COP_DATA_DIR=/tmp/impact-prof .venv/bin/reflex db migrate
    COP_DATA_DIR=/tmp/impact-prof .venv/bin/python bench/profile_impact.py --build 200000
    # then, as often as needed (compare before/after within the same minute)
    COP_DATA_DIR=/tmp/impact-prof .venv/bin/python bench/profile_impact.py [--repeat 7] [--view c3]

CPU time (time.process_time), median and minimum: wall time on a shared machine is mostly
the other load. Not a target check (bench_impact.py is); a profiler for the sections.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common as cm  # noqa: E402


def build(events: int) -> None:
    """Seed the demo, then bench_impact's members, posts and events (bulk inserts)."""
    import bench_impact
    from sqlmodel import Session

    from cop_app.seed import seed

    engine = cm.open_app_db(ROOT)
    with Session(engine) as session:
        seed(session)
        session.commit()
    args = argparse.Namespace(members=2_000, posts=100_000)
    with Session(engine) as session:
        print(bench_impact._populate(session, args))
        print("events", bench_impact._grow_events(session, events))


def profile(repeat: int, view: str) -> None:
    """Each section builder of services/impact/dashboard.py, then the whole dashboard."""
    from sqlmodel import Session

    engine = cm.open_app_db(ROOT)
    from cop_app import memory
    from cop_app.models.base import utcnow
    from cop_app.services import impact
    from cop_app.services.impact import dashboard as d
    from cop_app.services.impact.scope import Scope

    memory.settle()  # as cop_app.py does once loaded
    scope = Scope(view, None if view == "all" else (int(view[1:]),))
    now = utcnow()
    p = impact.periods.last_days(90, now)
    sections = {
        "activity": lambda s: d._activity(s, scope, p, now),
        "conversation": lambda s: d._conversation(s, scope, p),
        "responsiveness": lambda s: d._responsiveness(s, scope, p),
        "reuse": lambda s: d._reuse(s, scope, p),
        "silos": lambda s: d._silos(s, scope, p, now),
        "growth": lambda s: d._growth(s, scope, p, now),
        "mentoring": lambda s: d._mentoring(s, scope, p),
        "retention": lambda s: d._retention(s, scope, p, now),
        "WHOLE": lambda s: d.compute(s, scope, p, now),
    }
    with Session(engine) as session:
        d.compute(session, scope, p, now)  # warm the page cache and the statement cache
    for name, run in sections.items():
        times = []
        for _ in range(repeat):
            with Session(engine) as session:
                started = time.process_time()
                run(session)
                times.append((time.process_time() - started) * 1000)
        print(f"{name:15s} CPU ms median {statistics.median(times):7.1f}  min {min(times):7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=int, default=0, help="build with this many events")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--view", default="all", help='"all" or "c<community id>"')
    args = parser.parse_args()
    if args.build:
        build(args.build)
    else:
        profile(args.repeat, args.view)


if __name__ == "__main__":
    main()
