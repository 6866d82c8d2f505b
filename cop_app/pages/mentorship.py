"""Mentorship: find a mentor, answer requests, the mentor's dashboard, and a mentee board."""

from typing import Any

import reflex as rx
from reflex_base.event import no_args_event_spec

from cop_app import routes
from cop_app.components.layout import add_member_page, member_page
from cop_app.components.threads import when
from cop_app.components.ui import (
    confirm_button,
    empty_state,
    field,
    field_error,
    form_error,
    found_or_missing,
    inline_editor,
    link_button,
    live_field,
    muted,
    page_header,
    tag_list,
)
from cop_app.live import BoardRoom
from cop_app.services.mentorship import COLUMN_LABELS, COLUMNS
from cop_app.states.mentorship import BoardState, MentorshipState

NEXT = {"todo": "doing", "doing": "done"}
PREVIOUS = {"doing": "todo", "done": "doing"}

# Native drag and drop: the browser-only parts (what is dragged, which zone is under the
# pointer) run in the page; the drag's card and the drop go to BoardState like any move.
CARD_TYPE = "application/x-practica-card"
_is_card = f"e.dataTransfer.types.includes('{CARD_TYPE}')"
_DRAG_START = rx.vars.FunctionStringVar.create(
    f"(e) => {{ e.dataTransfer.setData('{CARD_TYPE}', 'card');"
    " e.dataTransfer.effectAllowed = 'move'; }"
)
_ALLOW_DROP = rx.vars.FunctionStringVar.create(
    f"(e) => {{ if ({_is_card}) {{ e.preventDefault(); e.dataTransfer.dropEffect = 'move'; }} }}"
)
_ENTER = rx.vars.FunctionStringVar.create(
    f"(e) => {{ if (!{_is_card}) return; const z = e.currentTarget;"
    " z.dragDepth = (z.dragDepth || 0) + 1; z.classList.add('drop-over'); }"
)
_LEAVE = rx.vars.FunctionStringVar.create(
    "(e) => { const z = e.currentTarget; z.dragDepth = Math.max(0, (z.dragDepth || 0) - 1);"
    " if (!z.dragDepth) z.classList.remove('drop-over'); }"
)
_CLEAR = rx.vars.FunctionStringVar.create(
    "() => document.querySelectorAll('.drop-over').forEach((z) => {"
    " z.dragDepth = 0; z.classList.remove('drop-over'); })"
)


class DragZone(rx.el.Div):
    """A div that takes the HTML drag events, which Reflex's elements do not declare."""

    on_drag_start: rx.EventHandler[no_args_event_spec]
    on_drag_end: rx.EventHandler[no_args_event_spec]
    on_drag_enter: rx.EventHandler[no_args_event_spec]
    on_drag_leave: rx.EventHandler[no_args_event_spec]
    on_drag_over: rx.EventHandler[no_args_event_spec]
    on_drop: rx.EventHandler[no_args_event_spec]


def _drop_target(column: str, position: rx.Var | int) -> dict[str, Any]:
    """Drop-zone events: the card being dragged goes to `position` of `column`."""
    return {
        "on_drag_enter": _ENTER,
        "on_drag_leave": _LEAVE,
        "on_drag_over": _ALLOW_DROP,
        "on_drop": [_CLEAR, BoardState.drop(column, position).stop_propagation],
    }


def _progress(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.progress(
            value=rx.cond(row.cards_total > 0, row.cards_done * 100 / row.cards_total, 0),
            width="6em",
            aria_label="Board progress",
        ),
        rx.text(row.cards_done.to_string() + " / " + row.cards_total.to_string(), size="1"),
        align="center",
        spacing="2",
    )


def _state_badge(state: rx.Var, label: rx.Var) -> rx.Component:
    scheme = rx.match(
        state,
        ("active", "green"),
        ("requested", "amber"),
        ("paused", "gray"),
        ("completed", "blue"),
        "red",
    )
    return rx.badge(label, color_scheme=scheme, variant="soft")


def _health(row: rx.Var) -> rx.Component:
    return rx.cond(
        row.needs_checkin,
        rx.badge("Needs check-in", color_scheme="red"),
        rx.badge("On track", color_scheme="green", variant="soft"),
    )


