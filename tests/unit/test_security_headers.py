"""cop_app/security_headers.py: every response gets the security headers and a CSP whose
script-src allows exactly the inline scripts of the page served, and no server name."""

import asyncio
import base64
import gzip
import hashlib
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import Route
from starlette.testclient import TestClient

from cop_app import security_headers
from cop_app.cop_app import app as cop_app
from cop_app.security_headers import SecurityHeaders

CONTEXT = b'window.__reactRouterContext = {"basename": "/"};'
BOOT = b'import "/assets/entry.js";'
PAGE = (
    b'<!DOCTYPE html><html><head><script src="/assets/app.js"></script>'
    b"<script>" + CONTEXT + b"</script></head><body>"
    b'<script type="module">' + BOOT + b"</script></body></html>"
)


def _sha(body: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"


def _page(request: Request) -> Response:
    seen = [request.headers.get(h, "") for h in ("accept-encoding", "if-none-match")]
    return HTMLResponse(PAGE, headers={"x-saw": "|".join(seen)})


def _gzipped_page(_: Request) -> Response:
    return Response(
        gzip.compress(PAGE), media_type="text/html", headers={"content-encoding": "gzip"}
    )


def _json(_: Request) -> Response:
    return JSONResponse({"ok": True}, headers={"server": "uvicorn", "x-frame-options": "ALLOW"})


def _streamed(_: Request) -> Response:
    return PlainTextResponse("pong")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr(
        security_headers, "get_config", lambda: type("C", (), {"api_url": "http://0.0.0.0:8000"})
    )
    inner = Starlette(
        routes=[
            Route("/", _page),
            Route("/gz", _gzipped_page),
            Route("/data", _json),
            Route("/ping", _streamed),
        ]
    )
    return TestClient(SecurityHeaders(inner))


def _csp(response: Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


@pytest.mark.parametrize("path", ["/", "/gz", "/data", "/ping", "/missing"])
def test_every_response_gets_every_header(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers.get_list("server") == ["practica"]
    assert response.headers.get_list("x-frame-options") == ["DENY"]
    csp = _csp(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["connect-src"] == ["'self'", "http://0.0.0.0:8000", "ws://0.0.0.0:8000"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]


def test_a_page_allows_exactly_its_own_inline_scripts(client: TestClient) -> None:
    response = client.get(
        "/", headers={"accept": "text/html", "accept-encoding": "gzip, br", "if-none-match": "x"}
    )
    assert response.content == PAGE
    assert _csp(response)["script-src"] == ["'self'", "'unsafe-eval'", _sha(CONTEXT), _sha(BOOT)]
    # The page was asked for whole and uncompressed, so it could be hashed as sent.
    assert response.headers["x-saw"] == "|"
    assert client.get("/data").headers["content-security-policy"].count("sha256") == 0


def test_a_gzipped_page_is_hashed_from_its_text(client: TestClient) -> None:
    response = client.get("/gz", headers={"accept": "text/html"})
    assert response.content == PAGE  # the client undoes the gzip; the body was passed intact
    assert _csp(response)["script-src"][2:] == [_sha(CONTEXT), _sha(BOOT)]


def test_a_server_apart_from_the_backend_names_it_in_connect_src() -> None:
    inner = Starlette(routes=[Route("/ping", _streamed)])
    response = TestClient(SecurityHeaders(inner, "http://127.0.0.1:41234")).get("/ping")
    assert _csp(response)["connect-src"] == [
        "'self'",
        "http://127.0.0.1:41234",
        "ws://127.0.0.1:41234",
    ]


def test_the_app_wraps_its_backend_with_the_headers() -> None:
    # Reflex applies transformers in order: the last wraps everything, file downloads too.
    transformers = cop_app.api_transformer
    assert isinstance(transformers, list) and transformers[-1] is SecurityHeaders


def test_backend_origins_follow_a_secure_api_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        security_headers,
        "get_config",
        lambda: type("C", (), {"api_url": "https://practica.example.org"}),
    )
    assert security_headers.backend_origins() == (
        "https://practica.example.org",
        "wss://practica.example.org",
    )


def test_a_page_sent_by_path_is_hashed_and_sent_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Granian offers `http.response.pathsend`: Starlette's FileResponse then sends the page by
    path, which the middleware must read to hash (the production build served 500s before)."""
    monkeypatch.setattr(
        security_headers, "get_config", lambda: type("C", (), {"api_url": "http://0.0.0.0:8000"})
    )
    page = tmp_path / "index.html"
    page.write_bytes(PAGE)

    async def granian_like() -> list[dict]:
        inner = Starlette(routes=[Route("/", lambda _: FileResponse(page))])
        sent: list[dict] = []
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "raw_path": b"/",
            "query_string": b"",
            "headers": [(b"accept", b"text/html")],
            "extensions": {"http.response.pathsend": {}},
        }

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await SecurityHeaders(inner)(scope, receive, send)
        return sent

    start, body = asyncio.run(granian_like())
    assert start["type"] == "http.response.start" and start["status"] == 200
    policy = dict(start["headers"])[b"content-security-policy"].decode()
    assert _sha(CONTEXT) in policy and _sha(BOOT) in policy
    assert body == {"type": "http.response.body", "body": PAGE}
