"""Accessibility of every main screen in the light and the dark theme: axe-core runs in
Chromium on each screen, signed in as the demo role that sees it, and no serious or critical
violation may remain.

One browser context per role, each screen checked, switched to the other theme with the
top-bar button (as a person would) and checked again. Every violation found is collected and
printed together (screen, theme, rule, impact, targets), so one run shows all there is to fix.
Long lists built from one row template (the activity feed, the users table) are checked on
their first rows: axe's colour-contrast rule costs seconds on hundreds of identical rows."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.e2e

ADMIN = "amara.okafor@example.org"
STEWARD = "helen.carter@example.org"  # mentor with mentees, steward of an approval-only space
MENTEE = "lucas.moreau@example.org"  # Ravi Iyer's mentee, with a board in progress
COMMUNITY = "/c/surgical-technique-exchange"
BLOCKING = ("serious", "critical")
ROWS_CHECKED = 20

# axe-core is injected once per document (client-side navigation keeps it).
RUN_AXE = """async (exclude) => {
    const context = exclude.length ? {exclude: exclude} : document;
    const results = await window.axe.run(context, {resultTypes: ['violations']});
    return results.violations;
}"""
# Finite animations and transitions (a dialog fading in, the theme switching) have ended;
# endless ones (spinners) do not count.
SETTLED = """() => document.getAnimations().every(
    (a) => a.playState !== 'running' || a.effect.getComputedTiming().endTime === Infinity)"""
IS_DARK = "() => document.documentElement.classList.contains('dark')"


@dataclass
class Audit:
    """What axe found so far, screen by screen and theme by theme."""

    blocking: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def run(self, page: Page, screen: str, exclude: Sequence[str] = ()) -> None:
        """Check the view as it stands, in the theme the page shows now."""
        theme = "dark" if page.evaluate(IS_DARK) else "light"
        page.mouse.move(0, 0)  # no hover state left over from the click that got here
        page.wait_for_function(SETTLED)
        if not page.evaluate("() => 'axe' in window"):
            page.evaluate(AXE_SCRIPT)
        violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, list(exclude))
        self.checked.append(f"{screen} ({theme})")
        for violation in violations:
            if violation["impact"] not in BLOCKING:
                continue
            nodes = violation["nodes"]
            targets = "; ".join(" ".join(map(str, n["target"])) for n in nodes[:3])
            more = f" (+{len(nodes) - 3} more)" if len(nodes) > 3 else ""
            why = nodes[0]["failureSummary"].replace("\n", " ")
            self.blocking.append(
                f"{screen} ({theme}): {violation['id']} [{violation['impact']}] "
                f"{len(nodes)} element(s): {targets}{more}. {why}"
            )

    def both_themes(
        self, page: Page, screen: str, show: Callable[[], object], exclude: Sequence[str] = ()
    ) -> None:
        """Check in the current theme, switch theme, show the same view again, check again."""
        show()
        self.run(page, screen, exclude)
        switch_theme(page)
        show()
        self.run(page, screen, exclude)


def switch_theme(page: Page) -> None:
    """Press the top bar's theme button and wait until the page shows the other theme."""
    page.keyboard.press("Escape")  # close a dialog or popover the check opened
    # ...and wait until it has gone: while it fades out it still counts as open, and the
    # `opened` step that follows would not open it again.
    expect(page.get_by_role("dialog")).to_have_count(0)
    before = page.evaluate(IS_DARK)
    page.get_by_role("button", name="Toggle light or dark theme").click()
    page.wait_for_function(f"() => ({IS_DARK})() !== {str(before).lower()}")


def visible(locator: Locator) -> Callable[[], None]:
    """A `show` step that waits for what proves the view has loaded."""
    return lambda: expect(locator).to_be_visible()


def h1(page: Page, name: str | re.Pattern[str]) -> Callable[[], None]:
    """Wait for the page's title heading."""
    return visible(page.get_by_role("heading", level=1, name=name))


def opened(page: Page, opener: Locator) -> Callable[[], None]:
    """A `show` step for a dialog or popover: open it unless it is open."""

    def show() -> None:
        dialog = page.get_by_role("dialog")
        for _ in range(3):  # a click that lands while the page re-renders is lost: retry
            if dialog.is_visible():
                break
            opener.click()
            try:
                dialog.wait_for(state="visible", timeout=3_000)
            except PlaywrightTimeout:
                continue
        expect(dialog).to_be_visible()

    return show