def _goals(row: rx.Var) -> rx.Component:
    """A request shows what the mentee wants, so the mentor decides knowing it."""
    return rx.cond(
        (row.state == "requested") & (row.goals != ""),
        rx.text("Goals: " + row.goals, size="2", class_name="wrap-anywhere"),
    )


def _mentee_actions(row: rx.Var) -> rx.Component:
    """Accept or decline a request, or open the board."""
    return rx.cond(
        row.state == "requested",
        rx.hstack(
            rx.button(
                "Accept",
                size="1",
                aria_label="Accept " + row.mentee_name,
                on_click=MentorshipState.respond(row.id, True, "Welcome aboard!"),
            ),
            rx.popover.root(
                rx.popover.trigger(
                    rx.button(
                        "Decline",
                        size="1",
                        variant="soft",
                        color_scheme="red",
                        aria_label="Decline " + row.mentee_name,
                    )
                ),
                rx.popover.content(
                    rx.form(
                        rx.vstack(
                            rx.el.label("Reason shown to them", html_for="decline-reason"),
                            rx.input(id="decline-reason", name="reason", required=True),
                            rx.button("Send", type="submit", size="1"),
                        ),
                        on_submit=MentorshipState.decline,
                    )
                ),
                # Set on opening: an on_click on the trigger's button would wrap it in
                # a box carrying aria-expanded instead of the button.
                on_open_change=lambda _open: MentorshipState.set_declining(row.id),
            ),
            spacing="1",
        ),
        link_button("Open board", href=routes.board_url(row.id), size="1", variant="soft"),
    )


def _mentee_row(row: rx.Var) -> rx.Component:
    """One line of the mentor's dashboard (wide screens)."""
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row.mentee_name, weight="medium"),
                rx.text(row.community_name, size="1", color_scheme="gray"),
                _goals(row),
                spacing="0",
            )
        ),
        rx.table.cell(_state_badge(row.state, row.state_label)),
        rx.table.cell(_progress(row)),
        rx.table.cell(
            rx.cond(
                row.last_session_on,
                rx.text(row.last_session_on, size="1"),
                rx.text("none yet", size="1", color_scheme="gray"),
            ),
            display=["none", "none", "table-cell"],
        ),
        rx.table.cell(when(row.last_activity_at), display=["none", "table-cell"]),
        rx.table.cell(_health(row)),
        rx.table.cell(rx.text(row.next_goal, size="1"), display=["none", "none", "table-cell"]),
        rx.table.cell(_mentee_actions(row)),
    )


def _mentee_card(row: rx.Var) -> rx.Component:
    """One mentee on a phone: the dashboard's table as a card, health and actions in view."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(row.mentee_name, weight="medium"),
                _state_badge(row.state, row.state_label),
                _health(row),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            rx.text(row.community_name, size="1", color_scheme="gray"),
            _goals(row),
            _progress(row),
            rx.cond(row.next_goal != "", rx.text("Next goal: " + row.next_goal, size="1")),
            _mentee_actions(row),
            spacing="2",
            width="100%",
        ),
        width="100%",
        role="listitem",
    )


def _my_row(row: rx.Var) -> rx.Component:
    """A mentee's own mentorship or request."""
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.text("Mentor: " + row.mentor_name, weight="medium"),
                    _state_badge(row.state, row.state_label),
                    spacing="2",
                ),
                rx.text(row.community_name, size="1", color_scheme="gray"),
                rx.cond(row.next_goal != "", rx.text("Next goal: " + row.next_goal, size="2")),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                row.state == "requested",
                rx.button(
                    "Withdraw", size="1", variant="soft", on_click=MentorshipState.withdraw(row.id)
                ),
                rx.cond(
                    (row.state == "active") | (row.state == "paused") | (row.state == "completed"),
                    link_button("Open board", href=routes.board_url(row.id), size="2"),
                ),
            ),
            spacing="3",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        width="100%",
    )


