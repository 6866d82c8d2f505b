"""Builds the app and registers pages; nothing else."""

import reflex as rx

import cop_app.db
import cop_app.models  # noqa: F401 - Alembic reads every table from SQLModel.metadata
from cop_app import (
    event_guard,
    files,
    live,
    memory,
    reflex_patches,
    security_headers,
    worker_liveness,
)
from cop_app.pages import (
    admin,
    communities,
    discussions,
    impact,
    library,
    mentorship,
    moderation,
    people,
    public,
    recovery,
    search,
)
from cop_app.services import wiring

app = rx.App(
    stylesheets=["/content.css", "/contrast.css"],
    head_components=[
        rx.el.script(src="/thread_end.js", defer=True),
        rx.el.script(src="/search_keys.js", defer=True),
        rx.el.script(src="/post_anchor.js", defer=True),
    ],
    toaster=rx.toast.provider(position="bottom-right", close_button=True),
    backend_exception_handler=event_guard.backend_exception_handler,
    api_transformer=[files.app, security_headers.SecurityHeaders],
)
for module in (
    public,
    communities,
    discussions,
    library,
    mentorship,
    people,
    admin,
    impact,
    moderation,
    recovery,
    search,
):
    module.register(app)
reflex_patches.apply()
worker_liveness.apply()
wiring.wire()
live.start()
memory.settle()  # last: everything above lives as long as the process
