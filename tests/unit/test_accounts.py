"""accounts.*: sign-up, sign-in and its throttles, server-side sessions, profile, password."""

import hashlib
import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cop_app.models import ActivityEvent, AuthSession, LoginAttempt, User
from cop_app.models.base import utcnow
from cop_app.services import accounts, passwords, settings
from cop_app.services.activity import feed_room
from cop_app.services.errors import Forbidden, Invalid, NotFound, RateLimited
from cop_app.services.events import Change

NEW_PASSWORD = "violet-meadow-compass-7"
CLIENT = "client-a"


def issue_token(session: Session, user: User, **fields: object) -> str:
    """A session row as sign-in makes it (cheap: no password check), returning the raw token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    values = {"created_at": now, "last_seen_at": now, "expires_at": now + settings.SESSION_LIFETIME}
    values.update(fields)
    session.add(AuthSession(token_hash=accounts.token_hash(token), user_id=user.id, **values))
    session.commit()
    return token


def auth_row(session: Session, token: str) -> AuthSession:
    session.expire_all()
    return session.exec(
        select(AuthSession).where(AuthSession.token_hash == accounts.token_hash(token))
    ).one()


def add_failures(
    session: Session,
    n: int,
    *,
    email: str = "",
    client: str = CLIENT,
    age: timedelta = timedelta(0),
) -> None:
    """`n` failed attempts `age` ago; a blank email gives each attempt its own address."""
    when = utcnow() - age
    for i in range(n):
        session.add(
            LoginAttempt(
                email=email or f"stranger{i}@example.org",
                client_key=client,
                success=False,
                created_at=when,
            )
        )
    session.commit()


def admin_heard(changes: list[Change], kind: str) -> bool:
    """The admin activity room was told (after commit) about an event of this kind."""
    return Change("activity", (feed_room(0),), {"kind": kind}) in changes


def activity_kinds(session: Session) -> list[str]:
    session.expire_all()
    return [e.kind for e in session.exec(select(ActivityEvent).order_by(ActivityEvent.id)).all()]


# --- emails and tokens ------------------------------------------------------------------------


def test_normalise_email_trims_and_lowercases() -> None:
    assert accounts.normalise_email("  Ada.Lovelace+cop@Example.ORG ") == (
        "ada.lovelace+cop@example.org"
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        42,
        ["a@example.org"],
        "plainaddress",
        "@example.org",
        "ada@",
        "ada@example",
        "ada@@example.org",
        "ada lovelace@example.org",
        "ada@exa mple.org",
        "ada@example..org",
        "ada@example.org.",
        "x" * 65 + "@example.org",
        "a@" + "b" * 250 + ".org",
    ],
)
def test_normalise_email_refuses_malformed(value: object) -> None:
    with pytest.raises(Invalid) as err:
        accounts.normalise_email(value)
    assert err.value.field == "email"


def test_normalise_email_refuses_a_nul_character() -> None:
    """Expected behaviour; FAILS today: _EMAIL_RE's local part [^@\\s] admits "\\x00", which
    PostgreSQL then refuses with a bare ValueError (see test_sign_in_with_a_nul_byte_...)."""
    with pytest.raises(Invalid) as err:
        accounts.normalise_email("ada\x00@example.org")
    assert err.value.field == "email"


def test_token_hash_is_sha256_hex() -> None:
    assert accounts.token_hash("abc") == hashlib.sha256(b"abc").hexdigest()
    assert len(accounts.token_hash("x" * 43)) == 64


# --- sign-up ----------------------------------------------------------------------------------


def test_sign_up_creates_a_signed_in_member(session: Session, changes) -> None:
    result = accounts.check_sign_up(
        session, " Ada@Example.org ", "  Ada Lovelace ", NEW_PASSWORD, CLIENT
    )

    user = result.user
    assert user.id is not None
    assert (user.email, user.display_name, user.role) == (
        "ada@example.org",
        "Ada Lovelace",
        "member",
    )
    assert user.password_hash.startswith("$argon2")
    # A 256-bit session id, of which only the SHA-256 is stored.
    assert len(result.token) >= 22
    stored = session.exec(select(AuthSession)).one()
    assert stored.user_id == user.id
    assert stored.token_hash == hashlib.sha256(result.token.encode()).hexdigest()
    assert stored.revoked_at is None
    assert stored.expires_at - stored.created_at == settings.SESSION_LIFETIME
    assert accounts.user_for_token(session, result.token).id == user.id
    attempt = session.exec(select(LoginAttempt)).one()
    assert (attempt.email, attempt.client_key, attempt.success) == ("signup", CLIENT, True)
    assert activity_kinds(session) == ["user.signed_up"]
    assert admin_heard(changes, "user.signed_up")


def _sign_up_refused(session: Session, row_counts, field: str, **kwargs: object) -> Invalid:
    args = {
        "email": "new@example.org",
        "display_name": "New Person",
        "password": NEW_PASSWORD,
        "client_key": CLIENT,
    }
    args.update(kwargs)
    before = row_counts(session)
    with pytest.raises(Invalid) as err:
        accounts.check_sign_up(session, **args)
    assert err.value.field == field
    session.rollback()
    assert row_counts(session) == before  # nothing written
    return err.value


@pytest.mark.parametrize("email", ["ada@example.org", "ADA@Example.ORG", "  ada@example.org "])
def test_sign_up_refuses_a_taken_email_whatever_the_case(
    session: Session, make_user, row_counts, email: str
) -> None:
    make_user(session, email="ada@example.org")
    err = _sign_up_refused(session, row_counts, "email", email=email)
    assert "already exists" in err.message


@pytest.mark.parametrize("email", ["", None, "not-an-email", "a@b", 7, "x@y.z" + "z" * 260])
def test_sign_up_refuses_a_malformed_email(session: Session, row_counts, email: object) -> None:
    _sign_up_refused(session, row_counts, "email", email=email)


@pytest.mark.parametrize(
    "password", ["short-pw1", "1234567890", "qwertyuiop", "new@example.org", "x" * 129, "", None]
)
def test_sign_up_refuses_a_weak_password(session: Session, row_counts, password: object) -> None:
    _sign_up_refused(session, row_counts, "password", password=password)


@pytest.mark.parametrize("name", ["", "   ", None, "A", "x" * 81, 12, ["Ada"]])
def test_sign_up_refuses_a_bad_display_name(session: Session, row_counts, name: object) -> None:
    _sign_up_refused(session, row_counts, "display_name", display_name=name)


def test_sign_up_is_throttled_per_client(session: Session, row_counts) -> None:
    for _ in range(settings.SIGNUP_MAX_PER_CLIENT):
        session.add(LoginAttempt(email="signup", client_key=CLIENT, success=True))
    session.commit()
    before = row_counts(session)
    with pytest.raises(RateLimited) as err:
        accounts.check_sign_up(session, "new@example.org", "New Person", NEW_PASSWORD, CLIENT)
    assert err.value.retry_after > 0
    assert "Try again later" in err.value.message
    session.rollback()
    assert row_counts(session) == before


def test_colleagues_behind_one_shared_address_can_all_sign_up(session: Session) -> None:
    """A hospital or school network is one address: thirty colleagues that morning still fit."""
    for _ in range(30):
        session.add(LoginAttempt(email="signup", client_key=CLIENT, success=True))
    session.commit()
    result = accounts.check_sign_up(session, "new@example.org", "New Person", NEW_PASSWORD, CLIENT)
    assert result.user.email == "new@example.org"


def test_old_sign_ups_do_not_count_against_the_client(session: Session) -> None:
    long_ago = utcnow() - settings.SIGNUP_WINDOW - timedelta(minutes=1)
    for _ in range(settings.SIGNUP_MAX_PER_CLIENT):
        session.add(
            LoginAttempt(email="signup", client_key=CLIENT, success=True, created_at=long_ago)
        )
    session.commit()
    result = accounts.check_sign_up(session, "new@example.org", "New Person", NEW_PASSWORD, CLIENT)
    assert result.user.email == "new@example.org"


# --- sign-in ----------------------------------------------------------------------------------


def test_sign_in_opens_a_session(session: Session, make_user, default_password, changes) -> None:
    user = make_user(session, email="ada@example.org")
    result = accounts.check_sign_in(session, "  ADA@example.org", default_password, CLIENT)

    assert result.user.id == user.id
    assert len(result.token) >= 22
    assert accounts.user_for_token(session, result.token).id == user.id
    attempt = session.exec(select(LoginAttempt)).one()
    assert (attempt.email, attempt.client_key, attempt.success) == ("ada@example.org", CLIENT, True)
    assert activity_kinds(session) == ["user.signed_in"]
    assert admin_heard(changes, "user.signed_in")


def test_only_the_token_digest_is_stored(session: Session, make_user, default_password) -> None:
    make_user(session, email="ada@example.org")
    token = accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT).token
    assert len(token) >= 22  # token_urlsafe(>= 16 bytes): at least 128 bits
    row = session.exec(select(AuthSession)).one()
    assert token not in repr(row.model_dump())
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_wrong_password_and_unknown_email_fail_alike(session: Session, make_user, changes) -> None:
    user = make_user(session, email="ada@example.org")
    with pytest.raises(Invalid) as wrong:
        accounts.check_sign_in(session, "ada@example.org", "not-the-password", CLIENT)
    with pytest.raises(Invalid) as unknown:
        accounts.check_sign_in(session, "nobody@example.org", "not-the-password", CLIENT)
    assert wrong.value.message == unknown.value.message == "Email or password is not right."
    assert wrong.value.field == unknown.value.field == "password"

    attempts = session.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [(a.email, a.success) for a in attempts] == [
        ("ada@example.org", False),
        ("nobody@example.org", False),
    ]
    assert session.exec(select(AuthSession)).all() == []
    recorded = session.exec(select(ActivityEvent)).all()
    assert [(e.kind, e.actor_id) for e in recorded] == [("user.sign_in_failed", user.id)]
    assert admin_heard(changes, "user.sign_in_failed")


@pytest.mark.parametrize("password", ["", None, 12345678901])
def test_sign_in_requires_a_password(session: Session, make_user, password: object) -> None:
    make_user(session, email="ada@example.org")
    with pytest.raises(Invalid) as err:
        accounts.check_sign_in(session, "ada@example.org", password, CLIENT)
    assert err.value.field == "password"
    assert session.exec(select(LoginAttempt)).all() == []


def test_sign_in_refuses_overlong_password_without_hashing(session: Session, make_user) -> None:
    make_user(session, email="ada@example.org")
    with pytest.raises(Invalid) as err:
        accounts.check_sign_in(session, "ada@example.org", "x" * 10_000, CLIENT)
    assert err.value.message == "Email or password is not right."


def test_sign_in_with_a_nul_byte_is_a_clean_error(session: Session) -> None:
    """Expected behaviour; FAILS today on PostgreSQL only: the NUL reaches the query and
    psycopg2 raises ValueError("A string literal cannot contain NUL (0x00) characters.")."""
    with pytest.raises(Invalid):
        accounts.check_sign_in(session, "ada\x00@example.org", "whatever-password", CLIENT)


def test_sign_in_refuses_a_malformed_email(session: Session) -> None:
    with pytest.raises(Invalid) as err:
        accounts.check_sign_in(session, "no-at-sign", "whatever-password", CLIENT)
    assert err.value.field == "email"


def _unusable(state: str) -> dict[str, object]:
    if state == "deactivated":
        return {"is_active": False}
    return {"suspended_until": utcnow() + timedelta(days=2)}


@pytest.mark.parametrize("state", ["deactivated", "suspended"])
def test_unusable_account_cannot_sign_in(
    session: Session, make_user, default_password, state: str
) -> None:
    make_user(session, email="ada@example.org", **_unusable(state))
    with pytest.raises(Forbidden):
        accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT)
    session.rollback()
    assert session.exec(select(AuthSession)).all() == []


def test_sign_in_after_suspension_ended(session: Session, make_user, default_password) -> None:
    make_user(session, email="ada@example.org", suspended_until=utcnow() - timedelta(hours=1))
    assert accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT).token


# --- throttling -------------------------------------------------------------------------------


def test_five_failures_lock_the_attacking_client_out_even_with_the_right_password(
    session: Session, make_user, default_password
) -> None:
    make_user(session, email="ada@example.org")
    make_user(session, email="grace@example.org")
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(Invalid):
            accounts.check_sign_in(session, "ada@example.org", "not-the-password", CLIENT)

    with pytest.raises(RateLimited) as err:
        accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT)

    match = re.search(r"Try again in (\d+) minutes?", err.value.message)
    assert match, err.value.message
    minutes = int(match.group(1))
    assert 14 <= minutes <= 15
    assert err.value.retry_after == minutes * 60
    assert err.value.field == "password"
    assert len(session.exec(select(LoginAttempt)).all()) == 5  # the refused try is not verified
    assert session.exec(select(AuthSession)).all() == []
    # Another account from the same client is not locked (5 < the per-client limit).
    assert accounts.check_sign_in(session, "grace@example.org", default_password, CLIENT).token


def test_an_account_under_attack_still_accepts_its_owner_from_a_client_that_has_not_failed(
    session: Session, make_user, default_password
) -> None:
    admin = make_user(session, email="ada@example.org", role="admin")
    add_failures(session, 30, email="ada@example.org", client="attacker")

    signed_in = accounts.check_sign_in(session, "ada@example.org", default_password, "owner-laptop")

    assert signed_in.user.id == admin.id
    with pytest.raises(RateLimited):
        accounts.check_sign_in(session, "ada@example.org", default_password, "attacker")


def test_under_attack_a_new_client_gets_one_wrong_guess_then_is_refused(
    session: Session, make_user, default_password
) -> None:
    make_user(session, email="ada@example.org")
    add_failures(session, settings.LOGIN_MAX_FAILURES_PER_ACCOUNT, email="ada@example.org")
    with pytest.raises(Invalid):
        accounts.check_sign_in(session, "ada@example.org", "wrong-guess-here", "client-b")
    with pytest.raises(RateLimited):
        accounts.check_sign_in(session, "ada@example.org", default_password, "client-b")
    assert accounts.check_sign_in(session, "ada@example.org", default_password, "client-c").token


def test_successful_sign_ins_to_one_account_are_capped_per_client(
    session: Session, make_user, default_password
) -> None:
    make_user(session, email="ada@example.org")
    make_user(session, email="grace@example.org")
    for _ in range(settings.LOGIN_MAX_SUCCESSES_PER_ACCOUNT_AND_CLIENT):
        accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT)
    sessions = len(session.exec(select(AuthSession)).all())

    with pytest.raises(RateLimited) as err:
        accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT)

    assert err.value.message.startswith(
        "Too many sign-ins to this account from this device. Try again in"
    )
    assert len(session.exec(select(AuthSession)).all()) == sessions
    assert accounts.check_sign_in(session, "ada@example.org", default_password, "client-b").token
    assert accounts.check_sign_in(session, "grace@example.org", default_password, CLIENT).token


def test_successful_sign_ins_from_one_client_are_capped(
    session: Session, make_user, default_password
) -> None:
    make_user(session, email="ada@example.org")
    for i in range(settings.LOGIN_MAX_SUCCESSES_PER_CLIENT):
        session.add(LoginAttempt(email=f"person{i}@example.org", client_key=CLIENT, success=True))
    session.commit()

    with pytest.raises(RateLimited) as err:
        accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT)

    assert err.value.message.startswith("Too many sign-ins from this device. Try again in")
    assert err.value.retry_after == settings.LOGIN_SUCCESS_WINDOW.total_seconds()
    assert accounts.check_sign_in(session, "ada@example.org", default_password, "client-b").token


def test_old_successes_and_sign_ups_do_not_count_against_the_cap(
    session: Session, make_user, default_password
) -> None:
    make_user(session, email="ada@example.org")
    old = utcnow() - settings.LOGIN_SUCCESS_WINDOW - timedelta(minutes=1)
    for _ in range(settings.LOGIN_MAX_SUCCESSES_PER_CLIENT):
        session.add(
            LoginAttempt(email="ada@example.org", client_key=CLIENT, success=True, created_at=old)
        )
        session.add(LoginAttempt(email=accounts.SIGNUP_MARK, client_key=CLIENT, success=True))
    session.commit()
    assert accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT).token


def test_account_lock_says_one_minute_when_the_window_is_nearly_over(session: Session) -> None:
    add_failures(session, 5, email="ada@example.org", age=timedelta(minutes=14, seconds=30))
    with pytest.raises(RateLimited) as err:
        accounts.check_sign_in(session, "ada@example.org", "whatever-password", CLIENT)
    assert "Try again in 1 minute." in err.value.message
    assert err.value.retry_after == 60


def test_failures_outside_the_window_and_successes_do_not_count(
    session: Session, make_user, default_password
) -> None:
    make_user(session, email="ada@example.org")
    add_failures(
        session,
        10,
        email="ada@example.org",
        age=settings.LOGIN_FAILURE_WINDOW + timedelta(minutes=1),
    )
    for _ in range(settings.LOGIN_MAX_SUCCESSES_PER_ACCOUNT_AND_CLIENT - 1):
        session.add(LoginAttempt(email="ada@example.org", client_key=CLIENT, success=True))
    add_failures(session, settings.LOGIN_MAX_FAILURES_PER_ACCOUNT - 1, email="ada@example.org")
    assert accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT).token


def test_twenty_failures_from_one_client_lock_every_account(
    session: Session, make_user, default_password
) -> None:
    make_user(session, email="ada@example.org")
    add_failures(session, settings.LOGIN_MAX_FAILURES_PER_CLIENT - 1)  # 19 different emails
    with pytest.raises(Invalid):
        accounts.check_sign_in(session, "someone-else@example.org", "not-the-password", CLIENT)

    with pytest.raises(RateLimited) as err:
        accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT)
    assert re.search(r"Try again in \d+ minutes?", err.value.message)
    # The same account from another client is fine: only that client is throttled.
    assert accounts.check_sign_in(session, "ada@example.org", default_password, "client-b").token


# --- sessions ---------------------------------------------------------------------------------


def test_user_for_token_returns_the_user_without_writing(session: Session, make_user) -> None:
    user = make_user(session)
    token = issue_token(session, user)
    before = auth_row(session, token).expires_at
    found = accounts.user_for_token(session, token)
    assert found is not None and found.id == user.id
    assert auth_row(session, token).expires_at == before  # fresh: not touched


def test_user_for_token_composes_no_statement_per_call(
    session: Session, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every event of every tab looks its session up: the query is built once, not per call."""
    user = make_user(session)
    token = issue_token(session, user)

    def composing(*_args: object) -> None:
        raise AssertionError("user_for_token built a statement")

    monkeypatch.setattr(accounts, "select", composing)
    assert accounts.user_for_token(session, token).id == user.id
    assert accounts.user_for_token(session, "x" * 43) is None


