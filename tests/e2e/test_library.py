"""The practice library in real browsers: a resource with a file downloaded, edits and a
restore from the history, an accepted answer promoted with links both ways, endorsements and
reuse arriving live in a second browser, and outsiders who get nothing."""

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_discussions import reply, start_thread

pytestmark = pytest.mark.e2e

STEWARD = "ravi.iyer@example.org"  # steward of the Engineering Craft Guild
MEMBER = "hannah.kowalski@example.org"
SURGEON = "helen.carter@example.org"  # steward of the approval-only surgical community
LIBRARY = "/c/engineering-craft/library"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _path(page: Page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def create_resource(page: Page, open_page: Callable[[Page, str], Page], title: str) -> str:
    """Add a resource through the form; returns its path."""
    open_page(page, LIBRARY + "/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Summary").fill("What we check before every release.")
    page.get_by_label("Text", exact=True).fill("First version of the text")
    page.get_by_label("Tags").fill("release")
    expect(page.get_by_text("First version of the text").last).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page).to_have_url(re.compile(r"/r/\d+$"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    return _path(page)


def save_text(page: Page, text: str, note: str) -> None:
    """Open the editor, replace the text and save a revision."""
    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_label("Text", exact=True).fill(text)
    page.get_by_label("Change note").fill(note)
    page.get_by_role("button", name="Save revision").click()
    # The previous save's toast may still be showing: the editor closing is this save's answer.
    expect(page.get_by_role("button", name="Save revision")).to_have_count(0)
    expect(page.get_by_text("Saved as a new revision.").last).to_be_visible()


def test_create_with_a_file_and_download_it(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    page = signed_in(STEWARD)
    create_resource(page, open_page, f"Release checklist {uuid.uuid4().hex[:6]}")
    page.locator("#resource-files input[type=file]").set_input_files(
        [{"name": "../../release plan.pdf", "mimeType": "text/plain", "buffer": PDF}]
    )
    page.get_by_role("button", name="Upload files").click()
    button = page.get_by_role("button", name="Download release plan.pdf")
    expect(button).to_be_visible(timeout=5_000)
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "release plan.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read() == PDF


def test_edit_twice_and_restore_the_first_revision(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    page = signed_in(STEWARD)
    path = create_resource(page, open_page, f"Migration guide {uuid.uuid4().hex[:6]}")
    save_text(page, "Second version of the text", "Second")
    save_text(page, "Third version of the text", "Third")
    page.get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(r"/r/\d+/history$"))
    expect(page.get_by_label("Differences").get_by_text("Third version")).to_be_visible()
    page.get_by_role("button", name="Restore revision 1").click()
    expect(page.get_by_text("Revision 1 restored as revision 4.")).to_be_visible()
    open_page(page, path)
    expect(page.get_by_text("First version of the text")).to_be_visible()


def test_promote_an_accepted_answer_and_follow_the_links(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    asker, member = signed_in(STEWARD), signed_in(MEMBER)
    title = f"How do you size a migration batch? {uuid.uuid4().hex[:6]}"
    thread = start_thread(asker, open_page, title=title, body="Ours lock.", question=True)
    open_page(member, thread)
    reply(member, "Batches of a thousand rows, with a pause between them.")
    asker.get_by_role("button", name="Accept #2 as answer").click()
    asker.get_by_role("button", name="Promote the accepted answer").click()
    expect(asker).to_have_url(re.compile(r"/r/\d+$"))
    resource = _path(asker)
    expect(asker.get_by_text("Hannah Kowalski").first).to_be_visible()
    expect(asker.get_by_text("Batches of a thousand rows").first).to_be_visible()
    asker.get_by_role("link", name=title).click()
    expect(asker).to_have_url(re.compile(r"/t/\d+"))
    asker.get_by_role("link", name=re.compile("In the library")).click()
    expect(asker).to_have_url(re.compile(re.escape(resource) + "$"))


def test_a_second_browser_sees_endorsement_and_reuse_live(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page]
) -> None:
    author, member = signed_in(STEWARD), signed_in(MEMBER)
    path = create_resource(author, open_page, f"Review checklist {uuid.uuid4().hex[:6]}")
    open_page(member, path)
    member.get_by_role("button", name="I practise this").click()
    expect(author.get_by_label("Endorsements")).to_have_text("1 endorsement", timeout=2_000)
    member.get_by_label("Outcome of using this").fill("Caught a missing index")
    member.get_by_role("button", name="I used this").click()
    expect(author.get_by_label("Reuses")).to_have_text("1 reuse", timeout=2_000)
    expect(author.get_by_text("Caught a missing index")).to_be_visible(timeout=2_000)


def test_an_outsider_gets_neither_the_resource_nor_its_file(
    signed_in: Callable[..., Page], open_page: Callable[[Page, str], Page], backend_url: str
) -> None:
    surgeon, outsider = signed_in(SURGEON), signed_in(MEMBER)
    open_page(surgeon, "/c/surgical-technique-exchange/library")
    surgeon.get_by_role("link", name="Pre-incision pause, theatre version").click()
    expect(surgeon).to_have_url(re.compile(r"/r/\d+$"))
    resource = _path(surgeon)
    with surgeon.expect_download() as info:
        surgeon.get_by_role("button", name="Download example-card.png").click()
    url = info.value.url
    token = url.split("t=", 1)[1]
    file_id, reader_id, expires, signature = token.split(".")

    open_page(outsider, resource)
    expect(outsider.get_by_text("Resource not available")).to_be_visible()
    expect(outsider.get_by_text("Pre-incision pause")).to_have_count(0)
    forged = f"{file_id}.{int(reader_id) + 1}.{expires}.{signature}"  # another reader
    for bad in (forged, file_id, ""):
        answer = outsider.request.get(f"{backend_url}/_files?t={bad}")
        assert answer.status == 404 and b"PNG" not in answer.body()