def test_main_screens_have_no_serious_violations_in_either_theme(
    new_context: Callable[..., Any],
    signed_in: Callable[..., Page],
    open_page: Callable[[Page, str], Page],
) -> None:
    audit = Audit()

    # Visitors: the landing page, sign-in and sign-up.
    visitor = new_context().new_page()
    for path, screen, heading in (
        ("/", "landing", "Learn together. Practise better."),
        ("/signin", "sign-in", "Sign in"),
        ("/signup", "sign-up", "Create your account"),
    ):
        open_page(visitor, path)
        audit.both_themes(visitor, screen, h1(visitor, heading))

    # A steward and mentor: home, the directory, every community tab, a thread (and the flag
    # dialog, whose flag fills the moderation queue below), the library, mentoring, profile.
    steward = signed_in(STEWARD)
    audit.both_themes(steward, "home", h1(steward, re.compile("^Welcome")))
    open_page(steward, "/communities")
    audit.both_themes(steward, "directory", h1(steward, "Communities"))
    open_page(steward, COMMUNITY)
    audit.both_themes(steward, "community", h1(steward, "Surgical Technique Exchange"))
    for tab in ("Library", "About", "Members", "Requests"):

        def show_tab(tab: str = tab) -> None:
            steward.get_by_role("tab", name=re.compile(f"^{tab}")).click()
            expect(steward.get_by_role("tabpanel")).to_be_visible()

        audit.both_themes(steward, f"community {tab} tab", show_tab)

    steward.get_by_role("tab", name="Discussions").click()
    steward.get_by_label("Threads").get_by_role("link").first.click()
    expect(steward).to_have_url(re.compile(r"/t/\d+"))
    flag = steward.get_by_role("button", name=re.compile(r"^Flag #")).first
    audit.both_themes(steward, "thread", visible(flag))
    audit.both_themes(steward, "flag dialog", opened(steward, flag))
    steward.get_by_role("button", name="Send flag").click()
    expect(steward.get_by_role("dialog")).to_have_count(0)

    open_page(steward, COMMUNITY + "/new")
    audit.both_themes(steward, "new thread", h1(steward, re.compile("^New thread in")))
    open_page(steward, "/library")
    audit.both_themes(steward, "library", h1(steward, "Library"))
    resource = steward.get_by_role("main").get_by_role("heading", level=3).first
    title = resource.inner_text()
    resource.click()
    audit.both_themes(steward, "resource", h1(steward, title))
    steward.get_by_role("link", name="History").click()
    audit.both_themes(steward, "resource history", h1(steward, "History"))
    open_page(steward, "/mentorship")
    audit.both_themes(steward, "mentor dashboard", h1(steward, "Mentorship"))
    steward.get_by_role("button", name="Account menu").click()
    steward.get_by_role("menuitem", name="Your profile").click()
    audit.both_themes(steward, "profile", h1(steward, "Dr Helen Carter"))
    bell = steward.get_by_role("button", name=re.compile("^Notifications"))
    audit.both_themes(steward, "notifications", opened(steward, bell))

    # A mentee: their side of mentorship and their board.
    mentee = signed_in(MENTEE)
    open_page(mentee, "/mentorship")
    audit.both_themes(mentee, "mentorship (mentee)", h1(mentee, "Mentorship"))
    mentee.get_by_role("link", name="Open board").first.click()
    audit.both_themes(mentee, "board", h1(mentee, "Board with Ravi Iyer"))

    # An admin: the admin tools, with the flag raised above in the queue.
    admin = signed_in(ADMIN)
    after_first_rows = f":nth-child(n+{ROWS_CHECKED + 1})"
    for path, screen, heading, exclude in (
        (
            "/admin/activity",
            "admin feed",
            "Activity",
            f"[aria-label='Activity events'] > {after_first_rows}",
        ),
        ("/admin/moderation", "moderation queue", "Moderation", ""),
        ("/admin/users", "users", "Users", f"tbody > tr{after_first_rows}"),
        ("/admin/audit", "audit log", "Audit log", f"tbody > tr{after_first_rows}"),
    ):
        open_page(admin, path)
        audit.both_themes(admin, screen, h1(admin, heading), [exclude] if exclude else [])

    print(f"axe checked {len(audit.checked)} views: {', '.join(audit.checked)}")
    assert not audit.blocking, (
        f"{len(audit.blocking)} serious or critical accessibility violations:\n"
        + "\n".join(audit.blocking)
    )
