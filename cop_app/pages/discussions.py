"""A thread page (live through ThreadRoom) and the new-thread form with a live preview."""

import reflex as rx

from cop_app import routes
from cop_app.components.layout import MEMBER_ON_LOAD, member_page
from cop_app.components.moderation import flag_dialog
from cop_app.components.search import expert_tags
from cop_app.components.threads import post_card, thread_badges
from cop_app.components.ui import (
    count_of,
    draft_kept_note,
    empty_state,
    field_error,
    found_or_missing,
    link_button,
    live_field,
    markdown_editor,
    muted,
    radio_choice,
)
from cop_app.live import ThreadRoom
from cop_app.pages.library import thread_library_links
from cop_app.states.discussions import NewThreadState, ThreadState
from cop_app.states.library import PromoteState


def _patched(post: rx.Var) -> rx.Component:
    """A post from a page the reader loaded, replaced by its live copy once it changed."""
    key = post.id.to_string()
    return rx.cond(
        ThreadRoom.patched.contains(key), post_card(ThreadRoom.patched[key]), post_card(post)
    )


def _accepted_block() -> rx.Component:
    """Under the question: a short excerpt of the accepted answer that links to it; the
    answer itself, with its controls, is shown once, in place."""
    key = ThreadRoom.accepted_post_id.to_string()
    answer = ThreadRoom.patched[key]
    number = answer.number.to_string()
    return rx.cond(
        (ThreadRoom.accepted_post_id > 0) & ThreadRoom.patched.contains(key),
        rx.box(
            rx.hstack(
                rx.icon("circle-check", size=14, color=rx.color("green", 11)),
                rx.text("Accepted answer", weight="bold", size="2", color_scheme="green"),
                muted("by " + answer.author_name),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(ThreadRoom.accepted_excerpt, size="2", padding_y="0.25em"),
            rx.link(
                "Read the accepted answer (#" + number + ")",
                href="#post-" + number,
                size="2",
            ),
            border=f"1px solid {rx.color('green', 6)}",
            border_radius="var(--radius-3)",
            padding="0.5em 0.75em",
            width="100%",
            aria_label="Accepted answer",
        ),
    )


def _with_answer(post: rx.Var, card: rx.Component) -> rx.Component:
    return rx.fragment(card, rx.cond(post.number == 1, _accepted_block()))


def _locked_empty() -> rx.Var:
    """A member's reply box has nothing to keep in a thread locked now: it steps aside."""
    return ThreadRoom.locked & (ThreadState.draft == "")


def _composer() -> rx.Component:
    """The reply box follows the room's lock: hidden from a member with nothing typed and
    back on unlock; a draft stays in view, read-only while the thread is locked. Hidden, not
    unmounted: a reply typed as the lock arrives still reaches the draft (its debounce)."""
    errors = ThreadState.errors
    return rx.cond(
        ThreadState.thread.is_member,
        rx.card(
            rx.vstack(
                rx.cond(
                    ThreadState.reply_to_id > 0,
                    rx.hstack(
                        rx.text("Replying to " + ThreadState.reply_to_label, size="2"),
                        rx.button(
                            "Reply to the thread instead",
                            size="1",
                            variant="ghost",
                            on_click=ThreadState.cancel_reply_to,
                        ),
                        align="center",
                    ),
                ),
                rx.cond(
                    ThreadRoom.locked,
                    rx.callout(
                        "This thread is locked: it accepts no new replies. What you typed "
                        "stays here for you to copy.",
                        icon="lock",
                        color_scheme="amber",
                        role="status",
                        width="100%",
                    ),
                ),
                rx.el.label(
                    rx.text("Your reply", weight="medium", size="2"), html_for="reply-body"
                ),
                rx.debounce_input(
                    rx.text_area(
                        id="reply-body",
                        value=ThreadState.draft,
                        on_change=ThreadState.set_draft,
                        read_only=ThreadRoom.locked,
                        rows="5",
                        width="100%",
                        placeholder="Share what you know. Markdown works; @ mentions a member.",
                        aria_invalid=rx.cond(errors.contains("body"), "true", "false"),
                    ),
                    debounce_timeout=300,
                ),
                rx.cond(
                    ThreadState.suggestions.length() > 0,
                    rx.flex(
                        rx.foreach(
                            ThreadState.suggestions,
                            lambda s: rx.button(
                                "@" + s["handle"] + " · " + s["name"],
                                size="1",
                                variant="soft",
                                on_click=ThreadState.pick_mention(s["handle"]),
                            ),
                        ),
                        spacing="1",
                        wrap="wrap",
                        aria_label="Mention suggestions",
                    ),
                ),
                field_error(errors, "body"),
                draft_kept_note(),
                rx.button(
                    "Post reply",
                    on_click=ThreadState.submit_reply,
                    loading=ThreadState.posting,
                    disabled=ThreadRoom.locked,
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
            display=rx.cond(_locked_empty(), "none", "block"),
        ),
        rx.callout(
            rx.cond(
                ThreadRoom.locked,
                "This thread is locked: it accepts no new replies.",
                "Join " + ThreadState.thread.community_name + " to take part in this discussion.",
            ),
            icon="info",
            width="100%",
        ),
    )


def _locked_note() -> rx.Component:
    """Where a member's reply box stood in a locked thread; it goes on unlock."""
    return rx.cond(
        ThreadState.thread.is_member & _locked_empty(),
        rx.callout("This thread is locked: it accepts no new replies.", icon="info", width="100%"),
    )


def _header() -> rx.Component:
    t = ThreadState.thread
    return rx.vstack(
        rx.link("← " + t.community_name, href=routes.community_url(t.community_slug), size="2"),
        rx.heading(ThreadRoom.title, size="7", as_="h1"),
        rx.hstack(
            thread_badges(
                ThreadRoom.pinned, ThreadRoom.locked, t.kind, ThreadRoom.accepted_post_id > 0
            ),
            expert_tags(t.tags),
            muted(count_of(ThreadRoom.reply_count, "reply", "replies")),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.hstack(
            rx.button(
                rx.icon(rx.cond(t.following, "bell-off", "bell"), size=14),
                rx.cond(t.following, "Unfollow", "Follow"),
                size="1",
                variant="soft",
                on_click=ThreadState.set_following(~t.following),
            ),
            rx.cond(
                t.can_moderate,
                rx.hstack(
                    rx.button(
                        rx.cond(ThreadRoom.pinned, "Unpin", "Pin"),
                        size="1",
                        variant="outline",
                        on_click=ThreadState.moderate("pinned", ~ThreadRoom.pinned),
                    ),
                    rx.button(
                        rx.cond(ThreadRoom.locked, "Unlock", "Lock"),
                        size="1",
                        variant="outline",
                        on_click=ThreadState.moderate("locked", ~ThreadRoom.locked),
                    ),
                    spacing="1",
                ),
            ),
            spacing="2",
        ),
        thread_library_links(t.is_member, ThreadRoom.accepted_post_id > 0),
        spacing="2",
        width="100%",
    )


def _new_replies_banner() -> rx.Component:
    """Points a reader who is scrolled up at the replies that arrived below them.

    assets/thread_end.js marks <html data-thread-end="visible"> while the end of the thread
    is on screen; such a reader already sees the new replies, so the banner is hidden then.
    The sticky strip has no height, so hiding or showing it as the reader scrolls moves nothing.
    Replies that arrive while the reader is at the end are marked read when they scroll away
    (one event per scroll away, not one per reply and reader).
    """
    new = ThreadRoom.post_count - ThreadState.seen_upto
    return rx.cond(
        new > 0,
        rx.box(
            rx.button(
                rx.icon("arrow-down", size=14),
                new.to_string() + rx.cond(new == 1, " new reply", " new replies"),
                on_click=ThreadState.mark_seen,
                radius="full",
                size="2",
            ),
            # thread_end.js clicks this when a reader who saw the end scrolls away from it:
            # what arrived while they were there is read, so the banner does not recount it.
            rx.el.button(
                "Mark new replies seen",
                id="thread-seen",
                on_click=ThreadState.mark_seen_in_place,
                display="none",
            ),
            position="sticky",
            bottom="1em",
            height="0",
            display="flex",
            align_items="flex-end",
            justify_content="center",
            width="100%",
            z_index="10",
            style={"html[data-thread-end=visible] &": {"visibility": "hidden"}},
        ),
    )


def _removed_while_open() -> rx.Component:
    """Moderators hid or removed the thread a member was reading: said plainly in place of
    a page that would no longer change, with any reply they were writing left to copy."""
    t = ThreadState.thread
    return rx.vstack(
        empty_state(
            "message-square-off",
            "Thread removed",
            "Moderators removed this thread while you had it open.",
            link_button("Back to " + t.community_name, href=routes.community_url(t.community_slug)),
        ),
        rx.cond(
            ThreadState.draft != "",
            rx.vstack(
                rx.el.label(
                    rx.text("Your unposted reply", weight="medium", size="2"),
                    html_for="reply-kept",
                ),
                rx.text_area(
                    id="reply-kept", value=ThreadState.draft, read_only=True, rows="5", width="100%"
                ),
                spacing="1",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _thread_body() -> rx.Component:
    hidden = ThreadRoom.recent_from - 1 - ThreadState.loaded_upto
    return rx.vstack(
        _header(),
        rx.cond(
            ThreadRoom.hidden,
            rx.callout(
                "Hidden by moderators: only moderators can open this thread.",
                icon="eye-off",
                color_scheme="amber",
                width="100%",
            ),
        ),
        rx.vstack(
            rx.foreach(
                ThreadState.loaded,
                lambda p: rx.cond(p.number < ThreadRoom.recent_from, _with_answer(p, _patched(p))),
            ),
            rx.cond(
                hidden > 0,
                rx.button(
                    "Load more replies (" + hidden.to_string() + " not shown)",
                    variant="soft",
                    width="100%",
                    on_click=ThreadState.load_more,
                ),
            ),
            rx.foreach(ThreadRoom.recent, lambda p: _with_answer(p, post_card(p))),
            rx.box(id="thread-end", scroll_margin_top="50vh"),
            spacing="2",
            width="100%",
            aria_label="Posts",
        ),
        _new_replies_banner(),
        _locked_note(),
        _composer(),
        flag_dialog(),
        spacing="4",
        width="100%",
    )


@member_page
def thread_page() -> rx.Component:
    """A thread: its posts (paged, the newest live), the accepted answer, the reply box."""
    return found_or_missing(
        ThreadState.found,
        rx.cond(
            ThreadRoom.hidden & ~ThreadState.thread.can_moderate,
            _removed_while_open(),
            _thread_body(),
        ),
        ThreadState.missing,
        "message-square-off",
        "Thread not available",
        link_button("Browse communities", href=routes.COMMUNITIES),
    )


@member_page
def new_thread() -> rx.Component:
    """Start a discussion or ask a question, with a preview rendered by the server."""
    errors = NewThreadState.errors
    return rx.vstack(
        rx.heading("New thread in " + NewThreadState.community_name, size="6", as_="h1"),
        rx.cond(
            errors.contains("form"),
            rx.callout(errors["form"], color_scheme="red", role="alert", width="100%"),
        ),
        rx.vstack(
            rx.text("Type", weight="medium", size="2", id="thread-kind-label"),
            # Each option is named by its own label; the group by "Type" (a label pointing at
            # the first option named it "Type" for screen readers).
            rx.radio_group.root(
                rx.hstack(
                    radio_choice("discussion", "Discussion"),
                    radio_choice("question", "Question (can get an accepted answer)"),
                    spacing="3",
                    align="center",
                    wrap="wrap",
                ),
                value=NewThreadState.kind,
                on_change=NewThreadState.set_kind,
                aria_labelledby="thread-kind-label",
            ),
            spacing="1",
        ),
        live_field(
            "Title",
            "thread-title",
            NewThreadState.title,
            NewThreadState.set_title,
            errors,
            "title",
            size="3",
            max_length=200,
        ),
        markdown_editor(
            "Body",
            "thread-body",
            NewThreadState.body,
            NewThreadState.set_body,
            errors,
            rows="12",
            preview=rx.card(
                rx.cond(
                    NewThreadState.preview_html != "",
                    rx.html(NewThreadState.preview_html, class_name="post-body"),
                    muted("The preview appears as you write."),
                ),
                width="100%",
                min_height="10em",
                aria_label="Preview",
            ),
        ),
        live_field(
            "Tags",
            "thread-tags",
            NewThreadState.tags,
            NewThreadState.set_tags,
            errors,
            "tags",
            hint="Up to 5, separated by spaces or commas.",
        ),
        rx.button(
            "Start thread", on_click=NewThreadState.submit, loading=NewThreadState.posting, size="3"
        ),
        spacing="4",
        width="100%",
    )


def register(app: rx.App) -> None:
    """Add this module's routes."""
    app.add_page(
        thread_page,
        route=routes.THREAD,
        title="Thread",
        on_load=[*MEMBER_ON_LOAD, ThreadState.load_page, PromoteState.load],
    )
    app.add_page(
        new_thread,
        route=routes.NEW_THREAD,
        title="New thread",
        on_load=[*MEMBER_ON_LOAD, NewThreadState.start],
    )
