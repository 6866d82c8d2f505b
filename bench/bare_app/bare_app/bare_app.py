"""A minimal Reflex app: one state, a counter and a no-op handler.

It is the baseline for bench/bare_baseline.py: whatever memory and latency a
client costs here is the cost of Reflex itself, to compare cop_app against.
"""

import reflex as rx


class State(rx.State):
    """The only state: a counter, so an event has a delta to answer with."""

    counter: int = 0

    @rx.event
    def increment(self) -> None:
        """Bump the counter; its one-int delta marks the event as processed."""
        self.counter += 1

    @rx.event
    def noop(self) -> None:
        """Do nothing: the backend sends no delta, so clients need a barrier."""


def index() -> rx.Component:
    """Render the counter and its buttons, as a real page would."""
    return rx.vstack(
        rx.heading(State.counter),
        rx.button("+1", on_click=State.increment),
        rx.button("noop", on_click=State.noop),
    )


app = rx.App()
app.add_page(index, route="/")
