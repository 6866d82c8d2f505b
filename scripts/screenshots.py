"""Screenshots of the main screens, light and dark, desktop and phone, into docs/screenshots/.

Drives a running app (`make run`, i.e. http://localhost:3000 with the demo data) in the
system Chromium and signs in as demo people:

    python scripts/screenshots.py                      # or: make screenshots
    python scripts/screenshots.py --url http://127.0.0.1:3001 --full-page

Files are named SCREEN-THEME-DEVICE.png, e.g. community-members-dark-phone.png. A screen that
cannot be captured is reported and the others still are; the exit status is then 1.
"""

import argparse
import contextlib
import os
import re
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "practice-makes-progress"  # cop_app/seed.py
MEMBER = "hannah.kowalski@example.org"
ADMIN = "amara.okafor@example.org"
MENTOR = "ravi.iyer@example.org"
COMMUNITY = "surgical-technique-exchange"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True},
}
THEMES = ("light", "dark")
TIMEOUT_MS = 30_000  # a dev server compiles each route on its first visit


@dataclass(frozen=True)
class Screen:
    """One screen: who looks at it, where it is, and what shows it is ready."""

    name: str
    path: str
    who: str | None  # email of the demo person, None for a visitor
    ready: Callable[[Page], None]
    then: Callable[[Page], None] | None = None


def _heading(name: str | re.Pattern[str]) -> Callable[[Page], None]:
    def ready(page: Page) -> None:
        expect(page.get_by_role("heading", name=name, level=1).first).to_be_visible()

    return ready


def _directory_ready(page: Page) -> None:
    _heading("Communities")(page)
    expect(page.get_by_role("heading", level=2).first).to_be_visible()


def _community_ready(page: Page) -> None:
    expect(page.get_by_role("tab", name="Members")).to_be_visible()


def _members_tab(page: Page) -> None:
    page.get_by_role("tab", name="Members").click()
    panel = page.get_by_role("tabpanel", name="Members")
    expect(panel.get_by_role("link").first).to_be_visible()


def _settings_ready(page: Page) -> None:
    _heading("Settings")(page)
    expect(page.get_by_label("Display name")).not_to_have_value("")


def _users_ready(page: Page) -> None:
    _heading("Users")(page)
    expect(page.get_by_role("row").nth(1)).to_be_visible()


def _threads_ready(page: Page) -> None:
    expect(page.get_by_label("Threads").get_by_role("link").first).to_be_visible()


def _open_first_thread(page: Page) -> None:
    page.get_by_label("Threads").get_by_role("link").first.click()
    expect(page.get_by_label("Posts")).to_be_visible()


def _feed_ready(page: Page) -> None:
    _heading("Activity")(page)
    expect(page.get_by_label("Activity events").get_by_role("link").first).to_be_visible()


def _mentorship_ready(page: Page) -> None:
    _heading("Mentorship")(page)
    # A list of cards on phones, a table from tablet width: whichever this width shows.
    expect(page.get_by_label("Your mentees").locator("visible=true").first).to_be_visible()


def _open_board(page: Page) -> None:
    page.get_by_role("link", name="Open board").first.click()
    expect(page.get_by_label("To do", exact=True)).to_be_visible()


SCREENS = (
    Screen("landing", "/", None, _heading(re.compile("Learn together"))),
    Screen("signin", "/signin", None, _heading("Sign in")),
    Screen("home", "/", MEMBER, _heading(re.compile(r"^Welcome"))),
    Screen("directory", "/communities", MEMBER, _directory_ready),
    Screen("community-members", f"/c/{COMMUNITY}", MEMBER, _community_ready, _members_tab),
    Screen("settings", "/settings", MEMBER, _settings_ready),
    Screen("admin-users", "/admin/users", ADMIN, _users_ready),
    Screen("discussions", "/c/engineering-craft", MENTOR, _threads_ready),
    Screen("thread", "/c/engineering-craft", MENTOR, _threads_ready, _open_first_thread),
    Screen("activity-feed", "/admin/activity", ADMIN, _feed_ready),
    Screen("mentorship", "/mentorship", MENTOR, _mentorship_ready),
    Screen("mentee-board", "/mentorship", MENTOR, _mentorship_ready, _open_board),
)


def wait_until_interactive(page: Page) -> None:
    """Wait until React hydrated the page (a pre-rendered form would submit natively)."""
    page.wait_for_function(
        """() => {
            const el = document.querySelector('form, [role=main], main')
                || document.querySelector('[role=banner], header')
                || document.body.firstElementChild;
            return !!el && Object.keys(el).some((k) => k.startsWith('__reactFiber'));
        }"""
    )


