"""Reflex configuration: embedded SQLite by default; PostgreSQL and Redis through env.

REFLEX_DB_URL and REFLEX_REDIS_URL (read by Reflex itself) switch to scale-out mode;
COP_DATA_DIR moves the SQLite file; COP_ALLOWED_ORIGINS lists the browser origins;
COP_TRUSTED_PROXY_HOPS says how many reverse proxies stand in front of the backend.
"""

import os
from pathlib import Path

import reflex as rx

ROOT = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("COP_DATA_DIR", ROOT / "data"))
DATA_DIR.mkdir(parents=True, exist_ok=True)
ORIGINS = os.environ.get(
    "COP_ALLOWED_ORIGINS", "http://localhost:3000,http://127.0.0.1:3000"
).split(",")


def trusted_proxy_hops(value: str | None) -> int:
    """How many reverse proxies append to X-Forwarded-For in front of the backend.

    0 (the default): the socket peer is the client and the header, which anyone can send, is
    ignored. N: Reflex takes the N-th address from the right of X-Forwarded-For, the one the
    outermost trusted proxy saw (a shorter header falls back to the peer)."""
    text = (value or "0").strip()
    if not text.isdigit():
        msg = f"COP_TRUSTED_PROXY_HOPS must be a whole number of proxies (0 or more), not {text!r}."
        raise ValueError(msg)
    return int(text)


config = rx.Config(
    app_name="cop_app",
    db_url=f"sqlite:///{DATA_DIR / 'cop.db'}",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    cors_allowed_origins=[o.strip() for o in ORIGINS if o.strip()],
    trusted_proxy_hops=trusted_proxy_hops(os.environ.get("COP_TRUSTED_PROXY_HOPS")),
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