def test_user_for_token_slides_the_expiry(session: Session, make_user) -> None:
    user = make_user(session)
    long_ago = utcnow() - timedelta(days=3)
    token = issue_token(
        session,
        user,
        created_at=long_ago,
        last_seen_at=long_ago,
        expires_at=long_ago + settings.SESSION_LIFETIME,
    )
    old_expiry = auth_row(session, token).expires_at

    assert accounts.user_for_token(session, token).id == user.id

    row = auth_row(session, token)
    assert row.expires_at > old_expiry + timedelta(days=2)
    assert row.expires_at - row.last_seen_at == settings.SESSION_LIFETIME
    assert row.last_seen_at > long_ago + timedelta(days=2)


def test_user_for_token_touches_at_most_every_interval(session: Session, make_user) -> None:
    user = make_user(session)
    recent = utcnow() - settings.SESSION_TOUCH_INTERVAL + timedelta(minutes=1)
    token = issue_token(session, user, last_seen_at=recent, expires_at=recent + timedelta(days=1))
    before = auth_row(session, token)
    expiry, seen = before.expires_at, before.last_seen_at
    assert accounts.user_for_token(session, token).id == user.id
    after = auth_row(session, token)
    assert (after.expires_at, after.last_seen_at) == (expiry, seen)


def test_expired_session_is_refused(session: Session, make_user) -> None:
    user = make_user(session)
    then = utcnow() - settings.SESSION_LIFETIME - timedelta(minutes=1)
    token = issue_token(
        session,
        user,
        created_at=then,
        last_seen_at=then,
        expires_at=utcnow() - timedelta(seconds=1),
    )
    assert accounts.user_for_token(session, token) is None


