"""Thread rows, posts and the bell: the discussion pieces shared by several pages."""

from typing import Any

import reflex as rx

from cop_app import routes
from cop_app.components import styles
from cop_app.components.ui import (
    confirm_button,
    count_of,
    inline_editor,
    link_button,
    muted,
    tag_list,
)
from cop_app.live import ThreadListRoom, ThreadRoom, UserRoom
from cop_app.states.auth import AuthState
from cop_app.states.discussions import BellState, ThreadListState, ThreadState
from cop_app.states.moderation import FlagState

REACTION_LABELS = (
    ("helpful", "Helpful", "thumbs-up"),
    ("insightful", "Insightful", "lightbulb"),
    ("thanks", "Thanks", "heart"),
)


def when(value: Any) -> rx.Component:
    """A relative time ("3 hours ago") that stays correct as time passes."""
    # Moment takes no Radix size: the span around it sets the small grey type.
    return rx.text(
        rx.moment(value, from_now=True), as_="span", size="1", color=rx.color("gray", 11)
    )


def thread_badges(pinned: Any, locked: Any, kind: Any, answered: Any) -> rx.Component:
    """Question / answered / pinned / locked markers."""
    return rx.hstack(
        rx.cond(pinned, rx.badge(rx.icon("pin", size=12), "Pinned", color_scheme="amber")),
        rx.cond(locked, rx.badge(rx.icon("lock", size=12), "Locked", color_scheme="gray")),
        rx.cond(
            kind == "question",
            rx.cond(
                answered,
                rx.badge(rx.icon("circle-check", size=12), "Answered", color_scheme="green"),
                rx.badge(rx.icon("circle-help", size=12), "Question", color_scheme="blue"),
            ),
        ),
        spacing="1",
        wrap="wrap",
    )


