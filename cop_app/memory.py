"""The garbage collector once the app has loaded: what importing built stays out of its way."""

import gc


def settle() -> None:
    """Collect, then freeze what is alive: modules, pages, Reflex's and SQLAlchemy's own objects
    live as long as the process, and without this every full collection walks them all again
    (a tenth of a second per impact dashboard re-computation, at random: its p95)."""
    gc.collect()
    gc.freeze()