def _suggestion(s: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(s.display_name, weight="bold"),
                rx.text(s.organisation, size="1", color_scheme="gray"),
                rx.spacer(),
                rx.badge("Relevance " + s.relevance.to_string(), variant="solid"),
                rx.badge("Score " + s.score.to_string(), variant="outline"),
                width="100%",
                wrap="wrap",
                align="center",
            ),
            rx.unordered_list(
                rx.foreach(s.reasons, lambda r: rx.list_item(r, size="2")),
                aria_label="Why " + s.display_name,
            ),
            tag_list(s.expertise),
            rx.cond(s.availability != "", rx.text(s.availability, size="1", color_scheme="gray")),
            rx.button(
                "Ask " + s.display_name,
                on_click=MentorshipState.request(s.mentor_id),
                disabled=~s.available,
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _find_mentor() -> rx.Component:
    errors = MentorshipState.errors
    return rx.card(
        rx.vstack(
            rx.heading("Find a mentor", size="4", as_="h2"),
            muted(
                "Say what you want to get better at. Suggestions are ranked by relevance "
                "(the skills and community topics they know) first; mentoring in the "
                "community, free places and crossing departments only break ties."
            ),
            form_error(errors),
            rx.el.label(
                rx.text("Community", weight="medium", size="2"), html_for="mentor-community"
            ),
            rx.select.root(
                rx.select.trigger(id="mentor-community", aria_label="Community"),
                rx.select.content(
                    rx.foreach(
                        MentorshipState.my_communities,
                        lambda c: rx.select.item(c["name"], value=c["id"]),
                    )
                ),
                value=MentorshipState.community_id,
                on_change=MentorshipState.set_community,
            ),
            live_field(
                "Your goals",
                "mentor-goals",
                MentorshipState.goals,
                MentorshipState.set_goals,
                errors,
                "goals",
                multiline=True,
                rows="3",
            ),
            live_field(
                "Skills you want",
                "mentor-skills",
                MentorshipState.skills,
                MentorshipState.set_skills,
                errors,
                "skills",
                placeholder="e.g. testing code-review",
            ),
            rx.button("Suggest mentors", on_click=MentorshipState.find_mentors),
            rx.cond(
                MentorshipState.suggestions.length() > 0,
                rx.vstack(
                    rx.foreach(MentorshipState.suggestions, _suggestion),
                    spacing="2",
                    width="100%",
                    aria_label="Suggested mentors",
                ),
                rx.cond(
                    MentorshipState.searched,
                    muted(
                        "No mentor has a free place for this right now. Try other "
                        "skills or another community."
                    ),
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _mentor_profile() -> rx.Component:
    p = MentorshipState.profile
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Your mentor offer", size="4", as_="h2"),
                form_error(MentorshipState.errors),
                field(
                    "Capacity (active mentees)",
                    "capacity",
                    MentorshipState.errors,
                    kind="number",
                    default=p.capacity.to_string(),
                ),
                field(
                    "Availability",
                    "availability",
                    MentorshipState.errors,
                    default=p.availability,
                    max_length=300,
                ),
                rx.hstack(
                    rx.checkbox(name="accepting", default_checked=p.accepting, id="accepting"),
                    rx.el.label("Accepting new mentees", html_for="accepting"),
                    align="center",
                ),
                rx.cond(
                    ~p.accepting,
                    rx.text(
                        "You are not accepting new mentees: members will not see you in "
                        "suggestions until you tick this and save.",
                        size="2",
                        color_scheme="amber",
                    ),
                ),
                rx.text("Communities you mentor in", weight="medium", size="2"),
                rx.flex(
                    rx.foreach(
                        MentorshipState.my_communities,
                        lambda c: rx.checkbox(
                            c["name"],
                            checked=MentorshipState.offer_ids.contains(c["id"]),
                            on_change=lambda on: MentorshipState.toggle_offer(c["id"], on),
                        ),
                    ),
                    spacing="3",
                    wrap="wrap",
                    role="group",
                    aria_label="Communities you mentor in",
                ),
                rx.button("Save offer", type="submit", size="2"),
                spacing="2",
                width="100%",
            ),
            on_submit=MentorshipState.save_profile,
            reset_on_submit=False,
        ),
        width="100%",
    )


@member_page
def mentorship_page() -> rx.Component:
    """Mentee and mentor views on one page."""
    return rx.vstack(
        page_header("Mentorship", "Mentors move people from interested to practising."),
        rx.cond(
            MentorshipState.is_mentor,
            rx.vstack(
                rx.heading("Your mentees", size="5", as_="h2"),
                rx.cond(
                    MentorshipState.as_mentor.length() > 0,
                    rx.fragment(
                        rx.vstack(
                            rx.foreach(MentorshipState.as_mentor, _mentee_card),
                            role="list",
                            aria_label="Your mentees",
                            spacing="2",
                            width="100%",
                            display=["flex", "flex", "none"],
                        ),
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    rx.table.column_header_cell("Mentee"),
                                    rx.table.column_header_cell("State"),
                                    rx.table.column_header_cell("Board"),
                                    rx.table.column_header_cell(
                                        "Last session", display=["none", "none", "table-cell"]
                                    ),
                                    rx.table.column_header_cell(
                                        "Last activity", display=["none", "table-cell"]
                                    ),
                                    rx.table.column_header_cell("Health"),
                                    rx.table.column_header_cell(
                                        "Next goal", display=["none", "none", "table-cell"]
                                    ),
                                    rx.table.column_header_cell("Action"),
                                )
                            ),
                            rx.table.body(rx.foreach(MentorshipState.as_mentor, _mentee_row)),
                            width="100%",
                            aria_label="Your mentees",
                            display=["none", "none", "table"],
                        ),
                    ),
                    muted("No mentees yet. Members who ask you appear here."),
                ),
                rx.cond(MentorshipState.profile, _mentor_profile()),
                spacing="3",
                width="100%",
            ),
        ),
        rx.heading("Your mentors", size="5", as_="h2"),
        rx.cond(
            MentorshipState.as_mentee.length() > 0,
            rx.vstack(rx.foreach(MentorshipState.as_mentee, _my_row), spacing="2", width="100%"),
            muted("You have no mentor yet. Find one below."),
        ),
        rx.cond(
            MentorshipState.my_communities.length() > 0,
            _find_mentor(),
            empty_state(
                "users",
                "Join a community first",
                "Mentors are found through the communities you belong to.",
            ),
        ),
        spacing="4",
        width="100%",
    )


