"""Small building blocks: page headers, empty states, labelled fields, tags."""

from typing import Any

import reflex as rx


def page_header(title: Any, subtitle: Any = "", *actions: rx.Component) -> rx.Component:
    """A page's title, a line saying what it is for, and its main actions."""
    return rx.flex(
        rx.vstack(
            rx.heading(title, size="7", as_="h1"),
            rx.cond(subtitle != "", rx.text(subtitle, color_scheme="gray", size="3")),
            spacing="1",
        ),
        rx.spacer(),
        rx.hstack(*actions, spacing="2"),
        width="100%",
        align="end",
        wrap="wrap",
        spacing="3",
        padding_bottom="1em",
    )


def muted(*children: Any) -> rx.Component:
    """Secondary text (hints, counts, "showing the first N"): one style for all of it."""
    return rx.text(*children, size="2", color_scheme="gray")


def empty_state(icon: str, title: str, hint: Any, *actions: rx.Component) -> rx.Component:
    """What to show when a list is empty: what it is and what to do next."""
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=32, color=rx.color("gray", 9)),
            rx.heading(title, size="4", as_="h2"),
            rx.text(hint, color_scheme="gray", text_align="center"),
            rx.hstack(*actions, spacing="2"),
            align="center",
            spacing="3",
            padding="2em",
        ),
        width="100%",
    )


def field(
    label: str,
    name: str,
    errors: Any,
    *,
    kind: str = "text",
    placeholder: str = "",
    default: Any = "",
    hint: str = "",
    required: bool = False,
    multiline: bool = False,
    max_length: int | None = None,
    autocomplete: str = "",
) -> rx.Component:
    """A labelled input with its error right under it (the error names the field)."""
    input_id = f"field-{name}"
    props: dict[str, Any] = {
        "id": input_id,
        "name": name,
        "placeholder": placeholder,
        "default_value": default,
        "required": required,
        "width": "100%",
        "aria_invalid": rx.cond(errors.contains(name), "true", "false"),
        "aria_describedby": f"{input_id}-error",
    }
    if max_length:
        props["max_length"] = max_length
    if autocomplete:
        props["auto_complete"] = autocomplete
    control = (
        rx.text_area(rows="4", **props) if multiline else rx.input(type=kind, size="3", **props)
    )
    return rx.vstack(
        rx.el.label(rx.text(label, weight="medium", size="2"), html_for=input_id),
        control,
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        field_error(errors, name, f"{input_id}-error"),
        spacing="1",
        width="100%",
        align="start",
    )


def field_error(errors: Any, key: str, element_id: str | None = None) -> rx.Component:
    """The message of one field, announced to screen readers, when there is one."""
    return rx.cond(
        errors.contains(key),
        rx.text(errors[key], id=element_id, color_scheme="red", size="2", role="alert"),
    )


def live_field(
    label: str,
    input_id: str,
    value: Any,
    on_change: Any,
    errors: Any,
    key: str,
    *,
    multiline: bool = False,
    hint: str = "",
    debounce: int = 250,
    kept: bool = False,
    **props: Any,
) -> rx.Component:
    """A labelled input whose text lives on the server (so no refusal loses it), sent as
    the person pauses typing, with its error under it. `kept`: its handler keeps the text
    as a draft in this browser (states/drafts.py), and the field says so."""
    control = (rx.text_area if multiline else rx.input)(
        id=input_id, value=value, on_change=on_change, width="100%", **props
    )
    return rx.vstack(
        rx.el.label(rx.text(label, weight="medium", size="2"), html_for=input_id),
        rx.debounce_input(control, debounce_timeout=debounce),
        field_error(errors, key),
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        draft_kept_note() if kept else rx.fragment(),
        spacing="1",
        width="100%",
    )


