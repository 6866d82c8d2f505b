"""End-to-end fixtures: the real app, served by Reflex's AppHarness, driven by Chromium.

Once per test run the app (rxconfig.py, cop_app/, alembic/, ...) is copied into a temp
directory, so its build never touches the project's `.web` that `make run` serves from. The
copy gets its own SQLite database (COP_DATA_DIR), the migrations (`reflex db migrate`) and the
demo data (`python -m cop_app.manage seed`); then tests/e2e/serve_app.py serves it through
`reflex.testing.AppHarnessProd` in a child process, on a frontend port picked here so that
CORS (COP_ALLOWED_ORIGINS) allows exactly that origin.

The browser is Debian's Chromium at /usr/bin/chromium (COP_E2E_CHROMIUM overrides the path);
Playwright never downloads one. When it is missing, every browser test FAILS (never skips).

COP_E2E_SOURCE serves another tree than this checkout (e.g. `git archive HEAD` unpacked).

Fixtures: `app_url`, `backend_url`; pytest-playwright's `browser`, `page` and
`new_context()` (their base_url is the app, so `page.goto("/communities")` works);
`open_page(page, path)`, `sign_in(page, email, password)` and `signed_in(email)` (a new
context's page, signed in); `demo_password`; `smtp_inbox`, a real SMTP server (aiosmtpd) the
served app sends its mail to (COP_SMTP_*), whose received messages the tests read.
"""

import importlib.util
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cop_app.seed import DEMO_PASSWORD
from tests.e2e.pages import open_page, sign_in
from tests.smtp_inbox import LocalSmtp

