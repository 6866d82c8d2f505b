"""The impact dashboard page: a view and period picker, then one card per measure with its
definition, figures against the previous period, a chart, a table and a CSV export."""

import reflex as rx

from cop_app import routes
from cop_app.components.layout import MEMBER_ON_LOAD, member_page
from cop_app.components.ui import empty_state, muted, page_header
from cop_app.live import ImpactRoom
from cop_app.states.impact import ImpactState


def _figure(f: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(f.label, size="1", color_scheme="gray"),
            rx.text(f.value, size="6", weight="bold", aria_label=f.label),
            rx.text("Before: ", f.previous, " (", f.change, ")", size="1", color_scheme="gray"),
            spacing="1",
        ),
        min_width="10em",
        flex="1",
    )


def _chart(section: rx.Var) -> rx.Component:
    return rx.box(
        rx.recharts.responsive_container(
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
                rx.recharts.x_axis(data_key="label"),
                rx.recharts.y_axis(allow_decimals=False),
                rx.recharts.graphing_tooltip(),
                rx.recharts.bar(data_key="a", name=section.series_a, fill=rx.color("teal", 9)),
                rx.recharts.bar(data_key="b", name=section.series_b, fill=rx.color("amber", 9)),
                data=section.chart,
            ),
            width="100%",
            height=200,
        ),
        width="100%",
        aria_label=section.title + " chart",
        role="img",
    )


def _table(section: rx.Var) -> rx.Component:
    return rx.cond(
        section.rows.length() > 0,
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.foreach(section.columns, lambda c: rx.table.column_header_cell(c))
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        section.rows,
                        lambda row: rx.table.row(rx.foreach(row, lambda cell: rx.table.cell(cell))),
                    )
                ),
                size="1",
                width="100%",
                aria_label=section.title + " table",
            ),
            overflow_x="auto",
            width="100%",
        ),
        muted("Nothing in this period."),
    )


def _links(section: rx.Var) -> rx.Component:
    return rx.cond(
        section.links.length() > 0,
        rx.vstack(
            rx.text("Oldest unanswered first", size="2", weight="bold"),
            rx.foreach(
                section.links,
                lambda link: rx.hstack(
                    rx.link(link["title"], href=link["url"]),
                    rx.text(link["detail"], size="1", color_scheme="gray"),
                    spacing="2",
                    wrap="wrap",
                ),
            ),
            spacing="1",
            width="100%",
        ),
    )


def _section(section: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.heading(section.title, size="4", as_="h2"),
                    muted(section.definition),
                    spacing="1",
                    flex="1",
                ),
                rx.button(
                    rx.icon("download", size=14),
                    "CSV",
                    size="1",
                    variant="soft",
                    aria_label="Download " + section.title + " CSV",
                    on_click=ImpactState.download(section.key),
                ),
                width="100%",
                spacing="3",
                align="start",
            ),
            rx.flex(rx.foreach(section.figures, _figure), spacing="2", wrap="wrap", width="100%"),
            _chart(section),
            _links(section),
            _table(section),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="impact-" + section.key,
    )


def _controls() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.text("Show", as_="label", size="2", html_for="impact-view"),
                rx.select.root(
                    rx.select.trigger(id="impact-view", aria_label="Show"),
                    rx.select.content(
                        rx.foreach(
                            ImpactState.options,
                            lambda o: rx.select.item(o["name"], value=o["id"]),
                        )
                    ),
                    value=ImpactState.view,
                    on_change=ImpactState.set_view,
                ),
                spacing="1",
            ),
            rx.vstack(
                rx.text("Period", as_="label", size="2", html_for="impact-period"),
                rx.select.root(
                    rx.select.trigger(id="impact-period", aria_label="Period"),
                    rx.select.content(
                        rx.select.item("Last 7 days", value="7"),
                        rx.select.item("Last 30 days", value="30"),
                        rx.select.item("Last 90 days", value="90"),
                        rx.select.item("Custom range", value="custom"),
                    ),
                    value=ImpactState.preset,
                    on_change=ImpactState.set_preset,
                ),
                spacing="1",
            ),
            rx.cond(
                ImpactState.preset == "custom",
                rx.flex(
                    rx.vstack(
                        rx.text("From", as_="label", size="2", html_for="impact-first"),
                        rx.input(
                            id="impact-first",
                            type="date",
                            value=ImpactState.first,
                            on_change=ImpactState.set_first,
                        ),
                        spacing="1",
                    ),
                    rx.vstack(
                        rx.text("To", as_="label", size="2", html_for="impact-last"),
                        rx.input(
                            id="impact-last",
                            type="date",
                            value=ImpactState.last,
                            on_change=ImpactState.set_last,
                        ),
                        spacing="1",
                    ),
                    rx.button("Apply range", on_click=ImpactState.apply_range),
                    spacing="2",
                    align="end",
                    wrap="wrap",
                ),
            ),
            spacing="3",
            wrap="wrap",
            align="end",
        ),
        rx.cond(
            ImpactState.range_error != "",
            rx.text(ImpactState.range_error, color_scheme="red", size="2", role="alert"),
        ),
        rx.text(
            ImpactRoom.period,
            " · updated live, last computed ",
            ImpactRoom.computed_at,
            size="1",
            color_scheme="gray",
        ),
        spacing="2",
        width="100%",
    )


@member_page
def impact_page() -> rx.Component:
    """Whether each community is working: exact, live, exportable."""
    return rx.cond(
        ImpactState.allowed,
        rx.vstack(
            page_header(
                "Impact",
                "Are questions answered, is knowledge reused, are people moving from "
                "interested to practising? Each figure is compared with the period before.",
            ),
            _controls(),
            rx.cond(
                ImpactRoom.sections.length() > 0,
                rx.vstack(rx.foreach(ImpactRoom.sections, _section), spacing="4", width="100%"),
                empty_state("chart-no-axes-column", "Nothing to show yet", "Pick a view."),
            ),
            spacing="4",
            width="100%",
        ),
        empty_state("lock", "Not available", ImpactState.error),
    )


def register(app: rx.App) -> None:
    """Add this module's routes."""
    app.add_page(
        impact_page,
        route=routes.ADMIN_IMPACT,
        title="Impact",
        on_load=[*MEMBER_ON_LOAD, ImpactState.load],
    )
