"""Search from the top bar (issue 15): "/" focuses the box, results appear grouped by kind
as the member types, the keyboard reaches a reply, Enter opens the thread at that reply;
the expert finder shows a member with the evidence for a tag."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

MEMBER = "hannah.kowalski@example.org"


def test_top_bar_search_opens_a_reply_at_its_place_and_experts_show_evidence(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    page = signed_in(MEMBER)
    open_page(page, "/communities")
    box = page.get_by_role("combobox", name="Search")
    expect(box).to_be_visible()  # the top bar shows it once the session is checked
    page.evaluate("document.activeElement && document.activeElement.blur()")  # not typing
    page.keyboard.press("/")
    expect(box).to_be_focused()
    box.press_sequentially("design not", delay=30)
    results = page.get_by_role("listbox", name="Search results")
    expect(results).to_be_visible()
    expect(results.get_by_text("Replies", exact=True)).to_be_visible()
    reply = results.get_by_role("option", name=re.compile(r"Reply in “Reviewing a 1,500-line"))
    expect(reply).to_be_visible()
    # Arrow keys move the active option (aria-activedescendant) until the reply is active.
    for _ in range(results.get_by_role("option").count()):
        box.press("ArrowDown")
        if reply.get_attribute("aria-selected") == "true":
            break
    expect(reply).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/c/engineering-craft/t/\d+#post-3$"))
    expect(page.locator("#post-3")).to_be_in_viewport()

    open_page(page, "/experts?topic=code-review")
    card = page.get_by_role("article").filter(has_text="Lena Fischer")
    expect(card).to_be_visible()
    expect(card.get_by_text(re.compile(r"accepted answer on code review"))).to_be_visible()