def test_revoked_session_is_refused(session: Session, make_user) -> None:
    user = make_user(session)
    token = issue_token(session, user, revoked_at=utcnow())
    assert accounts.user_for_token(session, token) is None


@pytest.mark.parametrize("state", ["deactivated", "suspended"])
def test_session_of_an_unusable_user_is_refused(session: Session, make_user, state: str) -> None:
    user = make_user(session, **_unusable(state))
    token = issue_token(session, user)
    assert accounts.user_for_token(session, token) is None


@pytest.mark.parametrize(
    "token",
    [None, "", "short", 12345, ["x" * 43], "x" * 101, secrets.token_urlsafe(32)],
    ids=["none", "empty", "short", "int", "list", "too-long", "never-issued"],
)
def test_unknown_or_malformed_tokens_are_refused(
    session: Session, make_user, token: object
) -> None:
    issue_token(session, make_user(session))
    assert accounts.user_for_token(session, token) is None


def test_sign_out_revokes_only_this_session(session: Session, make_user) -> None:
    user = make_user(session)
    token, other = issue_token(session, user), issue_token(session, user)

    accounts.check_sign_out(session, token)

    assert accounts.user_for_token(session, token) is None
    assert accounts.user_for_token(session, other).id == user.id
    revoked_at = auth_row(session, token).revoked_at
    assert revoked_at is not None
    accounts.check_sign_out(session, token)  # twice: the first revocation time stays
    assert auth_row(session, token).revoked_at == revoked_at


