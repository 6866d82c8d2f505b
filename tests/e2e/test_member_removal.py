"""A steward removes a member of an approval-only community from the Members tab: the
member's open page says why at once; they ask to join again and the steward approves."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

STEWARD = "helen.carter@example.org"
MEMBER = "priya.natarajan@example.org"
COMMUNITY = "/c/surgical-technique-exchange"


def test_a_removed_member_is_told_live_and_can_ask_to_join_again(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    steward, member = signed_in(STEWARD), signed_in(MEMBER)
    open_page(member, COMMUNITY)
    expect(member.get_by_role("button", name="Leave community")).to_be_visible()

    open_page(steward, COMMUNITY)
    steward.get_by_role("tab", name="Members").click()
    members = steward.get_by_role("tabpanel", name="Members")
    members.get_by_role("button", name="Manage Priya Natarajan").click()
    # Stewards appoint stewards from the same menu (the handler: test_room_access.py).
    expect(steward.get_by_role("menuitem", name="Make steward")).to_be_visible()
    steward.get_by_role("menuitem", name="Remove from community").click()
    dialog = steward.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Remove Priya Natarajan?")
    dialog.get_by_role("button", name="Remove").click()
    expect(steward.get_by_text("Removed Priya Natarajan.")).to_be_visible()
    expect(members.get_by_role("link", name="Priya Natarajan")).to_have_count(0)

    notice = member.get_by_role("alert").filter(
        has_text="You are no longer a member of Surgical Technique Exchange."
    )
    expect(notice).to_be_visible()

    open_page(member, COMMUNITY)
    member.get_by_role("button", name="Request to join").click()
    expect(member.get_by_role("button", name="Withdraw request")).to_be_visible()
    open_page(steward, COMMUNITY)
    steward.get_by_role("tab", name="Requests (2)").click()
    steward.get_by_role("button", name="Approve Priya Natarajan").click()
    open_page(member, COMMUNITY)
    expect(member.get_by_role("button", name="Leave community")).to_be_visible()
