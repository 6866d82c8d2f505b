"""Profiles and the member's own settings."""

import reflex as rx

from cop_app import routes
from cop_app.components.layout import MEMBER_ON_LOAD, member_page
from cop_app.components.search import expert_tags
from cop_app.components.ui import (
    field,
    form_error,
    loading_block,
    missing_or_loading,
    muted,
    page_header,
)
from cop_app.states.people import ProfileState, SettingsState


def _community_line(item: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.link(item["name"], href=routes.community_url(item["slug"])),
        rx.cond(item["role"] == "steward", rx.badge("Steward", color_scheme="teal")),
        spacing="2",
    )


def _stage_line(stage: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(
                    stage.community_name,
                    href=routes.community_url(stage.community_slug),
                    weight="medium",
                ),
                rx.badge(stage.label, color_scheme="teal"),
                align="center",
                wrap="wrap",
            ),
            rx.progress(value=stage.rank * 20, aria_label="Stage " + stage.label, width="100%"),
            muted(stage.next_step),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


@member_page
def profile() -> rx.Component:
    """A member's public profile: expertise, organisation and communities."""
    p = ProfileState.profile
    return rx.cond(
        ProfileState.found,
        rx.vstack(
            rx.hstack(
                rx.avatar(fallback=p.display_name[0], size="6", radius="full"),
                rx.vstack(
                    rx.heading(p.display_name, size="7", as_="h1"),
                    rx.hstack(
                        rx.badge(p.role, variant="soft"),
                        rx.text(p.organisation, color_scheme="gray"),
                        spacing="2",
                    ),
                    spacing="1",
                ),
                spacing="4",
                align="center",
            ),
            rx.cond(p.bio != "", rx.text(p.bio, white_space="pre-wrap")),
            rx.heading("Expertise", size="4", as_="h2"),
            rx.cond(
                p.expertise.length() > 0,
                expert_tags(p.expertise),
                rx.text("No expertise listed yet.", color_scheme="gray"),
            ),
            rx.heading("Communities", size="4", as_="h2"),
            rx.cond(
                p.communities.length() > 0,
                rx.vstack(rx.foreach(p.communities, _community_line), spacing="1"),
                rx.text("Not a member of any community yet.", color_scheme="gray"),
            ),
            rx.text(
                "Library resources reused by others: ",
                ProfileState.reused.to_string(),
                size="2",
                aria_label="Library reuse",
            ),
            rx.cond(
                ProfileState.stages.length() > 0,
                rx.vstack(
                    rx.heading("Path from interested to practising", size="4", as_="h2"),
                    rx.foreach(ProfileState.stages, _stage_line),
                    spacing="2",
                    width="100%",
                    aria_label="Participation stages",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        missing_or_loading(ProfileState.missing, "user-x", "Person not found"),
    )


@member_page
def settings() -> rx.Component:
    """Profile details and password."""
    values = SettingsState.values
    return rx.vstack(
        page_header("Settings", "Your profile and your password."),
        rx.cond(
            values.contains("display_name"),
            rx.vstack(
                rx.card(
                    rx.form(
                        rx.vstack(
                            rx.heading("Profile", size="4", as_="h2"),
                            form_error(SettingsState.profile_errors),
                            field(
                                "Display name",
                                "display_name",
                                SettingsState.profile_errors,
                                required=True,
                                default=values["display_name"],
                                max_length=80,
                            ),
                            field(
                                "Organisation or department",
                                "organisation",
                                SettingsState.profile_errors,
                                default=values["organisation"],
                                max_length=120,
                            ),
                            field(
                                "Expertise tags",
                                "expertise",
                                SettingsState.profile_errors,
                                default=values["expertise"],
                                hint="Up to 12 tags, separated by spaces or commas.",
                            ),
                            field(
                                "Bio",
                                "bio",
                                SettingsState.profile_errors,
                                multiline=True,
                                default=values["bio"],
                                max_length=2000,
                            ),
                            rx.button("Save profile", type="submit"),
                            spacing="3",
                            width="100%",
                        ),
                        on_submit=SettingsState.save_profile,
                    ),
                    width="100%",
                ),
                rx.card(
                    rx.form(
                        rx.vstack(
                            rx.heading("Password", size="4", as_="h2"),
                            form_error(SettingsState.password_errors),
                            field(
                                "Current password",
                                "current_password",
                                SettingsState.password_errors,
                                kind="password",
                                required=True,
                                autocomplete="current-password",
                            ),
                            field(
                                "New password",
                                "new_password",
                                SettingsState.password_errors,
                                kind="password",
                                required=True,
                                autocomplete="new-password",
                                hint="At least 10 characters. Other devices are signed out.",
                            ),
                            rx.button("Change password", type="submit"),
                            spacing="3",
                            width="100%",
                        ),
                        on_submit=SettingsState.change_password,
                        reset_on_submit=False,
                    ),
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            loading_block(),
        ),
        width="100%",
    )


def register(app: rx.App) -> None:
    """Add this module's routes."""
    app.add_page(
        profile, route=routes.PROFILE, title="Profile", on_load=[*MEMBER_ON_LOAD, ProfileState.load]
    )
    app.add_page(
        settings,
        route=routes.SETTINGS,
        title="Settings",
        on_load=[*MEMBER_ON_LOAD, SettingsState.load],
    )
