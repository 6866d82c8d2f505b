"""The full search results page (filters, paging, "nothing found" with suggestions) and the
expert finder."""

from typing import Any

import reflex as rx

from cop_app import routes
from cop_app.components.layout import MEMBER_ON_LOAD, member_page
from cop_app.components.search import expert_tags, highlighted
from cop_app.components.ui import empty_state, loading_block, page_header
from cop_app.services.search import KIND_LABELS
from cop_app.states.search import ExpertState, SearchPageState

KIND_NAMES = {
    "thread": "Thread",
    "reply": "Reply",
    "resource": "Library",
    "community": "Community",
    "person": "Person",
}


def _hit(hit: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(
                    rx.match(hit.kind, *KIND_NAMES.items(), hit.kind), variant="soft", size="1"
                ),
                rx.link(highlighted(hit.title, weight="medium", as_="span"), href=hit.url),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                hit.snippet.length() > 0,
                highlighted(hit.snippet, size="2", color_scheme="gray"),
            ),
            rx.cond(hit.meta != "", rx.text(hit.meta, size="1", color_scheme="gray")),
            spacing="1",
            width="100%",
        ),
        width="100%",
        role="article",
    )


def _select(name: str, label: str, options: list[tuple[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="1", weight="medium"), html_for=f"filter-{name}"),
        rx.el.select(
            *[rx.el.option(text, value=value) for value, text in options],
            id=f"filter-{name}",
            name=name,
            default_value=SearchPageState.filters.get(name, ""),
            key=SearchPageState.filters.get(name, "") + name,
            style={"padding": "0.3em", "border_radius": "var(--radius-2)"},
        ),
        spacing="1",
    )


def _text_filter(name: str, label: str, kind: str = "text") -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="1", weight="medium"), html_for=f"filter-{name}"),
        rx.input(
            id=f"filter-{name}",
            name=name,
            type=kind,
            default_value=SearchPageState.filters.get(name, ""),
            key=SearchPageState.filters.get(name, "") + name,
            size="1",
            max_length=60,
        ),
        spacing="1",
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.vstack(
                rx.el.label(rx.text("Search for", size="1", weight="medium"), html_for="page-q"),
                rx.input(
                    id="page-q",
                    name="q",
                    default_value=SearchPageState.q,
                    key=SearchPageState.q,
                    max_length=400,
                    width="100%",
                ),
                spacing="1",
                flex="1",
                min_width="12rem",
            ),
            _select("kind", "Kind", [("", "Everything"), *KIND_LABELS.items()]),
            _select(
                "answered",
                "Questions",
                [("", "All"), ("answered", "Answered"), ("unanswered", "Unanswered")],
            ),
            _text_filter("community", "Community (slug)"),
            _text_filter("tag", "Tag"),
            _text_filter("author", "Author (handle)"),
            _text_filter("since", "From", "date"),
            _text_filter("until", "To", "date"),
            rx.button("Search", type="submit"),
            spacing="3",
            wrap="wrap",
            align="end",
            width="100%",
        ),
        on_submit=SearchPageState.apply,
        reset_on_submit=False,
        width="100%",
        role="search",
    )


def _suggestion(s: Any) -> rx.Component:
    return rx.cond(
        s.drop != "",
        rx.button(s.label, variant="soft", on_click=SearchPageState.drop_filter(s.drop)),
        rx.button(s.label, variant="soft", on_click=SearchPageState.try_query(s.query)),
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            "Previous page",
            variant="soft",
            disabled=SearchPageState.page <= 1,
            on_click=SearchPageState.go(SearchPageState.page - 1),
        ),
        rx.text(
            "Page ",
            SearchPageState.page.to_string(),
            " of ",
            SearchPageState.pages.to_string(),
            size="2",
        ),
        rx.button(
            "Next page",
            variant="soft",
            disabled=SearchPageState.page >= SearchPageState.pages,
            on_click=SearchPageState.go(SearchPageState.page + 1),
        ),
        spacing="3",
        align="center",
        justify="center",
        width="100%",
    )


