"""First load of each main screen, in a fresh browser profile each time, on the production build
served the way `make run` serves it (python -m cop_app.serve: one port, one Granian worker).

    python bench/bench_first_load.py                # starts its own server on :3312
    python bench/bench_first_load.py --cold         # ... after deleting the build stamp
    python bench/bench_first_load.py --url http://localhost:3000   # a running `make run`

Each load is a new Chromium context (empty HTTP cache, no service worker) holding only the
demo person's signed-in localStorage. Per screen it prints the Navigation Timing `loadEventEnd`
(the target: p95 <= 1 s) and the time until the screen shows its data (the page hydrated over
the event socket and its content is visible). With its own server it also prints how long
the server took to answer (a cold start exports the frontend; a warm one reuses the export).
The table goes to bench/results/first_load.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import screenshots as shots  # noqa: E402  (demo people, readiness checks, sign-in)
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

TARGET_S = 1.0
STAMP = ROOT / ".web" / ".cop-build-key"


def _h1(page: Page) -> None:
    expect(page.get_by_role("heading", level=1).first).to_have_text(re.compile(r"\S"))


def _thread_ready(page: Page) -> None:
    expect(page.get_by_label("Posts")).to_be_visible()


SCREENS: tuple[tuple[str, str, str, Callable[[Page], None]], ...] = (
    ("home", "/", shots.MEMBER, shots._heading(re.compile(r"^Welcome"))),
    ("directory", "/communities", shots.MEMBER, shots._directory_ready),
    ("community", f"/c/{shots.COMMUNITY}", shots.MEMBER, shots._community_ready),
    ("thread", "THREAD", shots.MENTOR, _thread_ready),
    ("library", "/library", shots.MEMBER, _h1),
    ("mentorship", "/mentorship", shots.MEMBER, _h1),
    ("mentor dashboard", "/mentorship", shots.MENTOR, shots._mentorship_ready),
    ("moderation", "/admin/moderation", shots.ADMIN, _h1),
    ("audit", "/admin/audit", shots.ADMIN, _h1),
    ("admin feed", "/admin/activity", shots.ADMIN, shots._feed_ready),
    ("users", "/admin/users", shots.ADMIN, shots._users_ready),
)


def _answers(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200
    return False


@contextlib.contextmanager
def own_server(port: int, cold: bool) -> Iterator[tuple[str, float, str]]:
    """Migrate, seed, then `python -m cop_app.serve`; yields (url, seconds to answer, how)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("REFLEX_DB_URL", "REFLEX_REDIS_URL"):
        env.pop(name, None)
    reflex = Path(sys.executable).with_name("reflex")
    subprocess.run([str(reflex), "db", "migrate"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-m", "cop_app.manage", "seed"], cwd=ROOT, env=env, check=True)
    if cold:
        STAMP.unlink(missing_ok=True)
    # Outside .web: a cold build clears that folder while the server writes its log.
    log = Path(tempfile.gettempdir()) / "cop-first-load-server.log"
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cop_app.serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        while not _answers(url + "/"):
            if proc.poll() is not None or time.perf_counter() - started > 300:
                raise RuntimeError(f"server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        took = time.perf_counter() - started
        how = next((line for line in log.read_text().splitlines() if "frontend build" in line), "")
        yield url, took, how.removeprefix("serve: ")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def first_thread(browser: Browser, url: str, storage: dict) -> str:
    """The path of the first thread of engineering-craft (ids differ between databases)."""
    context = browser.new_context(base_url=url, storage_state=storage)
    try:
        page = context.new_page()
        page.goto("/c/engineering-craft")
        link = page.get_by_label("Threads").get_by_role("link").first
        expect(link).to_be_visible(timeout=30_000)
        return link.get_attribute("href") or ""
    finally:
        context.close()


def measure(browser: Browser, url: str, path: str, storage: dict, ready: Callable) -> tuple:
    """One first load in a new context: (loadEventEnd s, content shown s)."""
    context = browser.new_context(base_url=url, storage_state=storage)
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(path, wait_until="load")
        load = page.evaluate(
            "() => performance.getEntriesByType('navigation')[0].loadEventEnd / 1000"
        )
        shots.wait_until_interactive(page)
        ready(page)
        return load, time.perf_counter() - started
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    """Measure, print, keep the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app (default: start one)")
    parser.add_argument("--port", type=int, default=3312)
    parser.add_argument("--cold", action="store_true", help="rebuild the frontend first")
    parser.add_argument("--runs", type=int, default=5, help="loads per screen")
    parser.add_argument(
        "--chromium", default=os.environ.get("COP_E2E_CHROMIUM", "/usr/bin/chromium")
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "first_load.md")
    args = parser.parse_args(argv)

    lines: list[str] = []
    with contextlib.ExitStack() as stack:
        if args.url:
            url, start_line = args.url.rstrip("/"), "server: given (--url), start not measured"
        else:
            url, took, how = stack.enter_context(own_server(args.port, args.cold))
            start_line = f"server: answered {took:.1f} s after start ({how})"
        print(start_line, flush=True)
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=args.chromium, args=shots.CHROMIUM_ARGS)
        people = {who for _, _, who, _ in SCREENS}
        storage = {
            who: shots.sign_in_state(browser, url, who, shots.DEMO_PASSWORD) for who in people
        }
        thread = first_thread(browser, url, storage[shots.MENTOR])
        header = (
            f"| screen | path | p95 load event | p95 content shown | target ({TARGET_S:.0f} s) |"
        )
        lines += [header, "|---|---|---|---|---|"]
        print(header, flush=True)
        worst = 0.0
        for name, path, who, ready in SCREENS:
            path = thread if path == "THREAD" else path
            runs = [measure(browser, url, path, storage[who], ready) for _ in range(args.runs)]
            load, shown = p95([r[0] for r in runs]), p95([r[1] for r in runs])
            worst = max(worst, load)
            verdict = "pass" if load <= TARGET_S else "**fail**"
            row = (
                f"| {name} | `{path}` | {load * 1000:.0f} ms | {shown * 1000:.0f} ms | {verdict} |"
            )
            lines.append(row)
            print(row, flush=True)
        browser.close()

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    load_avg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    summary = (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, load average {load_avg},"
        f" {args.runs} loads per screen, each in a fresh browser context. {start_line}."
        f" Worst p95 load event {worst * 1000:.0f} ms (target {TARGET_S * 1000:.0f} ms)."
    )
    print(summary)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        "# First load per screen (bench/bench_first_load.py)\n\n"
        + summary
        + "\n\n"
        + "\n".join(lines)
        + "\n"
    )
    return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
