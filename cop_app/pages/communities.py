"""The directory, a community's page (live members), and the community form."""

import reflex as rx

from cop_app import routes
from cop_app.components.layout import add_member_page, member_page
from cop_app.components.threads import community_threads, when
from cop_app.components.ui import (
    count_of,
    empty_state,
    field,
    form_error,
    found_or_missing,
    link_button,
    loading_block,
    muted,
    page_header,
    tag_list,
)
from cop_app.live import CommunityRoom
from cop_app.pages.library import community_library_tab
from cop_app.states.auth import AuthState
from cop_app.states.communities import CommunityFormState, CommunityState, DirectoryState
from cop_app.states.discussions import ThreadListState
from cop_app.states.library import LibraryState


def _kind_badge(kind: rx.Var, label: rx.Var) -> rx.Component:
    return rx.badge(label, color_scheme=rx.cond(kind == "cop", "teal", "violet"), variant="soft")


def _card(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(
                    rx.heading(card.name, size="4", as_="h2"), href=routes.community_url(card.slug)
                ),
                rx.spacer(),
                _kind_badge(card.kind, card.kind_label),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            muted(card.domain),
            tag_list(card.tags),
            rx.hstack(
                rx.icon("users", size=14),
                rx.text(count_of(card.member_count, "member", "members"), size="2"),
                rx.hstack(
                    rx.text("active", size="1", color_scheme="gray"),
                    when(card.last_activity_at),
                    spacing="1",
                    align="center",
                ),
                rx.cond(
                    card.visibility == "approval", rx.badge("Approval to join", variant="outline")
                ),
                rx.cond(card.my_status == "active", rx.badge("Joined", color_scheme="green")),
                rx.cond(card.my_status == "pending", rx.badge("Requested", color_scheme="amber")),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


@member_page
def directory() -> rx.Component:
    """Every community, searchable by name or tag and filterable by kind."""
    return rx.vstack(
        page_header(
            "Communities",
            "Find the people who practise what you do.",
            rx.cond(
                AuthState.can_create_community,
                link_button(rx.icon("plus"), "New community", href=routes.NEW_COMMUNITY),
            ),
        ),
        rx.flex(
            rx.box(
                rx.debounce_input(
                    rx.input(
                        id="directory-search",
                        aria_label="Search communities",
                        placeholder="Search by name or tag",
                        value=DirectoryState.query,
                        on_change=DirectoryState.set_query,
                        size="3",
                        width="100%",
                    ),
                    debounce_timeout=250,
                ),
                flex="1",
                min_width="12em",
            ),
            rx.select.root(
                rx.select.trigger(aria_label="Kind of community", placeholder="All kinds"),
                rx.select.content(
                    rx.select.item("All kinds", value="all"),
                    rx.select.item("Communities of Practice", value="cop"),
                    rx.select.item("Communities of Interest", value="coi"),
                ),
                value=rx.cond(DirectoryState.kind == "", "all", DirectoryState.kind),
                on_change=DirectoryState.set_kind,
                size="3",
            ),
            spacing="2",
            width="100%",
            wrap="wrap",
        ),
        rx.cond(DirectoryState.error != "", rx.callout(DirectoryState.error, color_scheme="red")),
        rx.cond(
            DirectoryState.cards.length() > 0,
            rx.vstack(rx.foreach(DirectoryState.cards, _card), spacing="3", width="100%"),
            rx.cond(
                DirectoryState.loading,
                loading_block(),
                empty_state(
                    "search",
                    "No communities match",
                    rx.cond(
                        AuthState.can_create_community,
                        "Try another word, or start the community yourself.",
                        "Try another word or clear the filter.",
                    ),
                ),
            ),
        ),
        spacing="4",
        width="100%",
    )


def _member_row(member: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.avatar(fallback=member.display_name[0], size="2", radius="full"),
        rx.vstack(
            rx.link(member.display_name, href=routes.profile_url(member.user_id), weight="medium"),
            rx.text(member.organisation, size="1", color_scheme="gray"),
            spacing="0",
        ),
        rx.spacer(),
        rx.cond(member.role == "steward", rx.badge("Steward", color_scheme="teal")),
        rx.cond(
            CommunityState.is_steward & (member.user_id != AuthState.user_id),
            _member_menu(member),
        ),
        width="100%",
        align="center",
        padding_y="0.4em",
    )


def _member_menu(member: rx.Var) -> rx.Component:
    """A steward's choices for one member: appoint or step down, remove."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(
                rx.icon("ellipsis", size=16),
                variant="ghost",
                size="1",
                aria_label="Manage " + member.display_name,
            )
        ),
        rx.menu.content(
            rx.cond(
                member.role == "steward",
                rx.menu.item(
                    "Step down to member",
                    on_select=CommunityState.set_role(member.user_id, "member"),
                ),
                rx.fragment(
                    rx.menu.item(
                        "Make steward",
                        on_select=CommunityState.set_role(member.user_id, "steward"),
                    ),
                    rx.menu.item(
                        "Remove from community",
                        color_scheme="red",
                        on_select=CommunityState.ask_remove(member.user_id, member.display_name),
                    ),
                ),
            ),
        ),
    )


def _remove_dialog() -> rx.Component:
    """Confirms a removal; the member loses the community's private rooms at once."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Remove " + CommunityState.removing_name + "?"),
            rx.alert_dialog.description(
                "They stop being a member at once and are told. They can ask to join again."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button("Keep member", variant="soft", on_click=CommunityState.cancel_remove)
                ),
                rx.alert_dialog.action(
                    rx.button("Remove", color_scheme="red", on_click=CommunityState.remove_member)
                ),
                justify="end",
                spacing="2",
                padding_top="1em",
            ),
        ),
        open=CommunityState.removing_id > 0,
    )


