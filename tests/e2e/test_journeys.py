"""Journeys through the real app in Chromium: what people do, found the way people find it.

Elements are found by role and label (get_by_role, get_by_label, get_by_text), never by CSS.
Every test uses its own browser contexts, i.e. its own people with their own storage.
"""

import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ADMIN = "amara.okafor@example.org"
MEMBER = "hannah.kowalski@example.org"
MEMBER_NAME = "Hannah Kowalski"
THROTTLED = "liam.byrne@example.org"  # no other test signs in as Liam
PHONE = {"width": 375, "height": 812}


def member_count(page: Page):
    """The live "N members" line of a community page."""
    return page.get_by_label("Member count")


def test_sign_up_promote_create_and_see_a_join_live(
    new_context: Callable[..., object],
    open_page: Callable[[Page, str], Page],
    sign_in: Callable[..., Page],
    signed_in: Callable[..., Page],
) -> None:
    """A new member is promoted to mentor, creates a community and watches someone join."""
    suffix = uuid.uuid4().hex[:8]
    email = f"robin.{suffix}@example.org"
    name = f"Robin Tester {suffix}"
    password = "lantern-harbour-tulip-42"
    community = f"Bedside Ultrasound {suffix}"

    # 1. Sign up with a fresh email: lands signed in, on the directory.
    newcomer = new_context().new_page()
    open_page(newcomer, "/signup")
    newcomer.get_by_label("Email").fill(email)
    newcomer.get_by_label("Display name").fill(name)
    newcomer.get_by_label("Password").fill(password)
    newcomer.get_by_role("button", name="Create account").click()
    expect(newcomer.get_by_role("button", name="Account menu")).to_be_visible()
    expect(newcomer).to_have_url(re.compile(r"/communities/?$"))

    # 2. Sign out, then sign in again.
    newcomer.get_by_role("button", name="Account menu").click()
    newcomer.get_by_role("menuitem", name="Sign out").click()
    expect(newcomer.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()
    expect(newcomer.get_by_role("button", name="Account menu")).to_have_count(0)
    sign_in(newcomer, email, password)

    # 3. A member: the directory offers no "New community".
    open_page(newcomer, "/communities")
    expect(newcomer.get_by_role("heading", name="Communities", exact=True)).to_be_visible()
    expect(newcomer.get_by_role("link", name="Surgical Technique Exchange")).to_be_visible()
    expect(newcomer.get_by_role("link", name="New community")).to_have_count(0)

    # 4. An admin, in a second browser, makes the newcomer a mentor.
    admin = signed_in(ADMIN)
    open_page(admin, "/admin/users")
    admin.get_by_label("Search users").fill(suffix)
    role = admin.get_by_role("combobox", name=f"Role of {name}")
    expect(role).to_have_text("Member")
    expect(admin.get_by_role("row")).to_have_count(2)  # the header and the newcomer
    role.click()
    admin.get_by_role("option", name="Mentor").click()
    admin.get_by_role("alertdialog").get_by_role("button", name="Change role").click()
    expect(admin.get_by_text(f"{name} is now a mentor.")).to_be_visible()
    expect(role).to_have_text("Mentor")

    # 5. The newcomer reloads the directory: now a mentor, they create a community.
    newcomer.reload()
    new_link = newcomer.get_by_role("link", name="New community")
    expect(new_link).to_be_visible()
    new_link.click()
    expect(newcomer).to_have_url(re.compile(r"/communities/new/?$"))
    newcomer.get_by_label("Name", exact=True).fill(community)
    newcomer.get_by_role("combobox", name="Kind").click()
    newcomer.get_by_role("option", name=re.compile(r"^Community of Interest")).click()
    newcomer.get_by_label("Domain statement").fill(
        "Clinicians learning point-of-care ultrasound at the bedside, case by case."
    )
    newcomer.get_by_label("Tags").fill("ultrasound, bedside-care")
    newcomer.get_by_role("button", name="Create community").click()

    expect(newcomer).to_have_url(re.compile(r"/c/[a-z0-9-]+/?$"))
    expect(newcomer.get_by_role("heading", level=1, name=community)).to_be_visible()
    expect(newcomer.get_by_text("Community of Interest", exact=True).first).to_be_visible()
    expect(member_count(newcomer)).to_have_text(re.compile(r"^1 members?$"))
    newcomer.get_by_role("tab", name="About").click()
    about = newcomer.get_by_role("tabpanel", name="About")
    expect(about.get_by_text("ultrasound", exact=True)).to_be_visible()
    expect(about.get_by_text("bedside-care", exact=True)).to_be_visible()
    community_path = re.sub(r"^https?://[^/]+", "", newcomer.url)

    # 6. A demo member, in a third browser, joins; the creator's page follows live.
    joiner = signed_in(MEMBER)
    open_page(joiner, community_path)
    expect(joiner.get_by_role("heading", level=1, name=community)).to_be_visible()
    joiner.get_by_role("button", name="Join community").click()
    clicked = time.monotonic()
    expect(member_count(newcomer)).to_have_text(re.compile(r"^2 members?$"), timeout=2_000)
    assert time.monotonic() - clicked < 2.0
    expect(joiner.get_by_role("button", name="Leave community")).to_be_visible()

    newcomer.get_by_role("tab", name="Members").click()
    members = newcomer.get_by_role("tabpanel", name="Members")
    expect(members.get_by_role("link", name=MEMBER_NAME)).to_be_visible()
    expect(members.get_by_role("link", name=name)).to_be_visible()


def test_sign_in_throttled_after_five_failures(
    new_context: Callable[..., object],
    open_page: Callable[[Page, str], Page],
    demo_password: str,
) -> None:
    """Five wrong passwords lock the account; even the right one is then refused."""
    context = new_context()

    def attempt(password: str) -> Page:
        # A fresh tab is a fresh client state: each message seen belongs to this attempt.
        page = open_page(context.new_page(), "/signin")
        page.get_by_label("Email").fill(THROTTLED)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        return page

    for n in range(5):
        page = attempt(f"not-my-password-{n}")
        expect(page.get_by_role("alert")).to_have_text("Email or password is not right.")
        page.close()

    page = attempt(demo_password)
    message = re.compile(r"^Too many failed sign-in attempts\. Try again in \d+ minutes?\.$")
    expect(page.get_by_role("alert")).to_have_text(message)
    # The message sits under the form's password field and describes it.
    expect(page.get_by_label("Password")).to_have_accessible_description(message)
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="Account menu")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/signin/?$"))


