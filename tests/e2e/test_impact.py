"""The impact dashboard in real browsers: an admin's open dashboard changes live when a
member posts a first reply elsewhere, and the downloaded CSV holds the numbers on screen."""

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_discussions import reply, start_thread

pytestmark = pytest.mark.e2e

ADMIN = "amara.okafor@example.org"
ASKER = "ravi.iyer@example.org"
MEMBER = "hannah.kowalski@example.org"


def figure(page: Page, label: str) -> str:
    """A headline number as shown."""
    return page.get_by_label(label, exact=True).inner_text()


def test_dashboard_follows_a_first_reply_live_and_exports_what_it_shows(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    asker, member, admin = signed_in(ASKER), signed_in(MEMBER), signed_in(ADMIN)
    title = f"Who reviews our flaky test quarantine? {uuid.uuid4().hex[:6]}"
    path = start_thread(asker, open_page, title=title, body="Nobody owns it yet.", question=True)

    open_page(admin, "/admin/impact")
    expect(admin.get_by_label("Replies", exact=True)).to_have_text(re.compile(r"^\d+$"))
    replies, unanswered = int(figure(admin, "Replies")), int(figure(admin, "Unanswered threads"))

    open_page(member, path)
    reply(member, "I will take it: quarantine first, then fix within a week.")

    # No reload: the dashboard's room re-computes after the announced reply.
    expect(admin.get_by_label("Replies", exact=True)).to_have_text(str(replies + 1), timeout=2_000)
    # The question left the to-do list (earlier tests may have filled its ten places).
    expect(admin.get_by_label("Unanswered threads", exact=True)).to_have_text(str(unanswered - 1))

    with admin.expect_download() as info:
        admin.get_by_role("button", name="Download Conversation CSV").click()
    download = info.value
    assert download.suggested_filename == "impact-conversation.csv"
    with open(download.path(), encoding="utf-8") as fh:
        rows = fh.read().splitlines()
    shown = {label: figure(admin, label) for label in ("Threads", "Replies", "Questions asked")}
    for label, value in shown.items():
        assert any(row.startswith(f"{label},{value},") for row in rows), (label, value, rows)