def _request_row(member: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(member.display_name, weight="medium"),
        rx.text(member.organisation, size="1", color_scheme="gray"),
        rx.spacer(),
        rx.button(
            "Approve",
            size="1",
            aria_label="Approve " + member.display_name,
            on_click=CommunityState.decide(member.user_id, True),
        ),
        rx.button(
            "Decline",
            size="1",
            variant="soft",
            color_scheme="red",
            aria_label="Decline " + member.display_name,
            on_click=CommunityState.decide(member.user_id, False),
        ),
        width="100%",
        align="center",
        wrap="wrap",
    )


def _membership_action() -> rx.Component:
    card = CommunityState.card
    return rx.cond(
        CommunityState.is_member,
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(
                rx.button("Leave community", variant="soft", color_scheme="gray")
            ),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Leave " + card.name + "?"),
                rx.alert_dialog.description("You can join again at any time."),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button("Stay", variant="soft")),
                    rx.alert_dialog.action(
                        rx.button("Leave", color_scheme="red", on_click=CommunityState.leave)
                    ),
                    justify="end",
                    spacing="2",
                    padding_top="1em",
                ),
            ),
        ),
        rx.cond(
            CommunityState.is_pending,
            rx.button(
                "Withdraw request",
                variant="soft",
                on_click=CommunityState.leave,
            ),
            rx.button(
                rx.cond(card.visibility == "approval", "Request to join", "Join community"),
                on_click=CommunityState.join,
            ),
        ),
    )


def _members_list() -> rx.Component:
    return rx.vstack(
        _remove_dialog(),
        rx.foreach(CommunityRoom.members, _member_row),
        rx.cond(
            CommunityRoom.member_count > CommunityRoom.members.length(),
            muted("Showing the first ", CommunityRoom.members.length().to_string(), " members."),
        ),
        spacing="1",
        padding_y="1em",
        width="100%",
        aria_label="Members",
    )


def _community_body() -> rx.Component:
    card = CommunityState.card
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    _kind_badge(card.kind, card.kind_label),
                    rx.cond(
                        card.visibility == "approval",
                        rx.badge("Approval to join", variant="outline"),
                    ),
                    spacing="2",
                ),
                rx.heading(card.name, size="8", as_="h1"),
                rx.text(card.domain, size="4", color_scheme="gray"),
                rx.hstack(
                    rx.icon("users", size=16),
                    rx.text(
                        rx.cond(
                            CommunityState.inside,
                            count_of(CommunityRoom.member_count, "member", "members"),
                            count_of(card.member_count, "member", "members"),
                        ),
                        aria_label="Member count",
                        id="member-count",
                        role="status",
                        aria_live="polite",
                    ),
                    align="center",
                    spacing="1",
                ),
                spacing="2",
                flex="1",
                min_width="14em",
            ),
            rx.hstack(
                _membership_action(),
                rx.cond(
                    CommunityState.is_steward,
                    link_button(
                        rx.icon("settings"),
                        "Settings",
                        variant="outline",
                        href=routes.community_settings_url(card.slug),
                    ),
                ),
                spacing="2",
            ),
            spacing="3",
            wrap="wrap",
            width="100%",
            align="start",
        ),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("Discussions", value="discussions"),
                rx.tabs.trigger("Library", value="library"),
                rx.tabs.trigger("About", value="about"),
                rx.tabs.trigger("Members", value="members"),
                rx.cond(
                    CommunityState.is_steward,
                    rx.tabs.trigger(
                        "Requests (" + CommunityState.pending.length().to_string() + ")",
                        value="requests",
                    ),
                ),
            ),
            rx.tabs.content(
                community_threads(card.slug, CommunityState.is_member),
                value="discussions",
            ),
            rx.tabs.content(community_library_tab(card.slug), value="library"),
            rx.tabs.content(
                rx.vstack(
                    rx.heading("What we practise", size="4", as_="h2"),
                    rx.text(card.domain),
                    rx.cond(
                        card.description != "", rx.text(card.description, white_space="pre-wrap")
                    ),
                    tag_list(card.tags),
                    spacing="3",
                    padding_y="1em",
                ),
                value="about",
            ),
            rx.tabs.content(
                rx.cond(
                    CommunityState.inside,
                    _members_list(),
                    rx.text(
                        "Join " + card.name + " to see who is in it.",
                        color_scheme="gray",
                        padding_y="1em",
                    ),
                ),
                value="members",
            ),
            rx.tabs.content(
                rx.cond(
                    CommunityState.pending.length() > 0,
                    rx.vstack(
                        rx.foreach(CommunityState.pending, _request_row),
                        spacing="2",
                        padding_y="1em",
                        width="100%",
                    ),
                    rx.text("No one is waiting to join.", color_scheme="gray", padding_y="1em"),
                ),
                value="requests",
            ),
            default_value="discussions",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


