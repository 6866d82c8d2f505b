"""Account recovery: links mailed through a real local SMTP server, single use, expiry,
hashed storage, the same answer for unknown addresses, throttling, sessions revoked, the
admin's audited trigger, suspensions kept, and the server log when no SMTP is configured."""

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from cop_app.models import ActivityEvent, AuditEntry, PasswordReset, ResetRequest, User
from cop_app.models.base import utcnow
from cop_app.services import accounts, mail, passwords, recovery, settings
from cop_app.services.access import ACCESS_CHANGED
from cop_app.services.errors import Forbidden, Invalid, RateLimited
from cop_app.services.events import Change
from tests.smtp_inbox import LocalSmtp, body_of, token_in

NEW_PASSWORD = "copper-kettle-meadow-19"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSmtp]:
    """A real SMTP server on loopback, and the app's mail settings pointing at it."""
    with LocalSmtp() as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        yield server


def _mailed_token(smtp: LocalSmtp, email: str, count: int = 1) -> str:
    return token_in(body_of(smtp.wait_for(email, count)))


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_mailed_link_sets_a_new_password_and_ends_every_session(
    session: Session,
    smtp: LocalSmtp,
    make_user: Callable[..., User],
    default_password: str,
    changes: list[Change],
) -> None:
    user = make_user(session, email="ines.moreau@example.org")
    browsers = [
        accounts.check_sign_in(session, user.email, default_password, "k").token for _ in "ab"
    ]

    assert recovery.check_request_reset(session, " Ines.Moreau@Example.org ", "client-1") is None
    message = smtp.wait_for(user.email)
    assert message["Subject"] == "Reset your Practica password"
    assert message["From"] == "Practica <noreply@practica.test>"
    body = body_of(message)
    assert "http://practica.test/reset?token=" in body and "30 minutes" in body
    token = token_in(body)

    changes.clear()
    changed = recovery.check_reset_password(session, token, NEW_PASSWORD)
    assert changed.id == user.id
    # the open tabs of that person drop their rooms at once, and say why
    ended = [c.data for c in changes if c.kind == ACCESS_CHANGED]
    assert ended == [
        {"user_id": user.id, "reason": "You were signed out because your password was reset."}
    ]
    assert all(accounts.user_for_token(session, b) is None for b in browsers)
    with pytest.raises(Invalid):
        accounts.check_sign_in(session, user.email, default_password, "k")
    assert accounts.check_sign_in(session, user.email, NEW_PASSWORD, "k").user.id == user.id
    kinds = session.exec(select(ActivityEvent.kind).where(ActivityEvent.target_id == user.id))
    assert "user.password_reset" in kinds.all()


