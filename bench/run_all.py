"""Run every benchmark in bench/ one after the other and summarise their outcome.

``make bench`` runs ``python -m bench.run_all``; ``python bench/run_all.py``
works too. Each ``bench/bench_*.py`` runs in its own process (each starts and
stops its own backends), from the repo root, with the arguments given after
``--`` (or any option run_all does not know), passed to every script::

    .venv/bin/python -m bench.run_all                       # all, defaults
    .venv/bin/python -m bench.run_all --only foundation     # one of them
    .venv/bin/python -m bench.run_all -- --clients 50       # arguments for each

Scripts write their own reports to ``bench/results/``. The exit status is 0
when every script met its targets, 1 when one missed a target (exit 1 from
the script) and 2 when one failed to run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUTCOMES = {0: "all targets met", 1: "target(s) missed"}


def discover() -> list[Path]:
    """Every benchmark script: ``bench/bench_*.py``, in name order."""
    return sorted(BENCH_DIR.glob("bench_*.py"))


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Own options; everything after ``--``, and any unknown option, goes to each script."""
    argv = list(argv)
    passthrough: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_all", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only bench_NAME.py (repeatable), e.g. --only foundation",
    )
    parser.add_argument("--list", action="store_true", help="list the scripts and exit")
    # Unknown options go to the scripts too: `make bench ARGS="--clients 50"` works.
    args, unknown = parser.parse_known_args(argv)
    return args, [*unknown, *passthrough]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected scripts sequentially; return the worst exit status."""
    args, passthrough = parse_args(sys.argv[1:] if argv is None else argv)
    scripts = discover()
    if args.list:
        for script in scripts:
            print(script.stem.removeprefix("bench_"))
        return 0
    if args.only:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in args.only}
        unknown = wanted - {s.stem.removeprefix("bench_") for s in scripts}
        if unknown:
            print(f"unknown benchmark(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
    if not scripts:
        print("no benchmark scripts found", file=sys.stderr)
        return 2

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    summary: list[tuple[str, int, float]] = []
    for script in scripts:
        command = [sys.executable, str(script.relative_to(ROOT)), *passthrough]
        print(f"=== {script.stem}: {' '.join(command)}", flush=True)
        started = time.perf_counter()
        try:
            code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 2
        summary.append((script.stem, code, time.perf_counter() - started))

    print("\n=== summary")
    for name, code, seconds in summary:
        outcome = OUTCOMES.get(code, f"FAILED to run (exit {code})")
        print(f"  {name:<24} {outcome:<28} {seconds:6.0f} s")
    print(f"  reports: {(BENCH_DIR / 'results').relative_to(ROOT)}/")
    worst = max(code for _, code, _ in summary)
    return worst if worst in (0, 1) else 2


if __name__ == "__main__":
    sys.exit(main())
