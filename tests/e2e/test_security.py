"""Names in a real browser: a display name posing as an admin is refused next to the field,
and invisible or bidi characters never reach what other people read."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

MEMBER = "mei.wong@example.org"
OTHER_MEMBER = "ethan.brooks@example.org"


def save_display_name(page: Page, open_page: Callable[[Page, str], Page], name: str) -> None:
    """Type a display name on the settings page and save the profile."""
    open_page(page, "/settings")
    page.get_by_label("Display name").fill(name)
    page.get_by_role("button", name="Save profile").click()


def test_a_name_posing_as_an_admin_is_refused_on_the_settings_page(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    """A Cyrillic "a" (U+0430) and a zero for the O: it reads "Amara Okafor", the admin."""
    page = signed_in(MEMBER)
    save_display_name(page, open_page, "Am\u0430ra 0kafor")

    message = "This name looks like the name of an admin or steward. Choose another one."
    expect(page.get_by_role("alert").filter(has_text=message)).to_be_visible()
    expect(page.get_by_label("Display name")).to_have_accessible_description(message)
    page.reload()
    expect(page.get_by_label("Display name")).to_have_value("Mei Wong")


def test_bidi_and_zero_width_characters_are_stripped_from_a_saved_name(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    """A right-to-left override would flip what follows it on every page showing the name."""
    page = signed_in(OTHER_MEMBER)
    save_display_name(page, open_page, "\u202eEthan\u200b Brooks-Ñúñez")

    expect(page.get_by_text("Profile saved.")).to_be_visible()
    open_page(page, "/settings")
    expect(page.get_by_label("Display name")).to_have_value("Ethan Brooks-Ñúñez")