def test_only_the_tokens_hash_is_stored(
    session: Session, smtp: LocalSmtp, make_user: Callable[..., User]
) -> None:
    user = make_user(session)
    recovery.check_request_reset(session, user.email, "client-1")
    token = _mailed_token(smtp, user.email)
    stored = session.exec(select(PasswordReset)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.user_id == user.id and stored.requested_by is None and stored.used_at is None
    assert stored.expires_at - stored.created_at == settings.PASSWORD_RESET_LIFETIME
    dump = " ".join(repr(row) for row in session.exec(text("SELECT * FROM passwordreset")).all())
    assert token not in dump


def test_a_link_works_once_and_takes_the_others_with_it(
    session: Session, smtp: LocalSmtp, make_user: Callable[..., User]
) -> None:
    user = make_user(session)
    recovery.check_request_reset(session, user.email, "client-1")
    recovery.check_request_reset(session, user.email, "client-1")
    first, second = _mailed_token(smtp, user.email, 1), _mailed_token(smtp, user.email, 2)
    recovery.check_reset_password(session, first, NEW_PASSWORD)
    for token in (first, second):
        with pytest.raises(Invalid) as refused:
            recovery.check_reset_password(session, token, "another-fine-passphrase")
        assert refused.value.message == recovery.BAD_LINK and refused.value.field == "token"
    session.refresh(user)
    assert passwords.verify_password(NEW_PASSWORD, user.password_hash)[0]


def test_an_expired_link_changes_nothing(
    session: Session,
    smtp: LocalSmtp,
    make_user: Callable[..., User],
    row_counts: Callable[[Session], dict[str, int]],
) -> None:
    user = make_user(session)
    asked = utcnow()
    recovery.check_request_reset(session, user.email, "client-1", now=asked)
    token = _mailed_token(smtp, user.email)
    before, old_hash = row_counts(session), user.password_hash
    late = asked + settings.PASSWORD_RESET_LIFETIME + timedelta(seconds=1)
    with pytest.raises(Invalid) as refused:
        recovery.check_reset_password(session, token, NEW_PASSWORD, now=late)
    assert refused.value.message == recovery.EXPIRED_LINK
    session.refresh(user)
    assert user.password_hash == old_hash and row_counts(session) == before
    just_in_time = asked + settings.PASSWORD_RESET_LIFETIME - timedelta(seconds=1)
    recovery.check_reset_password(session, token, NEW_PASSWORD, now=just_in_time)


@pytest.mark.parametrize(
    "token", [None, 42, "", "short", "x" * 101, ["a" * 43], "A" * 43], ids=repr
)
def test_malformed_or_unknown_tokens_are_refused(
    session: Session, token: object, row_counts: Callable[[Session], dict[str, int]]
) -> None:
    before = row_counts(session)
    with pytest.raises(Invalid) as refused:
        recovery.check_reset_password(session, token, NEW_PASSWORD)
    assert refused.value.message == recovery.BAD_LINK
    assert row_counts(session) == before


def test_the_password_policy_applies_and_a_refused_password_keeps_the_link(
    session: Session, smtp: LocalSmtp, make_user: Callable[..., User]
) -> None:
    user = make_user(session, email="sam.okoro@example.org")
    recovery.check_request_reset(session, user.email, "client-1")
    token = _mailed_token(smtp, user.email)
    for bad, message in (
        ("short", "Use at least 10 characters."),
        ("password123", "This password is too common; choose another one."),
        ("sam.okoro@example.org", "Do not use your email address as password."),
        (None, "Enter a password."),
    ):
        with pytest.raises(Invalid) as refused:
            recovery.check_reset_password(session, token, bad)
        assert (refused.value.message, refused.value.field) == (message, "password")
    assert session.exec(select(PasswordReset.used_at)).one() is None
    recovery.check_reset_password(session, token, NEW_PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    session: Session, smtp: LocalSmtp, make_user: Callable[..., User]
) -> None:
    user = make_user(session)
    assert recovery.check_request_reset(session, "nobody.here@example.org", "client-1") is None
    assert recovery.check_request_reset(session, user.email, "client-1") is None
    smtp.wait_for(user.email)  # one sender thread: the unknown address's turn came first
    assert len(smtp.received) == 1
    assert _count(session, PasswordReset) == 1
    assert _count(session, ResetRequest) == 2


def test_a_deactivated_account_gets_no_link(
    session: Session, smtp: LocalSmtp, make_user: Callable[..., User]
) -> None:
    gone = make_user(session, is_active=False)
    recovery.check_request_reset(session, gone.email, "client-1")
    assert _count(session, PasswordReset) == 0


@pytest.mark.parametrize("email", [None, "", "not-an-address", "x" * 300, {"a": 1}, 12])
def test_a_malformed_address_is_refused_and_writes_nothing(
    session: Session, email: object, row_counts: Callable[[Session], dict[str, int]]
) -> None:
    before = row_counts(session)
    with pytest.raises(Invalid) as refused:
        recovery.check_request_reset(session, email, "client-1")
    assert refused.value.field == "email"
    assert row_counts(session) == before


@pytest.mark.parametrize("known", [True, False], ids=["known", "unknown"])
def test_requests_are_throttled_per_address_known_or_not(
    session: Session, smtp: LocalSmtp, make_user: Callable[..., User], known: bool
) -> None:
    email = make_user(session).email if known else "nobody.here@example.org"
    start = utcnow()
    limit = settings.PASSWORD_RESET_MAX_PER_ADDRESS
    for n in range(limit):
        recovery.check_request_reset(
            session, email, f"client-{n}", now=start + timedelta(minutes=n)
        )
    with pytest.raises(RateLimited) as refused:
        recovery.check_request_reset(session, email, "client-x", now=start + timedelta(minutes=10))
    assert (
        refused.value.message
        == "Too many reset requests for this address. Try again in 50 minutes."
    )
    assert refused.value.field == "email"
    assert _count(session, ResetRequest) == limit
    later = start + settings.PASSWORD_RESET_WINDOW + timedelta(seconds=1)
    recovery.check_request_reset(session, email, "client-x", now=later)
    assert _count(session, ResetRequest) == limit + 1


def test_requests_are_throttled_per_client(session: Session) -> None:
    start = utcnow()
    for n in range(settings.PASSWORD_RESET_MAX_PER_CLIENT):
        recovery.check_request_reset(session, f"person{n}@example.org", "one-client", now=start)
    with pytest.raises(RateLimited) as refused:
        recovery.check_request_reset(session, "someone.else@example.org", "one-client", now=start)
    assert refused.value.message == "Too many reset requests from here. Try again in 60 minutes."
    recovery.check_request_reset(session, "someone.else@example.org", "another-client", now=start)


def test_a_suspended_account_can_reset_but_stays_suspended(
    session: Session, smtp: LocalSmtp, make_user: Callable[..., User]
) -> None:
    until = utcnow() + timedelta(days=3)
    user = make_user(session, suspended_until=until, suspension_reason="spam")
    recovery.check_request_reset(session, user.email, "client-1")
    recovery.check_reset_password(session, _mailed_token(smtp, user.email), NEW_PASSWORD)
    session.refresh(user)
    assert user.suspended_until == until and user.suspension_reason == "spam"
    with pytest.raises(Forbidden):
        accounts.check_sign_in(session, user.email, NEW_PASSWORD, "k")


def test_only_admins_send_a_reset_and_it_is_audited(
    session: Session,
    smtp: LocalSmtp,
    make_user: Callable[..., User],
    row_counts: Callable[[Session], dict[str, int]],
) -> None:
    admin = make_user(session, role="admin", display_name="Amara Admin")
    member = make_user(session)
    other = make_user(session)
    before = row_counts(session)
    for actor in (None, other):
        with pytest.raises(Forbidden):
            recovery.check_admin_request_reset(session, actor, member.id)
    assert row_counts(session) == before
    with pytest.raises(Invalid):
        recovery.check_admin_request_reset(session, admin, "not-an-id")

    old_hash = member.password_hash
    assert recovery.check_admin_request_reset(session, admin, member.id).id == member.id
    body = body_of(smtp.wait_for(member.email))
    assert "Amara Admin, an administrator, sent you this link." in body
    entry = session.exec(select(AuditEntry)).one()
    assert (entry.actor_id, entry.action, entry.target_id) == (
        admin.id,
        "user.password_reset",
        member.id,
    )
    assert session.exec(select(PasswordReset.requested_by)).one() == admin.id
    session.refresh(member)
    assert member.password_hash == old_hash
    recovery.check_reset_password(session, token_in(body), NEW_PASSWORD)


def test_without_smtp_the_link_goes_to_the_server_log(
    session: Session,
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("COP_SMTP_HOST", raising=False)
    monkeypatch.setenv("COP_PUBLIC_URL", "https://cop.example.org/")
    user = make_user(session)
    with caplog.at_level(logging.WARNING, logger=mail.logger.name):
        recovery.check_request_reset(session, user.email, "client-1")
        deadline = time.monotonic() + 10
        while "reset?token=" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    assert "Mail not sent (COP_SMTP_HOST is not set). To: " + user.email in caplog.text
    assert "https://cop.example.org/reset?token=" in caplog.text
    recovery.check_reset_password(session, token_in(caplog.text), NEW_PASSWORD)


def test_a_mail_failure_is_logged_and_the_answer_is_the_same(
    session: Session,
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = LocalSmtp()  # a free port nobody listens on
    for name, value in closed.env.items():
        monkeypatch.setenv(name, value)
    user = make_user(session)
    with caplog.at_level(logging.ERROR, logger=mail.logger.name):
        assert recovery.check_request_reset(session, user.email, "client-1") is None
        deadline = time.monotonic() + 10
        while "could not be sent" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    assert f"Mail to {user.email} (Reset your Practica password) could not be sent" in caplog.text
