"""Shared scaffolding of the scenario benchmarks (discussions, feed, boards).

Reuses bench_foundation's preparation (migrate + seed + bench community + N
members with sessions), backend runner, CPU meters and quiet-machine wait, and
adds: a second preparation step that a scenario runs in a child process with
``COP_DATA_DIR`` set (``--extra``), signed-in client factories, and a report
writer (markdown + JSON in ``bench/results/``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import bench_foundation as bf  # noqa: E402
import loadtool as lt  # noqa: E402

SESSION_KEY = bf.SESSION_KEY
BARRIER = bf.BARRIER
PING = bf.PING


def base_parser(prog: str, doc: str, port: int) -> argparse.ArgumentParser:
    """Options every scenario shares (the foundation's names, so run_all can pass them)."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100, help="signed-in tabs (default 100)")
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per closed loop")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved slices per loop")
    parser.add_argument("--warmup-clients", type=int, default=3)
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--concurrency", type=int, default=25, help="handshakes at once")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per event")
    parser.add_argument("--no-hashes", action="store_true")
    parser.add_argument("--quiet", type=float, default=50.0)
    parser.add_argument("--quiet-timeout", type=float, default=30.0)
    parser.add_argument("--attempts", type=int, default=2)
    parser.add_argument("--results-dir", type=Path, default=bf.RESULTS_DIR)
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--ref", help="measure this git commit instead of the working tree")
    # Accepted and ignored, so `run_all -- --viewers 50 ...` does not break this script.
    parser.add_argument("--viewers", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--actions", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--bare-port", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between actions")
    parser.add_argument("--extra", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--app-dir", type=Path, default=ROOT, help=argparse.SUPPRESS)
    return parser


def child_env(data_dir: Path) -> dict[str, str]:
    """Environment of a child that imports cop_app against the temp database."""
    return {
        **{k: v for k, v in os.environ.items() if k not in bf.UNSET_ENV},
        "COP_DATA_DIR": str(data_dir),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_STATES_WORKDIR": str(data_dir / "states-migrate"),
    }


def run_extra(script: Path, data_dir: Path, app_dir: Path, extra_args: Sequence[str] = ()) -> dict:
    """Run ``script --extra out.json`` as a child with COP_DATA_DIR; return its JSON."""
    out = data_dir / f"extra-{script.stem}.json"
    done = subprocess.run(
        [sys.executable, str(script), "--extra", str(out), "--app-dir", str(app_dir), *extra_args],
        cwd=app_dir,
        env=child_env(data_dir),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if done.returncode != 0:
        msg = f"extra preparation failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        raise RuntimeError(msg)
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


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def lat(s: dict[str, Any]) -> str:
    """p50 / p95 / p99 of a stats dict."""
    return f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} / {s['p99_ms']:.1f}"


def row(*cells: object) -> str:
    """A markdown table row."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def run_scenario(
    name: str,
    title: str,
    script: Path,
    args: argparse.Namespace,
    argv: Sequence[str],
    users: int,
    extra_args: Sequence[str],
    measure: Callable[[lt.Backend, bf.Prepared, dict, dict], Any],
    render: Callable[[dict[str, Any]], tuple[list[dict[str, Any]], list[str]]],
) -> int:
    """Prepare, run ``measure`` on one cop_app backend, print and save the report."""
    started = time.perf_counter()
    command = shlex.join([".venv/bin/python", f"bench/{script.name}", *argv])
    run: dict[str, Any] = {
        "command": command,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "reflex": importlib.metadata.version("reflex"),
        "loadavg_start": bf._loadavg(),
        "clients": args.clients,
        "wave_every": getattr(args, "wave_every", None),
    }
    print(f"{command}\n{run['date']} UTC, {run['cpus']} CPUs, load average {run['loadavg_start']}")
    tmp = Path(tempfile.mkdtemp(prefix=f"cop-bench-{name}-"))
    backend_env = {"REFLEX_TELEMETRY_ENABLED": "false", "GRANIAN_LOG_LEVEL": "info"}
    figures: dict[str, Any] = {"run": run}
    completed = False
    try:
        if args.ref:
            args.app_dir = tmp / "app"
            run["git"] = f"{bf.export_ref(args.ref, args.app_dir)} (--ref {args.ref}, exported)"
        else:
            args.app_dir = ROOT
            run["git"] = bf._git_describe()
        run["source_digest"] = bf._source_digest(args.app_dir)
        print(f"\n[1/3] preparing {tmp}")
        phase = time.perf_counter()
        prepared = bf.prepare(tmp, users, args.app_dir)
        print(f"  migrate + seed + {len(prepared.tokens)} members: {prepared.seed_s:.1f} s")
        extra = run_extra(script, tmp, args.app_dir, extra_args)
        run["prepare_s"] = round(time.perf_counter() - phase, 1)
        print(f"  prepared in {run['prepare_s']} s")
        print(f"\n[2/3] cop_app backend (port {args.port})")
        figures["cop"] = bf.run_on_backend(
            "cop_app",
            args.app_dir,
            {
                **backend_env,
                "COP_DATA_DIR": str(tmp),
                "REFLEX_STATES_WORKDIR": str(tmp / "cop-states"),
            },
            args.port,
            tmp / "cop-backend",
            lambda backend: measure(backend, prepared, extra, figures),
            args,
            run,
        )
        figures["extra"] = {k: v for k, v in extra.items() if k != "tokens"}
        completed = True
    finally:
        if args.keep or not completed:
            print(f"temp data dir kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    run["loadavg_end"] = bf._loadavg()
    run["wall_s"] = round(time.perf_counter() - started, 1)
    checks, body = render(figures)
    figures["targets"] = checks
    lines = [
        f"# {title}",
        "",
        f"- Command: `{run['command']}`",
        f"- Date: {run['date']} UTC; the run took {run['wall_s']:.0f} s",
        f"- Machine: {run['cpus']} CPUs, Python {run['python']}, Reflex {run['reflex']}",
        f"- Code: git {run['git']}, source digest {run['source_digest']}",
        f"- Load average (1/5/15 min): {run['loadavg_start']} at the start, "
        f"{run['loadavg_end']} at the end",
        "- Backend: `reflex run --env prod --backend-only`, 1 Granian worker, disk state "
        "manager, SQLite in a temp dir",
        *(
            f"- **Backend stopped from outside**, phase run again: {r}"
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
        (args.results_dir / f"{name}.md").write_text(report)
        (args.results_dir / f"{name}.json").write_text(
            json.dumps(figures, indent=2, default=str) + "\n"
        )
        print(f"written: {args.results_dir / name}.md and .json")
    return 0 if all(c["pass"] for c in checks) else 1


def main_for(
    parse: Callable[[Sequence[str]], argparse.Namespace],
    extra: Callable[[argparse.Namespace], None],
    bench: Callable[[argparse.Namespace, Sequence[str]], int],
) -> int:
    """Entry point: the --extra child step, or the benchmark (exit 0/1/2)."""
    argv = list(sys.argv[1:])
    args = parse(argv)
    if args.extra is not None:
        extra(args)
        return 0
    try:
        return bench(args, argv)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print("benchmark FAILED to run (see above)", file=sys.stderr)
        return 2
