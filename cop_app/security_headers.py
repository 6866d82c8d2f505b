"""Security headers on every HTTP response of the backend, the static frontend included.

Installed as the app's `api_transformer`, so it wraps Reflex's whole ASGI app: the event
socket's HTTP handshake, /ping, uploads, and the compiled frontend when the backend serves it
(`reflex run --env prod --single-port`); tests/e2e/serve_app.py wraps its static frontend
server with it too. The Content-Security-Policy is as strict as the app allows:

- script-src: 'self' plus the SHA-256 of each inline script of the page being served (React
  Router's hydration context and module bootstrap), computed from the HTML itself, so no
  'unsafe-inline'. 'unsafe-eval' is needed: Reflex's state.js runs every `_call_function`
  event the server sends (each `rx.toast`, for one) through `eval`.
- style-src: 'unsafe-inline' is needed: Emotion inserts <style> elements at run time and
  Radix sets style attributes, neither of which a hash or nonce can cover.
- connect-src: 'self' plus the backend's http(s) and ws(s) origin from `api_url` (in dev and
  in the e2e harness the backend listens on another port than the page).
"""

import gzip
import hashlib
import re
from base64 import b64encode
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from reflex_base.config import get_config
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Reflex's generated pages carry no other inline scripts than these; anything else is refused.
_INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\ssrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)
# The server software is nobody's business; Granian and uvicorn add their own name otherwise.
SERVER_NAME = b"practica"

STATIC_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"server", SERVER_NAME),
)
_CONDITIONAL = {b"accept-encoding", b"if-none-match", b"if-modified-since"}
_REPLACED = {b"content-security-policy"} | {name for name, _ in STATIC_HEADERS}


def backend_origins(api_url: str | None = None) -> tuple[str, ...]:
    """The backend's own http(s) and ws(s) origins, from `api_url` or else the configured one
    (read on each response: a harness sets it only once its backend listens)."""
    parts = urlsplit(api_url or get_config().api_url)
    if not parts.netloc:
        return ()
    secure = parts.scheme == "https"
    return (
        f"{'https' if secure else 'http'}://{parts.netloc}",
        f"{'wss' if secure else 'ws'}://{parts.netloc}",
    )


def script_hashes(html: bytes) -> list[str]:
    """CSP source expressions for every inline script of a page, in order, without repeats."""
    seen: list[str] = []
    for body in _INLINE_SCRIPT.findall(html):
        digest = b64encode(hashlib.sha256(body).digest()).decode("ascii")
        source = f"'sha256-{digest}'"
        if body.strip() and source not in seen:
            seen.append(source)
    return seen


def content_security_policy(hashes: Iterable[str] = (), api_url: str | None = None) -> str:
    """The policy for one response; `hashes` allow the inline scripts of that page."""
    connect = " ".join(("'self'", *backend_origins(api_url)))
    scripts = " ".join(("'self'", "'unsafe-eval'", *hashes))
    directives = (
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        f"connect-src {connect}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
    return "; ".join(directives)


def _with_headers(headers: Iterable[tuple[bytes, bytes]], csp: str) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() not in _REPLACED]
    return [*kept, *STATIC_HEADERS, (b"content-security-policy", csp.encode("latin-1"))]


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((v for k, v in headers if k.lower() == name), b"")


class SecurityHeaders:
    """ASGI middleware adding the headers above; HTML pages are buffered to hash their scripts."""

    def __init__(self, app: ASGIApp, api_url: str | None = None) -> None:
        """`api_url`: the backend, when this server is not the backend and cannot read it
        from the config (the e2e harness serves its frontend from another thread)."""
        self.app = app
        self.api_url = api_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; rewrite the response's headers on the way out."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"text/html" in _header(scope["headers"], b"accept"):
            # A page is hashed as sent: ask for it whole and uncompressed (a few KiB). A 304
            # would carry a policy without the hashes, and browsers apply a 304's headers.
            scope = dict(scope)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k not in _CONDITIONAL]
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.pathsend" and start is not None:
                # Granian lets Starlette send a file by path; a page is hashed from its bytes.
                message = {"type": "http.response.body", "body": Path(message["path"]).read_bytes()}
            if message["type"] == "http.response.start":
                if b"text/html" in _header(message.get("headers", []), b"content-type"):
                    start = message
                    return
                message["headers"] = _with_headers(
                    message.get("headers", []), content_security_policy(api_url=self.api_url)
                )
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                headers = start.get("headers", [])
                encoding = _header(headers, b"content-encoding")
                html = gzip.decompress(body) if encoding == b"gzip" else b"" if encoding else body
                csp = content_security_policy(script_hashes(html), self.api_url)
                await send({**start, "headers": _with_headers(headers, csp)})
                start = None
                message = {"type": "http.response.body", "body": body}
            await send(message)

        await self.app(scope, receive, send_with_headers)