def sign_in_state(browser: Browser, base: str, email: str, password: str) -> dict[str, Any]:
    """Sign in once through the form; the storage (session id) is reused by every shot."""
    context = browser.new_context(base_url=base)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        # A dev server compiles a route on its first visit and may reload the page under the
        # form: try again rather than fail the whole run.
        for attempt in range(3):
            page.goto("/signin")
            wait_until_interactive(page)
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Sign in", exact=True).click()
            try:
                expect(page.get_by_role("button", name="Account menu")).to_be_visible(
                    timeout=TIMEOUT_MS // 2
                )
                break
            except AssertionError:
                if attempt == 2:
                    raise
        return context.storage_state()
    finally:
        context.close()


def ensure_theme(page: Page, theme: str) -> None:
    """The emulated colour scheme decides the theme; toggle if a stored choice overrides it."""
    html = page.locator("html")
    wanted = re.compile(rf"\b{theme}\b")
    if not wanted.search(html.get_attribute("class") or ""):
        page.get_by_role("button", name="Toggle light or dark theme").click()
    expect(html).to_have_class(wanted)


def settle(page: Page) -> None:
    """Let late requests, fonts and transitions finish so the picture is stable."""
    # A dev server's HMR connection can keep the network busy: not worth failing for.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_load_state("networkidle", timeout=5_000)
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(400)


def shoot(
    context: BrowserContext, base: str, screen: Screen, theme: str, out: Path, full_page: bool
) -> Path:
    """Open one screen in one context and write its PNG."""
    page = context.new_page()
    try:
        page.goto(base + screen.path)
        wait_until_interactive(page)
        screen.ready(page)
        ensure_theme(page, theme)
        if screen.then is not None:
            screen.then(page)
        settle(page)
        page.mouse.move(0, 0)  # no hover effects in the picture
        page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring
        page.screenshot(path=str(out), full_page=full_page, animations="disabled", caret="hide")
        return out
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    """Capture every screen in every theme and device; report what failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:3000", help="the running app")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--chromium", default=os.environ.get("COP_E2E_CHROMIUM", "/usr/bin/chromium")
    )
    parser.add_argument("--password", default=DEMO_PASSWORD, help="the demo people's password")
    parser.add_argument("--full-page", action="store_true", help="whole page, not the viewport")
    parser.add_argument("--only", nargs="*", help="screen names to capture (default: all)")
    args = parser.parse_args(argv)

    if not (Path(args.chromium).is_file() and os.access(args.chromium, os.X_OK)):
        print(f"Chromium not found at {args.chromium} (apt-get install chromium).", file=sys.stderr)
        return 2
    base = args.url.rstrip("/")
    unknown = set(args.only or ()) - {s.name for s in SCREENS}
    if unknown:
        names = ", ".join(s.name for s in SCREENS)
        print(
            f"Unknown screen(s) {', '.join(sorted(unknown))}; choose from {names}.", file=sys.stderr
        )
        return 2
    try:
        urllib.request.urlopen(base + "/", timeout=10).close()
    except (OSError, ValueError) as exc:
        print(f"No app answers at {base} ({exc}); start it with `make run`.", file=sys.stderr)
        return 2
    screens = [s for s in SCREENS if not args.only or s.name in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    written = 0
    started = time.monotonic()
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            states = {
                who: sign_in_state(browser, base, who, args.password)
                for who in sorted({s.who for s in screens if s.who})
            }
            for device, device_options in DEVICES.items():
                for theme in THEMES:
                    for screen in screens:
                        out = args.out / f"{screen.name}-{theme}-{device}.png"
                        context = browser.new_context(
                            color_scheme=theme,
                            storage_state=states[screen.who] if screen.who else None,
                            **device_options,
                        )
                        context.set_default_timeout(TIMEOUT_MS)
                        try:
                            shoot(context, base, screen, theme, out, args.full_page)
                            written += 1
                            print(f"wrote {out}")
                        except Exception as exc:  # report it, carry on with the others
                            first = (str(exc).strip().splitlines() or [repr(exc)])[0]
                            failures.append(f"{out.name}: {first}")
                            print(f"FAILED {out.name}: {first}", file=sys.stderr)
                        finally:
                            context.close()
        finally:
            browser.close()
    print(f"{written} screenshots in {args.out} in {time.monotonic() - started:.0f}s")
    if failures:
        print("Not captured:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
