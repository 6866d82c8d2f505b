"""Admin and steward pages: the live activity feed, the moderation queue, the audit log."""

import reflex as rx

from cop_app import routes
from cop_app.components.layout import add_member_page, member_page
from cop_app.components.moderation import suspend_dialog
from cop_app.components.threads import when
from cop_app.components.ui import confirm_button, count_of, empty_state, muted, page_header
from cop_app.live import ActivityRoom
from cop_app.services.feed import GROUPS
from cop_app.states.auth import AuthState
from cop_app.states.moderation import AuditState, FeedState, ModerationState, SuspendState


def _matches(event: rx.Var) -> rx.Var:
    """The feed's filters, applied in the browser to live and frozen events alike."""
    return (
        ((FeedState.group == "") | (event.group == FeedState.group))
        & ((FeedState.community == "") | (event.community_id.to_string() == FeedState.community))
        & ((FeedState.person == "") | (event.actor_id.to_string() == FeedState.person))
    )


def _event_row(event: rx.Var) -> rx.Component:
    # Keyed by event id: new events are prepended, and with index keys React would redraw
    # every row of the window on each live update instead of adding the new ones.

    return rx.hstack(
        rx.badge(event.group, variant="soft", min_width="7em", justify_content="center"),
        rx.vstack(
            rx.cond(
                event.link != "",
                rx.link(event.summary, href=event.link, size="2"),
                rx.text(event.summary, size="2"),
            ),
            rx.hstack(
                rx.text(event.actor_name, size="1", color_scheme="gray"),
                rx.cond(
                    event.community_name != "",
                    rx.text("in " + event.community_name, size="1", color_scheme="gray"),
                ),
                when(event.created_at),
                spacing="2",
                wrap="wrap",
            ),
            spacing="0",
            min_width="0",
        ),
        padding_y="0.4em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        align="start",
        key=event.id,
    )


def _select(
    label: str, value: rx.Var, on_change: rx.EventHandler, items: rx.Var, all_label: str
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=label, placeholder=all_label),
        rx.select.content(
            rx.select.item(all_label, value="all"),
            rx.foreach(items, lambda o: rx.select.item(o["name"], value=o["id"])),
        ),
        value=rx.cond(value == "", "all", value),
        on_change=on_change,
    )


def _stat(label: str, value: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="1", color_scheme="gray"),
            rx.heading(value.to_string(), size="6"),
            spacing="0",
        ),
        flex="1",
        min_width="9em",
        aria_label=label,
    )


@member_page
def activity_feed() -> rx.Component:
    """Everything happening, live: filters, pause, history, and the numbers beside it."""
    window = ActivityRoom.head + ActivityRoom.events  # joined in the browser
    live = window.filter(_matches)
    frozen = FeedState.frozen.filter(_matches)
    waiting = window.filter(lambda e: (e.id > FeedState.paused_at) & _matches(e)).length()
    groups = rx.Var.create([{"id": g, "name": g.capitalize()} for g in GROUPS])
    return rx.cond(
        FeedState.allowed,
        rx.vstack(
            page_header("Activity", "Everything happening, as it happens."),
            rx.flex(
                _stat("Events in the last hour", ActivityRoom.events_last_hour),
                _stat("Active members now", ActivityRoom.active_now),
                _stat("Open flags", ActivityRoom.open_flags),
                spacing="2",
                wrap="wrap",
                width="100%",
            ),
            rx.flex(
                _select(
                    "Filter by kind", FeedState.group, FeedState.set_group, groups, "All kinds"
                ),
                _select(
                    "Filter by community",
                    FeedState.community,
                    FeedState.set_community,
                    FeedState.communities,
                    "All communities",
                ),
                _select(
                    "Filter by person",
                    FeedState.person,
                    FeedState.set_person,
                    FeedState.people,
                    "Everyone",
                ),
                rx.spacer(),
                rx.cond(
                    FeedState.paused,
                    rx.button(rx.icon("play", size=14), "Resume", on_click=FeedState.resume),
                    rx.button(
                        rx.icon("pause", size=14), "Pause", variant="soft", on_click=FeedState.pause
                    ),
                ),
                spacing="2",
                wrap="wrap",
                width="100%",
                align="center",
            ),
            rx.cond(
                FeedState.paused,
                rx.callout(
                    count_of(waiting, "new event", "new events"),
                    icon="pause",
                    width="100%",
                    aria_label="New events while paused",
                ),
            ),
            rx.vstack(
                rx.foreach(rx.cond(FeedState.paused, frozen, live), _event_row),
                rx.foreach(FeedState.older.filter(_matches), _event_row),
                spacing="0",
                width="100%",
                aria_label="Activity events",
            ),
            rx.cond(
                FeedState.no_more,
                muted("That is the beginning of the history."),
                rx.button("Load older events", variant="soft", on_click=FeedState.load_older),
            ),
            spacing="4",
            width="100%",
        ),
        rx.cond(
            FeedState.error != "", empty_state("lock", "Admins and stewards only", FeedState.error)
        ),
    )


def _decision(
    label: str, verb: str, item: rx.Var, color: str = "gray", variant: str = "soft"
) -> rx.Component:
    """One decision button, named with its target for screen readers."""
    return rx.button(
        label,
        size="1",
        variant=variant,
        color_scheme=color,
        aria_label=label + ": " + item.title + " by " + item.author_name,
        on_click=ModerationState.review(verb, item.target_type, item.target_id),
    )


