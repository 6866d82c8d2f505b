"""The landing page, the member's home, sign in, sign up and the 404 page."""

from typing import Any

import reflex as rx

from cop_app import routes
from cop_app.components import styles
from cop_app.components.layout import shell
from cop_app.components.threads import thread_row
from cop_app.components.ui import (
    count_of,
    empty_state,
    field,
    form_error,
    link_button,
    loading_block,
    muted,
    page_header,
)
from cop_app.live import UserRoom
from cop_app.states.auth import AuthState
from cop_app.states.discussions import BellState, HomeState
from cop_app.states.people import NavState


def _pillar(icon: str, title: str, text: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon(icon, color=rx.color(styles.ACCENT, 9)),
            rx.heading(title, size="4", as_="h2"),
            rx.text(text, color_scheme="gray"),
            spacing="2",
        ),
        flex="1",
        min_width="14em",
    )


def landing() -> rx.Component:
    """What the product is and who it serves, with the way in."""
    return rx.vstack(
        rx.heading(
            "Learn together. Practise better.",
            size=rx.breakpoints(initial="7", sm="8", md="9"),
            as_="h1",
        ),
        rx.text(
            f"{styles.PRODUCT_NAME} is home for communities of practice: surgeons and nurses "
            "sharing techniques, science teachers trading lesson designs, software teams "
            "growing their craft, public-health officers working across agencies.",
            size="5",
            color_scheme="gray",
            max_width="40em",
        ),
        rx.hstack(
            link_button("Create your account", size="3", href=routes.SIGNUP),
            link_button("Sign in", size="3", variant="soft", href=routes.signin_url()),
            spacing="3",
            wrap="wrap",
        ),
        rx.flex(
            _pillar(
                "compass",
                "A shared domain",
                "Every community states what it practises, so the right people find it.",
            ),
            _pillar(
                "messages-square",
                "A living community",
                "Members join, meet stewards and experts, and see who is active now.",
            ),
            _pillar(
                "sprout",
                "A growing practice",
                "Mentors move newcomers from interested to practising, visibly.",
            ),
            spacing="3",
            wrap="wrap",
            width="100%",
            padding_top="2em",
        ),
        spacing="5",
        padding_y="3em",
        align="start",
    )


def _community_tile(card: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.heading(card.name, size="4", as_="h3"),
                rx.text(card.domain, color_scheme="gray", size="2", trim="both"),
                rx.text(count_of(card.member_count, "member", "members"), size="1"),
                spacing="2",
            ),
            width="100%",
        ),
        href=routes.community_url(card.slug),
        underline="none",
        color="inherit",
    )


def _thread_section(title: str, rows: rx.Var, empty: str, label: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="4", as_="h2"),
        rx.cond(
            rows.length() > 0,
            rx.vstack(
                rx.foreach(rows, lambda r: thread_row(r, r.unread)),
                spacing="0",
                width="100%",
                aria_label=label,
            ),
            muted(empty),
        ),
        spacing="2",
        width="100%",
    )