@member_page
def community() -> rx.Component:
    """A community: its domain, live member list, and join or leave."""
    return found_or_missing(
        CommunityState.found,
        _community_body(),
        CommunityState.missing,
        "map-pin-off",
        "Community not found",
        link_button("Browse communities", href=routes.COMMUNITIES),
    )


def _community_form(on_submit: rx.EventHandler, submit_label: str) -> rx.Component:
    errors, values = CommunityFormState.errors, CommunityFormState.values
    return rx.form(
        rx.vstack(
            form_error(errors),
            field(
                "Name",
                "name",
                errors,
                required=True,
                default=values["name"],
                max_length=80,
                placeholder="e.g. Perioperative Nursing Practice",
            ),
            rx.vstack(
                rx.el.label(rx.text("Kind", weight="medium", size="2"), html_for="field-kind"),
                rx.select.root(
                    rx.select.trigger(id="field-kind", aria_label="Kind"),
                    rx.select.content(
                        rx.select.item("Community of Practice (we practise together)", value="cop"),
                        rx.select.item("Community of Interest (we share a topic)", value="coi"),
                    ),
                    name="kind",
                    default_value=values["kind"],
                ),
                spacing="1",
            ),
            field(
                "Domain statement",
                "domain",
                errors,
                required=True,
                multiline=True,
                default=values["domain"],
                max_length=500,
                hint="What you practise together, in one or two sentences.",
            ),
            field(
                "Description",
                "description",
                errors,
                multiline=True,
                default=values["description"],
                max_length=5000,
            ),
            field(
                "Tags",
                "tags",
                errors,
                default=values["tags"],
                hint="Up to 8, separated by spaces or commas.",
            ),
            rx.vstack(
                rx.el.label(
                    rx.text("Who can join", weight="medium", size="2"), html_for="field-visibility"
                ),
                rx.select.root(
                    rx.select.trigger(id="field-visibility", aria_label="Who can join"),
                    rx.select.content(
                        rx.select.item("Anyone signed in (open)", value="open"),
                        rx.select.item("Stewards approve requests", value="approval"),
                    ),
                    name="visibility",
                    default_value=values["visibility"],
                ),
                spacing="1",
            ),
            rx.button(submit_label, type="submit", size="3"),
            spacing="4",
            width="100%",
            max_width="40em",
        ),
        on_submit=on_submit,
        reset_on_submit=False,
    )


@member_page
def new_community() -> rx.Component:
    """Create a community (mentors and admins)."""
    return rx.vstack(
        page_header("New community", "Say what the community practises; you become its steward."),
        rx.cond(
            AuthState.can_create_community,
            rx.cond(
                CommunityFormState.values.contains("name"),
                _community_form(CommunityFormState.create, "Create community"),
                loading_block(),
            ),
            empty_state(
                "lock",
                "Mentors and admins create communities",
                "Ask an admin to create one, or to make you a mentor.",
            ),
        ),
        width="100%",
    )


@member_page
def community_settings() -> rx.Component:
    """Stewards edit their community."""
    return rx.vstack(
        page_header("Community settings", "Changes are recorded in the audit log."),
        rx.cond(
            CommunityFormState.editing_id > 0,
            _community_form(CommunityFormState.save, "Save changes"),
            loading_block(),
        ),
        width="100%",
    )


def register(app: rx.App) -> None:
    """Add this module's routes."""
    add_member_page(app, directory, routes.COMMUNITIES, "Communities", DirectoryState.load)
    add_member_page(
        app, new_community, routes.NEW_COMMUNITY, "New community", CommunityFormState.start_new
    )
    add_member_page(
        app,
        community,
        routes.COMMUNITY,
        "Community",
        CommunityState.load_page,
        ThreadListState.load,
        LibraryState.load,
    )
    add_member_page(
        app,
        community_settings,
        routes.COMMUNITY_SETTINGS,
        "Community settings",
        CommunityFormState.start_edit,
    )
