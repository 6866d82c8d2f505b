"""Account recovery pages: ask for a reset link (/forgot) and choose a new password (/reset)."""

import reflex as rx

from cop_app import routes
from cop_app.components.layout import shell
from cop_app.components.ui import field, form_error, muted
from cop_app.pages.public import auth_card
from cop_app.services import settings
from cop_app.states.auth import AuthState
from cop_app.states.recovery import RecoveryState

LINK_MINUTES = int(settings.PASSWORD_RESET_LIFETIME.total_seconds() // 60)


def forgot() -> rx.Component:
    """An address in, one neutral answer out: it never tells whether an account exists."""
    errors = RecoveryState.forgot_errors
    return shell(
        auth_card(
            rx.heading("Forgot your password?", size="6", as_="h1"),
            rx.cond(
                RecoveryState.forgot_sent,
                rx.callout(
                    "If an account exists for that address, we sent a link to it. The link "
                    f"works once, for {LINK_MINUTES} minutes. Check your spam folder too.",
                    icon="mail-check",
                    role="status",
                    width="100%",
                ),
                rx.form(
                    rx.vstack(
                        muted(
                            "Enter the email address of your account and we will send you a "
                            "link to choose a new password."
                        ),
                        form_error(errors),
                        field(
                            "Email",
                            "email",
                            errors,
                            kind="email",
                            required=True,
                            autocomplete="email",
                        ),
                        rx.button(
                            "Send reset link",
                            type="submit",
                            size="3",
                            width="100%",
                            loading=RecoveryState.busy,
                        ),
                        spacing="3",
                    ),
                    on_submit=RecoveryState.request_reset,
                ),
            ),
            rx.text("Remembered it? ", rx.link("Sign in", href=routes.signin_url()), size="2"),
        ),
        signed_in=False,
    )


def reset() -> rx.Component:
    """The new password, typed twice; a bad or expired link says so and offers a new one."""
    errors = RecoveryState.reset_errors
    return shell(
        auth_card(
            rx.heading("Choose a new password", size="6", as_="h1"),
            rx.form(
                rx.vstack(
                    form_error(errors),
                    rx.cond(
                        errors.contains("token"),
                        rx.callout(
                            rx.text(
                                errors["token"],
                                " ",
                                rx.link("Ask for a new link", href=routes.FORGOT),
                            ),
                            icon="triangle_alert",
                            color_scheme="red",
                            role="alert",
                            width="100%",
                        ),
                    ),
                    field(
                        "New password",
                        "password",
                        errors,
                        kind="password",
                        required=True,
                        hint="At least 10 characters. A phrase of a few words works well.",
                        autocomplete="new-password",
                    ),
                    field(
                        "Repeat the new password",
                        "confirm",
                        errors,
                        kind="password",
                        required=True,
                        autocomplete="new-password",
                    ),
                    rx.button(
                        "Set new password",
                        type="submit",
                        size="3",
                        width="100%",
                        loading=RecoveryState.busy,
                    ),
                    rx.text(
                        "Every device signed in to this account will be signed out.",
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="3",
                ),
                on_submit=RecoveryState.reset_password,
            ),
        ),
        signed_in=False,
    )


def register(app: rx.App) -> None:
    """Add this module's routes; the reset page sends no referrer (its URL holds the token)."""
    app.add_page(
        forgot,
        route=routes.FORGOT,
        title="Forgot your password?",
        on_load=[AuthState.redirect_if_signed_in, RecoveryState.open_forgot],
    )
    app.add_page(
        reset,
        route=routes.RESET,
        title="Choose a new password",
        on_load=[AuthState.check_session, RecoveryState.open_reset],
        meta=[{"name": "referrer", "content": "no-referrer"}],
    )
