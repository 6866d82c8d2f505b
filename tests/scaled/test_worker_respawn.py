"""`make serve-scaled`'s promise, on real processes: two Granian workers on PostgreSQL + Redis
(cop_app/serve.py). A worker killed with SIGKILL is started again, and the tab it served
reconnects, as Reflex's frontend does, to a page that still holds what the member typed: the
tab's state lives in Redis, not in the worker that died.

Backend only (the frontend export is not needed by a socket client, and would cost ~35 s);
the tab is bench/loadtool's Client, which speaks Reflex's socket protocol like the browser.
"""

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import psycopg2
import pytest
from redis import Redis

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import loadtool as lt  # noqa: E402

THREAD = "cop_app.states.discussions.ThreadState"
AUTH = "cop_app.states.auth.AuthState"
SET_DRAFT = lt.event_name(THREAD, "set_draft")
DRAFTS = "cop_app.states.drafts.DraftStore"
SESSION_KEY = lt.storage_key(AUTH, "session_token")
STORE_KEY, STORE_OF = (
    lt.storage_key(DRAFTS, "store"),
    (lt.state_full_name(DRAFTS), lt.var_key("store")),
)
USER_OF = (lt.state_full_name(AUTH), lt.var_key("user_id"))
SERVE = (sys.executable, "-m", "cop_app.serve", "--backend-only", "--workers", "2")
TYPED = "Half-written reply that must survive a worker crash"

# Run in a child with REFLEX_DB_URL set: demo data, a member's session, a thread of theirs.
PREPARE = """
import json, reflex as rx
from sqlmodel import select
from cop_app.models import Community, Thread
from cop_app.seed import DEMO_PASSWORD, email_of, seed
from cop_app.services import accounts, wiring
wiring.wire()
with rx.session() as session:
    seed(session)
    session.commit()
    token = accounts.check_sign_in(session, email_of("ravi.iyer"), DEMO_PASSWORD, "tests").token
    slug = "engineering-craft"  # Ravi is a member: he can read and reply
    community = session.exec(select(Community).where(Community.slug == slug)).one()
    thread = session.exec(
        select(Thread).where(Thread.community_id == community.id).order_by(Thread.id)
    ).first()
    print(json.dumps({"token": token, "thread": thread.id, "slug": slug}))
"""


def _services() -> tuple[str, str]:
    pg, redis = os.environ.get("COP_TEST_PG_URL", ""), os.environ.get("COP_TEST_REDIS_URL", "")
    if not pg or not redis:
        pytest.fail("COP_TEST_PG_URL / COP_TEST_REDIS_URL unset: run `make test` (services.sh)")
    base = pg.rsplit("/", 1)[0]
    return f"{base}/{pg.rsplit('/', 1)[1]}_respawn", redis.rsplit("/", 1)[0] + "/13"