def _card(card: rx.Var, column: str) -> rx.Component:
    """A card the pair can drag (not while editing it); dropping on it inserts before it."""
    can = BoardState.my_role != ""
    return DragZone.create(
        _card_body(card, column, can),
        draggable=can & (BoardState.editing_id != card.id),
        class_name=rx.cond(
            BoardState.dragging_id == card.id, "board-card is-dragging", "board-card"
        ),
        on_drag_start=[_DRAG_START, BoardState.drag_start(card.id)],
        on_drag_end=[_CLEAR, BoardState.drag_end],
        width="100%",
        **_drop_target(column, card.position),
    )


def _move_button(arrow: str, name: Any, card_id: Any, column: str, position: Any) -> rx.Component:
    """A small arrow button that moves a card; its accessible name says where to."""
    return rx.button(
        arrow,
        size="1",
        variant="soft",
        aria_label=name,
        on_click=BoardState.move(card_id, column, position),
    )


def _card_body(card: rx.Var, column: str, can: rx.Var) -> rx.Component:
    title = card.title
    return rx.card(
        rx.cond(
            BoardState.editing_id == card.id,
            inline_editor(BoardState, "Card title", "Card description", size="1"),
            rx.vstack(
                rx.text(title, weight="medium", size="2"),
                rx.cond(
                    card.description != "", rx.text(card.description, size="1", color_scheme="gray")
                ),
                rx.hstack(
                    rx.cond(
                        card.requirement_label != "",
                        rx.badge(card.requirement_label, variant="outline"),
                    ),
                    rx.cond(
                        card.due_date,
                        rx.badge(
                            rx.cond(card.overdue, "Overdue ", "Due ") + card.due_date.to(str),
                            color_scheme=rx.cond(card.overdue, "red", "gray"),
                        ),
                    ),
                    wrap="wrap",
                    spacing="1",
                ),
                rx.cond(
                    card.met,
                    rx.link(
                        rx.badge(
                            rx.icon("circle-check", size=12, flex_shrink="0"),
                            "Evidence: " + card.evidence_text,
                            color_scheme="green",
                            # Long evidence wraps inside the card instead of running past it.
                            white_space="normal",
                            overflow_wrap="anywhere",
                            max_width="100%",
                            height="auto",
                            aria_label="Evidence",
                        ),
                        href=card.evidence_link,
                    ),
                ),
                rx.cond(card.link != "", rx.link(card.link_title, href=card.link, size="1")),
                rx.cond(
                    can,
                    rx.flex(
                        *(
                            [
                                _move_button(
                                    "←",
                                    "Move " + title + " to " + COLUMN_LABELS[PREVIOUS[column]],
                                    card.id,
                                    PREVIOUS[column],
                                    0,
                                )
                            ]
                            if column in PREVIOUS
                            else []
                        ),
                        _move_button(
                            "↑", "Move " + title + " up", card.id, column, card.position - 1
                        ),
                        _move_button(
                            "↓", "Move " + title + " down", card.id, column, card.position + 1
                        ),
                        *(
                            [
                                _move_button(
                                    "→",
                                    "Move " + title + " to " + COLUMN_LABELS[NEXT[column]],
                                    card.id,
                                    NEXT[column],
                                    0,
                                )
                            ]
                            if column in NEXT
                            else []
                        ),
                        rx.button(
                            "Edit",
                            size="1",
                            variant="ghost",
                            aria_label="Edit " + title,
                            on_click=BoardState.start_edit(card.id),
                        ),
                        confirm_button(
                            rx.button(
                                "Delete",
                                size="1",
                                variant="ghost",
                                color_scheme="red",
                                aria_label="Delete " + title,
                            ),
                            "Delete the card “" + card.title + "”?",
                            "It leaves the board for both of you. This cannot be undone.",
                            "Delete card",
                            BoardState.delete_card(card.id),
                            keep_label="Keep card",
                        ),
                        spacing="1",
                        wrap="wrap",
                    ),
                ),
                spacing="1",
                width="100%",
            ),
        ),
        width="100%",
    )


