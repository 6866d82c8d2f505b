"""Dialogs used wherever content or people appear: flag an item, suspend a person."""

import reflex as rx

from cop_app.components.ui import field, form_error, radio_choice
from cop_app.states.moderation import FlagState, SuspendState


def flag_dialog() -> rx.Component:
    """Why is this a problem? One flag per member per item."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Flag for moderators"),
            rx.dialog.description(
                "Moderators review every flag. Three flags hide an item until they do."
            ),
            rx.form(
                rx.vstack(
                    form_error(FlagState.errors),
                    rx.text("Reason", weight="medium", size="2", id="flag-reason-label"),
                    rx.radio_group.root(
                        rx.vstack(
                            *[
                                radio_choice(v, label)
                                for v, label in (
                                    ("spam", "Spam"),
                                    ("off-topic", "Off-topic"),
                                    ("harmful", "Harmful or abusive"),
                                    ("other", "Something else"),
                                )
                            ],
                            spacing="1",
                        ),
                        name="reason",
                        default_value="spam",
                        aria_labelledby="flag-reason-label",
                    ),
                    field(
                        "Note for moderators",
                        "note",
                        FlagState.errors,
                        multiline=True,
                        max_length=500,
                    ),
                    rx.hstack(
                        rx.button(
                            "Cancel", type="button", variant="soft", on_click=FlagState.close
                        ),
                        rx.button("Send flag", type="submit", color_scheme="red"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=FlagState.submit,
                reset_on_submit=False,
            ),
        ),
        open=FlagState.open,
        on_open_change=lambda _open: FlagState.close(),
    )


def suspend_dialog() -> rx.Component:
    """Suspend someone now, with a reason and an optional end date."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Suspend " + SuspendState.user_name),
            rx.dialog.description(
                "Their sessions end at once and every action is refused "
                "until the end date (or until an admin reactivates them)."
            ),
            rx.form(
                rx.vstack(
                    form_error(SuspendState.errors),
                    field("Reason", "reason", SuspendState.errors, required=True, max_length=500),
                    field(
                        "Until (optional)",
                        "until",
                        SuspendState.errors,
                        kind="date",
                        hint="Leave empty for until further notice.",
                    ),
                    rx.hstack(
                        rx.button(
                            "Cancel", type="button", variant="soft", on_click=SuspendState.close
                        ),
                        rx.button("Suspend", type="submit", color_scheme="red"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=SuspendState.confirm,
                reset_on_submit=False,
            ),
        ),
        open=SuspendState.open,
        on_open_change=lambda _open: SuspendState.close(),
    )
