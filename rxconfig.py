"""Reflex configuration: embedded SQLite by default; PostgreSQL and Redis through env.

REFLEX_DB_URL and REFLEX_REDIS_URL (read by Reflex itself) switch to scale-out mode;
COP_DATA_DIR moves the SQLite file; COP_ALLOWED_ORIGINS lists the browser origins.
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

config = rx.Config(
    app_name="cop_app",
    db_url=f"sqlite:///{DATA_DIR / 'cop.db'}",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    cors_allowed_origins=[o.strip() for o in ORIGINS if o.strip()],
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
