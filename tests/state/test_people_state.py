"""SettingsState handlers: the password change (throttled, hashed off the loop) and the
profile's display name (no invisible characters, no posing as an admin or steward)."""

import asyncio

import reflex as rx
from sqlmodel import select

from cop_app.models import User
from cop_app.seed import DEMO_PASSWORD, email_of
from cop_app.services import accounts, passwords, settings
from cop_app.states.auth import AuthState
from cop_app.states.people import SettingsState
from tests.state.harness import Browser, session_token_for, start_server, var

NEW_PASSWORD = "violet-meadow-compass-7"


def _user(local: str) -> User:
    with rx.session() as session:
        return session.exec(select(User).where(User.email == email_of(local))).one()


async def _signed_in(local: str, ip: str = "127.0.0.9") -> Browser:
    server = await start_server()
    browser = Browser(server, path="/settings", ip=ip)
    await browser.sign_in_with_token(session_token_for(local))
    await browser.call(SettingsState, "load")
    return browser


def test_change_password_gives_a_new_session_and_signs_out_the_old_one(app_db: None) -> None:
    async def scenario() -> None:
        browser = await _signed_in("hannah.kowalski")
        old_token = (await browser.state(AuthState)).session_token
        form = {"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD}

        await browser.call(SettingsState, "change_password", form_data=form)

        new_token = (await browser.state(AuthState)).session_token
        assert new_token != old_token
        with rx.session() as session:
            assert accounts.user_for_token(session, old_token) is None
            assert accounts.user_for_token(session, new_token).display_name == "Hannah Kowalski"
        assert passwords.verify_password(NEW_PASSWORD, _user("hannah.kowalski").password_hash)[0]

    asyncio.run(scenario())


def test_change_password_guesses_are_throttled(app_db: None) -> None:
    async def scenario() -> None:
        browser = await _signed_in("hannah.kowalski")
        wrong = {"current_password": "guessing-again", "new_password": NEW_PASSWORD}
        for _ in range(settings.LOGIN_MAX_FAILURES_PER_ACCOUNT):
            updates = await browser.call(SettingsState, "change_password", form_data=wrong)
            assert var(updates, SettingsState, "password_errors") == {
                "current_password": "Your current password is not right."
            }
        right = {"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD}

        updates = await browser.call(SettingsState, "change_password", form_data=right)

        message = var(updates, SettingsState, "password_errors")["current_password"]
        assert message.startswith("Too many wrong passwords. Try again in")
        assert passwords.verify_password(DEMO_PASSWORD, _user("hannah.kowalski").password_hash)[0]

    asyncio.run(scenario())


def test_a_display_name_posing_as_an_admin_is_refused(app_db: None) -> None:
    async def scenario() -> None:
        browser = await _signed_in("hannah.kowalski")
        form = {"display_name": "Am\u0430ra 0kafor", "bio": "", "organisation": "", "expertise": ""}

        updates = await browser.call(SettingsState, "save_profile", form_data=form)

        errors = var(updates, SettingsState, "profile_errors")
        assert "admin or steward" in errors["display_name"]
        assert _user("hannah.kowalski").display_name == "Hannah Kowalski"
        assert (await browser.state(AuthState)).user_name == "Hannah Kowalski"

    asyncio.run(scenario())


def test_a_display_name_in_any_script_is_saved_without_invisible_characters(
    app_db: None,
) -> None:
    async def scenario() -> None:
        browser = await _signed_in("hannah.kowalski")
        form = {
            "display_name": "\u202eZoë\u200b Ñúñez",
            "bio": "",
            "organisation": "",
            "expertise": "",
        }

        await browser.call(SettingsState, "save_profile", form_data=form)

        assert _user("hannah.kowalski").display_name == "Zoë Ñúñez"
        assert (await browser.state(AuthState)).user_name == "Zoë Ñúñez"

    asyncio.run(scenario())
