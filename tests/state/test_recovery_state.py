"""Recovery handlers through Reflex's event processor, with a real local SMTP server: one
neutral answer, a mailed link that sets a new password and ends sessions, clear errors that
change nothing, and the admin's "Send password reset"."""

import asyncio
from collections.abc import Iterator

import pytest
import reflex as rx
from reflex.state import StateUpdate
from sqlmodel import func, select

from cop_app.models import AuditEntry, PasswordReset, ResetRequest, User
from cop_app.seed import DEMO_PASSWORD, email_of
from cop_app.services import accounts, events, passwords
from cop_app.services.access import ACCESS_CHANGED
from cop_app.services.events import Change
from cop_app.states.admin import AdminUsersState
from cop_app.states.recovery import RecoveryState
from tests.smtp_inbox import LocalSmtp, body_of, token_in
from tests.state.harness import Browser, session_token_for, start_server, toasts, user_id_of, var

NEW_PASSWORD = "copper-kettle-meadow-19"
NEUTRAL_PATH = "/no-page-here"  # no on_load chain runs around the call under test


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSmtp]:
    """A real SMTP server on loopback, and the app's mail settings pointing at it."""
    with LocalSmtp() as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        yield server


def redirects(updates: list[StateUpdate]) -> list[str]:
    """Paths the browser was sent to."""
    return [e.payload["path"] for u in updates for e in u.events if e.name == "_redirect"]


def count(model: type) -> int:
    with rx.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def password_hash_of(local: str) -> str:
    with rx.session() as session:
        return session.exec(select(User.password_hash).where(User.email == email_of(local))).one()


def test_forgot_gives_one_answer_and_mails_only_a_known_address(
    app_db: None, smtp: LocalSmtp
) -> None:
    async def scenario() -> None:
        server = await start_server()
        for address in ("nobody.here@example.org", email_of("ravi.iyer")):
            browser = Browser(server, path=NEUTRAL_PATH)
            updates = await browser.call(
                RecoveryState, "request_reset", form_data={"email": address}
            )
            assert var(updates, RecoveryState, "forgot_sent") is True
            assert var(updates, RecoveryState, "forgot_errors") == {}
            assert var(updates, RecoveryState, "busy") is False
            assert not server.errors

    asyncio.run(scenario())
    smtp.wait_for(email_of("ravi.iyer"))
    assert len(smtp.received) == 1
    assert count(ResetRequest) == 2 and count(PasswordReset) == 1


def test_forgot_refuses_a_malformed_address_and_writes_nothing(app_db: None) -> None:
    async def scenario() -> None:
        server = await start_server()
        browser = Browser(server, path=NEUTRAL_PATH)
        for form in ({"email": "not-an-address"}, "not a form", {"email": ["a@b.org"]}):
            updates = await browser.call(RecoveryState, "request_reset", form_data=form)
            assert set(var(updates, RecoveryState, "forgot_errors")) == {"email"}
            assert (await browser.state(RecoveryState)).forgot_sent is False
        assert count(ResetRequest) == 0 and not server.errors

    asyncio.run(scenario())


def test_a_mailed_link_sets_the_password_ends_sessions_and_goes_to_sign_in(
    app_db: None, smtp: LocalSmtp
) -> None:
    old_session = session_token_for("ravi.iyer")

    async def scenario() -> None:
        server = await start_server()
        asking = Browser(server, path=NEUTRAL_PATH)
        form = {"email": email_of("ravi.iyer")}
        await asking.call(RecoveryState, "request_reset", form_data=form)
        token = await asyncio.to_thread(
            lambda: token_in(body_of(smtp.wait_for(email_of("ravi.iyer"))))
        )
        resetting = Browser(server, path="/reset", query={"token": token})
        form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        updates = await resetting.call(RecoveryState, "reset_password", form_data=form)
        assert redirects(updates) == ["/signin"]
        assert toasts(updates) == [
            ("success", "Your password is changed. Sign in with your new password.")
        ]
        again = await resetting.call(RecoveryState, "reset_password", form_data=form)
        assert set(var(again, RecoveryState, "reset_errors")) == {"token"}
        assert not server.errors

    asyncio.run(scenario())
    assert passwords.verify_password(NEW_PASSWORD, password_hash_of("ravi.iyer"))[0]
    with rx.session() as session:
        assert accounts.user_for_token(session, old_session) is None


