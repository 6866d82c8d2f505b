"""The practice library: lists (every community's, one community's), a resource with its
editor, files, endorsements and reuse, its history with a diff, and the new-resource form."""

from typing import Any

import reflex as rx

from cop_app import routes
from cop_app.components.layout import add_member_page, member_page
from cop_app.components.ui import (
    count_of,
    draft_kept_note,
    empty_state,
    field_error,
    form_error,
    found_or_missing,
    link_button,
    live_field,
    loading_block,
    markdown_editor,
    missing_or_loading,
    muted,
    page_header,
    tag_list,
)
from cop_app.live import LibraryRoom, ResourceRoom
from cop_app.services import library
from cop_app.states.auth import AuthState
from cop_app.states.library import (
    HistoryState,
    LibraryState,
    NewResourceState,
    PromoteState,
    ResourceState,
)

KIND_OPTIONS = [(k, library.KIND_LABELS[k]) for k in library.KINDS]


def resource_row(r: Any) -> rx.Component:
    """One resource in a list: kind, title, summary, counts, health marks."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(r.kind_label, variant="soft"),
                rx.cond(r.outdated, rx.badge("Outdated", color_scheme="red")),
                rx.cond(
                    r.needs_review & ~r.outdated, rx.badge("Needs review", color_scheme="amber")
                ),
                rx.text(r.community_name, size="1", color_scheme="gray"),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            rx.link(rx.heading(r.title, size="4", as_="h3"), href=routes.resource_url(r.id)),
            muted(r.summary),
            rx.hstack(
                tag_list(r.tags),
                rx.text(
                    count_of(r.reuse_count, "reuse", "reuses"),
                    " · ",
                    count_of(r.endorse_count, "endorsement", "endorsements"),
                    " · by ",
                    r.author_name,
                    " · updated ",
                    r.updated_on,
                    size="1",
                    color_scheme="gray",
                ),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        opacity=rx.cond(r.outdated, "0.7", "1"),
    )


def _filters() -> rx.Component:
    return rx.flex(
        rx.select.root(
            rx.select.trigger(aria_label="Sort resources"),
            rx.select.content(
                *[rx.select.item(label, value=key) for key, label in library.SORT_LABELS.items()]
            ),
            value=LibraryState.sort,
            on_change=LibraryState.set_sort,
        ),
        rx.select.root(
            rx.select.trigger(aria_label="Kind of resource"),
            rx.select.content(
                rx.select.item("Every kind", value="all"),
                *[rx.select.item(label, value=key) for key, label in KIND_OPTIONS],
            ),
            value=rx.cond(LibraryState.kind == "", "all", LibraryState.kind),
            on_change=LibraryState.set_kind,
        ),
        rx.debounce_input(
            rx.input(
                placeholder="Tag",
                value=LibraryState.tag,
                on_change=LibraryState.set_tag,
                aria_label="Filter by tag",
                max_length=30,
            ),
            debounce_timeout=400,
        ),
        spacing="2",
        wrap="wrap",
        width="100%",
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            "Previous page",
            variant="soft",
            disabled=LibraryState.page <= 1,
            on_click=LibraryState.go_page(-1),
        ),
        rx.text("Page ", LibraryState.page.to_string(), size="2"),
        rx.button(
            "Next page",
            variant="soft",
            disabled=~LibraryState.has_more,
            on_click=LibraryState.go_page(1),
        ),
        spacing="3",
        align="center",
    )


def library_list(*, new_href: Any = None) -> rx.Component:
    """The list with its filters; live from the community's room in its default view."""
    rows = rx.cond(LibraryState.live, LibraryRoom.top, LibraryState.rows)
    hint = rx.cond(
        LibraryState.community_id > 0,
        rx.cond(
            LibraryState.is_member,
            "Add a guide, template, checklist, case story or tool your community uses, or "
            "promote a helpful thread from its Discussions.",
            "Join the community to add what it practises to its library.",
        ),
        "Nothing matches yet. Clear the filters, or open one of your communities and add "
        "what it practises.",
    )
    add = (
        rx.cond(
            LibraryState.is_member,
            link_button(rx.icon("plus", size=16), "Add a resource", href=new_href),
        )
        if new_href is not None
        else rx.fragment()
    )
    return rx.vstack(
        rx.flex(_filters(), rx.spacer(), add, width="100%", wrap="wrap", spacing="2"),
        rx.cond(
            LibraryState.error != "",
            rx.callout(LibraryState.error, color_scheme="amber", role="alert", width="100%"),
        ),
        rx.cond(
            ~LibraryState.loaded,
            loading_block(),
            rx.cond(
                rows.length() > 0,
                rx.vstack(rx.foreach(rows, resource_row), _pager(), spacing="2", width="100%"),
                rx.cond(
                    LibraryState.error == "",
                    empty_state("library", "No resources here yet", hint),
                ),
            ),
        ),
        spacing="3",
        width="100%",
    )