def _column(column: str, cards: rx.Var) -> rx.Component:
    return DragZone.create(
        rx.vstack(
            rx.hstack(
                rx.heading(COLUMN_LABELS[column], size="3", as_="h2"),
                rx.badge(cards.length().to_string(), radius="full"),
                align="center",
            ),
            rx.foreach(cards, lambda c: _card(c, column)),
            rx.cond(cards.length() == 0, rx.text("No cards.", size="1", color_scheme="gray")),
            spacing="2",
            width="100%",
        ),
        class_name="board-column",
        padding="0.75em",
        border_radius="var(--radius-3)",
        width="100%",
        aria_label=COLUMN_LABELS[column],
        role="group",
        **_drop_target(column, cards.length()),
    )


def _transitions() -> rx.Component:
    allowed = rx.cond(
        BoardState.my_role == "mentor", BoardRoom.transitions_mentor, BoardRoom.transitions_mentee
    )
    return rx.hstack(
        rx.cond(
            allowed.contains("pause"),
            rx.button("Pause", size="1", variant="soft", on_click=BoardState.transition("pause")),
        ),
        rx.cond(
            allowed.contains("resume"),
            rx.button("Resume", size="1", on_click=BoardState.transition("resume")),
        ),
        rx.cond(
            allowed.contains("complete"),
            rx.popover.root(
                rx.popover.trigger(rx.button("Complete", size="1", variant="outline")),
                rx.popover.content(
                    rx.form(
                        rx.vstack(
                            rx.el.label("What changed? A short reflection", html_for="reflection"),
                            rx.text_area(id="reflection", name="reflection", required=True),
                            rx.button("Complete mentorship", type="submit", size="1"),
                        ),
                        on_submit=BoardState.complete,
                    )
                ),
            ),
        ),
        spacing="2",
    )


def _board_switcher() -> rx.Component:
    """A mentor moves between mentees' boards without going back to the dashboard."""
    return rx.cond(
        BoardState.other_boards.length() > 1,
        rx.flex(
            rx.foreach(
                BoardState.other_boards,
                lambda r: rx.link(
                    rx.badge(
                        r.mentee_name
                        + " · "
                        + r.cards_done.to_string()
                        + "/"
                        + r.cards_total.to_string(),
                        rx.cond(r.needs_checkin, rx.icon("bell-ring", size=12)),
                        variant=rx.cond(r.id == BoardState.mentorship_id, "solid", "soft"),
                        color_scheme=rx.cond(r.needs_checkin, "red", "teal"),
                        size="2",
                    ),
                    href=routes.board_url(r.id),
                    underline="none",
                ),
            ),
            spacing="2",
            wrap="wrap",
            aria_label="Your mentees' boards",
            role="navigation",
        ),
    )