def test_a_reset_through_the_form_announces_its_changes_on_the_event_loop(
    app_db: None, smtp: LocalSmtp
) -> None:
    """Hashing runs in a worker thread, but live rooms are reached from the loop only: the
    access change that ends the member's open tabs must not be dropped in the thread."""
    heard: list[tuple[str, bool]] = []

    def listener(change: Change) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            heard.append((change.kind, False))
        else:
            heard.append((change.kind, True))

    async def scenario() -> None:
        server = await start_server()
        asking = Browser(server, path=NEUTRAL_PATH)
        await asking.call(
            RecoveryState, "request_reset", form_data={"email": email_of("ravi.iyer")}
        )
        token = await asyncio.to_thread(
            lambda: token_in(body_of(smtp.wait_for(email_of("ravi.iyer"))))
        )
        resetting = Browser(server, path="/reset", query={"token": token})
        form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        await resetting.call(RecoveryState, "reset_password", form_data=form)

    events.subscribe(listener)
    try:
        asyncio.run(scenario())
    finally:
        events.unsubscribe(listener)
    assert (ACCESS_CHANGED, True) in heard
    assert all(on_loop for _, on_loop in heard), heard


def test_reset_errors_are_clear_and_change_nothing(app_db: None, smtp: LocalSmtp) -> None:
    before = password_hash_of("ravi.iyer")

    async def scenario() -> None:
        server = await start_server()
        await Browser(server, path=NEUTRAL_PATH).call(
            RecoveryState, "request_reset", form_data={"email": email_of("ravi.iyer")}
        )
        token = await asyncio.to_thread(
            lambda: token_in(body_of(smtp.wait_for(email_of("ravi.iyer"))))
        )
        browser = Browser(server, path="/reset", query={"token": token})
        for form, errors in (
            (
                {"password": NEW_PASSWORD, "confirm": "something-else-entirely"},
                {"confirm": "The two passwords are not the same."},
            ),
            (
                {"password": "password123", "confirm": "password123"},
                {"password": "This password is too common; choose another one."},
            ),
            ("not a form", {"password": "Enter a password."}),
        ):
            updates = await browser.call(RecoveryState, "reset_password", form_data=form)
            assert var(updates, RecoveryState, "reset_errors") == errors
            assert redirects(updates) == []
        no_token = Browser(server, path="/reset")
        form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        updates = await no_token.call(RecoveryState, "reset_password", form_data=form)
        assert set(var(updates, RecoveryState, "reset_errors")) == {"token"}
        assert not server.errors

    asyncio.run(scenario())
    assert password_hash_of("ravi.iyer") == before
    with rx.session() as session:
        assert session.exec(select(PasswordReset.used_at)).one() is None


def test_an_admin_sends_a_reset_from_the_users_page(app_db: None, smtp: LocalSmtp) -> None:
    member_id = user_id_of("hannah.kowalski")

    async def scenario() -> None:
        server = await start_server()
        member = Browser(server, path=NEUTRAL_PATH)
        await member.sign_in_with_token(session_token_for("mateo.garcia"))
        refused = await member.call(AdminUsersState, "send_reset", user_id=member_id)
        assert toasts(refused) == [("error", "Only admins can do this.")]
        assert count(PasswordReset) == 0

        admin = Browser(server, path=NEUTRAL_PATH)
        await admin.sign_in_with_token(session_token_for("amara.okafor"))
        updates = await admin.call(AdminUsersState, "send_reset", user_id=member_id)
        assert toasts(updates) == [
            ("success", "A password reset link is on its way to Hannah Kowalski.")
        ]
        assert not server.errors

    asyncio.run(scenario())
    body = body_of(smtp.wait_for(email_of("hannah.kowalski")))
    assert "Amara Okafor, an administrator, sent you this link." in body
    with rx.session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
        assert entry.one().target_id == member_id
    assert passwords.verify_password(DEMO_PASSWORD, password_hash_of("hannah.kowalski"))[0]
