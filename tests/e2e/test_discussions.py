"""Discussions in two real browsers: live replies and answers, inert XSS, kept drafts."""

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ASKER = "ravi.iyer@example.org"  # steward and mentor of the Engineering Craft Guild
MEMBER = "hannah.kowalski@example.org"
COMMUNITY = "/c/engineering-craft"


def start_thread(
    page: Page,
    open_page: Callable[[Page, str], Page],
    *,
    title: str,
    body: str,
    question: bool = False,
) -> str:
    """Start a thread through the form; returns its path."""
    open_page(page, COMMUNITY + "/new")
    kinds = page.get_by_role("radiogroup", name="Type")  # each option named by its own label
    expect(kinds.get_by_role("radio", name="Discussion", exact=True)).to_be_checked()
    if question:
        page.get_by_role("radio", name="Question").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Body").fill(body)
    expect(page.get_by_label("Preview")).not_to_contain_text("The preview appears")
    page.get_by_role("button", name="Start thread").click()
    expect(page).to_have_url(re.compile(r"/c/engineering-craft/t/\d+"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    return re.sub(r"^https?://[^/]+", "", page.url)


def reply(page: Page, text: str) -> None:
    """Write and post a reply as a person would."""
    page.get_by_label("Your reply").fill(text)
    page.get_by_role("button", name="Post reply").click()


def test_reply_and_accepted_answer_appear_live(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    """A question asked in one browser gets a reply from another; both see it live."""
    asker, member = signed_in(ASKER), signed_in(MEMBER)
    title = f"Which migration review checklist do you use? {uuid.uuid4().hex[:6]}"
    path = start_thread(
        asker,
        open_page,
        title=title,
        body="We keep breaking production with schema changes.",
        question=True,
    )

    open_page(member, path)
    reply(member, "Expand, then contract: never drop a column in the same deploy.")

    # The asker's page did not reload: the reply arrives through the thread's room.
    posts = asker.get_by_label("Posts")
    expect(posts.get_by_text("Expand, then contract")).to_be_visible(timeout=2_000)
    asker.get_by_role("button", name="Accept #2 as answer").click()

    # An excerpt of the accepted answer shows under the question, in the member's browser
    # too, linking to the answer, which is shown in full once, in place.
    summary = member.get_by_label("Accepted answer")
    expect(summary.get_by_text("Expand, then contract")).to_be_visible(timeout=2_000)
    expect(member.get_by_text("Answered")).to_be_visible()
    expect(summary.get_by_role("button")).to_have_count(0)
    expect(member.locator("[id='post-2']")).to_have_count(1)  # in full once, in place
    expect(summary.get_by_role("link", name="Read the accepted answer (#2)")).to_have_attribute(
        "href", re.compile(r"#post-2$")
    )
    # Times are set smaller than names, not larger.
    post = member.locator("#post-2")
    name_size = post.get_by_role("link", name="Hannah Kowalski").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    time_size = post.locator("time").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert time_size <= name_size


def test_a_mention_rings_the_bell_live(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    """Mentioning a member updates their bell without a reload."""
    asker, member = signed_in(ASKER), signed_in(MEMBER)
    open_page(asker, "/")
    asker.get_by_role("button", name=re.compile(r"Notifications")).click()
    asker.get_by_role("button", name="Mark all read").click()
    expect(asker.get_by_role("button", name="Notifications (0 unread)")).to_be_visible()
    asker.keyboard.press("Escape")
    before = 0
    start_thread(
        member,
        open_page,
        title=f"Pairing on flaky tests {uuid.uuid4().hex[:6]}",
        body="@ravi-iyer could we pair on the quarantine list this week?",
    )
    expect(asker.get_by_role("button", name=f"Notifications ({before + 1} unread)")).to_be_visible(
        timeout=2_000
    )
    # Opening the notification marks it read: the count goes down and stays down.
    asker.get_by_role("button", name=re.compile(r"Notifications")).click()
    asker.get_by_role(
        "link", name=re.compile(r"mentioned you in “Pairing on flaky tests")
    ).first.click()
    expect(asker).to_have_url(re.compile(r"/t/\d+"))
    expect(asker.get_by_role("button", name="Notifications (0 unread)")).to_be_visible()
    asker.reload()
    expect(asker.get_by_role("button", name="Notifications (0 unread)")).to_be_visible()


def test_xss_payload_stays_inert(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    """Script tags, event handlers, javascript: links and iframes render as harmless text."""
    author, reader = signed_in("lucas.moreau@example.org"), signed_in(ASKER)
    payload = (
        "<script>window.__xss = 'script'</script>\n\n"
        "<img src=x onerror=\"window.__xss = 'img'\">\n\n"
        "[click me](javascript:window.__xss='link')\n\n"
        "<iframe src=\"javascript:window.__xss='iframe'\"></iframe>\n\n"
        "[a real link](https://example.org/guide)"
    )
    path = start_thread(
        author, open_page, title=f"Sanitizer check {uuid.uuid4().hex[:6]}", body=payload
    )
    open_page(reader, path)
    for page in (author, reader):
        body = page.get_by_label("Posts")
        expect(body.get_by_role("link", name="a real link")).to_have_attribute(
            "rel", re.compile("nofollow")
        )
        assert page.evaluate("() => window.__xss") is None
        assert body.locator("script, iframe, img").count() == 0
        hrefs = body.get_by_role("link").evaluate_all("els => els.map(e => e.href)")
        assert not any(h.startswith("javascript:") for h in hrefs)
        expect(body.get_by_text("<script>window.__xss = 'script'</script>")).to_be_visible()


def test_rate_limited_reply_keeps_its_text(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    """A second reply within five seconds is refused with when to retry; the text stays."""
    author, member = signed_in("daniel.reyes@example.org"), signed_in("lena.fischer@example.org")
    path = start_thread(
        author,
        open_page,
        title=f"Code review norms {uuid.uuid4().hex[:6]}",
        body="What do you block a merge for?",
    )
    open_page(member, path)
    reply(member, "Missing tests for changed behaviour.")
    expect(member.get_by_label("Posts").get_by_text("Missing tests")).to_be_visible()
    second = "Also: no migration without a rollback plan."
    reply(member, second)
    expect(member.get_by_role("alert")).to_contain_text(re.compile(r"again in \d+ seconds"))
    expect(member.get_by_label("Your reply")).to_have_value(second)


# An opening post several screens tall, so a reader can be scrolled well away from the end.
LONG_BODY = "\n\n".join(
    f"Step {n}: write down what the reviewer checked and why, so the next one can reuse it."
    for n in range(1, 61)
)


def scroll_y(page: Page) -> float:
    """The reader's vertical scroll position, in CSS pixels."""
    return page.evaluate("() => window.scrollY")


def settle(page: Page) -> None:
    """Let the browser lay out, paint and deliver its intersection observations (two frames)."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def test_new_reply_banner_when_scrolled_up_keeps_the_reader_in_place(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    """A reader scrolled up gets "1 new reply" without moving; the button takes them there."""
    reader, member = signed_in("mateo.garcia@example.org"), signed_in("yuki.tanaka@example.org")
    # The reader reaches the thread by the app's own navigation, not a page load.
    path = start_thread(
        reader,
        open_page,
        title=f"Review notes worth keeping {uuid.uuid4().hex[:6]}",
        body=LONG_BODY,
    )
    open_page(member, path)
    reader.evaluate("() => window.scrollTo(0, 300)")
    settle(reader)
    before = scroll_y(reader)
    assert before == 300, "the thread is long enough to scroll"

    text = f"We keep ours in the repo, next to the code {uuid.uuid4().hex[:6]}."
    reply(member, text)

    banner = reader.get_by_role("button", name="1 new reply", exact=True)
    expect(banner).to_be_in_viewport(timeout=2_000)
    new_reply = reader.get_by_label("Posts").get_by_text(text)
    expect(new_reply).to_be_attached()
    expect(new_reply).not_to_be_in_viewport()
    assert scroll_y(reader) == before, "a reply arriving below did not move the reader"

    banner.click()
    expect(new_reply).to_be_in_viewport()
    expect(banner).to_have_count(0)


def test_reader_at_the_end_sees_the_reply_and_no_banner(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    """A reader at the end of the thread sees the reply arrive in place, with no banner."""
    reader, member = signed_in("ben.oconnell@example.org"), signed_in(MEMBER)
    path = start_thread(
        reader, open_page, title=f"Test pyramid or trophy? {uuid.uuid4().hex[:6]}", body=LONG_BODY
    )
    open_page(member, path)
    reader.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    settle(reader)
    before = scroll_y(reader)
    assert before > 0, "the thread is long enough to scroll"

    text = f"Trophy: mostly integration tests, a few end-to-end {uuid.uuid4().hex[:6]}."
    reply(member, text)

    expect(reader.get_by_label("Posts").get_by_text(text)).to_be_in_viewport(timeout=2_000)
    # The count is there (the banner is rendered); only the scroll position hides it.
    banner = reader.get_by_role("button", name="1 new reply", exact=True, include_hidden=True)
    expect(banner).to_be_attached()
    settle(reader)
    expect(banner).not_to_be_visible()
    assert scroll_y(reader) == before, "the reply appeared without moving the reader"
    # Scrolling away from the end marks what was seen there: the banner does not recount it.
    reader.evaluate("() => window.scrollTo(0, 0)")
    expect(banner).to_have_count(0, timeout=2_000)


MARKDOWN = (
    "## Checklist\n\n1. Expand\n2. Contract\n\n- one\n- two\n\n"
    "See https://example.org/guide for more.\n\n![the diagram](https://pics.example/d.png)"
)


def test_markdown_renders_and_a_lock_freezes_the_open_reply_box(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    """Markdown shows numbers, bullets and heading sizes; a thread locked while a member
    types keeps their text but takes no reply, and its Reply and Quote buttons go; reopened
    while locked, the draft waits read-only; unlocked, the box and the buttons come back."""
    asker, member = signed_in(ASKER), signed_in(MEMBER)
    title = f"How do you sequence a migration? {uuid.uuid4().hex[:6]}"
    path = start_thread(asker, open_page, title=title, body=MARKDOWN)
    body = asker.locator("#post-1 .post-body")
    styles = body.evaluate(
        """(el) => ({
            ol: getComputedStyle(el.querySelector('ol')).listStyleType,
            ul: getComputedStyle(el.querySelector('ul')).listStyleType,
            h2: parseFloat(getComputedStyle(el.querySelector('h2')).fontSize),
            p: parseFloat(getComputedStyle(el.querySelector('p')).fontSize),
        })"""
    )
    assert styles["ol"] == "decimal" and styles["ul"] == "disc", styles
    assert styles["h2"] > styles["p"], styles
    expect(body.get_by_role("link", name="https://example.org/guide")).to_be_visible()
    expect(body.get_by_role("link", name="Image: the diagram")).to_have_attribute(
        "href", "https://pics.example/d.png"
    )
    assert body.locator("img").count() == 0

    open_page(member, path)
    draft = "Half-written thoughts on sequencing"
    reply_to, quote = (member.get_by_role("button", name=f"{b} #1") for b in ("Reply to", "Quote"))
    expect(reply_to).to_be_visible()
    member.get_by_label("Your reply").fill(draft)
    asker.get_by_role("button", name="Lock").click()
    expect(member.get_by_text("What you typed stays here")).to_be_visible(timeout=2_000)
    expect(member.get_by_label("Your reply")).to_have_value(draft)
    expect(member.get_by_role("button", name="Post reply")).to_be_disabled()
    expect(reply_to).to_have_count(0)
    expect(quote).to_have_count(0)

    open_page(member, path)  # opened while locked: the kept draft, read-only
    expect(member.get_by_label("Your reply")).to_have_value(draft)
    expect(member.get_by_role("button", name="Post reply")).to_be_disabled()
    asker.get_by_role("button", name="Unlock").click()
    expect(member.get_by_text("This thread is locked")).to_have_count(0, timeout=2_000)
    expect(member.get_by_role("button", name="Post reply")).to_be_enabled()
    expect(reply_to).to_be_visible()
    expect(quote).to_be_visible()
    member.get_by_role("button", name="Post reply").click()
    expect(asker.locator("#post-2")).to_contain_text(draft)