def _board_body() -> rx.Component:
    stage = BoardRoom.stage
    return rx.vstack(
        rx.link("← Mentorship", href=routes.MENTORSHIP, size="2"),
        _board_switcher(),
        rx.flex(
            rx.vstack(
                rx.heading("Board with " + BoardState.other_name, size="6", as_="h1"),
                rx.hstack(
                    _state_badge(BoardRoom.state, BoardRoom.state_label),
                    muted(BoardState.community_name),
                    spacing="2",
                ),
                rx.text("Goals: " + BoardState.goals, size="2"),
                spacing="1",
            ),
            rx.spacer(),
            _transitions(),
            width="100%",
            wrap="wrap",
            spacing="2",
        ),
        rx.cond(
            stage,
            rx.callout(
                "Mentee stage in "
                + BoardState.community_name
                + ": "
                + stage.label
                + ". "
                + stage.next_step,
                icon="sprout",
                width="100%",
                aria_label="Participation stage",
            ),
        ),
        rx.cond(
            (BoardState.my_role != "") & (BoardRoom.state == "active"),
            rx.flex(
                rx.input(
                    placeholder="New goal card",
                    value=BoardState.new_title,
                    on_change=BoardState.set_new_title,
                    aria_label="New card title",
                    flex="1",
                    min_width="12em",
                ),
                rx.select.root(
                    rx.select.trigger(
                        aria_label="Practice requirement", placeholder="No requirement"
                    ),
                    rx.select.content(
                        rx.foreach(
                            BoardState.requirement_options,
                            lambda o: rx.select.item(o["label"], value=o["value"]),
                        )
                    ),
                    value=BoardState.new_requirement,
                    on_change=BoardState.set_new_requirement,
                ),
                rx.input(
                    type="date",
                    value=BoardState.new_due,
                    on_change=BoardState.set_new_due,
                    aria_label="Due date",
                ),
                rx.button("Add card", on_click=BoardState.add_card),
                spacing="2",
                wrap="wrap",
                width="100%",
            ),
        ),
        field_error(BoardState.errors, "card"),
        rx.grid(
            *[_column(c, getattr(BoardRoom, c)) for c in COLUMNS],
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="3",
            width="100%",
            class_name=rx.cond(BoardState.dragging_id != 0, "board board-dragging", "board"),
        ),
        rx.heading("Session log", size="4", as_="h2"),
        rx.cond(
            (BoardState.my_role != "") & (BoardRoom.state == "active"),
            rx.card(
                rx.form(
                    rx.vstack(
                        form_error(BoardState.errors),
                        field("Date", "date", BoardState.errors, kind="date", required=True),
                        field(
                            "Notes",
                            "notes",
                            BoardState.errors,
                            multiline=True,
                            required=True,
                            max_length=5000,
                        ),
                        field(
                            "Agreed next steps",
                            "next_steps",
                            BoardState.errors,
                            multiline=True,
                            max_length=2000,
                        ),
                        rx.button("Log session", type="submit", size="2"),
                        spacing="2",
                        width="100%",
                    ),
                    on_submit=BoardState.add_note,
                ),
                width="100%",
            ),
        ),
        rx.foreach(
            BoardRoom.notes,
            lambda n: rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.text(n.date, weight="bold", size="2"),
                        rx.text(n.author_name, size="1", color_scheme="gray"),
                    ),
                    rx.text(n.notes, size="2", white_space="pre-wrap"),
                    rx.cond(n.next_steps != "", rx.text("Next: " + n.next_steps, size="2")),
                    spacing="1",
                ),
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )


@member_page
def board_page() -> rx.Component:
    """A mentee's board: cards both sides move live, goals met by real participation."""
    return found_or_missing(
        BoardState.found, _board_body(), BoardState.missing, "lock", "Board not available"
    )


def register(app: rx.App) -> None:
    """Add this module's routes."""
    add_member_page(app, mentorship_page, routes.MENTORSHIP, "Mentorship", MentorshipState.load)
    add_member_page(app, board_page, routes.BOARD, "Mentee board", BoardState.load)
