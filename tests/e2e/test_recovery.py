"""Account recovery in a real browser, with the served app mailing a real SMTP server: a
member who forgot their password gets a link, sets a new password and signs in with it (the
old one no longer works); an admin sends a member a link from the users page."""

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.smtp_inbox import LINK_RE, LocalSmtp, body_of

pytestmark = pytest.mark.e2e

MEMBER = "ingrid.larsen@example.org"  # no other browser test signs in as her
NEW_PASSWORD = "lighthouse-orchard-velvet-58"


def test_a_member_resets_a_forgotten_password_from_a_mailed_link(
    page: Page,
    open_page: Callable[[Page, str], Page],
    sign_in: Callable[..., Page],
    smtp_inbox: LocalSmtp,
    demo_password: str,
    app_url: str,
) -> None:
    open_page(page, "/signin")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    page.get_by_label("Email").fill(MEMBER)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status")).to_contain_text(
        "If an account exists for that address, we sent a link to it."
    )

    link = LINK_RE.search(body_of(smtp_inbox.wait_for(MEMBER)))
    assert link is not None
    parts = urlsplit(link.group(0))
    assert (parts.port, parts.path) == (urlsplit(app_url).port, "/reset")
    open_page(page, f"{parts.path}?{parts.query}")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("The two passwords are not the same.")).to_be_visible()
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("Email").fill(MEMBER)
    page.get_by_label("Password").fill(demo_password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Email or password is not right.")).to_be_visible()
    sign_in(page, MEMBER, NEW_PASSWORD)

    open_page(page, f"{parts.path}?{parts.query}")
    page.get_by_label("New password", exact=True).fill("another-lighthouse-phrase")
    page.get_by_label("Repeat the new password").fill("another-lighthouse-phrase")
    page.get_by_role("button", name="Set new password").click()
    expect(
        page.get_by_role("alert").filter(has_text="not valid or was already used")
    ).to_be_visible()


def test_an_admin_sends_a_member_a_reset_link(
    signed_in: Callable[..., Page],
    open_page: Callable[[Page, str], Page],
    smtp_inbox: LocalSmtp,
) -> None:
    admin = signed_in("amara.okafor@example.org")
    open_page(admin, "/admin/users")
    admin.get_by_label("Search users").fill("Tomasz Nowak")
    expect(admin.get_by_role("row")).to_have_count(2)  # the header and Tomasz: search applied
    admin.get_by_role("button", name="Send password reset to Tomasz Nowak").click()
    expect(admin.get_by_role("alertdialog")).to_contain_text(
        "Send a password reset link to Tomasz Nowak?"
    )
    admin.get_by_role("button", name="Send link").click()
    expect(
        admin.get_by_text("A password reset link is on its way to Tomasz Nowak.")
    ).to_be_visible()
    body = body_of(smtp_inbox.wait_for("tomasz.nowak@example.org"))
    assert "Amara Okafor, an administrator, sent you this link." in body
