"""Serve a copy of the app through `reflex.testing.AppHarnessProd` until stdin closes.

Run by tests/e2e/conftest.py as a child process, with the app copy as working directory:

    python tests/e2e/serve_app.py --root COPY --frontend-port PORT --ready-file FILE

Once both servers answer, FILE holds {"frontend": URL, "backend": URL} as JSON.

A child process keeps the harness away from the pytest process: the harness compiles the
app in prod mode, swaps Reflex's registration context and config, and imports `cop_app`
from the copy; none of that may leak into the unit and state tests of the same run.

The production build (static export served by uvicorn) is used rather than the Vite dev
server: it starts in ~15 s on two cores, and it never reloads a page to re-optimise
dependencies in the middle of a test. The frontend listens on the port it is given, so the
caller can allow exactly that origin in CORS (COP_ALLOWED_ORIGINS) before the app starts.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path


def main() -> int:
    """Start the harness, write the frontend URL to the ready file, serve until told."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--frontend-port", type=int, required=True)
    parser.add_argument("--ready-file", type=Path, required=True)
    args = parser.parse_args()
    root = args.root.resolve()
    os.chdir(root)
    sys.path.insert(0, str(root))  # `cop_app` is imported from the copy

    import reflex.utils.exec
    import uvicorn
    from reflex.testing import AppHarnessProd, _get_uvicorn, chdir

    port = args.frontend_port

    class QuietConfig(uvicorn.Config):
        """uvicorn names itself in a `server` header the app cannot remove; Granian (which
        production runs) lets the app's header replace its own. Both harness servers use this."""

        def __init__(self, *a: object, **kw: object) -> None:
            super().__init__(*a, **{**kw, "server_header": False})  # type: ignore[arg-type]

    uvicorn.Config = QuietConfig  # type: ignore[misc]

    class Harness(AppHarnessProd):
        """AppHarnessProd with the static frontend on a fixed port (CORS needs the origin),
        served with the app's security headers, as the backend serves it in production."""

        def _run_frontend(self) -> None:
            from cop_app.security_headers import SecurityHeaders  # the copy's, once it is built

            uvicorn = _get_uvicorn()
            # This thread does not see the harness's config: take the backend's own address.
            host, backend_port = self.backend.servers[0].sockets[0].getsockname()[:2]  # type: ignore[union-attr]
            with chdir(self.app_path):
                frontend_app = SecurityHeaders(
                    reflex.utils.exec._frontend_prod_app(), f"http://{host}:{backend_port}"
                )
            self.frontend_server = uvicorn.Server(
                uvicorn.Config(app=frontend_app, host="127.0.0.1", port=port, log_level="warning")
            )
            self.frontend_server.run()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def wait_for_stdin_eof() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=wait_for_stdin_eof, daemon=True).start()

    started = time.monotonic()
    harness = Harness.create(root=root, app_name="cop_app")
    try:
        harness.start()
        if harness.frontend_url is None:
            raise RuntimeError("the harness started but has no frontend URL")
        print(f"serve_app: ready in {time.monotonic() - started:.1f}s", flush=True)
        from reflex_base.config import get_config

        urls = {"frontend": harness.frontend_url, "backend": get_config().api_url}
        partial = args.ready_file.with_suffix(".partial")
        partial.write_text(json.dumps(urls))
        partial.replace(args.ready_file)
        stop.wait()
    finally:
        print("serve_app: stopping", flush=True)
        harness.stop()
    return 0


if __name__ == "__main__":
    try:
        exit_code = main()
    except BaseException:
        traceback.print_exc()
        exit_code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # Server threads left behind by a failed start must not keep the process alive.
    os._exit(exit_code)