def search_page() -> rx.Component:
    """Every result the member may see, ranked, filtered and paged."""
    return rx.vstack(
        page_header("Search", "Threads, replies, the library, communities and people."),
        _filters(),
        rx.cond(
            SearchPageState.note != "",
            rx.callout(SearchPageState.note, icon="info", width="100%", role="status"),
        ),
        rx.cond(
            ~SearchPageState.loaded,
            loading_block(),
            rx.cond(
                SearchPageState.hits.length() > 0,
                rx.vstack(
                    rx.text(
                        rx.cond(SearchPageState.capped, "The best ", ""),
                        SearchPageState.total.to_string(),
                        rx.cond(SearchPageState.total == 1, " result", " results"),
                        rx.cond(SearchPageState.capped, " (narrow the search to see others)", ""),
                        size="2",
                        color_scheme="gray",
                        role="status",
                    ),
                    rx.foreach(SearchPageState.hits, _hit),
                    rx.cond(SearchPageState.pages > 1, _pager()),
                    spacing="3",
                    width="100%",
                ),
                empty_state(
                    "search-x",
                    "Nothing found",
                    rx.cond(
                        SearchPageState.suggestions.length() > 0,
                        "Try one of these:",
                        "Try other words, fewer words, or the start of a word followed by *.",
                    ),
                    rx.flex(
                        rx.foreach(SearchPageState.suggestions, _suggestion),
                        spacing="2",
                        wrap="wrap",
                        justify="center",
                    ),
                ),
            ),
        ),
        spacing="4",
        width="100%",
    )


def _expert(person: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.avatar(fallback=person.name[0], size="3", radius="full"),
                rx.link(rx.heading(person.name, size="4", as_="h2"), href=person.url),
                spacing="3",
                align="center",
            ),
            rx.el.ul(
                rx.foreach(person.evidence, lambda line: rx.el.li(rx.text(line, size="2"))),
                padding_left="1.25em",
                aria_label="Evidence",
            ),
            rx.cond(person.expertise.length() > 0, expert_tags(person.expertise)),
            spacing="2",
            width="100%",
        ),
        width="100%",
        role="article",
    )


def experts_page() -> rx.Component:
    """Who knows X: members ranked by what they did on the topic, with the evidence."""
    return rx.vstack(
        page_header(
            "Who knows…",
            "Members ranked by accepted answers, helpful replies, library work, mentoring "
            "and the expertise they list.",
        ),
        rx.form(
            rx.hstack(
                rx.el.label(rx.text("Topic", size="2", weight="medium"), html_for="expert-topic"),
                rx.input(
                    id="expert-topic",
                    name="topic",
                    default_value=ExpertState.topic,
                    key=ExpertState.topic,
                    placeholder="e.g. postgresql",
                    max_length=100,
                    flex="1",
                ),
                rx.button("Find experts", type="submit"),
                spacing="2",
                align="center",
                width="100%",
            ),
            on_submit=ExpertState.ask,
            reset_on_submit=False,
            width="100%",
        ),
        rx.cond(
            ~ExpertState.loaded,
            loading_block(),
            rx.cond(
                ExpertState.people.length() > 0,
                rx.vstack(
                    rx.heading("People who know " + ExpertState.label, size="4", as_="h2"),
                    rx.foreach(ExpertState.people, _expert),
                    spacing="3",
                    width="100%",
                ),
                empty_state(
                    "user-search",
                    rx.cond(ExpertState.label != "", "Nobody yet", "Ask about a topic"),
                    rx.cond(
                        ExpertState.label != "",
                        "No one has answered, written or mentored on this yet. Ask in a "
                        "community: the first good answer puts its author here.",
                        "Type a topic or a tag, e.g. a technique, a tool or a practice.",
                    ),
                ),
            ),
        ),
        spacing="4",
        width="100%",
    )


def register(app: rx.App) -> None:
    """Add this module's routes."""
    app.add_page(
        member_page(search_page),
        route=routes.SEARCH,
        title="Search",
        on_load=[*MEMBER_ON_LOAD, SearchPageState.load],
    )
    app.add_page(
        member_page(experts_page),
        route=routes.EXPERTS,
        title="Who knows",
        on_load=[*MEMBER_ON_LOAD, ExpertState.load],
    )
