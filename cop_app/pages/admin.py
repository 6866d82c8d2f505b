"""Admin and steward pages: the live activity feed, moderation, users and the audit log."""

import reflex as rx

from cop_app import routes
from cop_app.components.layout import MEMBER_ON_LOAD, member_page
from cop_app.components.moderation import suspend_dialog
from cop_app.components.threads import when
from cop_app.components.ui import empty_state, page_header
from cop_app.states.admin import AdminUsersState
from cop_app.states.auth import AuthState
from cop_app.states.moderation import SuspendState


def _role_select(row: rx.Var) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label="Role of " + row.display_name),
        rx.select.content(
            rx.select.item("Member", value="member"),
            rx.select.item("Mentor", value="mentor"),
            rx.select.item("Admin", value="admin"),
        ),
        value=row.role,
        on_change=lambda role: AdminUsersState.ask_role(row.id, role),
        size="1",
    )


def _role_dialog() -> rx.Component:
    """Confirms a site role change: the dropdown alone changes nothing."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(
                "Make "
                + AdminUsersState.pending_name
                + rx.cond(
                    AdminUsersState.pending_role == "admin",
                    " an admin?",
                    " a " + AdminUsersState.pending_role + "?",
                )
            ),
            rx.alert_dialog.description(
                rx.cond(
                    AdminUsersState.pending_role == "admin",
                    "Admins see and moderate everything, manage every account and read the "
                    "audit log. The change is audited.",
                    "Their site role changes at once. The change is audited.",
                )
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        "Keep current role",
                        variant="soft",
                        color_scheme="gray",
                        on_click=AdminUsersState.cancel_role,
                    )
                ),
                rx.alert_dialog.action(
                    rx.button("Change role", on_click=AdminUsersState.confirm_role)
                ),
                justify="end",
                spacing="2",
                padding_top="1em",
            ),
        ),
        open=AdminUsersState.pending_id > 0,
    )


def _reset_button(row: rx.Var) -> rx.Component:
    """Mail a reset link, after a confirmation naming the person."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Send password reset",
                size="1",
                variant="soft",
                color_scheme="gray",
                aria_label="Send password reset to " + row.display_name,
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Send a password reset link to " + row.display_name + "?"),
            rx.alert_dialog.description(
                "They get an email with a link to choose a new password. Their password and "
                "sessions stay as they are until they use it."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Send link", on_click=AdminUsersState.send_reset(row.id))
                ),
                justify="end",
                spacing="2",
                padding_top="1em",
            ),
        ),
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row.display_name, href=routes.profile_url(row.id))),
        rx.table.cell(row.email, display=["none", "none", "table-cell"]),
        rx.table.cell(row.organisation, display=["none", "table-cell"]),
        rx.table.cell(row.communities.to_string(), display=["none", "table-cell"]),
        rx.table.cell(row.posts.to_string(), display=["none", "table-cell"]),
        rx.table.cell(
            rx.cond(row.last_active, when(row.last_active), rx.text("never", size="1")),
            display=["none", "none", "table-cell"],
        ),
        rx.table.cell(_role_select(row)),
        rx.table.cell(
            rx.cond(
                row.id == AuthState.user_id,
                rx.text("You", size="1", color_scheme="gray"),
                rx.cond(
                    row.suspended,
                    rx.button(
                        "Reactivate",
                        size="1",
                        variant="soft",
                        aria_label="Reactivate " + row.display_name,
                        on_click=AdminUsersState.reactivate(row.id),
                    ),
                    rx.button(
                        "Suspend",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        aria_label="Suspend " + row.display_name,
                        on_click=SuspendState.ask(row.id, row.display_name),
                    ),
                ),
            )
        ),
        rx.table.cell(_reset_button(row)),
    )


@member_page
def users() -> rx.Component:
    """Search people and change their site role; every change is audited."""
    return rx.cond(
        AuthState.is_admin,
        rx.vstack(
            page_header("Users", "Search people and change site roles. Changes are audited."),
            rx.flex(
                rx.debounce_input(
                    rx.input(
                        placeholder="Search name, email or organisation",
                        aria_label="Search users",
                        value=AdminUsersState.query,
                        on_change=AdminUsersState.set_query,
                        width="100%",
                        size="3",
                    ),
                    debounce_timeout=250,
                ),
                rx.select.root(
                    rx.select.trigger(aria_label="Filter by role"),
                    rx.select.content(
                        rx.select.item("All roles", value="all"),
                        rx.select.item("Members", value="member"),
                        rx.select.item("Mentors", value="mentor"),
                        rx.select.item("Admins", value="admin"),
                    ),
                    value=rx.cond(AdminUsersState.role == "", "all", AdminUsersState.role),
                    on_change=AdminUsersState.set_role_filter,
                    size="3",
                ),
                spacing="2",
                width="100%",
            ),
            rx.cond(
                AdminUsersState.rows.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Name"),
                            rx.table.column_header_cell(
                                "Email", display=["none", "none", "table-cell"]
                            ),
                            rx.table.column_header_cell(
                                "Organisation", display=["none", "table-cell"]
                            ),
                            rx.table.column_header_cell(
                                "Communities", display=["none", "table-cell"]
                            ),
                            rx.table.column_header_cell("Posts", display=["none", "table-cell"]),
                            rx.table.column_header_cell(
                                "Last active", display=["none", "none", "table-cell"]
                            ),
                            rx.table.column_header_cell("Role"),
                            rx.table.column_header_cell("Status"),
                            rx.table.column_header_cell("Password"),
                        )
                    ),
                    rx.table.body(rx.foreach(AdminUsersState.rows, _row)),
                    width="100%",
                    size="1",
                ),
                empty_state("search", "No one matches", "Try another name or clear the filter."),
            ),
            suspend_dialog(),
            _role_dialog(),
            spacing="4",
            width="100%",
        ),
        empty_state("lock", "Admins only", "This page is for site admins."),
    )


def register(app: rx.App) -> None:
    """Add this module's routes."""
    app.add_page(
        users,
        route=routes.ADMIN_USERS,
        title="Users",
        on_load=[*MEMBER_ON_LOAD, AdminUsersState.load],
    )
