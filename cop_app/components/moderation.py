"""Dialogs used wherever content or people appear: flag an item, suspend a person."""

from typing import Any

import reflex as rx

from cop_app.components.ui import field, form_error, radio_choice
from cop_app.states.moderation import FlagState, SuspendState


def _form_dialog(
    state: Any,
    title: Any,
    description: str,
    fields: list[rx.Component],
    submit: str,
    on_submit: Any,
) -> rx.Component:
    """A dialog of one form on a dialog state (open, errors, close): fields, Cancel, submit."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(description),
            rx.form(
                rx.vstack(
                    form_error(state.errors),
                    *fields,
                    rx.hstack(
                        rx.button("Cancel", type="button", variant="soft", on_click=state.close),
                        rx.button(submit, type="submit", color_scheme="red"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=on_submit,
                reset_on_submit=False,
            ),
        ),
        open=state.open,
        on_open_change=lambda _open: state.close(),
    )


def flag_dialog() -> rx.Component:
    """Why is this a problem? One flag per member per item."""
    return _form_dialog(
        FlagState,
        "Flag for moderators",
        "Moderators review every flag. Three flags hide an item until they do.",
        [
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
            field("Note for moderators", "note", FlagState.errors, multiline=True, max_length=500),
        ],
        "Send flag",
        FlagState.submit,
    )


def suspend_dialog() -> rx.Component:
    """Suspend someone now, with a reason and an optional end date."""
    return _form_dialog(
        SuspendState,
        "Suspend " + SuspendState.user_name,
        "Their sessions end at once and every action is refused "
        "until the end date (or until an admin reactivates them).",
        [
            field("Reason", "reason", SuspendState.errors, required=True, max_length=500),
            field(
                "Until (optional)",
                "until",
                SuspendState.errors,
                kind="date",
                hint="Leave empty for until further notice.",
            ),
        ],
        "Suspend",
        SuspendState.confirm,
    )