def markdown_editor(
    label: str,
    input_id: str,
    value: Any,
    on_change: Any,
    errors: Any,
    *,
    rows: str,
    preview: rx.Component,
) -> rx.Component:
    """A kept Markdown body beside its preview (stacked on a phone): the thread and the
    resource forms write the same way; each page draws its own `preview` box."""
    return rx.grid(
        live_field(
            label,
            input_id,
            value,
            on_change,
            errors,
            "body",
            multiline=True,
            debounce=300,
            kept=True,
            rows=rows,
            placeholder="Markdown works: **bold**, lists, links, `code`.",
        ),
        rx.vstack(
            rx.text("Preview", weight="medium", size="2"), preview, spacing="1", width="100%"
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="3",
        width="100%",
    )


def inline_editor(
    state: Any,
    title_label: str,
    text_label: str,
    *,
    show_title: Any = None,
    rows: str = "3",
    size: str,
) -> rx.Component:
    """A title and a text edited in place with their error and Save / Cancel under them: a
    post and a board card are edited the same way. `state` holds `edit_title`, `edit_text`,
    their setters, `errors` and the `save_edit` / `cancel_edit` handlers."""
    title = rx.input(
        value=state.edit_title,
        on_change=state.set_edit_title,
        aria_label=title_label,
        width="100%",
    )
    return rx.vstack(
        title if show_title is None else rx.cond(show_title, title),
        rx.text_area(
            value=state.edit_text,
            on_change=state.set_edit_text,
            aria_label=text_label,
            rows=rows,
            width="100%",
        ),
        field_error(state.errors, "edit"),
        rx.hstack(
            rx.button("Save", on_click=state.save_edit, size=size),
            rx.button("Cancel", on_click=state.cancel_edit, size=size, variant="soft"),
        ),
        width="100%",
    )


def draft_kept_note() -> rx.Component:
    """Tells the writer that a reload or a lost connection keeps their draft."""
    return rx.text(
        rx.icon("save", size=12),
        " Your draft is kept in this browser until you post it.",
        size="1",
        color_scheme="gray",
    )


def form_error(errors: Any) -> rx.Component:
    """An error not tied to one field."""
    return rx.cond(
        errors.contains("form"),
        rx.callout(
            errors["form"], icon="triangle_alert", color_scheme="red", role="alert", width="100%"
        ),
    )


def tag_list(tags: Any) -> rx.Component:
    """Tags as small badges."""
    return rx.flex(
        rx.foreach(tags, lambda t: rx.badge(t, variant="soft", radius="full")),
        spacing="1",
        wrap="wrap",
    )


def count_of(number: Any, singular: str, plural: str) -> Any:
    """ "1 member", "2 members": a count with its noun, in the browser."""
    return number.to_string() + rx.cond(number == 1, " " + singular, " " + plural)


def loading_block() -> rx.Component:
    """Shown while a page checks who is signed in or loads its data."""
    return rx.center(
        rx.spinner(size="3"), padding="4em", width="100%", role="status", aria_label="Loading"
    )


def missing_or_loading(missing: Any, icon: str, title: str, *actions: rx.Component) -> rx.Component:
    """Instead of one item's page: why it cannot be shown once its state says so, else loading."""
    return rx.cond(missing != "", empty_state(icon, title, missing, *actions), loading_block())


def found_or_missing(
    found: Any, body: rx.Component, missing: Any, icon: str, title: str, *actions: rx.Component
) -> rx.Component:
    """One item's page: its body once found, else why it is missing, else a loading block."""
    return rx.cond(found, body, missing_or_loading(missing, icon, title, *actions))


def link_button(*children: Any, href: Any, **props: Any) -> rx.Component:
    """A link that looks like a button (one element, role link, no nested controls)."""
    return rx.button(rx.link(*children, href=href, underline="none"), as_child=True, **props)


def confirm_button(
    trigger: rx.Component,
    title: Any,
    description: Any,
    confirm_label: str,
    on_confirm: Any,
    keep_label: str = "Cancel",
) -> rx.Component:
    """A destructive action behind a dialog that names what it does: nothing happens until
    the second, explicit click."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(keep_label, variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(confirm_label, color_scheme="red", on_click=on_confirm)
                ),
                justify="end",
                spacing="2",
                padding_top="1em",
            ),
        ),
    )


def radio_choice(value: str, label: str) -> rx.Component:
    """One option of a radio group, named by its own visible label (click it, too)."""
    return rx.el.label(
        rx.radio_group.item(value=value),
        rx.text(label, size="2"),
        display="flex",
        align_items="center",
        gap="var(--space-2)",
        cursor="pointer",
    )
