"""Browser steps every browser test takes, as a person would: open a page once the app can
be used, sign in through the form (conftest.py also serves them as fixtures)."""

from playwright.sync_api import Page, expect

from cop_app.seed import DEMO_PASSWORD


def wait_until_interactive(page: Page) -> None:
    """Wait until React has hydrated the server-rendered page.

    The production build pre-renders every route: a form clicked before hydration would
    be submitted natively. After hydration, events queue until the websocket is up.
    """
    page.wait_for_function(
        """() => {
            const el = document.querySelector('form, [role=main], main')
                || document.querySelector('[role=banner], header')
                || document.body.firstElementChild;
            return !!el && Object.keys(el).some((k) => k.startsWith('__reactFiber'));
        }"""
    )


def open_page(page: Page, path: str) -> Page:
    """Go to a path of the app and wait until the page can be used."""
    page.goto(path)
    wait_until_interactive(page)
    return page


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> Page:
    """Sign in through the form, as a person would, and wait until the app shows it."""
    if "/signin" not in page.url:
        open_page(page, "/signin")
    else:
        wait_until_interactive(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Account menu")).to_be_visible()
    return page
