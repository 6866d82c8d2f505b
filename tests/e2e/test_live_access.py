"""Live access ends when access ends, in real browsers: a member suspended while their tab
is open on a thread is told why at once, keeps their draft, and receives no more replies."""

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ADMIN = "amara.okafor@example.org"
MEMBER = "kwame.asante@example.org"  # a member of the Science Teaching Circle
WRITER = "marta.silva@example.org"  # its steward
LATER_WRITER = "oliver.schmidt@example.org"  # another member (posting has a minimum interval)
COMMUNITY = "/c/science-teaching-circle"
DRAFT = "A draft written before the suspension"


def post_reply(page: Page, text: str) -> None:
    page.get_by_label("Your reply").fill(text)
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_label("Posts").get_by_text(text)).to_be_visible()


def test_a_suspended_members_open_thread_says_why_and_stops_updating(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    admin, member, writer = signed_in(ADMIN), signed_in(MEMBER), signed_in(WRITER)
    open_page(member, COMMUNITY)
    member.get_by_label("Threads").get_by_role("link").first.click()
    expect(member).to_have_url(re.compile(r"/t/\d+"))
    member.get_by_label("Your reply").fill(DRAFT)
    thread = re.sub(r"^https?://[^/]+", "", member.url)

    open_page(writer, thread)
    before = f"A reply the member sees live {uuid.uuid4().hex[:6]}"
    post_reply(writer, before)
    expect(member.get_by_label("Posts").get_by_text(before)).to_be_visible()

    open_page(admin, "/admin/users")
    admin.get_by_label("Search users").fill("Kwame")
    expect(admin.get_by_role("row")).to_have_count(2)  # the header and Kwame
    admin.get_by_role("button", name="Suspend Kwame Asante").click()
    admin.get_by_label("Reason").fill("Posting other people's lesson plans")
    admin.get_by_role("button", name="Suspend", exact=True).click()
    expect(admin.get_by_role("button", name="Reactivate Kwame Asante")).to_be_visible()
    try:
        # The member did nothing: the tab was told, and says why.
        reason = member.get_by_role("alert").filter(has_text="Your account was suspended.")
        expect(reason).to_be_visible()
        expect(member.get_by_label("Your reply")).to_have_value(DRAFT)

        later = open_page(signed_in(LATER_WRITER), thread)
        after = f"A reply the suspended member must not get {uuid.uuid4().hex[:6]}"
        post_reply(later, after)
        expect(writer.get_by_label("Posts").get_by_text(after)).to_be_visible()  # it is live
        member.wait_for_timeout(1_500)  # longer than a live reply takes to arrive
        expect(member.get_by_text(after)).to_have_count(0)
        expect(member.get_by_label("Posts").get_by_text(before)).to_be_visible()
    finally:
        admin.get_by_role("button", name="Reactivate Kwame Asante").click()
        expect(admin.get_by_role("button", name="Suspend Kwame Asante")).to_be_visible()
