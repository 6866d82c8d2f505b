"""Serve the production build: the compiled frontend and the backend on one port (Granian).

`make run` (one worker, embedded SQLite) and `make serve-scaled` (several workers on
PostgreSQL + Redis) both run `python -m cop_app.serve`. It does what Reflex 0.10.1's
`reflex run --env prod --single-port` does (reflex/reflex.py `_run_prod`), with two changes:

- The frontend export (~35 s on two cores) runs only when what goes into it changed: the
  build is stamped with `build_key` (a hash of cop_app/**/*.py, assets/, rxconfig.py,
  reflex.lock/, the Reflex version and the env.json the bundle embeds), and a restart on an
  unchanged tree serves the existing `.web/build/client` (Reflex always rebuilds).
- Granian respawns a worker that dies (`respawn_failed_workers`; Reflex passes only the
  worker count), so one crashed worker does not stop the app; tabs reconnect by themselves.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the frontend export is made from (paths relative to the project root).
BUILD_INPUTS: tuple[tuple[str, str], ...] = (
    ("cop_app", "**/*.py"),
    ("assets", "**/*"),
    ("reflex.lock", "**/*"),
    (".", "rxconfig.py"),
)
STAMP_FILE = ".cop-build-key"  # in .web/, written after a successful export
# Seconds Granian waits before starting a worker again after one died (its default is 3.5).
RESPAWN_INTERVAL_S = 1.0


def build_inputs(root: Path) -> Iterator[Path]:
    """Every file the frontend export reads from the project, in a stable order."""
    for folder, pattern in BUILD_INPUTS:
        base = root / folder
        if not base.exists():
            continue
        for path in sorted(base.glob(pattern)):
            parts = path.relative_to(root).parts
            # assets/external/ holds links Reflex makes from the sources at compile time.
            if (
                path.is_file()
                and "__pycache__" not in parts
                and parts[:2] != ("assets", "external")
            ):
                yield path


def _content(path: Path) -> bytes:
    """A file's bytes; JSON by its meaning, since the export rewrites reflex.lock/package.json
    in another layout (a `git checkout` of it must not cost a rebuild)."""
    data = path.read_bytes()
    if path.suffix == ".json":
        try:
            return json.dumps(json.loads(data), sort_keys=True).encode()
        except ValueError:
            return data
    return data


def build_key(root: Path, reflex_version: str, env_json: Mapping[str, object]) -> str:
    """Hash of everything that goes into the frontend build; equal keys mean equal builds."""
    digest = hashlib.sha256()
    digest.update(f"reflex {reflex_version}\n".encode())
    digest.update(json.dumps(dict(env_json), sort_keys=True).encode() + b"\n")
    for path in build_inputs(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(_content(path)).digest())
    return digest.hexdigest()


def build_is_current(web_dir: Path, key: str) -> bool:
    """Whether .web holds a complete export stamped with this key."""
    stamp = web_dir / STAMP_FILE
    index = web_dir / "build" / "client" / "index.html"
    return index.is_file() and stamp.is_file() and stamp.read_text().strip() == key


def _env_json() -> dict[str, object]:
    """The env.json the export embeds (reflex/utils/build.py set_env_json, without writing)."""
    from reflex.utils.exec import is_in_app_harness
    from reflex_base import constants
    from reflex_base.config import get_config

    config = get_config()
    env: dict[str, object] = {
        **{endpoint.name: endpoint.get_url() for endpoint in constants.Endpoint},
        "TRANSPORT": config.transport,
        "TEST_MODE": is_in_app_harness(),
    }
    for plugin in config.plugins:
        env.update(plugin.update_env_json() or {})
    return env


def prepare_frontend(port: int) -> tuple[bool, float]:
    """Export the frontend unless the stamped build matches; returns (reused, seconds)."""
    from reflex import reflex as cli
    from reflex.utils import build, path_ops, prerequisites
    from reflex_base import constants
    from reflex_base.config import get_config

    started = time.perf_counter()
    config = get_config()
    web_dir = prerequisites.get_web_dir()
    with path_ops.file_lock(web_dir):
        config._set_persistent(frontend_port=port, backend_port=port)
        if prerequisites.needs_reinit():
            cli._init(name=config.app_name)
        key = build_key(ROOT, constants.Reflex.VERSION, _env_json())
        if build_is_current(web_dir, key):
            return True, time.perf_counter() - started
        (web_dir / STAMP_FILE).unlink(missing_ok=True)
        cli._compile_app(avoid_dirty_check=False)
        build.setup_frontend_prod(ROOT)
        (web_dir / STAMP_FILE).write_text(key + "\n")
    return False, time.perf_counter() - started


def serve(host: str, port: int, workers: int | None, *, with_frontend: bool) -> None:
    """Run Granian like reflex.utils.exec.run_granian_backend_prod, respawning dead workers."""
    import multiprocessing

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server
    from reflex.utils import exec as rx_exec
    from reflex.utils import processes
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    environment.REFLEX_SKIP_COMPILE.set(True)
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(with_frontend)
    count = workers or processes.get_num_workers()
    if (start_method := rx_exec._backend_start_method()) is not None:
        multiprocessing.set_start_method(start_method, force=True)
        if start_method == "fork" and not rx_exec._preload_for_fork(None):
            multiprocessing.set_start_method("spawn", force=True)
    level = get_config().loglevel.subprocess_level()
    Server(
        target=rx_exec.get_app_instance_from_file(),
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        log_level=LogLevels(os.getenv("GRANIAN_LOG_LEVEL", level.value)),
        log_dictconfig=rx_exec._granian_log_dictconfig(),
        workers=count,
        respawn_failed_workers=True,
        respawn_interval=RESPAWN_INTERVAL_S,
    ).serve()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, prepare the frontend build, serve."""
    parser = argparse.ArgumentParser(prog="python -m cop_app.serve", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("COP_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("COP_PORT", "3000")))
    parser.add_argument(
        "--workers", type=int, default=None, help="default: 1 without Redis, else Reflex's count"
    )
    parser.add_argument(
        "--backend-only", action="store_true", help="no frontend (socket clients, tests)"
    )
    parser.add_argument(
        "--build-only", action="store_true", help="export the frontend (if stale) and exit"
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    # rxconfig's default origins name :3000; on another port the page's own origin must be
    # allowed to open the event socket (read when the config loads, below).
    os.environ.setdefault(
        "COP_ALLOWED_ORIGINS", f"http://localhost:{args.port},http://127.0.0.1:{args.port}"
    )

    from reflex.istate.manager import reset_disk_state_manager
    from reflex_base import constants
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_COMPILE_CONTEXT.set(constants.CompileContext.RUN)
    if not args.backend_only:
        reused, seconds = prepare_frontend(args.port)
        what = "reused (sources unchanged)" if reused else "exported"
        print(f"serve: frontend build {what} in {seconds:.1f} s", flush=True)
        if args.build_only:
            return 0
        reset_disk_state_manager()  # as `reflex run` does: tab states of the last run go
    shown = "127.0.0.1" if args.host == "0.0.0.0" else args.host
    print(f"serve: Practica at http://{shown}:{args.port}", flush=True)
    serve(args.host, args.port, args.workers, with_frontend=not args.backend_only)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