def home() -> rx.Component:
    """A member's home: what is new in their communities, what they follow, where they
    could help, and their communities (or a way to find one)."""
    return rx.vstack(
        page_header("Welcome, " + AuthState.user_name, "What is happening in your communities."),
        rx.cond(
            NavState.mine.length() > 0,
            rx.grid(
                _thread_section(
                    "Latest in your communities",
                    UserRoom.home_latest,
                    "No threads yet. Start one in a community you belong to.",
                    "Latest threads",
                ),
                _thread_section(
                    "Followed threads with new replies",
                    UserRoom.followed,
                    "You are up to date with every thread you follow.",
                    "Followed threads",
                ),
                _thread_section(
                    "You could help here",
                    HomeState.could_help,
                    "No open questions match your expertise tags right now. Add "
                    "tags in Settings to see more.",
                    "Questions you could answer",
                ),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="5",
                width="100%",
            ),
        ),
        rx.cond(
            HomeState.mentorships.length() > 0,
            rx.vstack(
                rx.heading("Your mentorship", size="4", as_="h2"),
                rx.foreach(
                    HomeState.mentorships,
                    lambda m: rx.card(
                        rx.hstack(
                            rx.vstack(
                                rx.text(
                                    rx.cond(m.role == "mentor", "Mentoring ", "Mentored by ")
                                    + m.other_name,
                                    weight="medium",
                                ),
                                muted(
                                    rx.cond(
                                        m.next_goal != "",
                                        "Next goal: " + m.next_goal,
                                        m.state_label,
                                    )
                                ),
                                spacing="0",
                            ),
                            rx.spacer(),
                            rx.cond(
                                m.state != "requested",
                                link_button(
                                    "Open board",
                                    href=routes.board_url(m.id),
                                    size="1",
                                    variant="soft",
                                ),
                            ),
                            align="center",
                            width="100%",
                        ),
                        width="100%",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
        ),
        rx.heading("Your communities", size="4", as_="h2"),
        rx.cond(
            NavState.mine.length() > 0,
            rx.grid(
                rx.foreach(NavState.mine, _community_tile),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            empty_state(
                "users",
                "You have not joined a community yet",
                "Communities are where practitioners meet. Find one for your field and join it.",
                link_button("Browse communities", href=routes.COMMUNITIES),
            ),
        ),
        spacing="4",
        width="100%",
    )


def index() -> rx.Component:
    """Visitors see the landing page; members see their home."""
    return rx.cond(
        AuthState.checked,
        rx.cond(AuthState.signed_in, shell(home(), signed_in=True), shell(landing(), False)),
        loading_block(),
    )


def auth_card(*children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(rx.vstack(*children, spacing="4"), width="100%", max_width="26em", padding="1.5em"),
        padding_y="2em",
    )


def _account_form(
    title: str,
    errors: Any,
    fields: list[rx.Component],
    submit: str,
    on_submit: Any,
    *after: rx.Component,
) -> rx.Component:
    """The sign-in and sign-up pages: one card, one form (email first), then links."""
    return shell(
        auth_card(
            rx.heading(title, size="6", as_="h1"),
            rx.form(
                rx.vstack(
                    form_error(errors),
                    field(
                        "Email", "email", errors, kind="email", required=True, autocomplete="email"
                    ),
                    *fields,
                    rx.button(
                        submit, type="submit", size="3", width="100%", loading=AuthState.busy
                    ),
                    spacing="3",
                ),
                on_submit=on_submit,
            ),
            *after,
        ),
        signed_in=False,
    )


def signin() -> rx.Component:
    """Sign in; throttling messages appear under the password."""
    errors = AuthState.signin_errors
    return _account_form(
        "Sign in",
        errors,
        [
            field(
                "Password",
                "password",
                errors,
                kind="password",
                required=True,
                autocomplete="current-password",
            ),
        ],
        "Sign in",
        AuthState.sign_in,
        rx.link("Forgot your password?", href=routes.FORGOT, size="2"),
        rx.text(
            "New here? ",
            rx.link("Create an account", href=routes.SIGNUP, underline="always"),
            size="2",
        ),
    )


def signup() -> rx.Component:
    """Sign up with email, display name and a password of 10 or more characters."""
    errors = AuthState.signup_errors
    return _account_form(
        "Create your account",
        errors,
        [
            field(
                "Display name",
                "display_name",
                errors,
                required=True,
                max_length=80,
                autocomplete="name",
            ),
            field(
                "Password",
                "password",
                errors,
                kind="password",
                required=True,
                hint="At least 10 characters. A phrase of a few words works well.",
                autocomplete="new-password",
            ),
        ],
        "Create account",
        AuthState.sign_up,
        rx.text(
            "Already a member? ",
            rx.link("Sign in", href=routes.signin_url(), underline="always"),
            size="2",
        ),
    )


def not_found() -> rx.Component:
    """The 404 page, with a way back."""
    return shell(
        empty_state(
            "map-pin-off",
            "Page not found",
            "The page you asked for does not exist or has moved.",
            link_button("Go home", href=routes.HOME),
            link_button("Browse communities", variant="soft", href=routes.COMMUNITIES),
        ),
        signed_in=False,
    )


def register(app: rx.App) -> None:
    """Add this module's routes."""
    app.add_page(
        index,
        route=routes.HOME,
        title=styles.PRODUCT_NAME,
        on_load=[AuthState.check_session, NavState.load, BellState.link, HomeState.load],
    )
    app.add_page(
        signin, route=routes.SIGNIN, title="Sign in", on_load=AuthState.redirect_if_signed_in
    )
    app.add_page(
        signup, route=routes.SIGNUP, title="Sign up", on_load=AuthState.redirect_if_signed_in
    )
    app.add_page(
        not_found, route=routes.NOT_FOUND, title="Page not found", on_load=AuthState.check_session
    )
