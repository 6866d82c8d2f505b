"""Config of the bare baseline app: Reflex defaults, no plugins, no database.

Kept at defaults (disk state manager, websocket transport) so its memory per
client is that of Reflex itself, the yardstick for cop_app's figures.
"""

import reflex as rx

config = rx.Config(
    app_name="bare_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[],
    disable_plugins=["reflex_base.plugins.sitemap.SitemapPlugin"],
)
