"""The one layout of every page: top bar, left navigation (a drawer on phones), content."""

from collections.abc import Callable
from typing import Any

import reflex as rx

from cop_app import routes
from cop_app.components import styles
from cop_app.components.search import search_box
from cop_app.components.threads import bell
from cop_app.components.ui import link_button, loading_block
from cop_app.states.auth import AuthState
from cop_app.states.discussions import BellState
from cop_app.states.people import NavState


def _nav_link(label: str, href: str, icon: str) -> rx.Component:
    active = rx.State.router.page.path == href
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label, size="3"), spacing="3", align="center"),
        href=href,
        underline="none",
        color=rx.cond(active, rx.color(styles.ACCENT, 11), rx.color("gray", 12)),
        background=rx.cond(active, rx.color(styles.ACCENT, 3), "transparent"),
        padding="0.5em 0.75em",
        border_radius="var(--radius-3)",
        width="100%",
        _hover={"background": rx.color("gray", 3)},
    )


def _community_link(card: Any) -> rx.Component:
    return rx.link(
        rx.text(card.name, size="2", trim="both"),
        href=routes.community_url(card.slug),
        underline="none",
        color=rx.color("gray", 11),
        padding="0.3em 0.75em 0.3em 2.6em",
        width="100%",
        _hover={"color": rx.color("gray", 12)},
    )


def nav_items() -> rx.Component:
    """Navigation that fits the role: admins see the admin tools."""
    return rx.vstack(
        _nav_link("Home", routes.HOME, "house"),
        _nav_link("Communities", routes.COMMUNITIES, "users"),
        rx.cond(
            NavState.mine.length() > 0,
            rx.vstack(rx.foreach(NavState.mine, _community_link), spacing="0", width="100%"),
        ),
        _nav_link("Library", routes.LIBRARY, "library"),
        _nav_link("Mentorship", routes.MENTORSHIP, "sprout"),
        rx.cond(
            (AuthState.user_role == "mentor") & ~NavState.moderates,
            _nav_link("Mentee impact", routes.admin_url("impact"), "chart-no-axes-column"),
        ),
        rx.cond(
            NavState.moderates,
            rx.vstack(
                rx.text(
                    rx.cond(AuthState.is_admin, "Admin", "Stewarding"),
                    size="1",
                    weight="bold",
                    color_scheme="gray",
                    padding="1em 0.75em 0.25em",
                ),
                _nav_link("Activity", routes.admin_url("activity"), "activity"),
                _nav_link("Moderation", routes.admin_url("moderation"), "shield"),
                _nav_link("Impact", routes.admin_url("impact"), "chart-no-axes-column"),
                rx.cond(
                    AuthState.is_admin,
                    rx.fragment(
                        _nav_link("Users", routes.admin_url("users"), "users-round"),
                        _nav_link("Audit log", routes.admin_url("audit"), "scroll-text"),
                    ),
                ),
                spacing="1",
                width="100%",
            ),
        ),
        spacing="1",
        width="100%",
        role="navigation",
        aria_label="Main",
    )


def _user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=AuthState.user_initials, size="1", radius="full"),
                rx.text(AuthState.user_name, display=["none", "none", "inline"]),
                rx.icon("chevron_down", size=14),
                variant="ghost",
                aria_label="Account menu",
            )
        ),
        rx.menu.content(
            rx.menu.item(
                "Your profile", on_click=rx.redirect(routes.profile_url(AuthState.user_id))
            ),
            rx.menu.item("Settings", on_click=rx.redirect(routes.SETTINGS)),
            rx.menu.separator(),
            rx.menu.item("Sign out", on_click=AuthState.sign_out, color="red"),
        ),
    )


def _mobile_nav() -> rx.Component:
    return rx.box(
        rx.drawer.root(
            rx.drawer.trigger(
                rx.icon_button(rx.icon("menu"), variant="ghost", aria_label="Open navigation")
            ),
            rx.drawer.overlay(z_index="40"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        rx.hstack(
                            rx.drawer.title(styles.PRODUCT_NAME, size="4"),
                            rx.spacer(),
                            rx.drawer.close(
                                rx.icon_button(
                                    rx.icon("x"), variant="ghost", aria_label="Close navigation"
                                )
                            ),
                            width="100%",
                        ),
                        nav_items(),
                        spacing="4",
                        padding="1em",
                    ),
                    background=rx.color("gray", 1),
                    height="100%",
                    width="17rem",
                    z_index="50",
                )
            ),
            direction="left",
        ),
        display=["block", "block", "none"],
    )