def thread_row(row: Any, unread: Any) -> rx.Component:
    """One line of a thread list, with the reader's unread count."""
    return rx.box(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.link(
                        rx.text(row.title, weight="medium", size="3"),
                        href=routes.thread_url(row.community_slug, row.id),
                    ),
                    rx.cond(
                        unread > 0,
                        rx.badge(
                            unread.to_string() + " new",
                            color_scheme="teal",
                            variant="solid",
                            radius="full",
                        ),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.hstack(
                    thread_badges(row.pinned, row.locked, row.kind, row.answered),
                    rx.text(row.author_name, size="1", color_scheme="gray"),
                    tag_list(row.tags),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.vstack(
                rx.text(count_of(row.reply_count, "reply", "replies"), size="1"),
                when(row.last_activity_at),
                align="end",
                spacing="0",
            ),
            spacing="3",
            width="100%",
        ),
        padding_y="0.75em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def _list_unread(row: Any) -> Any:
    key = row.id.to_string()
    return rx.cond(
        ThreadListState.read_marks.contains(key),
        row.post_count - ThreadListState.read_marks[key],
        row.post_count,
    )


def community_threads(slug: Any, can_post: Any) -> rx.Component:
    """The Discussions tab: live latest activity, or a sorted page."""
    rows = rx.cond(ThreadListState.live, ThreadListRoom.latest, ThreadListState.rows)
    return rx.vstack(
        rx.flex(
            rx.select.root(
                rx.select.trigger(aria_label="Sort threads"),
                rx.select.content(
                    rx.select.item("Latest activity", value="latest"),
                    rx.select.item("Newest", value="newest"),
                    rx.select.item("Top", value="top"),
                    rx.select.item("Unanswered questions", value="unanswered"),
                ),
                value=ThreadListState.sort,
                on_change=ThreadListState.set_sort,
            ),
            rx.spacer(),
            rx.cond(
                can_post,
                link_button(
                    rx.icon("plus", size=16), "New thread", href=routes.new_thread_url(slug)
                ),
            ),
            width="100%",
            spacing="2",
            align="center",
        ),
        rx.cond(
            ThreadListState.error != "", rx.callout(ThreadListState.error, color_scheme="amber")
        ),
        rx.cond(
            rows.length() > 0,
            rx.vstack(
                rx.foreach(rows, lambda r: thread_row(r, _list_unread(r))),
                rx.foreach(ThreadListState.more, lambda r: thread_row(r, _list_unread(r))),
                rx.cond(
                    ThreadListState.has_more,
                    rx.button(
                        "More threads",
                        variant="soft",
                        width="100%",
                        on_click=ThreadListState.load_more,
                    ),
                ),
                spacing="0",
                width="100%",
                aria_label="Threads",
            ),
            rx.cond(
                ThreadListState.error == "",
                rx.text(
                    rx.cond(
                        ThreadListState.sort == "unanswered",
                        "Every question here has an answer. ",
                        "No threads yet. ",
                    ),
                    rx.cond(
                        can_post,
                        "Start one: ask a question or share what you learned.",
                        "Join to start the first one.",
                    ),
                    color_scheme="gray",
                    padding_y="1em",
                ),
            ),
        ),
        spacing="3",
        width="100%",
        padding_y="1em",
    )


def _reaction_button(post: Any, kind: str, label: str, icon: str) -> rx.Component:
    count = post[kind]
    mine = ThreadState.my_reactions.contains(post.id.to_string() + ":" + kind)
    return rx.button(
        rx.icon(icon, size=14),
        count.to_string(),
        size="1",
        variant=rx.cond(mine, "solid", "soft"),
        color_scheme=rx.cond(mine, styles.ACCENT, "gray"),
        aria_label=label + " (" + count.to_string() + ")",
        aria_pressed=rx.cond(mine, "true", "false"),
        on_click=ThreadState.toggle_reaction(post.id, kind),
        disabled=~ThreadState.thread.is_member,
    )


def _editor() -> rx.Component:
    return inline_editor(
        ThreadState,
        "Title",
        "Edit post",
        show_title=ThreadState.edit_title != "",
        rows="6",
        size="2",
    )


def _removed(post: Any) -> rx.Component:
    """The removed marker; moderators can open the kept text, marked as theirs only."""
    key = post.id.to_string()
    return rx.vstack(
        rx.hstack(
            rx.text(
                post.removed_label,
                color_scheme="gray",
                font_style="italic",
            ),
            rx.cond(
                ThreadState.thread.can_moderate & ~ThreadState.revealed.contains(key),
                rx.button(
                    "Show removed text",
                    size="1",
                    variant="ghost",
                    on_click=ThreadState.reveal(post.id),
                ),
            ),
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            ThreadState.revealed.contains(key),
            rx.box(
                rx.badge("Visible to moderators only", color_scheme="amber", variant="soft"),
                rx.box(rx.html(ThreadState.revealed[key]), class_name="post-body"),
                border=f"1px dashed {rx.color('amber', 8)}",
                border_radius="var(--radius-2)",
                padding="0.5em",
                width="100%",
                aria_label="Removed text",
            ),
        ),
        padding_y="0.5em",
        spacing="2",
        width="100%",
    )


def post_card(post: Any) -> rx.Component:
    """One post: author, time, body (sanitized HTML), reactions and actions."""
    thread = ThreadState.thread
    mine = post.author_id == AuthState.user_id
    is_question_reply = (thread.kind == "question") & (post.number > 1)
    return rx.box(
        rx.hstack(
            rx.avatar(fallback=post.author_name[0], size="2", radius="full"),
            rx.vstack(
                rx.hstack(
                    rx.link(
                        post.author_name,
                        href=routes.profile_url(post.author_id),
                        weight="medium",
                        size="2",
                    ),
                    rx.text("#" + post.number.to_string(), size="1", color_scheme="gray"),
                    when(post.created_at),
                    rx.cond(
                        post.edited,
                        rx.dialog.root(
                            rx.dialog.trigger(
                                rx.button(
                                    "edited",
                                    size="1",
                                    variant="ghost",
                                    aria_label="Show edit history",
                                )
                            ),
                            rx.dialog.content(
                                rx.dialog.title("Earlier versions"),
                                rx.vstack(
                                    rx.foreach(
                                        ThreadState.revisions,
                                        lambda r: rx.card(
                                            rx.text(r["when"], size="1"),
                                            rx.text(r["title"], weight="bold"),
                                            rx.html(r["body_html"]),
                                        ),
                                    ),
                                    spacing="2",
                                ),
                                rx.dialog.close(rx.button("Close", variant="soft")),
                            ),
                            # Loaded on opening, not by a click on the trigger: a trigger
                            # child with on_click gets wrapped in a box holding aria-expanded.
                            on_open_change=lambda _open: ThreadState.show_revisions(post.id),
                        ),
                    ),
                    rx.cond(
                        post.accepted,
                        rx.badge(
                            rx.icon("circle-check", size=12),
                            "Accepted answer",
                            color_scheme="green",
                        ),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    post.parent_number > 0,
                    rx.link(
                        "in reply to #" + post.parent_number.to_string(),
                        href="#post-" + post.parent_number.to_string(),
                        size="1",
                    ),
                ),
                spacing="0",
            ),
            spacing="2",
            align="center",
        ),
        rx.cond(
            ThreadState.editing_id == post.id,
            _editor(),
            rx.cond(
                post.removed,
                _removed(post),
                rx.box(
                    rx.html(post.body_html),
                    class_name="post-body",
                    padding_y="0.5em",
                    overflow_wrap="anywhere",
                ),
            ),
        ),
        rx.cond(
            ~post.removed,
            rx.flex(
                *[_reaction_button(post, k, label, icon) for k, label, icon in REACTION_LABELS],
                rx.cond(
                    post.helpful + post.insightful + post.thanks > 0,
                    rx.popover.root(
                        rx.popover.trigger(
                            rx.button(
                                "Who reacted",
                                size="1",
                                variant="ghost",
                                color_scheme="gray",
                            )
                        ),
                        rx.popover.content(
                            rx.vstack(
                                *[
                                    rx.cond(
                                        ThreadState.reactor_names[k].length() > 0,
                                        rx.text(
                                            label + ": " + ThreadState.reactor_names[k].join(", "),
                                            size="2",
                                        ),
                                    )
                                    for k, label, _ in REACTION_LABELS
                                ],
                                spacing="1",
                                max_width="20em",
                            )
                        ),
                        on_open_change=lambda _open: ThreadState.show_reactors(post.id),
                    ),
                ),
                rx.spacer(),
                rx.cond(
                    # The room's lock, not the one read at open: live both ways.
                    thread.is_member & ~ThreadRoom.locked,
                    rx.hstack(
                        rx.button(
                            "Reply",
                            size="1",
                            variant="ghost",
                            aria_label="Reply to #" + post.number.to_string(),
                            on_click=ThreadState.reply_to(post.id),
                        ),
                        rx.button(
                            "Quote",
                            size="1",
                            variant="ghost",
                            aria_label="Quote #" + post.number.to_string(),
                            on_click=ThreadState.quote(post.id),
                        ),
                        spacing="1",
                    ),
                ),
                rx.cond(
                    thread.can_accept & is_question_reply,
                    rx.cond(
                        post.accepted,
                        rx.button(
                            "Unmark answer",
                            size="1",
                            variant="ghost",
                            on_click=ThreadState.accept(0),
                        ),
                        rx.button(
                            "Accept answer",
                            size="1",
                            variant="soft",
                            color_scheme="green",
                            aria_label="Accept #" + post.number.to_string() + " as answer",
                            on_click=ThreadState.accept(post.id),
                        ),
                    ),
                ),
                rx.cond(
                    ~mine & ThreadState.thread.is_member,
                    rx.button(
                        "Flag",
                        size="1",
                        variant="ghost",
                        color_scheme="gray",
                        aria_label="Flag #" + post.number.to_string(),
                        on_click=FlagState.ask("post", post.id),
                    ),
                ),
                rx.cond(
                    mine,
                    rx.hstack(
                        rx.button(
                            "Edit",
                            size="1",
                            variant="ghost",
                            aria_label="Edit #" + post.number.to_string(),
                            on_click=ThreadState.start_edit(post.id),
                        ),
                        confirm_button(
                            rx.button(
                                "Delete",
                                size="1",
                                variant="ghost",
                                color_scheme="red",
                                aria_label="Delete #" + post.number.to_string(),
                            ),
                            "Delete post #" + post.number.to_string() + "?",
                            "Readers see “Removed by author.” in its place. This cannot be undone.",
                            "Delete post",
                            ThreadState.delete(post.id),
                            keep_label="Keep post",
                        ),
                        spacing="1",
                    ),
                ),
                spacing="3",
                wrap="wrap",
                align="center",
                width="100%",
            ),
        ),
        id="post-" + post.number.to_string(),
        padding="0.75em",
        margin_left=rx.cond(post.parent_number > 1, ["0.75em", "2em"], "0"),
        border_left=rx.cond(post.parent_number > 1, f"2px solid {rx.color('gray', 5)}", "none"),
        border_radius="var(--radius-3)",
        background=rx.cond(post.accepted, rx.color("green", 2), "transparent"),
        # An indented reply is narrower by its indent: at 100% it ran past a phone's edge.
        width=rx.cond(post.parent_number > 1, ["calc(100% - 0.75em)", "calc(100% - 2em)"], "100%"),
        box_sizing="border-box",
        min_width="0",
    )


def bell() -> rx.Component:
    """The notification bell with a live unread count."""
    return rx.popover.root(
        rx.popover.trigger(
            # The trigger is the named button itself; the count inside it is decoration
            # (already in the name), so a screen reader hears one control, not a box.
            rx.icon_button(
                rx.icon("bell"),
                rx.cond(
                    UserRoom.unread > 0,
                    rx.badge(
                        UserRoom.unread.to_string(),
                        color_scheme="red",
                        variant="solid",
                        radius="full",
                        position="absolute",
                        top="-6px",
                        right="-8px",
                        size="1",
                        id="bell-count",
                        aria_hidden="true",
                    ),
                ),
                variant="ghost",
                aria_label="Notifications (" + UserRoom.unread.to_string() + " unread)",
                position="relative",
            )
        ),
        rx.popover.content(
            rx.vstack(
                rx.hstack(
                    rx.heading("Notifications", size="3", as_="h2"),
                    rx.spacer(),
                    rx.button(
                        "Mark all read", size="1", variant="ghost", on_click=BellState.mark_all_read
                    ),
                    width="100%",
                ),
                rx.cond(
                    UserRoom.notifications.length() > 0,
                    rx.vstack(
                        rx.foreach(
                            UserRoom.notifications,
                            lambda n: rx.link(
                                rx.hstack(
                                    rx.cond(
                                        n.unread,
                                        rx.box(
                                            width="8px",
                                            height="8px",
                                            border_radius="50%",
                                            background=rx.color(styles.ACCENT, 9),
                                            flex_shrink="0",
                                        ),
                                    ),
                                    rx.vstack(
                                        rx.text(n.text, size="2"), when(n.created_at), spacing="0"
                                    ),
                                    align="center",
                                    spacing="2",
                                ),
                                href=n.link,
                                underline="none",
                                color="inherit",
                                on_click=BellState.open_notification(n.ids),
                            ),
                        ),
                        spacing="2",
                        width="100%",
                    ),
                    muted(
                        "Nothing new. Mentions, replies to threads you follow and accepted "
                        "answers appear here."
                    ),
                ),
                spacing="3",
                width="20em",
                max_width="85vw",
            ),
            aria_label="Notifications",
        ),
    )