def test_protected_page_sends_visitors_to_sign_in_and_back(
    page: Page, open_page: Callable[[Page, str], Page], demo_password: str
) -> None:
    """A visitor opening /communities signs in first, then lands where they were going."""
    open_page(page, "/communities")
    expect(page).to_have_url(re.compile(r"/signin/?\?next=[^&]+$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # `next` names the page asked for, however it is encoded (%2Fcommunities or /communities,
    # with the trailing slash the static server adds to direct hits or without).
    target = parse_qs(urlsplit(page.url).query)["next"]
    assert [t.rstrip("/") for t in target] == ["/communities"], page.url

    page.get_by_label("Email").fill(MEMBER)
    page.get_by_label("Password").fill(demo_password)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(re.compile(r"/communities/?$"))
    expect(page.get_by_role("heading", name="Communities", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Account menu")).to_be_visible()


def test_sign_up_error_keeps_what_was_typed(
    page: Page, open_page: Callable[[Page, str], Page]
) -> None:
    """A too-short password is explained next to the field; nothing typed is lost."""
    email = f"sam.{uuid.uuid4().hex[:8]}@example.org"
    open_page(page, "/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Display name").fill("Sam Short")
    page.get_by_label("Password").fill("ninechars")  # 9 characters
    page.get_by_role("button", name="Create account").click()

    password = page.get_by_label("Password")
    expect(password).to_have_accessible_description("Use at least 10 characters.")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_text("Use at least 10 characters.")
    expect(page.get_by_label("Email")).to_have_value(email)
    expect(page.get_by_label("Display name")).to_have_value("Sam Short")
    expect(page).to_have_url(re.compile(r"/signup/?$"))
    expect(page.get_by_role("button", name="Account menu")).to_have_count(0)


def test_phone_navigation_drawer_and_dark_theme(signed_in: Callable[..., Page]) -> None:
    """At 375 px the navigation is a drawer; the theme toggle switches to dark."""
    page = signed_in(MEMBER, viewport=PHONE, color_scheme="light")
    html = page.locator("html")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()  # the sidebar is not shown at phone width
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_role("button", name="Open navigation").click()
    drawer = page.get_by_role("dialog")
    expect(drawer).to_be_visible()
    expect(drawer.get_by_role("navigation", name="Main")).to_be_visible()
    expect(drawer.get_by_role("link", name="Communities", exact=True)).to_be_visible()
    box = drawer.bounding_box()
    assert box is not None and box["x"] <= 1 and box["width"] <= PHONE["width"]
    drawer.get_by_role("button", name="Close navigation").click()
    expect(drawer).to_be_hidden()

    expect(html).not_to_have_class(re.compile(r"\bdark\b"))
    page.get_by_role("button", name="Toggle light or dark theme").click()
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    expect(html).to_have_css("color-scheme", "dark")


def _fits(page: Page, path: str) -> None:
    """The page scrolls only up and down at phone width."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide at {PHONE['width']} px"


def test_no_screen_scrolls_sideways_on_a_phone(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    """At 375 px: a thread with a nested reply, the mentor dashboard (cards with health and
    "Open board" in view) and the other main screens fit the width."""
    # Two members write a thread with a reply to a reply; a mentor reads it on a phone.
    author = signed_in("mateo.garcia@example.org")
    open_page(author, "/c/engineering-craft/new")
    author.get_by_label("Title").fill(f"Phone thread {uuid.uuid4().hex[:6]}")
    author.get_by_label("Body").fill("Where do nested replies go on a phone?")
    author.get_by_role("button", name="Start thread").click()
    expect(author).to_have_url(re.compile(r"/c/engineering-craft/t/\d+"))
    path = re.sub(r"^https?://[^/]+", "", author.url)
    author.get_by_label("Your reply").fill("A first reply")
    author.get_by_role("button", name="Post reply").click()
    other = signed_in("yuki.tanaka@example.org")
    open_page(other, path)
    other.get_by_role("button", name="Reply to #2").click()
    other.get_by_label("Your reply").fill("A reply to the first reply")
    other.get_by_role("button", name="Post reply").click()
    expect(other.get_by_text("in reply to #2")).to_be_visible()

    page = signed_in("ravi.iyer@example.org", viewport=PHONE)
    open_page(page, path)
    expect(page.get_by_text("in reply to #2")).to_be_visible()
    _fits(page, path)
    # The top bar leaves the search box room to type in (the drawer names the product).
    search = page.get_by_role("combobox", name="Search").bounding_box()
    assert search is not None and search["width"] >= 120, search

    open_page(page, "/mentorship")
    mentees = page.get_by_role("list", name="Your mentees")
    for part in (
        mentees.get_by_text(re.compile("^(On track|Needs check-in)$")).first,
        mentees.get_by_role("link", name="Open board").first,
    ):
        expect(part).to_be_visible()
        box = part.bounding_box()
        assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]
    _fits(page, "/mentorship")
    mentees.get_by_role("link", name="Open board").first.click()
    expect(page).to_have_url(re.compile(r"/mentorship/boards/\d+"))
    expect(page.get_by_label("Participation stage")).to_be_visible()
    _fits(page, page.url)
    for path in ("/", "/communities", "/c/engineering-craft", "/library", "/settings"):
        open_page(page, path)
        expect(page.locator("h1").first).to_be_visible()
        _fits(page, path)