def _brand(display: Any) -> rx.Component:
    """The product's name and mark, linking home."""
    return rx.link(
        rx.hstack(
            rx.icon("sprout", color=rx.color(styles.ACCENT, 9)),
            rx.text(styles.PRODUCT_NAME, size="5", weight="bold"),
            spacing="2",
            align="center",
        ),
        href=routes.HOME,
        underline="none",
        color=rx.color("gray", 12),
        display=display,
    )


def top_bar() -> rx.Component:
    """Product name, theme switch, and the user menu (or sign-in for visitors)."""
    return rx.hstack(
        rx.cond(AuthState.signed_in, _mobile_nav()),
        # Signed in on a phone, the drawer names the product and the search box needs the
        # room (a responsive display inside rx.cond is not applied, so two branches).
        rx.cond(AuthState.signed_in, _brand(["none", "block"]), _brand("block")),
        # The search box takes the free width when signed in; a visitor's buttons go right.
        rx.cond(AuthState.signed_in, rx.box(search_box(), flex="1", min_width="0"), rx.spacer()),
        rx.color_mode.button(aria_label="Toggle light or dark theme", variant="ghost"),
        rx.cond(
            AuthState.signed_in,
            rx.hstack(bell(), _user_menu(), spacing="3", align="center"),
            rx.hstack(
                link_button("Sign in", variant="soft", href=routes.signin_url()),
                link_button("Sign up", href=routes.SIGNUP),
                spacing="2",
            ),
        ),
        height=styles.TOPBAR_HEIGHT,
        padding_x="1em",
        align="center",
        spacing="3",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="30",
        width="100%",
        role="banner",
    )


def shell(content: rx.Component, signed_in: bool) -> rx.Component:
    """Signed-in pages get the left navigation; visitor pages use the full width."""
    main = rx.box(
        rx.box(content, max_width=styles.CONTENT_MAX_WIDTH, margin_x="auto", width="100%"),
        padding=["1em", "1.5em", "2em"],
        flex="1",
        min_width="0",
        role="main",
    )
    if not signed_in:
        return rx.box(top_bar(), main, min_height="100vh")
    return rx.box(
        top_bar(),
        rx.hstack(
            rx.box(
                nav_items(),
                width=styles.SIDEBAR_WIDTH,
                padding="1em",
                border_right=f"1px solid {rx.color('gray', 4)}",
                min_height=f"calc(100vh - {styles.TOPBAR_HEIGHT})",
                display=["none", "none", "block"],
                flex_shrink="0",
            ),
            main,
            spacing="0",
            align="start",
            width="100%",
        ),
        min_height="100vh",
    )


def member_page(body: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """Wrap a page for members: the body renders only once the session checked out."""

    def page() -> rx.Component:
        ended = rx.callout(
            rx.hstack(
                rx.text(
                    rx.cond(
                        AuthState.access_notice != "",
                        "Your session has ended. " + AuthState.access_notice,
                        "Your session has ended: you signed out elsewhere, it expired, or "
                        "the account was suspended.",
                    ),
                    " What you typed here is kept.",
                ),
                rx.link("Sign in again", href=routes.signin_url(rx.State.router.page.raw_path)),
                wrap="wrap",
                spacing="2",
            ),
            icon="log-out",
            color_scheme="amber",
            role="alert",
            width="100%",
            margin_bottom="1em",
        )
        notice = rx.callout(
            AuthState.access_notice
            + " This page no longer updates live; open it again to see what you may.",
            icon="shield-alert",
            color_scheme="amber",
            role="alert",
            width="100%",
            margin_bottom="1em",
        )
        return shell(
            rx.cond(
                AuthState.signed_in,
                rx.fragment(rx.cond(AuthState.access_notice != "", notice), body()),
                rx.cond(AuthState.session_ended, rx.fragment(ended, body()), loading_block()),
            ),
            signed_in=True,
        )

    page.__name__ = body.__name__
    return page


MEMBER_ON_LOAD = [AuthState.require_login, NavState.load, BellState.link]


def add_member_page(
    app: rx.App, page: Callable[[], rx.Component], route: str, title: str, *load: Any
) -> None:
    """Register a signed-in page: the member checks run before the page's own loaders."""
    app.add_page(page, route=route, title=title, on_load=[*MEMBER_ON_LOAD, *load])