def _recreate_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    conn = psycopg2.connect(f"{base}/postgres", connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def scaled_backend(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen]:
    """`python -m cop_app.serve --backend-only --workers 2`; stopped by its own process group."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*SERVE, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while not _workers(proc) or len(_workers(proc)) < 2 or not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"backend did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _workers(proc: subprocess.Popen) -> list[psutil.Process]:
    with contextlib.suppress(psutil.NoSuchProcess):
        return psutil.Process(proc.pid).children()
    return []


def _answers(port: int) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"http://127.0.0.1:{port}/ping", timeout=2).status_code == 200
    return False


def _serving_worker(proc: subprocess.Popen, client: lt.Client) -> psutil.Process:
    """The worker holding this tab's socket (its end of the TCP connection)."""
    local = client._ws.local_address[:2]  # type: ignore[union-attr]
    for worker in _workers(proc):
        for conn in worker.net_connections(kind="tcp"):
            if conn.raddr and (conn.raddr.ip, conn.raddr.port) == local:
                return worker
    pytest.fail("no worker holds the tab's socket")


def _keep_storage(storage: dict[str, str]) -> Callable[[lt.Client, lt.Update], None]:
    """Write the draft store's deltas to the tab's storage, as the frontend's localStorage does
    (skipping the hydrate snapshot, like the frontend)."""

    def write(client: lt.Client, update: lt.Update) -> None:
        if update.delta.get(lt.ROOT_STATE, {}).get(lt.IS_HYDRATED) is False:
            return
        value = update.delta.get(STORE_OF[0], {}).get(STORE_OF[1])
        if isinstance(value, str):
            storage[STORE_KEY] = client.client_storage[STORE_KEY] = value

    return write


async def _open_tab(
    port: int, token: str, storage: dict[str, str], page: str, params: dict[str, str]
) -> lt.Client:
    """A tab (re)opening its socket, retrying while no worker accepts, like socket.io does."""
    deadline = time.monotonic() + 30
    while True:
        client = lt.Client(
            token=token,
            page_path=page,
            route_params=params,
            client_storage=storage,
            on_update=_keep_storage(storage),
        )
        try:
            await client.connect(f"http://127.0.0.1:{port}", timeout=10)
            await client.hydrate(timeout=15)
            return client
        except (lt.ClientError, OSError):
            await client.close()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def test_a_killed_worker_is_respawned_and_its_tab_comes_back(tmp_path: Path) -> None:
    db_url, redis_url = _services()
    _recreate_database(db_url)
    Redis.from_url(redis_url).flushdb()
    env = {
        **os.environ,
        "REFLEX_DB_URL": db_url.replace("postgresql://", "postgresql+psycopg2://", 1),
        "REFLEX_REDIS_URL": redis_url,
        "PYTHONUNBUFFERED": "1",
    }
    reflex = Path(sys.executable).with_name("reflex")
    subprocess.run([str(reflex), "db", "migrate"], cwd=ROOT, env=env, check=True)
    prepared = subprocess.run(
        [sys.executable, "-c", PREPARE], cwd=ROOT, env=env, check=True, capture_output=True
    )
    world = json.loads(prepared.stdout.decode().strip().splitlines()[-1])
    page = f"/c/{world['slug']}/t/{world['thread']}"
    params = {"slug": world["slug"], "id": str(world["thread"])}
    port = _free_port()

    with scaled_backend(env, port, tmp_path / "backend.log") as proc:

        async def journey() -> tuple[float, float, psutil.Process]:
            token, storage = str(uuid.uuid4()), {SESSION_KEY: world["token"]}
            tab = await _open_tab(port, token, storage, page, params)
            assert tab.state[USER_OF[0]][USER_OF[1]], "the tab is signed in"
            await tab.send(SET_DRAFT, {"value": TYPED})
            assert TYPED in storage.get(STORE_KEY, ""), "the browser keeps the draft"
            shown = tab.state[lt.state_full_name(THREAD)]
            assert shown[lt.var_key("found")] is True and shown[lt.var_key("draft")] == TYPED
            victim = _serving_worker(proc, tab)
            killed_at = time.monotonic()
            victim.send_signal(signal.SIGKILL)
            with contextlib.suppress(Exception):
                await tab.close()
            back = await _open_tab(port, token, storage, page, params)
            # The page's on_load (after the hydrate) puts the kept draft back in the reply box.
            # The page's on_load (after the hydrate) puts the kept draft back in the reply box.
            # A lock the dead worker held on this tab's state expires first (Reflex's
            # redis_lock_expiration, 10 s): that is most of the recovery time.
            await back.wait_for(lt.var_equals(THREAD, "draft", TYPED), timeout=30)
            recovered = time.monotonic() - killed_at
            # Same tab, same state: not taken for a duplicated tab and given a new token
            # because the dead worker's socket record was still in Redis (worker_liveness).
            assert back.token == token, "the tab was given a new token: its state is orphaned"
            assert back.state[USER_OF[0]][USER_OF[1]], "still signed in after the crash"
            await back.send(SET_DRAFT, {"value": TYPED + "!"})  # and the page answers again
            await back.close()
            return killed_at, recovered, victim

        killed_at, recovered, victim = asyncio.run(journey())
        deadline = time.monotonic() + 20
        while True:
            pids = {w.pid for w in _workers(proc)}
            if len(pids) == 2 and victim.pid not in pids:
                break
            assert time.monotonic() < deadline, f"worker not respawned: {pids}"
            time.sleep(0.2)
        respawned = time.monotonic() - killed_at
        assert proc.poll() is None and _answers(port)
        print(
            f"tab back {recovered:.2f} s after SIGKILL; two workers again after {respawned:.2f} s"
        )