def _review_list() -> rx.Component:
    return rx.cond(
        LibraryState.review.length() > 0,
        rx.vstack(
            rx.heading("Needs your review", size="4", as_="h2"),
            muted(
                "Resources you own or steward that nobody reviewed for a while, or that were "
                "marked outdated."
            ),
            rx.foreach(LibraryState.review, resource_row),
            spacing="2",
            width="100%",
        ),
    )


@member_page
def library_page() -> rx.Component:
    """Every library the member may see."""
    return rx.vstack(
        page_header(
            "Library", "Guides, templates, checklists, case stories and tools, across communities."
        ),
        _review_list(),
        library_list(),
        spacing="4",
        width="100%",
    )


@member_page
def community_library_page() -> rx.Component:
    """One community's library."""
    return rx.vstack(
        rx.link(
            "← " + LibraryState.community_name,
            href=routes.community_url(LibraryState.community_slug),
            size="2",
        ),
        page_header(
            LibraryState.community_name + " library",
            count_of(LibraryRoom.resource_count, "resource", "resources")
            + ", reused "
            + count_of(LibraryRoom.reuse_total, "time", "times"),
        ),
        _review_list(),
        library_list(new_href=routes.new_resource_url(LibraryState.community_slug)),
        spacing="4",
        width="100%",
    )


def community_library_tab(slug: Any) -> rx.Component:
    """The Library tab of a community page (live through the community's library room)."""
    return rx.vstack(
        rx.hstack(
            muted(
                count_of(LibraryRoom.resource_count, "resource", "resources"),
                ", reused ",
                count_of(LibraryRoom.reuse_total, "time", "times"),
            ),
            rx.spacer(),
            link_button("Open the library", href=routes.community_library_url(slug), size="2"),
            width="100%",
            align="center",
        ),
        library_list(new_href=routes.new_resource_url(slug)),
        spacing="3",
        padding_y="1em",
        width="100%",
    )


# ---------------------------------------------------------------- one resource


