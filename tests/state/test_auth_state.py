"""AuthState handlers: sign-in, sign-up, throttling, sign-out and the page guard."""

import asyncio
import threading
import time

import pytest
import reflex as rx
from passlib.context import CryptContext
from sqlmodel import func, select

from cop_app.models import AuthSession, LoginAttempt, User
from cop_app.seed import DEMO_PASSWORD
from cop_app.services import accounts, events, passwords
from cop_app.services.events import Change
from cop_app.states.auth import AuthState, safe_next
from tests.state.harness import Browser, session_token_for, start_server, var


def _count(model: type) -> int:
    with rx.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_sign_in_sets_session_and_redirects_to_next(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server, path="/signin", query={"next": "/communities"})
        updates = await browser.call(
            AuthState,
            "sign_in",
            form_data={"email": "Ravi.Iyer@example.org", "password": DEMO_PASSWORD},
        )
        assert var(updates, AuthState, "user_name") == "Ravi Iyer"
        token = var(updates, AuthState, "session_token")
        assert isinstance(token, str) and len(token) >= 22
        redirects = [e.payload["path"] for u in updates for e in u.events if e.name == "_redirect"]
        assert redirects[0] == "/communities"
        with rx.session() as session:
            user = accounts.user_for_token(session, token)
            assert user is not None and user.email == "ravi.iyer@example.org"

    asyncio.run(scenario())


def test_wrong_password_gives_field_error_and_no_session(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server, path="/signin")
        sessions_before = _count(AuthSession)
        updates = await browser.call(
            AuthState,
            "sign_in",
            form_data={"email": "ravi.iyer@example.org", "password": "wrong-password-here"},
        )
        assert var(updates, AuthState, "signin_errors") == {
            "password": "Email or password is not right."
        }
        assert _count(AuthSession) == sessions_before
        assert (await browser.state(AuthState)).session_token == ""

    asyncio.run(scenario())


def test_throttle_message_after_five_failures(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server, path="/signin")
        form = {"email": "ravi.iyer@example.org", "password": "not-the-password"}
        for _ in range(5):
            await browser.call(AuthState, "sign_in", form_data=form)
        form["password"] = DEMO_PASSWORD
        updates = await browser.call(AuthState, "sign_in", form_data=form)
        message = var(updates, AuthState, "signin_errors")["password"]
        assert message.startswith("Too many failed sign-in attempts. Try again in")
        assert (await browser.state(AuthState)).user_id == 0

    asyncio.run(scenario())


def test_sign_up_error_keeps_database_unchanged(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server, path="/signup")
        users_before = _count(User)
        updates = await browser.call(
            AuthState,
            "sign_up",
            form_data={"email": "new@example.org", "display_name": "New", "password": "short"},
        )
        assert "password" in var(updates, AuthState, "signup_errors")
        assert _count(User) == users_before
        updates = await browser.call(
            AuthState,
            "sign_up",
            form_data={
                "email": "new@example.org",
                "display_name": "New Person",
                "password": "a-long-enough-phrase",
            },
        )
        assert var(updates, AuthState, "user_name") == "New Person"
        assert _count(User) == users_before + 1

    asyncio.run(scenario())


def test_sign_out_revokes_the_session(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server, path="/")
        token = session_token_for("hannah.kowalski")
        await browser.sign_in_with_token(token)
        await browser.call(AuthState, "check_session")
        assert (await browser.state(AuthState)).user_name == "Hannah Kowalski"
        await browser.call(AuthState, "sign_out")
        with rx.session() as session:
            assert accounts.user_for_token(session, token) is None
        assert (await browser.state(AuthState)).signed_in is False

    asyncio.run(scenario())


def test_require_login_redirects_visitors_with_next(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server, path="/communities")
        updates = await browser.call(AuthState, "require_login")
        paths = [e.payload["path"] for u in updates for e in u.events if e.name == "_redirect"]
        assert "/signin?next=/communities" in paths

    asyncio.run(scenario())


def test_revoked_session_in_open_tab_is_signed_out(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server, path="/")
        token = session_token_for("hannah.kowalski")
        await browser.sign_in_with_token(token)
        await browser.call(AuthState, "check_session")  # the page shows Hannah signed in
        with rx.session() as session:
            accounts.check_sign_out(session, token)
        await browser.call(AuthState, "check_session")
        auth = await browser.state(AuthState)
        assert auth.user_id == 0 and auth.session_token == ""
        assert auth.session_ended  # the open page says why, and keeps what was typed

    asyncio.run(scenario())


