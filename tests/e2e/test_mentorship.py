"""Mentorship in real browsers: a member asks, the mentor accepts, and both watch the same
board: a card one of them moves appears moved on the other's open board."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

MENTOR = "ravi.iyer@example.org"
MENTEE = "ben.oconnell@example.org"  # an Engineering Craft Guild member without a mentor


def test_request_accept_and_move_cards_live(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    mentee, mentor = signed_in(MENTEE), signed_in(MENTOR)

    open_page(mentor, "/mentorship")  # open before the request: it must arrive live
    open_page(mentee, "/mentorship")
    mentee.get_by_label("Your goals").fill("Make our mobile screens accessible and reviewable")
    mentee.get_by_label("Skills you want").fill("code-review testing")
    mentee.get_by_role("button", name="Suggest mentors").click()
    suggestions = mentee.get_by_label("Suggested mentors")
    expect(suggestions.get_by_text("Ravi Iyer", exact=True)).to_be_visible()
    expect(mentee.get_by_label("Why Ravi Iyer")).to_contain_text("shares")
    mentee.get_by_role("button", name="Ask Ravi Iyer").click()
    expect(mentee.get_by_text("Mentor: Ravi Iyer")).to_be_visible()

    # the request reaches the mentor's open page with the mentee's goals, and the answer
    # reaches the mentee's
    expect(mentor.get_by_role("button", name="Accept Ben O'Connell")).to_be_visible(timeout=2_000)
    expect(
        mentor.get_by_role("row", name=re.compile("^Ben O'Connell")).get_by_text(
            "Goals: Make our mobile screens accessible and reviewable"
        )
    ).to_be_visible()
    mentor.get_by_role("button", name="Accept Ben O'Connell").click()
    expect(mentee.get_by_role("link", name="Open board")).to_be_visible(timeout=2_000)
    expect(mentee.get_by_role("button", name="Withdraw")).to_have_count(0)
    mentor.get_by_label("Your mentees").get_by_role("link", name="Open board").first.wait_for()
    row = mentor.get_by_role("row").filter(has_text="Ben O'Connell")
    row.get_by_role("link", name="Open board").click()
    expect(mentor).to_have_url(re.compile(r"/mentorship/boards/\d+"))
    board = re.sub(r"^https?://[^/]+", "", mentor.url)

    open_page(mentee, board)
    expect(mentee.get_by_role("heading", name="Board with Ravi Iyer")).to_be_visible()

    mentor.get_by_label("New card title").fill("Audit the sign-up screen with a screen reader")
    mentor.get_by_role("button", name="Add card").click()
    todo = mentee.get_by_label("To do")
    expect(todo.get_by_text("Audit the sign-up screen")).to_be_visible(timeout=2_000)

    mentee.get_by_role(
        "button", name="Move Audit the sign-up screen with a screen reader to Doing"
    ).click()
    expect(mentor.get_by_label("Doing").get_by_text("Audit the sign-up screen")).to_be_visible(
        timeout=2_000
    )
    mentor.get_by_role(
        "button", name="Move Audit the sign-up screen with a screen reader to Done"
    ).click()
    expect(mentee.get_by_label("Done").get_by_text("Audit the sign-up screen")).to_be_visible(
        timeout=2_000
    )


LUCAS = "lucas.moreau@example.org"  # Ravi Iyer's mentee in the demo data


def test_drag_a_card_from_to_do_to_doing(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    mentee, mentor = signed_in(LUCAS), signed_in(MENTOR)
    open_page(mentee, "/mentorship")
    mentee.get_by_role("link", name="Open board").click()
    expect(mentee.get_by_role("heading", name="Board with Ravi Iyer")).to_be_visible()
    open_page(mentor, re.sub(r"^https?://[^/]+", "", mentee.url))
    expect(mentor.get_by_role("heading", name="Board with Lucas Moreau")).to_be_visible()

    title = "Drag this card into Doing"
    mentee.get_by_label("New card title").fill(title)
    mentee.get_by_role("button", name="Add card").click()
    todo = mentee.get_by_role("group", name="To do", exact=True)
    card = todo.locator("[draggable=true]").filter(has_text=title)
    expect(card).to_be_visible()

    doing = mentee.get_by_role("group", name="Doing", exact=True)
    # Aim near the column's top: its centre can be below the fold, and Playwright's drag to
    # an off-screen point started no drag at all here.
    card.drag_to(doing, source_position={"x": 8, "y": 8}, target_position={"x": 40, "y": 16})
    expect(doing.get_by_text(title)).to_be_visible(timeout=2_000)
    expect(todo.get_by_text(title)).to_have_count(0)
    expect(mentor.get_by_role("group", name="Doing", exact=True).get_by_text(title)).to_be_visible(
        timeout=2_000
    )
    # Evidence of a met goal stays inside its card, however long it is.
    evidence = mentee.get_by_label("Evidence").first
    expect(evidence).to_be_visible()
    inside = evidence.evaluate(
        "e => { const c = e.closest('.board-card');"
        " return e.getBoundingClientRect().right <= c.getBoundingClientRect().right + 0.5; }"
    )
    assert inside, "the evidence badge runs past its card"
    # The keyboard buttons are still there, named, for the same card.
    expect(mentee.get_by_role("button", name=f"Move {title} to Done")).to_be_visible()