def _editor() -> rx.Component:
    errors = ResourceState.errors
    return rx.card(
        rx.vstack(
            rx.heading("Edit", size="4", as_="h2"),
            rx.cond(
                ResourceRoom.editing.length() > 1,
                rx.text(
                    "Someone else is editing too: whoever saves second will be asked to compare.",
                    size="2",
                    color_scheme="amber",
                ),
            ),
            rx.cond(
                ResourceState.conflict != "",
                rx.callout(
                    rx.vstack(
                        rx.text(ResourceState.conflict),
                        rx.text("What changed meanwhile:", weight="bold", size="2"),
                        _diff(ResourceState.conflict_lines),
                        rx.button(
                            "Keep my text and save on top of the latest",
                            on_click=ResourceState.take_latest,
                            size="2",
                        ),
                        spacing="2",
                        width="100%",
                    ),
                    color_scheme="amber",
                    role="alert",
                    width="100%",
                ),
            ),
            form_error(errors),
            _form_fields(ResourceState, errors),
            live_field(
                "Change note",
                "resource-note",
                ResourceState.note,
                lambda v: ResourceState.set_field("note", v),
                errors,
                "note",
                hint="One line: what this revision changes.",
                max_length=200,
            ),
            rx.hstack(
                rx.button(
                    "Save revision",
                    on_click=ResourceState.save(ResourceState.resource_id),
                    loading=ResourceState.saving,
                ),
                rx.button("Cancel", variant="soft", on_click=ResourceState.cancel_edit),
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _form_fields(state: Any, errors: Any) -> rx.Component:
    def set_(name: str) -> Any:
        return lambda v: state.set_field(name, v)

    return rx.vstack(
        rx.vstack(
            rx.el.label(rx.text("Kind", weight="medium", size="2"), html_for="resource-kind"),
            rx.select.root(
                rx.select.trigger(id="resource-kind", aria_label="Kind"),
                rx.select.content(*[rx.select.item(lbl, value=k) for k, lbl in KIND_OPTIONS]),
                value=state.kind,
                on_change=set_("kind"),
            ),
            field_error(errors, "kind"),
            spacing="1",
        ),
        live_field(
            "Title", "resource-title", state.title, set_("title"), errors, "title", max_length=200
        ),
        live_field(
            "Summary",
            "resource-summary",
            state.summary,
            set_("summary"),
            errors,
            "summary",
            hint="One or two sentences: what it is for.",
            max_length=500,
        ),
        markdown_editor(
            "Text",
            "resource-body",
            state.body,
            set_("body"),
            errors,
            rows="14",
            preview=rx.box(
                rx.html(state.preview_html, class_name="post-body"),
                border=f"1px solid {rx.color('gray', 5)}",
                border_radius="var(--radius-3)",
                padding="0.75em",
                min_height="8em",
                width="100%",
            ),
        ),
        live_field(
            "Tags",
            "resource-tags",
            state.tags,
            set_("tags"),
            errors,
            "tags",
            hint="Up to 6, separated by spaces or commas.",
        ),
        live_field(
            "Link (optional)",
            "resource-url",
            state.url,
            set_("url"),
            errors,
            "url",
            hint="A web address starting with http:// or https://.",
            max_length=500,
        ),
        spacing="3",
        width="100%",
    )


def _diff(lines: Any) -> rx.Component:
    def line(d: Any) -> rx.Component:
        return rx.text(
            rx.match(d.kind, ("add", "+ "), ("del", "- "), "  "),
            d.text,
            font_family="monospace",
            size="2",
            white_space="pre-wrap",
            width="100%",
            background=rx.match(
                d.kind,
                ("add", rx.color("green", 3)),
                ("del", rx.color("red", 3)),
                "transparent",
            ),
            text_decoration=rx.cond(d.kind == "del", "line-through", "none"),
        )

    return rx.box(rx.foreach(lines, line), width="100%", aria_label="Differences")


def _named_upload(label: str, *children: rx.Component, **props: Any) -> rx.Component:
    """`rx.upload.root` whose file input has a name: Reflex builds that input itself and
    passes it no props, so a screen reader would announce a nameless "file" field."""
    upload = rx.upload.root(*children, **props)
    file_input = upload.children[0].children[0]
    if getattr(file_input, "tag", None) != "input":
        raise RuntimeError("rx.upload.root changed shape: its file input was not found")
    file_input.custom_attrs["aria-label"] = label
    return upload


def _files() -> rx.Component:
    v = ResourceRoom.view
    file_row = lambda f: rx.hstack(  # noqa: E731
        rx.icon("paperclip", size=14),
        rx.button(
            f.filename,
            variant="ghost",
            size="2",
            on_click=ResourceState.download(f.id),
            aria_label="Download " + f.filename,
        ),
        rx.text(f.size_label, size="1", color_scheme="gray"),
        align="center",
        spacing="2",
    )
    uploader = rx.cond(
        ResourceState.mine.may_edit,
        rx.vstack(
            _named_upload(
                "Files to attach",
                rx.vstack(
                    rx.button("Choose files", variant="soft", size="2", type="button"),
                    rx.text(
                        "PDF, images, Word, Excel, PowerPoint or OpenDocument; up to 10 MB "
                        "each, 5 per resource.",
                        size="1",
                        color_scheme="gray",
                    ),
                    align="start",
                    spacing="1",
                ),
                id="resource-files",
                multiple=True,
                max_files=5,
                border=f"1px dashed {rx.color('gray', 6)}",
                padding="0.75em",
                width="100%",
            ),
            rx.foreach(rx.selected_files("resource-files"), lambda name: rx.text(name, size="1")),
            rx.button(
                "Upload files",
                size="2",
                on_click=ResourceState.upload(rx.upload_files(upload_id="resource-files")),
            ),
            spacing="2",
            width="100%",
        ),
    )
    return rx.vstack(
        rx.heading("Files", size="3", as_="h2"),
        rx.cond(
            v.attachments.length() > 0,
            rx.vstack(rx.foreach(v.attachments, file_row), spacing="1"),
            muted("No files attached."),
        ),
        uploader,
        spacing="2",
        width="100%",
    )


def _social() -> rx.Component:
    v, mine = ResourceRoom.view, ResourceState.mine
    return rx.vstack(
        rx.hstack(
            rx.button(
                rx.icon("hand-heart", size=16),
                rx.cond(mine.endorsed, "Withdraw endorsement", "I practise this"),
                variant=rx.cond(mine.endorsed, "solid", "soft"),
                on_click=ResourceState.endorse(ResourceState.resource_id, ~mine.endorsed),
                disabled=~mine.member,
            ),
            rx.text(
                count_of(v.endorse_count, "endorsement", "endorsements"),
                size="2",
                aria_label="Endorsements",
            ),
            rx.text(count_of(v.reuse_count, "reuse", "reuses"), size="2", aria_label="Reuses"),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            v.endorsers.length() > 0,
            muted("Practised by ", v.endorsers.join(", ")),
        ),
        rx.cond(
            mine.member & ~mine.reused & (v.author_id != AuthState.user_id),
            rx.hstack(
                rx.input(
                    value=ResourceState.outcome,
                    on_change=ResourceState.set_outcome,
                    placeholder="What came of it? (optional, one line)",
                    aria_label="Outcome of using this",
                    max_length=200,
                    width="100%",
                ),
                rx.button(
                    "I used this", on_click=ResourceState.record_reuse(ResourceState.resource_id)
                ),
                width="100%",
                spacing="2",
            ),
        ),
        field_error(ResourceState.errors, "outcome"),
        field_error(ResourceState.errors, "reuse"),
        rx.cond(mine.reused, rx.text("You recorded using this.", size="2", color_scheme="green")),
        rx.foreach(
            v.reuses,
            lambda u: rx.text(
                u.name,
                rx.cond(u.outcome != "", ": " + u.outcome, ""),
                " (",
                u.on,
                ")",
                size="2",
            ),
        ),
        spacing="2",
        width="100%",
    )


def _health() -> rx.Component:
    v, mine = ResourceRoom.view, ResourceState.mine
    return rx.vstack(
        muted(
            "Owner: ",
            v.owner_name,
            " · reviewed on ",
            v.reviewed_on,
            " · revision ",
            v.revision.to_string(),
        ),
        rx.cond(
            mine.may_edit,
            rx.hstack(
                rx.button("Edit", on_click=ResourceState.start_edit, size="2"),
                rx.button(
                    "Mark reviewed",
                    variant="soft",
                    size="2",
                    on_click=ResourceState.mark(v.id, "reviewed"),
                ),
                rx.button(
                    "Mark outdated",
                    variant="soft",
                    color_scheme="red",
                    size="2",
                    on_click=ResourceState.mark(v.id, "outdated"),
                ),
                spacing="2",
                wrap="wrap",
            ),
        ),
        rx.cond(
            mine.steward & (ResourceState.members.length() > 0),
            rx.hstack(
                rx.text("Transfer owner to", size="2"),
                rx.select.root(
                    rx.select.trigger(aria_label="New owner", placeholder="Choose a member"),
                    rx.select.content(
                        rx.foreach(
                            ResourceState.members,
                            lambda m: rx.select.item(m["name"], value=m["id"]),
                        )
                    ),
                    on_change=lambda owner: ResourceState.transfer(v.id, owner),
                ),
                align="center",
                spacing="2",
            ),
        ),
        link_button("History", href=routes.resource_history_url(v.id), variant="outline", size="2"),
        spacing="2",
        width="100%",
    )


def _resource_body() -> rx.Component:
    v = ResourceRoom.view
    others_editing = rx.foreach(
        ResourceRoom.editing.items(),
        lambda kv: rx.cond(
            kv[0] != AuthState.user_id.to_string(),
            rx.badge(rx.icon("pencil", size=12), kv[1], " is editing", color_scheme="amber"),
        ),
    )
    return rx.vstack(
        rx.link(
            "← " + v.community_name + " library",
            href=routes.community_library_url(v.community_slug),
            size="2",
        ),
        rx.cond(
            v.outdated,
            rx.callout(
                "This resource is marked outdated: it stays readable, but check it against "
                "current practice before you rely on it.",
                icon="triangle_alert",
                color_scheme="red",
                role="status",
                width="100%",
            ),
        ),
        rx.hstack(
            rx.badge(v.kind_label, variant="soft"),
            rx.cond(v.needs_review & ~v.outdated, rx.badge("Needs review", color_scheme="amber")),
            others_editing,
            spacing="2",
            wrap="wrap",
        ),
        rx.heading(v.title, size="7", as_="h1"),
        rx.text(v.summary, size="3", color_scheme="gray"),
        rx.text(
            "By ",
            rx.link(v.author_name, href=routes.profile_url(v.author_id), underline="always"),
            " (their resources were reused ",
            count_of(v.author_reuse, "time", "times"),
            ")",
            size="2",
        ),
        rx.cond(
            v.credits.length() > 0,
            muted("With words from ", v.credits.join(", ")),
        ),
        rx.cond(
            v.source_link != "",
            rx.text(
                "Promoted from the discussion ",
                rx.link(v.source_title, href=v.source_link),
                size="2",
            ),
        ),
        tag_list(v.tags),
        rx.cond(v.url != "", rx.link(v.url, href=v.url, is_external=True, size="2")),
        rx.cond(
            ResourceState.editing,
            _editor(),
            rx.box(rx.html(v.body_html, class_name="post-body"), width="100%"),
        ),
        rx.divider(),
        _social(),
        rx.divider(),
        _files(),
        rx.divider(),
        _health(),
        spacing="3",
        width="100%",
    )


@member_page
def resource_page() -> rx.Component:
    """One resource, live through its room."""
    return found_or_missing(
        ResourceState.found & (ResourceRoom.view.id == ResourceState.resource_id),
        _resource_body(),
        ResourceState.missing,
        "lock",
        "Resource not available",
        link_button("Open the library", href=routes.LIBRARY),
    )


@member_page
def history_page() -> rx.Component:
    """A resource's revisions and a diff between any two."""
    numbers = HistoryState.revisions.map(lambda r: r.number.to_string())

    def picker(label: str, value: Any, handler: Any) -> rx.Component:
        return rx.hstack(
            rx.text(label, size="2"),
            rx.select(numbers, value=value, on_change=handler, custom_attrs={"aria-label": label}),
            align="center",
            spacing="2",
        )

    row = lambda r: rx.hstack(  # noqa: E731
        rx.text("Revision ", r.number.to_string(), weight="bold", size="2"),
        muted(r.editor_name, " · ", r.when),
        rx.text(r.note, size="2"),
        rx.spacer(),
        rx.cond(
            HistoryState.may_edit & (r.number != HistoryState.revisions[0].number),
            rx.button(
                "Restore revision " + r.number.to_string(),
                size="1",
                variant="soft",
                on_click=HistoryState.restore(r.number),
            ),
        ),
        width="100%",
        wrap="wrap",
        align="center",
    )
    return rx.cond(
        HistoryState.found,
        rx.vstack(
            rx.link(
                "← " + HistoryState.title,
                href=routes.resource_url(HistoryState.resource_id),
                size="2",
            ),
            page_header("History", HistoryState.title),
            rx.vstack(rx.foreach(HistoryState.revisions, row), spacing="2", width="100%"),
            rx.heading("Compare", size="4", as_="h2"),
            rx.hstack(
                picker("From revision", HistoryState.older, HistoryState.set_older),
                picker("to revision", HistoryState.newer, HistoryState.set_newer),
                spacing="3",
                wrap="wrap",
            ),
            _diff(HistoryState.lines),
            spacing="3",
            width="100%",
        ),
        missing_or_loading(HistoryState.missing, "lock", "Resource not available"),
    )


@member_page
def new_resource_page() -> rx.Component:
    """Add a resource to a community's library, with a preview rendered by the server."""
    errors = NewResourceState.errors
    return rx.vstack(
        rx.heading(
            "Add to the " + NewResourceState.community_name + " library", size="6", as_="h1"
        ),
        form_error(errors),
        _form_fields(NewResourceState, errors),
        draft_kept_note(),
        rx.button(
            "Publish", on_click=NewResourceState.submit, loading=NewResourceState.posting, size="3"
        ),
        spacing="4",
        width="100%",
    )


def thread_library_links(can_create: Any, has_answer: Any) -> rx.Component:
    """On a thread page: the resources it became, and the buttons that promote it."""
    return rx.hstack(
        rx.foreach(
            PromoteState.in_library,
            lambda r: rx.link(
                rx.icon("library", size=14),
                " In the library: ",
                r["title"],
                href=r["link"],
                size="2",
            ),
        ),
        rx.cond(
            can_create,
            rx.hstack(
                rx.button(
                    rx.icon("book-plus", size=14),
                    "Promote to library",
                    size="1",
                    variant="soft",
                    loading=PromoteState.promoting,
                    on_click=PromoteState.promote(False),
                ),
                rx.cond(
                    has_answer,
                    rx.button(
                        "Promote the accepted answer",
                        size="1",
                        variant="soft",
                        loading=PromoteState.promoting,
                        on_click=PromoteState.promote(True),
                    ),
                ),
                spacing="2",
            ),
        ),
        spacing="3",
        wrap="wrap",
        align="center",
    )


def register(app: rx.App) -> None:
    """Add this module's routes."""
    add_member_page(app, library_page, routes.LIBRARY, "Library", LibraryState.load)
    add_member_page(
        app, community_library_page, routes.COMMUNITY_LIBRARY, "Library", LibraryState.load
    )
    add_member_page(
        app, new_resource_page, routes.NEW_RESOURCE, "Add a resource", NewResourceState.start
    )
    add_member_page(app, resource_page, routes.RESOURCE, "Resource", ResourceState.load)
    add_member_page(app, history_page, routes.RESOURCE_HISTORY, "History", HistoryState.load)