ROOT = Path(__file__).resolve().parents[2]
# The app to serve: this checkout, or another tree (e.g. a `git archive` of a commit).
SOURCE = Path(os.environ.get("COP_E2E_SOURCE", ROOT)).resolve()
SERVE_APP = Path(__file__).resolve().parent / "serve_app.py"
CHROMIUM = Path(os.environ.get("COP_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# What the app needs at run time; everything else (tests, .web, data/) stays behind.
APP_FILES = ("rxconfig.py", "cop_app", "alembic", "alembic.ini", "assets", "reflex.lock")
STARTUP_TIMEOUT = 300  # seconds: a cold production build on two cores takes ~15-30 s
STOP_TIMEOUT = 30
# Environment that would point the served copy at shared services instead of its own files.
DROPPED_ENV = ("REFLEX_DB_URL", "REFLEX_REDIS_URL", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS")

# pytest-playwright must use the system Chromium and never fetch browsers of its own.
os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
# A two-core machine runs the server, the build output and Chromium at once: allow 10 s.
expect.set_options(timeout=10_000)

TIMINGS = pytest.StashKey[dict[str, float]]()
DATA_DIR = pytest.StashKey[Path]()


def _fail(message: str) -> None:
    pytest.fail(message, pytrace=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def _copy_app(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in APP_FILES:
        source = SOURCE / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, target / name)


def _server_env(data_dir: Path, frontend_port: int, smtp: LocalSmtp) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(smtp.env)
    env["COP_PUBLIC_URL"] = f"http://127.0.0.1:{frontend_port}"
    bun_bin = ROOT / ".tools" / "bun" / "node_modules" / ".bin"
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(bun_bin), env["PATH"]])
    if not env.get("REFLEX_BUN_PATH") and (bun_bin / "bun").exists():
        env["REFLEX_BUN_PATH"] = str((bun_bin / "bun").resolve())
    if not env.get("REFLEX_BUN_PATH") and shutil.which("bun", path=env["PATH"]) is None:
        _fail(
            "No bun for the frontend build: run `make bootstrap` (it installs bun into "
            ".tools/bun) or set REFLEX_BUN_PATH."
        )
    env["COP_DATA_DIR"] = str(data_dir)
    env["COP_ALLOWED_ORIGINS"] = (
        f"http://127.0.0.1:{frontend_port},http://localhost:{frontend_port}"
    )
    env["REFLEX_TELEMETRY_ENABLED"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run_step(what: str, args: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        try:
            result = subprocess.run(
                args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=180
            )
        except subprocess.TimeoutExpired:
            _fail(f"e2e set-up: {what} took more than 180 s. Output:\n{_tail(log)}")
    if result.returncode != 0:
        _fail(f"e2e set-up: {what} failed (exit {result.returncode}). Output:\n{_tail(log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask the server to stop (stdin closes), then end its process group if it lingers."""
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
        return
    except subprocess.TimeoutExpired:
        pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)  # the group this fixture created (start_new_session)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


class _Launch:
    """The served copy with fresh demo data, started in a thread as soon as collection has
    found browser tests: its copy, migrations, seed and frontend build (about a minute) then
    run beside the unit and state tests, which come first, instead of before the first
    browser test. `result()` waits for it and re-raises what went wrong there."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.data_dir = base / "data"
        self.smtp = LocalSmtp().__enter__()
        self.timings: dict[str, float] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.urls: dict[str, str] = {}
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="e2e-app", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._start()
        except BaseException as exc:  # pytest.fail raises an OutcomeException
            self.error = exc

    def _start(self) -> None:
        if importlib.util.find_spec("uvicorn") is None:
            _fail(
                "reflex.testing.AppHarness serves the app with uvicorn, which is not installed: "
                "add `uvicorn` to the dev dependencies (pyproject.toml, then scripts/lock.sh)."
            )
        started = time.monotonic()
        app_dir, log = self.base / "app", self.base / "server.log"
        app_dir.mkdir()
        _copy_app(app_dir)
        frontend_port = _free_port()
        env = _server_env(self.data_dir, frontend_port, self.smtp)
        migrate = [sys.executable, "-m", "reflex", "db", "migrate"]
        _run_step("migrating", migrate, app_dir, env, log)
        _run_step("seeding", [sys.executable, "-m", "cop_app.manage", "seed"], app_dir, env, log)
        self.timings["copy, migrate and seed"] = time.monotonic() - started

        ready = self.base / "ready"
        serving = time.monotonic()
        args = [sys.executable, str(SERVE_APP), "--root", str(app_dir)]
        args += ["--frontend-port", str(frontend_port), "--ready-file", str(ready)]
        with log.open("a") as out:
            self.proc = subprocess.Popen(
                args,
                cwd=app_dir,
                env=env,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = serving + STARTUP_TIMEOUT
        while not ready.exists():
            if self.proc.poll() is not None:
                _fail(
                    f"The app server exited with {self.proc.returncode}. Log {log}:\n{_tail(log)}"
                )
            if time.monotonic() > deadline:
                _fail(f"The app did not start in {STARTUP_TIMEOUT} s. Log {log}:\n{_tail(log)}")
            time.sleep(0.2)
        self.timings["app server start (build + serve)"] = time.monotonic() - serving
        urls = json.loads(ready.read_text())
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}

    def result(self) -> dict[str, str]:
        """{"frontend": URL, "backend": URL} once the app serves."""
        waited = time.monotonic()
        self.thread.join()
        self.timings["waited for by the first browser test"] = time.monotonic() - waited
        if self.error is not None:
            raise self.error
        return self.urls

    def stop(self) -> None:
        self.thread.join()
        if self.proc is not None:
            _stop(self.proc)
        # The copy's build (node_modules, ~150 MB) is not worth keeping; the log and DB are.
        shutil.rmtree(self.base / "app" / ".web", ignore_errors=True)
        self.smtp.__exit__(None, None, None)


LAUNCH = pytest.StashKey[_Launch]()


def _launch(config: pytest.Config) -> _Launch:
    if LAUNCH not in config.stash:
        # Under pytest's base temp dir (what `tmp_path_factory` uses): kept for the last
        # few runs, with the server log and the database.
        basetemp = config._tmp_path_factory.getbasetemp()
        base = Path(tempfile.mkdtemp(prefix="e2e-app-", dir=basetemp))
        config.stash[LAUNCH] = _Launch(base)
    return config.stash[LAUNCH]


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Start serving the app while the tests before the browser tests run."""
    if session.config.option.collectonly:
        return
    if any("tests/e2e/" in item.nodeid.replace("\\", "/") for item in session.items):
        _launch(session.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the served app (and its SMTP server) once the run is over."""
    if LAUNCH in config.stash:
        config.stash[LAUNCH].stop()


@pytest.fixture(scope="session")
def smtp_inbox(request: pytest.FixtureRequest) -> LocalSmtp:
    """A real SMTP server on loopback for the whole run; the served app mails it."""
    return _launch(request.config).smtp


@pytest.fixture(scope="session")
def app_server(request: pytest.FixtureRequest) -> dict[str, str]:
    """The served copy with fresh demo data: {"frontend": URL, "backend": URL}."""
    launch = _launch(request.config)
    request.config.stash[DATA_DIR] = launch.data_dir
    urls = launch.result()
    request.config.stash[TIMINGS] = launch.timings
    return urls


@pytest.fixture(autouse=True)
def fresh_sign_in_limits(request: pytest.FixtureRequest, app_server: dict[str, str]) -> None:
    """Each test is a new day for the sign-in throttle: the suite signs the same demo people
    in from one address far more often than the per-account cap allows a person to."""
    with sqlite3.connect(request.config.stash[DATA_DIR] / "cop.db") as conn:
        conn.execute("DELETE FROM loginattempt")


@pytest.fixture(scope="session")
def app_url(app_server: dict[str, str]) -> str:
    """The frontend URL, no trailing slash: where people open the app."""
    return app_server["frontend"]


@pytest.fixture(scope="session")
def backend_url(app_server: dict[str, str]) -> str:
    """The backend URL (event socket, /ping), no trailing slash: for scripted clients."""
    return app_server["backend"]


@pytest.fixture(scope="session")
def base_url(app_url: str) -> str:
    """pytest-playwright gives every context this base URL: goto("/signin") works."""
    return app_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium; a missing binary fails the tests, with the fix."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _fail(
            f"Chromium is not installed at {CHROMIUM}. The browser tests drive the system "
            "Chromium (Playwright cannot download its own here): `apt-get install chromium` "
            "(scripts/test.sh does it), or point COP_E2E_CHROMIUM at a Chromium binary."
        )
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(name="open_page")
def open_page_fixture() -> Callable[[Page, str], Page]:
    """`open_page(page, "/communities")`: navigate and wait for hydration."""
    return open_page


@pytest.fixture(name="sign_in")
def sign_in_fixture() -> Callable[..., Page]:
    """`sign_in(page, email, password=DEMO_PASSWORD)` through the sign-in form."""
    return sign_in


@pytest.fixture
def signed_in(new_context: Callable[..., Any]) -> Callable[..., Page]:
    """`signed_in(email, **context_options)`: a page in a new browser context, signed in."""

    def make(email: str, password: str = DEMO_PASSWORD, **context_options: Any) -> Page:
        page = new_context(**context_options).new_page()
        return sign_in(page, email, password)

    return make


@pytest.fixture
def demo_password() -> str:
    """The password every demo account shares."""
    return DEMO_PASSWORD


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Report how long the app took to come up, next to pytest's own timings."""
    timings = config.stash.get(TIMINGS, {})
    if timings:
        parts = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items())
        terminalreporter.write_line(f"e2e app: {parts}")