@pytest.mark.parametrize("token", [None, "", 42, "never-issued-token-abcdefghij"])
def test_sign_out_ignores_junk(session: Session, make_user, token: object) -> None:
    user = make_user(session)
    kept = issue_token(session, user)
    accounts.check_sign_out(session, token)
    assert accounts.user_for_token(session, kept).id == user.id


def test_revoke_all_sessions_in_the_callers_transaction(session: Session, make_user) -> None:
    user, other_user = make_user(session), make_user(session)
    tokens = [issue_token(session, user) for _ in range(3)]
    untouched = issue_token(session, other_user)

    accounts.revoke_all_sessions(session, user.id)
    session.rollback()
    assert all(accounts.user_for_token(session, t) for t in tokens)

    accounts.revoke_all_sessions(session, user.id)
    session.commit()
    assert [accounts.user_for_token(session, t) for t in tokens] == [None, None, None]
    assert accounts.user_for_token(session, untouched).id == other_user.id


# --- change password --------------------------------------------------------------------------


def test_change_password_signs_out_everywhere_and_returns_a_new_session(
    session: Session, make_user, default_password
) -> None:
    user = make_user(session)
    old_tokens = [issue_token(session, user) for _ in range(2)]

    token = accounts.check_change_password(session, user, default_password, NEW_PASSWORD, CLIENT)

    assert isinstance(token, str) and len(token) >= 22
    assert token not in old_tokens
    assert [accounts.user_for_token(session, t) for t in old_tokens] == [None, None]
    assert accounts.user_for_token(session, token).id == user.id
    stored = session.get(User, user.id)
    assert stored.password_hash.startswith("$argon2")
    assert passwords.verify_password(NEW_PASSWORD, stored.password_hash)[0] is True
    assert activity_kinds(session) == ["user.password_changed"]