def _queue_item(item: rx.Var) -> rx.Component:
    """One flagged item: an article with a heading, its context and every decision."""
    target = item.title + " by " + item.author_name
    return rx.el.li(
        rx.card(
            rx.el.article(
                rx.vstack(
                    rx.hstack(
                        rx.heading(
                            rx.link(item.title, href=item.link), as_="h2", size="3", weight="medium"
                        ),
                        rx.cond(
                            item.hidden,
                            rx.badge("Hidden", color_scheme="red"),
                        ),
                        rx.badge(count_of(item.flag_count, "flag", "flags"), color_scheme="amber"),
                        rx.spacer(),
                        rx.text(item.community_name, size="1", color_scheme="gray"),
                        width="100%",
                        wrap="wrap",
                        align="center",
                    ),
                    muted(item.excerpt),
                    rx.text("By " + item.author_name, size="1"),
                    rx.flex(
                        rx.foreach(item.reasons, lambda r: rx.badge(r, variant="outline")),
                        spacing="1",
                        wrap="wrap",
                        aria_label="Reasons given",
                    ),
                    rx.flex(
                        rx.cond(
                            item.hidden,
                            rx.fragment(
                                _decision("Keep hidden and close", "keep_hidden", item, "red"),
                                _decision("Restore", "restore", item, "green"),
                            ),
                            rx.fragment(
                                _decision("Dismiss flags", "dismiss", item),
                                _decision("Hide", "hide", item, "red", "solid"),
                            ),
                        ),
                        confirm_button(
                            rx.button(
                                "Delete",
                                size="1",
                                variant="outline",
                                color_scheme="red",
                                aria_label="Delete: " + target,
                            ),
                            "Delete " + item.title + "?",
                            "It is removed for good: members never see it again; moderators "
                            "can still open its text. The flags are closed as upheld.",
                            "Delete",
                            ModerationState.review("delete", item.target_type, item.target_id),
                        ),
                        rx.cond(
                            item.target_type == "thread",
                            rx.button(
                                "Lock thread",
                                size="1",
                                variant="outline",
                                aria_label="Lock thread: " + item.title,
                                on_click=ModerationState.lock_thread(item.target_id),
                            ),
                        ),
                        rx.cond(
                            ~item.author_suspended,
                            rx.button(
                                "Suspend author",
                                size="1",
                                variant="outline",
                                color_scheme="red",
                                aria_label="Suspend "
                                + item.author_name
                                + ", author of "
                                + item.title,
                                on_click=SuspendState.ask(item.author_id, item.author_name),
                            ),
                        ),
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="2",
                    width="100%",
                ),
                aria_label=target,
            ),
            width="100%",
        ),
        list_style_type="none",
        width="100%",
    )


@member_page
def moderation_queue() -> rx.Component:
    """Flagged items in context, with every action a moderator needs."""
    return rx.vstack(
        page_header("Moderation", "Flagged content in your communities. Every action is audited."),
        rx.cond(
            ModerationState.error != "",
            empty_state("lock", "Admins and stewards only", ModerationState.error),
            rx.cond(
                ModerationState.items.length() > 0,
                rx.el.ul(
                    rx.foreach(ModerationState.items, _queue_item),
                    display="flex",
                    flex_direction="column",
                    gap="var(--space-3)",
                    padding="0",
                    margin="0",
                    width="100%",
                    aria_label="Flagged items",
                ),
                empty_state(
                    "shield-check",
                    "Nothing to review",
                    "Flags from members appear here. Items with three flags are hidden "
                    "until you review them.",
                ),
            ),
        ),
        suspend_dialog(),
        spacing="4",
        width="100%",
    )


def _audit_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(when(row.created_at)),
        rx.table.cell(row.actor_name),
        rx.table.cell(rx.code(row.action)),
        rx.table.cell(row.target),
        rx.table.cell(row.reason, display=["none", "table-cell"]),
        rx.table.cell(
            row.before + " → " + row.after,
            display=["none", "none", "table-cell"],
            max_width="24em",
            overflow_wrap="anywhere",
        ),
    )


@member_page
def audit() -> rx.Component:
    """The append-only audit log: who did what to what, why, before and after."""
    return rx.cond(
        AuthState.is_admin,
        rx.vstack(
            page_header("Audit log", "Append-only: entries cannot be edited or deleted."),
            rx.debounce_input(
                rx.input(
                    placeholder="Filter by action, e.g. user. or content.hide",
                    aria_label="Filter by action",
                    value=AuditState.action,
                    on_change=AuditState.set_action,
                    width="100%",
                ),
                debounce_timeout=300,
            ),
            rx.cond(
                AuditState.rows.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("When"),
                            rx.table.column_header_cell("Who"),
                            rx.table.column_header_cell("Action"),
                            rx.table.column_header_cell("Target"),
                            rx.table.column_header_cell("Reason", display=["none", "table-cell"]),
                            rx.table.column_header_cell(
                                "Before → after", display=["none", "none", "table-cell"]
                            ),
                        )
                    ),
                    rx.table.body(rx.foreach(AuditState.rows, _audit_row)),
                    width="100%",
                ),
                empty_state("scroll-text", "No entries", "Admin and steward actions appear here."),
            ),
            rx.cond(
                AuditState.no_more,
                rx.cond(
                    AuditState.rows.length() > 0,
                    muted("That is the beginning of the log."),
                ),
                rx.button("Load older entries", variant="soft", on_click=AuditState.load_older),
            ),
            spacing="4",
            width="100%",
        ),
        empty_state("lock", "Admins only", "This page is for site admins."),
    )


def register(app: rx.App) -> None:
    """Add this module's routes."""
    add_member_page(app, activity_feed, routes.ADMIN_ACTIVITY, "Activity", FeedState.load)
    add_member_page(
        app, moderation_queue, routes.ADMIN_MODERATION, "Moderation", ModerationState.load
    )
    add_member_page(app, audit, routes.ADMIN_AUDIT, "Audit log", AuditState.load)
