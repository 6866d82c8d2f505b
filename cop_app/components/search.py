"""The top bar's search box (an ARIA combobox with a listbox of live results grouped by
kind), highlighted text, result cards, and tags that link to the expert finder."""

from typing import Any

import reflex as rx

from cop_app import routes
from cop_app.components import styles
from cop_app.states.search import SearchBoxState

LISTBOX_ID = "site-search-results"
INPUT_ID = "site-search"


def highlighted(segments: Any, **props: Any) -> rx.Component:
    """Text with the matched words marked: plain text pieces, never markup."""
    return rx.text(
        rx.foreach(
            segments,
            lambda s: rx.cond(
                s.mark,
                rx.el.mark(
                    s.text,
                    background=rx.color(styles.ACCENT, 4),
                    color=rx.color("gray", 12),
                    border_radius="2px",
                ),
                rx.text.span(s.text),
            ),
        ),
        **props,
    )


def _option(opt: Any) -> rx.Component:
    selected = SearchBoxState.active == opt.index
    return rx.fragment(
        rx.cond(
            opt.heading != "",
            rx.text(
                opt.heading,
                size="1",
                weight="bold",
                color_scheme="gray",
                padding="0.5em 0.75em 0.15em",
                role="presentation",
            ),
        ),
        rx.link(
            highlighted(opt.title, size="2", trim="both"),
            rx.cond(opt.meta != "", rx.text(opt.meta, size="1", color_scheme="gray")),
            href=opt.url,
            id="site-search-opt-" + opt.index.to_string(),
            role="option",
            aria_selected=selected,
            underline="none",
            color=rx.color("gray", 12),
            display="block",
            padding="0.35em 0.75em",
            background=rx.cond(selected, rx.color(styles.ACCENT, 4), "transparent"),
            _hover={"background": rx.color("gray", 3)},
            on_click=SearchBoxState.close,
        ),
    )


def search_box() -> rx.Component:
    """Search everything: live results as you type, Enter for the full results page."""
    results = rx.box(
        rx.cond(
            SearchBoxState.options.length() > 0,
            rx.fragment(
                rx.foreach(SearchBoxState.options, _option),
                rx.link(
                    "See all results",
                    href=routes.search_url(SearchBoxState.q),
                    size="2",
                    display="block",
                    padding="0.5em 0.75em",
                    on_click=SearchBoxState.close,
                ),
            ),
            rx.text(
                rx.cond(SearchBoxState.note != "", SearchBoxState.note, "Nothing found yet."),
                size="2",
                color_scheme="gray",
                padding="0.5em 0.75em",
                role="presentation",
            ),
        ),
        id=LISTBOX_ID,
        role="listbox",
        aria_label="Search results",
        display=rx.cond(SearchBoxState.open & SearchBoxState.searched, "block", "none"),
        position="absolute",
        top="calc(100% + 4px)",
        left="0",
        width=["calc(100vw - 2em)", "28rem"],
        max_height="70vh",
        overflow_y="auto",
        background=rx.color("gray", 1),
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="var(--radius-3)",
        box_shadow="var(--shadow-4)",
        z_index="40",
        # A press inside the list keeps the focus in the box, so blur means "elsewhere".
        on_mouse_down=rx.prevent_default,
    )
    return rx.form(
        rx.el.label("Search", html_for=INPUT_ID, **_SR_ONLY),
        rx.debounce_input(
            rx.input(
                id=INPUT_ID,
                name="q",
                value=SearchBoxState.q,
                on_change=SearchBoxState.type_query,
                on_key_down=SearchBoxState.key,
                on_blur=SearchBoxState.close,
                placeholder="Search  ( / )",
                type="search",
                auto_complete="off",
                role="combobox",
                aria_autocomplete="list",
                aria_controls=LISTBOX_ID,
                aria_expanded=SearchBoxState.open & SearchBoxState.searched,
                aria_activedescendant=rx.cond(
                    SearchBoxState.active >= 0,
                    "site-search-opt-" + SearchBoxState.active.to_string(),
                    "",
                ),
                max_length=400,
                width="100%",
            ),
            debounce_timeout=200,
        ),
        results,
        on_submit=SearchBoxState.submit,
        reset_on_submit=False,
        position="relative",
        width=["100%", "18rem", "24rem"],
        role="search",
    )


_SR_ONLY: dict[str, Any] = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "overflow": "hidden",
    "clip": "rect(0 0 0 0)",
    "white_space": "nowrap",
}


def expert_tags(tags: Any) -> rx.Component:
    """Expertise tags as links to the expert finder ("who knows this")."""
    return rx.flex(
        rx.foreach(
            tags,
            lambda t: rx.link(
                rx.badge(t, variant="soft", radius="full"),
                href=routes.experts_url(t),
                underline="none",
                title="Who knows " + t,
            ),
        ),
        spacing="1",
        wrap="wrap",
    )