def test_safe_next_refuses_other_sites() -> None:
    assert safe_next("/c/x") == "/c/x"
    assert safe_next("//evil.example") == "/"
    assert safe_next("https://evil.example") == "/"
    assert safe_next("/\\evil") == "/"
    assert safe_next(None) == "/"


def test_failed_attempts_are_recorded(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server, path="/signin")
        before = _count(LoginAttempt)
        await browser.call(
            AuthState,
            "sign_in",
            form_data={"email": "ravi.iyer@example.org", "password": "nope-nope"},
        )
        assert _count(LoginAttempt) == before + 1

    asyncio.run(scenario())


def test_password_hashing_does_not_stall_other_tabs(
    app_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five sign-ins hash at once; another tab's ping is answered long before they finish."""
    # The app's own argon2 cost (cop_app/services/passwords.py): the suite hashes cheaply
    # (tests/conftest.py), and this test is about the cost.
    real = CryptContext(schemes=["argon2", "pbkdf2_sha256"], deprecated="auto")
    monkeypatch.setattr(passwords, "pwd_context", real)
    with rx.session() as session:
        ravi = session.exec(select(User).where(User.email == "ravi.iyer@example.org")).one()
        ravi.password_hash = real.hash(DEMO_PASSWORD)
        session.add(ravi)
        session.commit()

    async def scenario() -> None:
        server = await start_server()
        signers = [Browser(server, path="/signin", ip=f"10.0.0.{i}") for i in range(5)]
        other = Browser(server, path="/")
        for browser in [*signers, other]:
            await browser.call(AuthState, "ping")  # hydrated, so the ping below is a bare event
        form = {"email": "ravi.iyer@example.org", "password": DEMO_PASSWORD}

        start = time.monotonic()
        sign_ins = [
            asyncio.create_task(b.call(AuthState, "sign_in", form_data=form)) for b in signers
        ]
        await other.call(AuthState, "ping")
        ping_done = time.monotonic() - start
        results = await asyncio.gather(*sign_ins)
        all_done = time.monotonic() - start

        assert all(var(u, AuthState, "user_name") == "Ravi Iyer" for u in results)
        assert ping_done < all_done / 3, (ping_done, all_done)

    asyncio.run(scenario())


def test_right_password_from_a_client_that_has_not_failed_is_accepted_under_attack(
    app_db: None,
) -> None:
    async def scenario() -> None:
        server = await start_server()
        attacker = Browser(server, path="/signin", ip="203.0.113.7")
        owner = Browser(server, path="/signin", ip="198.51.100.4")
        wrong = {"email": "amara.okafor@example.org", "password": "guessing-again"}
        for _ in range(30):
            await attacker.call(AuthState, "sign_in", form_data=wrong)
        right = {"email": "amara.okafor@example.org", "password": DEMO_PASSWORD}

        refused = await attacker.call(AuthState, "sign_in", form_data=right)
        accepted = await owner.call(AuthState, "sign_in", form_data=right)

        assert var(refused, AuthState, "signin_errors")["password"].startswith(
            "Too many failed sign-in attempts."
        )
        assert (await attacker.state(AuthState)).user_id == 0
        assert var(accepted, AuthState, "user_name") == "Amara Okafor"

    asyncio.run(scenario())


def test_sign_in_changes_reach_live_rooms_from_the_event_loop(app_db: None) -> None:
    """The service runs in a worker thread; what it announces is handed out on the loop."""
    heard: list[tuple[str, int]] = []

    def listener(change: Change) -> None:
        heard.append((change.data.get("kind", ""), threading.get_ident()))

    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server, path="/signin")
        form = {"email": "ravi.iyer@example.org", "password": DEMO_PASSWORD}
        await browser.call(AuthState, "sign_in", form_data=form)
        form["password"] = "not-the-password"
        await browser.call(AuthState, "sign_in", form_data=form)

    events.subscribe(listener)
    try:
        asyncio.run(scenario())
    finally:
        events.unsubscribe(listener)
    assert ("user.signed_in", threading.get_ident()) in heard
    assert ("user.sign_in_failed", threading.get_ident()) in heard


def test_sign_ins_are_keyed_by_the_resolved_client_address(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        here, there = Browser(server, ip="192.0.2.1"), Browser(server, ip="192.0.2.2")
        again = Browser(server, ip="192.0.2.1")
        for browser in (here, there, again):
            await browser.call(AuthState, "ping")
        keys = [(await b.state(AuthState))._client_key() for b in (here, there, again)]
        assert keys[0] == keys[2] != keys[1]
        assert "192.0.2" not in keys[0]  # only a digest of the address is stored

    asyncio.run(scenario())
