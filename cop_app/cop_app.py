"""Builds the app and registers pages; nothing else."""

import reflex as rx

import cop_app.db
import cop_app.models  # noqa: F401 - Alembic reads every table from SQLModel.metadata
from cop_app import live, reflex_patches
from cop_app.pages import (
    admin,
    communities,
    discussions,
    mentorship,
    moderation,
    people,
    public,
)
from cop_app.services import wiring

app = rx.App(
    stylesheets=["/content.css"],
    head_components=[rx.el.script(src="/thread_end.js", defer=True)],
    toaster=rx.toast.provider(position="bottom-right", close_button=True),
)
for module in (public, communities, discussions, mentorship, people, admin, moderation):
    module.register(app)
reflex_patches.apply()
wiring.wire()
live.start()
