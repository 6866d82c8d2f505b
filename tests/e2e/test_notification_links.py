"""A mentorship notification opens the pair's board: the mentor accepts a request and the
mentee follows the bell's notification to the board (it once linked to a missing page)."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

MENTOR = "nadia.haddad@example.org"
MENTEE = "mei.wong@example.org"  # asked Dr Nadia Haddad for mentorship in the demo data


def test_accepted_notification_opens_the_board(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    mentor, mentee = signed_in(MENTOR), signed_in(MENTEE)
    open_page(mentor, "/mentorship")
    mentor.get_by_role("button", name="Accept Mei Wong").click()
    expect(
        mentor.get_by_label("Your mentees").get_by_role("link", name="Open board").first
    ).to_be_visible()

    open_page(mentee, "/communities")
    mentee.get_by_role("button", name=re.compile(r"^Notifications \([1-9]\d* unread\)$")).click()
    mentee.get_by_role("link", name=re.compile("accepted your mentorship request")).click()
    expect(mentee).to_have_url(re.compile(r"/mentorship/boards/\d+/?$"))
    expect(
        mentee.get_by_role("heading", name=re.compile(r"^Board with .*Nadia Haddad"))
    ).to_be_visible()
    expect(mentee.get_by_role("heading", name="Page not found")).to_have_count(0)