def _change_refused(session: Session, user: User, current: object, new: object, field: str) -> None:
    token = issue_token(session, user)
    old_hash = user.password_hash
    with pytest.raises(Invalid) as err:
        accounts.check_change_password(session, user, current, new, CLIENT)
    assert err.value.field == field
    session.rollback()
    session.expire_all()
    assert session.get(User, user.id).password_hash == old_hash
    assert accounts.user_for_token(session, token).id == user.id
    assert len(session.exec(select(AuthSession)).all()) == 1
    assert activity_kinds(session) == []


def test_change_password_refuses_a_wrong_current_password(session: Session, make_user) -> None:
    _change_refused(
        session, make_user(session), "not-the-password", NEW_PASSWORD, "current_password"
    )


def test_change_password_guesses_are_throttled_like_sign_in(
    session: Session, make_user, default_password
) -> None:
    user = make_user(session, email="ada@example.org")
    for _ in range(settings.LOGIN_MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(Invalid):
            accounts.check_change_password(session, user, "a-wrong-guess", NEW_PASSWORD, CLIENT)

    with pytest.raises(RateLimited) as err:
        accounts.check_change_password(session, user, default_password, NEW_PASSWORD, CLIENT)

    assert err.value.message.startswith("Too many wrong passwords. Try again in")
    assert err.value.field == "current_password"
    session.expire_all()
    assert passwords.verify_password(default_password, session.get(User, user.id).password_hash)[0]
    # The same guesses lock this client out of signing in to the account, not its owner.
    with pytest.raises(RateLimited):
        accounts.check_sign_in(session, "ada@example.org", default_password, CLIENT)
    assert accounts.check_change_password(session, user, default_password, NEW_PASSWORD, "laptop")


def test_change_password_refuses_an_overlong_current_password_as_a_failure(
    session: Session, make_user
) -> None:
    user = make_user(session, email="ada@example.org")
    with pytest.raises(Invalid):
        accounts.check_change_password(session, user, "x" * 100_000, NEW_PASSWORD, CLIENT)
    assert [a.success for a in session.exec(select(LoginAttempt)).all()] == [False]


@pytest.mark.parametrize("current", ["", None, 123])
def test_change_password_requires_the_current_password(
    session: Session, make_user, current: object
) -> None:
    _change_refused(session, make_user(session), current, NEW_PASSWORD, "current_password")


@pytest.mark.parametrize("new", ["short", "1234567890", "ada@example.org", None])
def test_change_password_applies_the_policy_to_the_new_one(
    session: Session, make_user, default_password, new: object
) -> None:
    user = make_user(session, email="ada@example.org")
    _change_refused(session, user, default_password, new, "new_password")


def test_change_password_refuses_the_same_password(
    session: Session, make_user, default_password
) -> None:
    _change_refused(session, make_user(session), default_password, default_password, "new_password")


def test_change_password_without_an_actor_is_forbidden(session: Session, default_password) -> None:
    """states/people.py passes current_user(), which is None once the session has expired."""
    with pytest.raises(Forbidden):
        accounts.check_change_password(session, None, default_password, NEW_PASSWORD, CLIENT)


def test_change_password_for_a_deleted_account(session: Session, default_password) -> None:
    ghost = User(id=999_999, email="ghost@example.org", display_name="Ghost", password_hash="-")
    with pytest.raises(NotFound):
        accounts.check_change_password(session, ghost, default_password, NEW_PASSWORD, CLIENT)


# --- profile ----------------------------------------------------------------------------------


def test_update_profile_saves_clean_values(engine: Engine, session: Session, make_user) -> None:
    user = make_user(session)
    saved = accounts.check_update_profile(
        session,
        user,
        "  Ada Lovelace ",
        "  Analyst. ",
        " Analytical Engines Ltd ",
        "Python, Data-Science  python ML",
    )
    assert (saved.display_name, saved.bio, saved.organisation, saved.expertise) == (
        "Ada Lovelace",
        "Analyst.",
        "Analytical Engines Ltd",
        "python data-science ml",
    )
    with Session(engine) as fresh:
        row = fresh.get(User, user.id)
        assert (row.display_name, row.expertise) == ("Ada Lovelace", "python data-science ml")
    assert activity_kinds(session) == ["user.profile_updated"]


def test_update_profile_accepts_a_tag_list_and_empty_optionals(session: Session, make_user) -> None:
    user = make_user(session, bio="old bio", organisation="Old Org")
    saved = accounts.check_update_profile(session, user, "Grace", None, "", ["Go", "RUST", "go"])
    assert (saved.bio, saved.organisation, saved.expertise) == ("", "", "go rust")


@pytest.mark.parametrize(
    ("name", "bio", "org", "expertise", "field"),
    [
        ("", "", "", "", "display_name"),
        ("A", "", "", "", "display_name"),
        ("x" * 81, "", "", "", "display_name"),
        (None, "", "", "", "display_name"),
        (["Ada"], "", "", "", "display_name"),
        ("Ada", "b" * 2001, "", "", "bio"),
        ("Ada", 42, "", "", "bio"),
        ("Ada", "", "o" * 121, "", "organisation"),
        ("Ada", "", {"org": 1}, "", "organisation"),
        ("Ada", "", "", " ".join(f"t{i}" for i in range(13)), "expertise"),
        ("Ada", "", "", "x" * 31, "expertise"),
        ("Ada", "", "", 3.14, "expertise"),
    ],
)
def test_update_profile_refuses_bad_fields_and_writes_nothing(
    session: Session, make_user, row_counts, name, bio, org, expertise, field: str
) -> None:
    user = make_user(session, display_name="Original", bio="Original bio", expertise="kept")
    before = row_counts(session)
    with pytest.raises(Invalid) as err:
        accounts.check_update_profile(session, user, name, bio, org, expertise)
    assert err.value.field == field
    session.rollback()
    assert row_counts(session) == before
    row = session.get(User, user.id)
    assert (row.display_name, row.bio, row.expertise) == ("Original", "Original bio", "kept")


def test_update_profile_of_a_missing_account(session: Session) -> None:
    ghost = User(id=999_999, email="ghost@example.org", display_name="Ghost", password_hash="-")
    with pytest.raises(NotFound):
        accounts.check_update_profile(session, ghost, "Ghost", "", "", "")


def test_update_profile_without_an_actor_is_forbidden(session: Session) -> None:
    """states/people.py passes current_user(), which is None once the session has expired."""
    with pytest.raises(Forbidden):
        accounts.check_update_profile(session, None, "Ada", "", "", "")


# --- first admin ------------------------------------------------------------------------------


def test_create_admin_creates_a_new_admin(session: Session) -> None:
    admin = accounts.check_create_admin(session, " Root@Example.org ", "Site Admin", NEW_PASSWORD)
    assert (admin.email, admin.display_name, admin.role) == (
        "root@example.org",
        "Site Admin",
        "admin",
    )
    assert admin.password_hash.startswith("$argon2")
    assert activity_kinds(session) == ["user.role_changed"]


def test_create_admin_promotes_an_existing_account(session: Session, make_user) -> None:
    user = make_user(session, email="ada@example.org", display_name="Ada")
    old_hash = user.password_hash
    promoted = accounts.check_create_admin(session, "ADA@example.org", "ignored", "ignored")
    assert promoted.id == user.id
    assert (promoted.role, promoted.display_name, promoted.password_hash) == (
        "admin",
        "Ada",
        old_hash,
    )
    assert len(session.exec(select(User)).all()) == 1
    assert activity_kinds(session) == ["user.role_changed"]


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("not-an-email", "Site Admin", NEW_PASSWORD, "email"),
        ("root@example.org", "", NEW_PASSWORD, "display_name"),
        ("root@example.org", "Site Admin", "1234567890", "password"),
        ("root@example.org", "Site Admin", "short", "password"),
    ],
)
def test_create_admin_refuses_bad_input(
    session: Session, row_counts, email: str, name: str, password: str, field: str
) -> None:
    before = row_counts(session)
    with pytest.raises(Invalid) as err:
        accounts.check_create_admin(session, email, name, password)
    assert err.value.field == field
    session.rollback()
    assert row_counts(session) == before
