"""Drafts survive a reload in a real browser and are gone once posted (issue 12, point 10)."""

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages import wait_until_interactive

pytestmark = pytest.mark.e2e

# No other browser test posts as Oliver: the posting intervals of one member do not meet.
WRITER = "oliver.schmidt@example.org"
COMMUNITY = "/c/science-teaching-circle"


def kept_in_browser(page: Page, text: str) -> None:
    """Wait until the browser's draft store holds this text (the field sends it as one
    pauses typing, and the reply writes it to localStorage)."""
    page.wait_for_function(
        "(text) => (localStorage.getItem('cop_drafts') || '').includes(text)", arg=text
    )


def reload(page: Page) -> None:
    page.reload()
    wait_until_interactive(page)


def test_new_thread_and_reply_drafts_survive_a_reload(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    page = signed_in(WRITER)
    title = f"Do you rerun the titration practical? {uuid.uuid4().hex[:6]}"
    body = "Half the class got four hundred millilitres as their answer."

    open_page(page, COMMUNITY + "/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Body").fill(body)
    kept_in_browser(page, title)
    kept_in_browser(page, "four hundred")
    reload(page)
    expect(page.get_by_label("Title")).to_have_value(title)
    expect(page.get_by_label("Body")).to_have_value(body)
    expect(page.get_by_text("Your draft is kept in this browser")).to_be_visible()
    page.get_by_role("button", name="Start thread").click()
    expect(page).to_have_url(re.compile(r"/c/science-teaching-circle/t/\d+"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    thread_path = re.sub(r"^https?://[^/]+", "", page.url)

    open_page(page, COMMUNITY + "/new")
    expect(page.get_by_label("Title")).to_have_value("")
    expect(page.get_by_label("Body")).to_have_value("")

    open_page(page, thread_path)
    text = "Rerun it with a burette check first; the end point moves otherwise."
    page.get_by_label("Your reply").fill(text)
    kept_in_browser(page, "burette check")
    reload(page)
    expect(page.get_by_label("Your reply")).to_have_value(text)
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_label("Posts").get_by_text("Rerun it with a burette check")).to_be_visible()
    expect(page.get_by_label("Your reply")).to_have_value("")
    reload(page)
    expect(page.get_by_label("Your reply")).to_have_value("")
    expect(page.get_by_label("Posts").get_by_text("Rerun it with a burette check")).to_have_count(1)
