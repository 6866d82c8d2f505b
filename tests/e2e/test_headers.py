"""The app works under its own Content-Security-Policy in Chromium: the main screens open
with no CSP violation (DOM events or console errors), and every page and the backend send the
security headers."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect

from tests.e2e.pages import sign_in, wait_until_interactive

pytestmark = pytest.mark.e2e

ADMIN = "amara.okafor@example.org"
COMMUNITY = "/c/engineering-craft"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def assert_security_headers(response: Response | None, what: str) -> None:
    """The headers every response of the app carries."""
    assert response is not None, what
    headers = response.headers
    policy = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, what
    assert "default-src 'self'" in policy, what
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0], what
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "same-origin", what
    assert not re.search(r"uvicorn|granian|starlette", headers.get("server", ""), re.I), what


def test_main_screens_run_under_the_csp_with_no_violation(
    new_context: Callable[..., Any], backend_url: str
) -> None:
    context = new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda msg: (
            console.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    seen: list[str] = []

    def visit(path: str) -> Page:
        response = page.goto(path)
        assert_security_headers(response, path)
        wait_until_interactive(page)
        seen.extend(page.evaluate("window.__cspViolations"))
        return page

    visit("/")
    expect(page.locator("a[href='/signin']").first).to_be_visible()
    visit("/signin")
    sign_in(page, ADMIN)  # the socket connects and a handler answers under the policy
    seen.extend(page.evaluate("window.__cspViolations"))
    visit(COMMUNITY)
    thread_link = page.locator(f"a[href*='{COMMUNITY}/t/']").first
    expect(thread_link).to_be_visible()
    visit(thread_link.get_attribute("href") or "")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    visit("/admin/activity")
    expect(page.get_by_label("Activity events")).to_be_visible()
    seen.extend(page.evaluate("window.__cspViolations"))

    assert seen == []
    assert console == []
    assert_security_headers(page.request.get(f"{backend_url}/ping"), "backend /ping")
